"""Record parity reference numbers from the original OccuPy 0.1.13.

Regenerate ``tests/data/reference_occupy_0.1.13.json`` (from the repository root)::

    bash ../shared/reference/setup_reference.sh     # once: the original in its own venv
    python bench/make_reference.py                   # needs numpy + mrcfile here

The original (GPL) is only *run*, never imported into this process or copied: every map
in ``../shared/data`` that it accepts (cubic, even box) is processed by its CLI in a
scratch directory, in three configurations:

* ``res``       -- default estimate (raw-map scale)
* ``occ``       -- ``--lp-scale`` (scale from the lowpassed map)
* ``ampl4_occ`` -- ``--amplify 4 --lp-scale`` (its ``--amplify`` takes gamma)

all with ``--max-box 256``.  Its log rounds to 3 decimals, so the CLI is started by a
small launcher (written to the scratch directory, run with the reference venv's
interpreter) that records the values its own functions return during that same run
(kernel, tau, full scale and tile, solvent fit, confidence curve).  Output maps are
read back with mrcfile: statistics of every map, and for every scale map the sha256
of its float32 bytes and 4000 voxel values at seeded random indices::

    rng = np.random.default_rng(1234); idx = rng.integers(0, shape, size=(4000, 3))

(columns are z, y, x = the file's section, row, column indices); the sampled values
are stored as one space-separated string of shortest float32 reprs
(``np.array(s.split(), dtype=np.float32)`` restores them exactly); the indices are
stored too (``sample.indices["100x100x100"]``, flattened), so readers need no RNG.  Each launcher run is
checked against a plain ``ref_occupy`` run (identical scale-map bytes).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mrcfile
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEFAULT_OUT = REPO / "tests" / "data" / "reference_occupy_0.1.13.json"
MAPS = ("emd_3488.mrc", "emd_5168.map", "emd_1997.map")
CONFIGS = {
    "res": [],
    "occ": ["--lp-scale"],
    "ampl4_occ": ["--amplify", "4", "--lp-scale"],
}
COMMON_ARGS = ["--max-box", "256"]
N_SAMPLE = 4000
SAMPLE_SEED = 1234

KNOWN_DIFFERENCES = {
    "confidence_lookup": (
        "the original maps a voxel to confidence bin int((v - min)/(max - min)*1000 - 1): "
        "one bin low (bin -1, i.e. the top bin, for the minimum); algorithm.md §7 uses "
        "clip(floor((v - min)/(max - min)*1000), 0, 999)"),
    "attenuation_noise": (
        "the original draws the synthetic solvent added when attenuating from the unseeded "
        "global numpy RNG; algorithm.md §8 seeds it (--seed), so attenuated maps cannot match bit for "
        "bit (no attenuation case is recorded here)"),
    "lowpass_mask": (
        "the original's spherical Fourier mask is centred half a Fourier voxel off the zero "
        "frequency (asymmetric); algorithm.md §5.2 uses the symmetric mask of the same radius, so "
        "lowpassed maps, occ-mode scale, solvent fit and confidence differ slightly "
        "(tolerances: s_full 5%, mean |dscale| 0.02, solvent width 5%, mean 0.05 widths)"),
    "confidence_walk": (
        "the original's monotone walk stops when the raw value one bin below the current "
        "one is <= 0; compare confidence statistics loosely"),
    "max_box": "the original downsamples boxes > --max-box (default 256); these maps are 100^3",
}

# Launcher run with the reference venv's python: starts the original CLI exactly like
# ref_launch.py, but wraps a few of its functions to record what they return.
RECORDER = r'''
import json, sys
import matplotlib
matplotlib.use("Agg")
matplotlib.use = lambda *a, **k: None
import numpy as np
from occupy_lib import occupancy, solvent, estimate, _version
from occupy_lib.occupy import app

rec = {"version": _version.version}

def wrap(mod, name, after):
    orig = getattr(mod, name)
    def wrapped(*args, **kwargs):
        out = orig(*args, **kwargs)
        after(args, kwargs, out)
        return out
    setattr(mod, name, wrapped)

def on_kernel(args, kwargs, out):
    rec["n_v"] = int(np.sum(out[0]))

def on_fit(args, kwargs, out):
    data = np.asarray(args[0])
    rng, popt = out
    rec["solvent"] = {
        "amplitude": float(popt[0]), "mean": float(popt[1]), "sigma": float(abs(popt[2])),
        "sigma_signed": float(popt[2]),
        "range": [float(v) for v in rng],
        "sample_size": int(data.size), "sample_min": float(data.min()),
        "sample_max": float(data.max()),
        "sample_mean": float(data.mean()), "sample_std": float(data.std()),
    }

def on_scale(args, kwargs, out):
    scale, s_full, tiles = out
    data = np.asarray(args[0])
    rec["s_full"] = float(s_full)
    rec["variability_limit"] = float(np.mean(data[scale == 1]) / s_full)
    rec["scale_input_stats"] = [float(data.min()), float(data.max()), float(data.mean()),
                                float(data.std())]
    if tiles is not None:
        rec["tile_centre_pix"] = [float(v) for v in tiles[0]]
        rec["tile_half_size_pix"] = [float(v) for v in tiles[-1]]

def on_conf(args, kwargs, out):
    data = np.asarray(args[0])
    conf, mapping = out
    edges = np.histogram(data, bins=1000)[1]
    n_above = int(np.sum(mapping > 0.5))
    idx = 1000 - n_above
    rec["lowpass_stats"] = [float(data.min()), float(data.max()), float(data.mean()),
                            float(data.std())]
    rec["confidence"] = {
        "bins_above_half": n_above,
        "limit_index": idx,
        "limit_value": float(edges[idx]),
        "bad_model": bool(idx / 1000 > 0.5),
        "first_positive_bin": int(np.argmax(mapping > 0)) if np.any(mapping > 0) else None,
        "curve_every_50th": [float(v) for v in mapping[::50]],
        "map_mean": float(conf.mean()),
        "fraction_gt_half": float(np.mean(conf > 0.5)),
    }

wrap(occupancy, "spherical_kernel", on_kernel)
wrap(solvent, "fit_solvent_to_histogram", on_fit)
wrap(occupancy, "get_map_scale", on_scale)
wrap(occupancy, "estimate_confidence", on_conf)
orig_run = estimate.occupy_run
def run(options):
    try:
        return orig_run(options)
    finally:
        rec["options"] = {k: (v.item() if hasattr(v, "item") else v)
                          for k, v in vars(options).items()
                          if isinstance(v, (int, float, str, bool, type(None), np.generic))}
estimate.occupy_run = run

sys.argv[0] = "occupy"
try:
    app()
finally:
    if "confidence" in rec and "s_full" in rec:
        rec["confidence"]["limit_scale"] = rec["confidence"]["limit_value"] / rec["s_full"]
    with open("_reference_record.json", "w") as fh:
        json.dump(rec, fh)
'''


def ref_venv() -> Path:
    """The reference venv (setup_reference.sh's default unless REF_VENV is set)."""
    return Path(os.environ.get("REF_VENV", Path.home() / ".cache" / "occupy-reference" / "venv"))


def map_stats(data: np.ndarray) -> dict:
    """min/max/mean/std (float64 accumulation) of a map."""
    d = np.asarray(data, dtype=np.float64)
    return {"min": float(d.min()), "max": float(d.max()), "mean": float(d.mean()),
            "std": float(d.std())}


def sample_indices(shape: tuple[int, ...]) -> np.ndarray:
    """The fixed seeded (z, y, x) sample indices used for every scale map."""
    rng = np.random.default_rng(SAMPLE_SEED)
    return rng.integers(0, np.array(shape), size=(N_SAMPLE, 3))


def f32_sha256(data: np.ndarray) -> str:
    """sha256 of a map's values as native little-endian C-ordered float32 bytes."""
    return hashlib.sha256(np.ascontiguousarray(data, dtype="<f4").tobytes()).hexdigest()


def read_outputs(workdir: Path, stem: str) -> tuple[dict, dict]:
    """Statistics of every map the original wrote, and samples of its scale maps."""
    maps, samples = {}, {}
    for path in sorted(workdir.glob("*.mrc")):
        if path.name.startswith("_") or path.name == f"{stem}.mrc":
            continue
        with mrcfile.open(path, permissive=True) as mrc:
            data = np.array(mrc.data, dtype=np.float32)
            vox = float(mrc.voxel_size.x)
        entry = {"shape": list(data.shape), "voxel_size": vox, **map_stats(data)}
        if path.name.startswith("scale_"):
            entry["sha256_f32"] = f32_sha256(data)
            idx = sample_indices(data.shape)
            vals = data[idx[:, 0], idx[:, 1], idx[:, 2]]
            samples[path.name] = " ".join(str(v) for v in vals)  # shortest float32 repr
        maps[path.name] = entry
    return maps, samples


def run_one(map_path: Path, extra: list[str], ref_python: Path, launcher: Path,
            recorder: Path) -> tuple[dict, dict]:
    """Run the original twice (recording launcher, plain ref_occupy) on one map/config."""
    args = ["-i", str(map_path), *extra, *COMMON_ARGS]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory(prefix="occupy_ref_") as tmp:
        rec_dir, plain_dir = Path(tmp, "rec"), Path(tmp, "plain")
        rec_dir.mkdir()
        plain_dir.mkdir()
        shutil.copy(recorder, rec_dir / "_recorder.py")
        proc = subprocess.run([str(ref_python), "_recorder.py", *args], cwd=rec_dir, env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"reference run failed ({' '.join(args)}):\n{proc.stderr[-2000:]}")
        record = json.loads((rec_dir / "_reference_record.json").read_text())
        plain = subprocess.run([str(launcher), *args], cwd=plain_dir, env=env,
                               capture_output=True, text=True)
        if plain.returncode != 0:
            raise RuntimeError(f"ref_occupy failed ({' '.join(args)}):\n{plain.stderr[-2000:]}")
        stem = map_path.stem
        maps, samples = read_outputs(rec_dir, stem)
        plain_maps, _ = read_outputs(plain_dir, stem)
        for name, entry in maps.items():
            if "sha256_f32" in entry and plain_maps[name]["sha256_f32"] != entry["sha256_f32"]:
                raise RuntimeError(f"recording launcher and ref_occupy disagree on {name}")
        log = (rec_dir / f"log_{stem}.txt").read_text().replace(str(map_path), map_path.name)
        warned = "bad solvent model" in (proc.stdout + proc.stderr + log)
    opts = record.get("options", {})
    result = {
        "args": args[2:],
        "n_v": record["n_v"],
        "tau": opts.get("tau"),
        "kernel_size": opts.get("kernel_size"),
        "kernel_radius": opts.get("kernel_radius"),
        "lowpass": opts.get("lowpass_input"),
        "scale_mode": opts.get("scale_mode"),
        "s_full": record["s_full"],
        "tile_centre_pix": record.get("tile_centre_pix"),
        "tile_half_size_pix": record.get("tile_half_size_pix"),
        "variability_limit": record["variability_limit"],
        "scale_input_stats": record["scale_input_stats"],
        "lowpass_stats": record["lowpass_stats"],
        "solvent": record["solvent"],
        "solvent_edge": record["solvent"]["range"][3],
        "content_1pct": record["solvent"]["range"][2],
        "confidence": record["confidence"],
        "bad_model_warning": warned,
        "outputs": maps,
        "log": log,
    }
    return result, samples


def main(argv: list[str] | None = None) -> int:
    """Run the original on every test map/config and write the reference JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path,
                    default=Path(os.environ.get("OCCUPY_TEST_DATA", SHARED / "data")))
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ns = ap.parse_args(argv)

    ref_python = ref_venv() / "bin" / "python"
    launcher = SHARED / "reference" / "ref_occupy"
    if not ref_python.exists():
        sys.exit("error: reference venv missing; run bash ../shared/reference/setup_reference.sh")

    with tempfile.TemporaryDirectory() as tmp:
        recorder = Path(tmp, "_recorder.py")
        recorder.write_text(RECORDER)
        out: dict = {
            "generator": "bench/make_reference.py",
            "reference": "OccuPy 0.1.13 (PyPI occupy==0.1.13), run via ../shared/reference",
            "common_args": COMMON_ARGS,
            "sample": {"n": N_SAMPLE, "seed": SAMPLE_SEED,
                       "recipe": "np.random.default_rng(1234).integers(0, shape, size=(4000, 3))"
                                 " -> columns (z, y, x)",
                       "indices": {}},
            "known_differences": KNOWN_DIFFERENCES,
            "maps": {},
            "scale_samples": {},
        }
        for name in MAPS:
            path = ns.data / name
            with mrcfile.open(path, permissive=True) as mrc:
                shape, vox = mrc.data.shape, float(mrc.voxel_size.x)
            idx = sample_indices(shape)
            out["sample"]["indices"]["x".join(map(str, shape))] = " ".join(map(str, idx.ravel()))
            entry = {"shape": list(shape), "voxel_size": vox,
                     "sha256_file": hashlib.sha256(path.read_bytes()).hexdigest(),
                     "configs": {}}
            for cfg, extra in CONFIGS.items():
                print(f"{name} {cfg} ...", flush=True)
                result, samples = run_one(path, extra, ref_python, launcher, recorder)
                for fname, vals in samples.items():
                    sha = result["outputs"][fname]["sha256_f32"]
                    out["scale_samples"].setdefault(sha, vals)  # identical maps stored once
                    result["outputs"][fname]["sample_key"] = sha
                entry["configs"][cfg] = result
            out["maps"][name] = entry
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(out, indent=1)
    ns.out.write_text(text + "\n")
    print(f"wrote {ns.out} ({len(text) / 1024:.0f} KB)")
    for name, entry in out["maps"].items():
        for cfg, r in entry["configs"].items():
            s = r["solvent"]
            print(f"{name:14s} {cfg:10s} n_v={r['n_v']:4d} tau={r['tau']} s_full={r['s_full']:.6g} "
                  f"sol mu={s['mean']:.4g} sigma={s['sigma']:.4g} edge={r['solvent_edge']:.4g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
