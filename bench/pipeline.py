"""End-to-end benchmark: wall time and peak RSS of whole `occupy` processes (bench/README.md#targets).

Measures, on seeded synthetic maps (128^3, 256^3, 384^3; 512^3 with ``--big``; 1.0 Å):

* ours:      ``occupy -i MAP -o OUTDIR``                                     (estimate)
             ``occupy -i MAP --amplify --attenuate --gamma 4 -o OUTDIR``     (modify)
* original:  ``ref_occupy -i MAP``  and  ``ref_occupy -i MAP --amplify 4 --attenuate 4``
             (OccuPy 0.1.13, run in a scratch cwd; it downsamples boxes > 256 to 256)
* baseline: ``--baseline EXE`` times another install's ``occupy`` the same way, side by
             side (e.g. the release before a change, in its own venv)
* ``import occupy`` time (in-process, and the whole ``python -c "import occupy"``).

Map kinds (``--kinds``, each at every size):

* ``synthetic``: blurred atoms in nearly noiseless solvent (noise 0.02 against atoms of 1);
  boxes above 512 are 256^3 tiles of it (``make_map``).
* ``noise``: seeded Gaussian noise N(0, 1) filling the box: what most of a real box is, and the
  kind whose cost used to differ (most voxels at full scale, most voxels drawn for the
  synthetic solvent).
* ``padded``: a real map (EMD-5168, 100^3 at 1.742 Å, unmasked, from ``OCCUPY_TEST_DATA`` or
  ../shared/data) in the centre of the box, the rest seeded noise of the mean and standard
  deviation of the map's own outer shell.

Peak RSS of the estimate runs is also given per voxel, as a multiple of the map's bytes (the
memory curve).

Each number is the best of ``--repeat`` runs (default 3), each run a fresh process, timed
from process start to exit; peak RSS comes from ``/usr/bin/time -v`` when present, else
from ``getrusage(RUSAGE_CHILDREN)`` in a fresh helper process.  The machine is shared, so
repeat and compare ratios measured in the same run rather than absolute numbers.

Set up the original once (its own venv; never a dependency of ours)::

    bash ../shared/reference/setup_reference.sh      # REF_VENV overrides the venv path

Run (from the repository root, in the venv where ``occupy`` is installed)::

    python bench/pipeline.py                 # ours and the original, 128/256/384
    python bench/pipeline.py --big           # also 512^3
    python bench/pipeline.py --no-reference  # ours only
    python bench/pipeline.py --no-ours       # the original only
    python bench/pipeline.py --no-reference --sizes 128,256,512,768,1024 --baseline /path/to/venv/bin/occupy
    python bench/pipeline.py --no-reference --sizes 256,512,1024 --kinds synthetic,noise,padded

Results are printed as a table and written to ``bench/results/pipeline.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mrcfile
import numpy as np

REPO = Path(__file__).resolve().parents[1]
REF_LAUNCHER = REPO.parent / "shared" / "reference" / "ref_occupy"
DEFAULT_OUT = REPO / "bench" / "results" / "pipeline.json"
GNU_TIME = Path("/usr/bin/time")

# helper that runs a command and reports its peak RSS (kB on Linux) and exit code
_RUSAGE_HELPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[1:])\n"
    "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc, file=sys.stderr)\n"
)


def synthetic_map(n: int, seed: int = 0) -> np.ndarray:
    """Seeded n^3 float32 test map: blurred blobs at occupancies 1/0.7/0.4/0.2 plus noise."""
    rng = np.random.default_rng(seed)
    vol = np.zeros((n, n, n), dtype=np.float32)
    centres = [(0.35, 0.35, 0.35), (0.65, 0.35, 0.6), (0.4, 0.65, 0.65), (0.62, 0.62, 0.35)]
    for (cz, cy, cx), occ in zip(centres, (1.0, 0.7, 0.4, 0.2)):
        n_atoms = max(50, int(0.03 * 4.19 * (0.12 * n) ** 3))  # ~3% of the domain voxels
        r = 0.12 * n * rng.random(n_atoms) ** (1 / 3)
        d = rng.standard_normal((n_atoms, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        pts = np.round(np.array([cz, cy, cx]) * n + d * r[:, None]).astype(int) % n
        np.add.at(vol, (pts[:, 0], pts[:, 1], pts[:, 2]), occ)
    x = np.arange(-6, 7, dtype=np.float32)
    w = np.exp(-x ** 2 / (2 * 1.5 ** 2))
    w /= w.sum()
    for axis in range(3):  # separable Gaussian blur (sigma 1.5 voxels), periodic
        out = np.zeros_like(vol)
        for shift, wk in zip(x.astype(int), w):
            out += wk * np.roll(vol, shift, axis=axis)
        vol = out
    vol /= vol.max()
    vol += np.float32(0.02) * rng.standard_normal(vol.shape, dtype=np.float32)
    return vol


def write_map(path: Path, data: np.ndarray, voxel: float = 1.0) -> None:
    """Write a float32 map (1.0 Å voxels unless told)."""
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(data.astype(np.float32, copy=False))
        mrc.voxel_size = voxel


def make_map(path: Path, n: int) -> None:
    """Write the n^3 test map: ``synthetic_map(n)`` up to 512, above that 256^3 tiles of it
    (making a 1024^3 map directly would take ~20 GB), periodic like the map itself."""
    if n <= 512 or n % 256:
        write_map(path, synthetic_map(n))
        return
    k = n // 256
    write_map(path, np.tile(synthetic_map(256), (k, k, k)))


KINDS = ("synthetic", "noise", "padded")
REAL_MAP = "emd_5168.map"


def _noise(n: int, seed: int, mean: float = 0.0, sigma: float = 1.0) -> np.ndarray:
    """Seeded float32 Gaussian noise of an n^3 box, made slab by slab (no float64 copy)."""
    rng = np.random.default_rng(seed)
    vol = np.empty((n, n, n), dtype=np.float32)
    for z in range(n):
        rng.standard_normal((n, n), dtype=np.float32, out=vol[z])
    if sigma != 1.0 or mean != 0.0:
        vol *= np.float32(sigma)
        vol += np.float32(mean)
    return vol


def _real_map() -> tuple[np.ndarray, float]:
    folder = Path(os.environ.get("OCCUPY_TEST_DATA", REPO.parent / "shared" / "data"))
    with mrcfile.open(folder / REAL_MAP, permissive=True) as mrc:
        return np.asarray(mrc.data, dtype=np.float32), float(mrc.voxel_size.x)


def make_kind(path: Path, n: int, kind: str) -> None:
    """Write the n^3 map of ``kind`` (see the module docstring)."""
    if kind == "synthetic":
        make_map(path, n)
        return
    if kind == "noise":
        write_map(path, _noise(n, seed=n))
        return
    real, voxel = _real_map()
    shell = np.ones(real.shape, bool)
    shell[5:-5, 5:-5, 5:-5] = False
    vol = _noise(n, seed=n, mean=float(real[shell].mean()), sigma=float(real[shell].std()))
    a = [(n - m) // 2 for m in real.shape]
    vol[a[0]:a[0] + real.shape[0], a[1]:a[1] + real.shape[1], a[2]:a[2] + real.shape[2]] = real
    write_map(path, vol, voxel)


def measure(cmd: list[str], cwd: Path, env: dict | None = None) -> dict:
    """Run ``cmd`` once in ``cwd``; wall seconds (start to exit), peak RSS in MB, exit code."""
    if GNU_TIME.exists():
        wrapped = [str(GNU_TIME), "-v", *cmd]
    else:
        wrapped = [sys.executable, "-c", _RUSAGE_HELPER, *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(wrapped, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    err = proc.stderr
    if GNU_TIME.exists():
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
        rss_kb = int(m.group(1)) if m else None
        rc = proc.returncode
    else:
        m = re.search(r"MAXRSS (\d+) (-?\d+)", err)
        rss_kb, rc = (int(m.group(1)), int(m.group(2))) if m else (None, proc.returncode)
    result = {"wall_s": wall, "rss_mb": rss_kb / 1024 if rss_kb else None, "rc": rc}
    if rc != 0:
        result["error"] = (err.strip().splitlines() or ["(no output)"])[-1][:300]
    return result


def best_of_sides(cmds: dict[str, list[str]], repeat: int) -> dict[str, dict]:
    """``best_of`` for several commands, their runs alternating (round r of each, then r + 1),
    so that a slow spell of a shared machine does not favour one side."""
    runs: dict[str, list[dict]] = {side: [] for side in cmds}
    for _ in range(repeat):
        for side, cmd in cmds.items():
            if runs[side] and runs[side][-1]["rc"] != 0:
                continue
            with tempfile.TemporaryDirectory(prefix="occupy_bench_") as cwd:
                runs[side].append(measure([c.replace("{OUT}", str(Path(cwd, "out"))) for c in cmd], Path(cwd)))
    out = {}
    for side, cmd in cmds.items():
        ok = [r for r in runs[side] if r["rc"] == 0]
        name = " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd))
        if not ok:
            out[side] = {"wall_s": None, "rss_mb": None, "error": runs[side][-1].get("error"), "cmd": name}
            continue
        best = min(ok, key=lambda r: r["wall_s"])
        out[side] = {"wall_s": best["wall_s"], "rss_mb": max(r["rss_mb"] or 0 for r in ok),
                     "walls": [r["wall_s"] for r in ok], "cmd": name}
    return out


def import_time(repeat: int) -> dict:
    """In-process ``import occupy`` seconds and whole-process ``python -c`` seconds (best)."""
    code = "import time; t = time.perf_counter(); import occupy; print(time.perf_counter() - t)"
    inproc, proc, bare = [], [], []
    for _ in range(max(repeat, 3)):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if out.returncode != 0:
            return {"error": out.stderr.strip().splitlines()[-1]}
        inproc.append(float(out.stdout.strip().splitlines()[-1]))
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import occupy"], check=True)
        proc.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t0)
    return {"import_s": min(inproc), "process_s": min(proc), "bare_python_s": min(bare)}


def cases(map_path: Path, ours: Path | None, reference: bool, threads: int | None,
          baseline: Path | None = None) -> dict:
    """The commands to time for one map: {case: {"ours": cmd, "baseline": cmd, "reference": cmd}}."""
    extra = ["--threads", str(threads)] if threads else []
    out: dict = {"estimate": {}, "modify": {}}
    for side, exe in (("ours", ours), ("baseline", baseline)):
        if exe is None:
            continue
        out["estimate"][side] = [str(exe), "-i", str(map_path), "-o", "{OUT}", *extra]
        out["modify"][side] = [str(exe), "-i", str(map_path), "--amplify", "--attenuate",
                               "--gamma", "4", "-o", "{OUT}", *extra]
    if reference:
        out["estimate"]["reference"] = [str(REF_LAUNCHER), "-i", str(map_path)]
        out["modify"]["reference"] = [str(REF_LAUNCHER), "-i", str(map_path),
                                      "--amplify", "4", "--attenuate", "4"]
    return out


def _fmt(v: float | None, spec: str) -> str:
    width = int(re.match(r"\d+", spec).group())
    return "-".rjust(width) if v is None else format(v, spec)


def print_table(rows: list[dict], other: str = "reference") -> None:
    """Side-by-side table with ratios other/ours (> 1 means ours is faster/smaller);
    ``other`` is "reference" (the original program) or "baseline" (another install of ours)."""
    tag = "orig" if other == "reference" else "base"
    head = (f"{'box':>5} {'kind':9} {'case':9} {'ours s':>8} {'ours MB':>8} {tag + ' s':>8} {tag + ' MB':>8}"
            f" {'speedup':>8} {'mem x':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        o, f = r.get("ours", {}), r.get(other, {})
        sp = (f["wall_s"] / o["wall_s"]) if o.get("wall_s") and f.get("wall_s") else None
        mx = (f["rss_mb"] / o["rss_mb"]) if o.get("rss_mb") and f.get("rss_mb") else None
        print(f"{r['box']:>5} {r.get('kind', 'synthetic'):9} {r['case']:9} {_fmt(o.get('wall_s'), '8.2f')} "
              f"{_fmt(o.get('rss_mb'), '8.0f')} {_fmt(f.get('wall_s'), '8.2f')} "
              f"{_fmt(f.get('rss_mb'), '8.0f')} {_fmt(sp, '8.1f')} {_fmt(mx, '6.1f')}")
        for side in ("ours", other):
            if r.get(side, {}).get("error"):
                print(f"      {side} failed: {r[side]['error']}")


def print_memory_curve(rows: list[dict]) -> None:
    """Peak RSS of the estimate runs against the map's size (MiB, and as a multiple of it)."""
    print("\nmemory curve (estimate): box, kind, map MiB, ours peak MiB, x map"
          + (", baseline peak MiB, x map" if any("baseline" in r for r in rows) else ""))
    for r in rows:
        if r["case"] != "estimate" or not r.get("ours", {}).get("rss_mb"):
            continue
        map_mb = r["box"] ** 3 * 4 / 2 ** 20
        line = (f"{r['box']:>5} {r.get('kind', 'synthetic'):9} {map_mb:8.0f} {r['ours']['rss_mb']:8.0f} "
                f"{r['ours']['rss_mb'] / map_mb:6.2f}")
        if r.get("baseline", {}).get("rss_mb"):
            line += f" {r['baseline']['rss_mb']:8.0f} {r['baseline']['rss_mb'] / map_mb:6.2f}"
        print(line)


