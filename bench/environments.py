"""The same speed whatever else is installed: occupy in several environments, and the original.

Users run occupy in environments that also hold SciPy, Dask and matplotlib; pyFFTW's package
import pulls in SciPy's and Dask's FFT interfaces (occupy loads pyFFTW's compiled core alone:
docs/algorithm.md §11, bench/README.md). This script times, side by side in one run, the
``occupy`` of each environment given with ``--env NAME=VENV``, and the original OccuPy 0.1.13:

* ``occupy -i MAP`` (estimate) at 128^3 and 256^3, and ``--amplify --attenuate --gamma 4`` at 256^3
  (the original: ``--amplify 4 --attenuate 4``);
* a RELION Class3D job of 10 classes of 128^3 through ``occupy-relion --in_3dref Class3D/job001/``
  (seconds per class; the original has no such job);
* ``occupy-batch --jobs 2 -j 1`` on 8 maps of 128^3 (each worker process pays its imports once);
* the start-up alone: ``python -c "import occupy.cli.occupy, occupy.pipeline"`` and the loading of
  the FFT library as a run does it.

Runs alternate between the environments (round r of each, then r + 1), process start to exit;
best and median of ``--repeat`` (default 5). Peak RSS from ``/usr/bin/time -v``.

Set up (once; both from the same checkout)::

    python -m venv ../occ-rt  && ../occ-rt/bin/pip install .                    # runtime only
    python -m venv ../occ-sci && ../occ-sci/bin/pip install . scipy 'dask[distributed]'
    bash ../shared/reference/setup_reference.sh                                     # the original

Run::

    python bench/environments.py --env clean=../occ-rt --env scipy+dask=../occ-sci

Results: a table on stdout and ``bench/results/environments.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pipeline import REF_LAUNCHER, measure, synthetic_map, write_map  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "bench" / "results" / "environments.json"
REF_VENV = Path(os.environ.get("REF_VENV", Path.home() / ".cache/occupy-reference/venv"))
_STARTUP = ("import time; t = time.perf_counter(); import occupy.cli.occupy, occupy.pipeline;"
            "from occupy.stages.spectral import _fftw; _fftw(); print(time.perf_counter() - t)")


def _env(spec: str) -> tuple[str, Path]:
    name, _, venv = spec.partition("=")
    bindir = Path(venv) / "bin"
    if not name or not (bindir / "occupy").exists():
        raise argparse.ArgumentTypeError(f"--env NAME=VENV with an occupy install: {spec!r}")
    return name, bindir


def _cases(maps: dict[int, Path], envs: dict[str, Path], reference: bool, project: Path,
           batch_maps: list[Path]) -> dict[str, dict[str, tuple[list[str], Path | None]]]:
    """{case: {side: (command, cwd or None for a scratch folder)}}."""
    cases: dict = {f"{n}^3 estimate": {} for n in (128, 256)}
    cases["256^3 amplify+attenuate"] = {}
    cases["10 classes of 128^3, occupy-relion"] = {}
    cases["8 maps of 128^3, occupy-batch --jobs 2"] = {}
    for name, bindir in envs.items():
        for n in (128, 256):
            cases[f"{n}^3 estimate"][name] = ([str(bindir / "occupy"), "-i", str(maps[n]), "-o", "{OUT}"], None)
        cases["256^3 amplify+attenuate"][name] = ([str(bindir / "occupy"), "-i", str(maps[256]), "--amplify",
                                                  "--attenuate", "--gamma", "4", "-o", "{OUT}"], None)
        cases["10 classes of 128^3, occupy-relion"][name] = (
            [str(bindir / "occupy-relion"), "--o", "External/{JOB}/", "--in_3dref", "Class3D/job001/", "--j", "2"],
            project)
        cases["8 maps of 128^3, occupy-batch --jobs 2"][name] = (
            [str(bindir / "occupy-batch"), *map(str, batch_maps), "--jobs", "2", "-j", "1", "-o", "{OUT}", "-q"],
            None)
    if reference:
        for n in (128, 256):
            cases[f"{n}^3 estimate"]["original"] = ([str(REF_LAUNCHER), "-i", str(maps[n])], None)
        cases["256^3 amplify+attenuate"]["original"] = ([str(REF_LAUNCHER), "-i", str(maps[256]), "--amplify", "4",
                                                          "--attenuate", "4"], None)
    return cases


def _run_case(sides: dict[str, tuple[list[str], Path | None]], repeat: int, job: list[int]) -> dict[str, dict]:
    """Alternating runs of every side; best, median and peak RSS of the successful ones."""
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for _ in range(repeat):
        for side, (cmd, cwd) in sides.items():
            with tempfile.TemporaryDirectory(prefix="occupy_env_") as scratch:
                job[0] += 1
                args = [c.replace("{OUT}", str(Path(scratch, "out"))).replace("{JOB}", f"job{job[0]:03d}")
                        for c in cmd]
                runs[side].append(measure(args, cwd or Path(scratch)))
    out = {}
    for side, rs in runs.items():
        ok = [r["wall_s"] for r in rs if r["rc"] == 0]
        out[side] = {"best_s": min(ok) if ok else None, "median_s": statistics.median(ok) if ok else None,
                     "walls": ok, "rss_mb": max((r["rss_mb"] or 0) for r in rs),
                     "errors": [r["error"] for r in rs if r["rc"] != 0]}
    return out


def _startup(envs: dict[str, Path], repeat: int) -> dict[str, dict]:
    """Interpreter start plus occupy's imports and FFT library load, in each environment (best of)."""
    out = {}
    for name, bindir in envs.items():
        times = []
        for _ in range(max(repeat, 3)):
            proc = subprocess.run([str(bindir / "python"), "-c", _STARTUP], capture_output=True, text=True)
            if proc.returncode:
                out[name] = {"error": proc.stderr.strip().splitlines()[-1]}
                break
            times.append(float(proc.stdout))
        else:
            out[name] = {"best_s": min(times), "median_s": statistics.median(times)}
    return out


