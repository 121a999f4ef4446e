"""Floor table: each stage of ``occupy -i MAP`` beside the cheapest thing that moves the same bytes.

For a seeded synthetic map (``bench/pipeline.py``'s, 1 Å voxels) of each box size, in one
session on one machine:

* the stages: ``occupy -i MAP -o OUT -v`` run ``--repeat`` times in fresh processes (the
  runtime-only install this Python belongs to), best wall time of each stage from its log;
* the floors, each in fresh processes like the stages (a first read into new memory, a
  first write, pyFFTW imported), best of ``--repeat``:

  - read map:      reading the file into a new float32 array (one ``readinto``)
  - lowpass:       one bare pyFFTW pair, 3-D r2c + c2r of the map (new buffers, ``FFTW_ESTIMATE``
                   plans as ours, both transforms; the stage also pays pyFFTW's import, ~10 ms)
  - solvent model, confidence: one parallel pass over the map (its min/max, ``finite_range``)
  - scale:         the local-maximum filter alone, with the run's kernel
  - write outputs: writing the map's bytes to a new file (``os.write`` + close)
  - start + imports: ``python -c "import occupy.cli.occupy, occupy.pipeline"`` (target in bench/README.md#targets: <= 0.15 s)

Ratios are stage / floor (target in bench/README.md#targets: <= 1.5 for every stage). The machine may be
shared: numbers come from one run, side by side.

Run from the repository root with the Python of a runtime-only install::

    python bench/floors.py                  # 256^3
    python bench/floors.py --sizes 256,512  # more boxes (the FFT pair floor needs 2x the map in complex)

Results: a table on stdout and ``bench/results/floors.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import make_map  # noqa: E402 - beside this script

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "bench" / "results" / "floors.json"
STAGES = ("read map", "lowpass", "solvent model", "confidence", "scale", "write outputs")
FLOOR_OF = {"read map": "read", "lowpass": "fft pair", "solvent model": "one pass", "confidence": "one pass",
            "scale": "filter", "write outputs": "write"}


def best(fn, repeat: int) -> float:
    """Best wall time of ``fn()`` over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


_FLOOR_CODE = r"""
import os, sys, time
import numpy as np
path, kind, threads, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
n_bytes = os.path.getsize(path) - 1024
n = round((n_bytes // 4) ** (1 / 3))
shape = (n, n, n)


def read():
    arr = np.empty(shape, dtype=np.float32)
    with open(path, "rb", buffering=0) as fh:
        fh.seek(1024)
        view, done = arr.reshape(-1).view(np.uint8), 0
        while done < n_bytes:
            done += fh.readinto(view[done:])
    return arr


if kind == "read":
    t0 = time.perf_counter(); read(); print(time.perf_counter() - t0); sys.exit()
data = read()
from occupy.stats import finite_range
finite_range(data[:2], threads)                       # the OpenMP threads exist before the clock starts
if kind == "fft pair":
    t0 = time.perf_counter()
    import pyfftw
    real = pyfftw.empty_aligned(shape, dtype=np.float32)
    spec = pyfftw.empty_aligned((n, n, n // 2 + 1), dtype=np.complex64)
    real[:] = data
    pyfftw.FFTW(real, spec, axes=(0, 1, 2), flags=("FFTW_ESTIMATE",), threads=threads)()
    pyfftw.FFTW(spec, real, axes=(0, 1, 2), direction="FFTW_BACKWARD",
                flags=("FFTW_ESTIMATE", "FFTW_DESTROY_INPUT"), threads=threads)()
elif kind == "one pass":
    t0 = time.perf_counter(); finite_range(data, threads)
elif kind == "filter":
    from occupy.params import derive_parameters
    from occupy.stages.maxfilter import maximum_filter_ball_unchecked
    out = np.ones_like(data)                          # the stage writes into a buffer already in use
    fp = derive_parameters(shape, 1.0).footprint
    t0 = time.perf_counter(); maximum_filter_ball_unchecked(data, fp, threads, out=out)
elif kind == "write":
    target = os.path.join(tmp, f"floor_{os.getpid()}.bin")
    t0 = time.perf_counter()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    view, done = memoryview(data.reshape(-1).view(np.uint8)), 0
    while done < view.nbytes:
        done += os.write(fd, view[done:])
    os.close(fd)
print(time.perf_counter() - t0)
"""