def main(argv: list[str] | None = None) -> int:
    """Parse options, generate maps, run and time everything, print and save results."""
    ap = argparse.ArgumentParser(description="End-to-end wall time / peak RSS of occupy vs "
                                             "the original OccuPy 0.1.13")
    ap.add_argument("--sizes", default="128,256,384", help="comma-separated cubic box sides")
    ap.add_argument("--big", action="store_true", help="also 512^3")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (best of)")
    ap.add_argument("--no-reference", action="store_true", help="skip the original program")
    ap.add_argument("--no-ours", action="store_true", help="skip our CLI (reference only)")
    ap.add_argument("--threads", type=int, default=None, help="pass --threads N to ours")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="another install's occupy executable, timed side by side with ours")
    ap.add_argument("--kinds", default="synthetic", help=f"comma-separated map kinds of {', '.join(KINDS)}")
    ap.add_argument("--cases", default="estimate,modify", help="comma-separated: estimate, modify")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    ns = ap.parse_args(argv)

    sizes = [int(s) for s in ns.sizes.split(",") if s]
    kinds = [k for k in ns.kinds.split(",") if k]
    if not set(kinds) <= set(KINDS):
        sys.exit(f"error: --kinds takes {', '.join(KINDS)}")
    if ns.big and 512 not in sizes:
        sizes.append(512)
    ours = None if ns.no_ours else Path(sys.executable).parent / "occupy"
    if ours is not None and not ours.exists():
        found = shutil.which("occupy")
        ours = Path(found) if found else None
        if ours is None:
            sys.exit("error: `occupy` console script not found next to this python")
    ref_venv = Path(os.environ.get("REF_VENV", Path.home() / ".cache/occupy-reference/venv"))
    reference = not ns.no_reference and (ref_venv / "bin" / "python").exists()
    if not ns.no_reference and not reference:
        print("note: reference venv missing (bash ../shared/reference/setup_reference.sh); "
              "timing ours only", file=sys.stderr)

    results: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "repeat": ns.repeat, "rss_source": "gnu time -v" if GNU_TIME.exists() else "getrusage",
        "note": "the original downsamples boxes > 256 to 256 for processing (its --max-box)",
        "rows": [],
    }
    if ours is not None:
        results["import"] = import_time(ns.repeat)
        print(f"import occupy: {results['import']}")
    with tempfile.TemporaryDirectory(prefix="occupy_bench_maps_") as tmp:
        for n in sizes:
            for kind in kinds:
                path = Path(tmp, f"{kind}_{n}.mrc")
                make_kind(path, n, kind)
                for case, cmds in cases(path, ours, reference, ns.threads, ns.baseline).items():
                    if case not in ns.cases.split(","):
                        continue
                    print(f"{n}^3 {kind} {case} {', '.join(cmds)} ...", file=sys.stderr, flush=True)
                    row = {"box": n, "kind": kind, "case": case, **best_of_sides(cmds, ns.repeat)}
                    results["rows"].append(row)
                path.unlink()
    print_table(results["rows"], "baseline" if ns.baseline else "reference")
    if ns.baseline and reference:
        print_table(results["rows"], "reference")
    print_memory_curve(results["rows"])
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {ns.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