def _print(results: dict, names: list[str]) -> None:
    sides = names + (["original"] if results["reference"] else [])
    base = names[0]
    head = "| case | " + " | ".join(f"{s} best / median s" for s in sides) + " | " + \
           " | ".join(f"{n}/{base}" for n in names[1:]) + \
           (" | " + " | ".join(f"original/{n}" for n in names) if results["reference"] else "") + " |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for case, row in results["cases"].items():
        cells = []
        for s in sides:
            r = row.get(s)
            per = 10 if "classes" in case else 1
            cells.append("-" if not r or r["best_s"] is None else
                         f"{r['best_s'] / per:.3f} / {r['median_s'] / per:.3f}" + (" per class" if per > 1 else ""))
        ratios = []
        for n in names[1:]:
            a, b = row.get(n, {}).get("median_s"), row.get(base, {}).get("median_s")
            ratios.append(f"{a / b:.2f}" if a and b else "-")
        if results["reference"]:
            for n in names:
                a, b = row.get("original", {}).get("best_s"), row.get(n, {}).get("best_s")
                ratios.append(f"{a / b:.1f}x" if a and b else "-")
        print(f"| {case} | " + " | ".join(cells + ratios) + " |")
    print("\nstart-up (python -c: import occupy's CLI and pipeline, load the FFT library), best / median s:")
    for name, r in results["startup"].items():
        print(f"  {name}: " + (f"{r['best_s']:.3f} / {r['median_s']:.3f}" if "best_s" in r else r["error"]))
    print("\npeak RSS MB (max over runs): " + "; ".join(
        f"{case}: " + ", ".join(f"{s} {r['rss_mb']:.0f}" for s, r in row.items() if r.get("rss_mb"))
        for case, row in results["cases"].items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--env", type=_env, action="append", required=True,
                    help="NAME=VENV: an environment with occupy installed (the first is the base of the ratios)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-reference", action="store_true", help="skip the original OccuPy")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ns = ap.parse_args(argv)
    envs = dict(ns.env)
    reference = not ns.no_reference and (REF_VENV / "bin" / "python").exists()
    results: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
                     "repeat": ns.repeat, "envs": {k: str(v.parent) for k, v in envs.items()},
                     "reference": reference, "cases": {}}
    from occupy.demo import write_demo_classification
    with tempfile.TemporaryDirectory(prefix="occupy_env_maps_") as tmp:
        maps = {n: Path(tmp, f"synthetic_{n}.mrc") for n in (128, 256)}
        for n, path in maps.items():
            write_map(path, synthetic_map(n))
        batch_maps = [Path(tmp, f"batch_{k}.mrc") for k in range(8)]
        for k, path in enumerate(batch_maps):
            write_map(path, synthetic_map(128, seed=100 + k))
        project = Path(tmp, "project")
        write_demo_classification(project, n_classes=10, box=128, seed=7)
        (project / "External").mkdir()
        job = [0]
        for case, sides in _cases(maps, envs, reference, project, batch_maps).items():
            print(f"{case} ...", file=sys.stderr, flush=True)
            _run_case(sides, 1, job)                                   # warm caches, not counted
            results["cases"][case] = _run_case(sides, ns.repeat, job)
        results["startup"] = _startup(envs, ns.repeat)
    _print(results, list(envs))
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {ns.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