def floors(path: Path, threads: int, repeat: int, tmp: Path) -> dict[str, float]:
    """The floor of each kind of work on this map, seconds: best of ``repeat`` fresh processes,
    as the stages run (a first read into new memory, a first write, pyFFTW imported)."""
    out: dict[str, float] = {}
    for kind in ("read", "fft pair", "one pass", "filter", "write"):
        times = []
        for _ in range(repeat):
            proc = subprocess.run([sys.executable, "-c", _FLOOR_CODE, str(path), kind, str(threads), str(tmp)],
                                  capture_output=True, text=True, check=True)
            times.append(float(proc.stdout.strip().splitlines()[-1]))
            for f in tmp.glob("floor_*.bin"):
                f.unlink()
        out[kind] = min(times)
    return out


def stage_times(path: Path, repeat: int, tmp: Path) -> dict[str, float]:
    """Best wall time of each stage over ``repeat`` runs of the ``occupy`` console script, and of the process."""
    exe = Path(sys.executable).parent / "occupy"
    found: dict[str, list[float]] = {}
    for r in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run([str(exe), "-i", str(path), "-o", str(tmp / f"out{r}"), "-v"],
                              capture_output=True, text=True, check=True)
        found.setdefault("process", []).append(time.perf_counter() - t0)
        section = (proc.stdout + proc.stderr).split("[wall time, s]")[1]
        for m in re.finditer(r"^\s+([a-z ]+?)\s+([0-9.]+)$", section, re.M):
            found.setdefault(m.group(1).strip(), []).append(float(m.group(2)))
        subprocess.run(["rm", "-rf", str(tmp / f"out{r}")], check=True)
    return {k: min(v) for k, v in found.items()}


def import_time(repeat: int) -> float:
    """Best whole-process time of ``python -c "import occupy.cli.occupy, occupy.pipeline"``."""
    cmd = [sys.executable, "-c", "import occupy.cli.occupy, occupy.pipeline"]
    return best(lambda: subprocess.run(cmd, check=True), max(repeat, 5))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="256", help="comma-separated cubic box sides")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    from occupy import __version__
    from occupy.threads import effective_threads
    threads = effective_threads()
    result = {"version": __version__, "python": platform.python_version(), "threads": threads,
              "repeat": args.repeat, "date": time.strftime("%Y-%m-%d %H:%M:%S"),
              "start_and_imports_s": import_time(args.repeat), "boxes": []}
    with tempfile.TemporaryDirectory(prefix="occupy_bench_floors_", dir=REPO / "bench") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp, f"synthetic_{n}.mrc")
            make_map(path, n)
            stages = stage_times(path, args.repeat, Path(tmp))
            result["boxes"].append({"box": n, "stages": stages, "floors": floors(path, threads, args.repeat, Path(tmp))})
            path.unlink()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"start + imports: {result['start_and_imports_s']:.3f} s (target <= 0.15)")
    for box in result["boxes"]:
        print(f"\n{box['box']}^3, {threads} threads, best of {args.repeat}; whole process "
              f"{box['stages']['process']:.3f} s")
        print("| stage | ours s | floor | floor s | ratio |\n|---|---|---|---|---|")
        for stage in STAGES:
            ours, kind = box["stages"].get(stage), FLOOR_OF[stage]
            floor = box["floors"][kind]
            print(f"| {stage} | {ours:.3f} | {kind} | {floor:.3f} | {ours / floor:.2f} |")
    print(f"\nwrote {os.path.relpath(args.out)}")


if __name__ == "__main__":
    main()
