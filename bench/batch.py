"""Batch throughput: many maps through ``occupy.batch.run_batch`` (SPEC 5, issue 7).

32 seeded synthetic 128^3 maps (``occupy.make_demo_map``, one seed per map), run with
the same options three ways:

* serial:  one map at a time in this process, all usable threads per map
* local:   ``--jobs 2`` (process pool, forkserver), 1 thread per map
* dask:    a ``dask.distributed.LocalCluster`` of 2 worker processes x 1 thread, 1 thread per map

Throughput is maps per second of batch wall time (including pool/cluster start for
``local``; the cluster is started before the clock for ``dask``, as a running cluster
would be).  Each number is the best of ``--repeat`` batches; all are kept in the JSON.
The machine may be shared: repeat, and compare numbers from the same run.

Run from the repository root in the venv where occupy is installed::

    python bench/batch.py                   # estimate only
    python bench/batch.py --amplify         # estimate + amplify (gamma 4)
    python bench/batch.py --maps 8 --box 96 # quicker

Results: a table on stdout and ``bench/results/batch.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "bench" / "results" / "batch.json"


def make_maps(directory: Path, n_maps: int, box: int) -> list[Path]:
    """Write ``n_maps`` seeded demo maps of ``box``^3 into ``directory``."""
    import occupy
    from occupy.io import MapData
    paths = []
    for i in range(n_maps):
        demo = occupy.make_demo_map(box=box, seed=1000 + i)
        p = directory / f"bench_{i:03d}.mrc"
        occupy.write_map(p, demo.data, like=MapData(data=demo.data, voxel_size=demo.voxel_size,
                                                    voxel_size_xyz=(demo.voxel_size,) * 3))
        paths.append(p)
    return paths


def _time_batch(paths: list[Path], out: Path, options: dict, **how) -> float:
    from occupy.batch import run_batch
    t0 = time.perf_counter()
    report = run_batch(paths, output_dir=str(out), **how, **options)
    seconds = time.perf_counter() - t0
    if report.failed:
        raise SystemExit(f"batch failed: {[(o.input_path.name, o.error) for o in report.failed]}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--maps", type=int, default=32)
    ap.add_argument("--box", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--amplify", action="store_true", help="also amplify (gamma 4)")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    from occupy import __version__
    from occupy.threads import usable_cpus
    options = {"amplify": True, "gamma": 4.0} if args.amplify else {}
    cpus = usable_cpus()
    rows = []
    with tempfile.TemporaryDirectory(prefix="occupy_bench_batch_") as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "in").mkdir()
        t0 = time.perf_counter()
        paths = make_maps(tmp_path / "in", args.maps, args.box)
        print(f"made {args.maps} maps of {args.box}^3 in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        _time_batch(paths[:1], tmp_path / "warm", options, jobs=1)  # imports, FFTW plans

        configs = [("serial", 1, cpus, {"jobs": 1, "threads_per_job": cpus}),
                   ("local --jobs 2", 2, 1, {"jobs": 2, "threads_per_job": 1})]
        for name, jobs, tpj, how in configs:
            times = [_time_batch(paths, tmp_path / f"out_{name[:5]}_{r}", options, **how)
                     for r in range(args.repeat)]
            rows.append({"mode": name, "jobs": jobs, "threads_per_job": tpj, "seconds": times})
            print(f"{name}: {times}", file=sys.stderr)
        if not args.no_dask:
            from dask.distributed import LocalCluster
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None) as cluster:
                how = {"dask_scheduler": cluster.scheduler_address, "threads_per_job": 1}
                _time_batch(paths[:2], tmp_path / "warm_dask", options, **how)
                times = [_time_batch(paths, tmp_path / f"out_dask_{r}", options, **how)
                         for r in range(args.repeat)]
            rows.append({"mode": "dask 2x1", "jobs": 2, "threads_per_job": 1, "seconds": times})
            print(f"dask: {times}", file=sys.stderr)

    for row in rows:
        row["best_s"] = min(row["seconds"])
        row["maps_per_s"] = args.maps / row["best_s"]
    result = {"version": __version__, "python": platform.python_version(), "cpus": cpus,
              "maps": args.maps, "box": args.box, "options": options, "repeat": args.repeat,
              "date": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    print(f"\n{args.maps} maps of {args.box}^3, options {options or 'default'}, {cpus} CPUs "
          f"(best of {args.repeat})")
    print(f"| {'mode':<16} | jobs | threads/map | best s | maps/s |")
    print(f"|{'-' * 18}|------|-------------|--------|--------|")
    for row in rows:
        print(f"| {row['mode']:<16} | {row['jobs']:>4} | {row['threads_per_job']:>11} | "
              f"{row['best_s']:6.2f} | {row['maps_per_s']:6.2f} |")
    print(f"\nwrote {os.path.relpath(args.out)}")


if __name__ == "__main__":
    main()
