"""Batch throughput: many maps through ``occupy.batch.run_batch`` (api.md, issue 7), and a
classification through ``occupy-relion`` (bench/README.md#targets, issue 13).

32 seeded synthetic 128^3 maps (``occupy.make_demo_map``, one seed per map), run with
the same options three ways:

* serial:  one map at a time in this process, all usable threads per map
* local:   ``--jobs 2`` (process pool, forkserver), 1 thread per map
* dask:    a ``dask.distributed.LocalCluster`` of 2 worker processes x 1 thread, 1 thread per map

Classification: a RELION Class3D job of 10 classes of 128^3
(``occupy.demo.write_demo_classification``), process start to exit, from the project
directory as RELION runs it:

* ``occupy-relion --in_3dref Class3D/job001/``: every class in one job (one process)
* ``occupy-relion`` once per class map, one job after another
* ``occupy -i CLASS.mrc`` once per class map, one process after another

reported as seconds per class (target in bench/README.md#targets: <= 0.15 s per class for the first).

Throughput is maps per second of batch wall time (including pool/cluster start for
``local``; the cluster is started before the clock for ``dask``, as a running cluster
would be).  Each number is the best of ``--repeat`` batches; all are kept in the JSON.
The machine may be shared: repeat, and compare numbers from the same run.

Run from the repository root in the venv where occupy is installed::

    python bench/batch.py                   # estimate only
    python bench/batch.py --amplify         # estimate + amplify (gamma 4)
    python bench/batch.py --maps 8 --box 96 # quicker
    python bench/batch.py --only-classes    # the classification rows only

Results: a table on stdout and ``bench/results/batch.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
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


def _wall(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr}")
    return seconds


def classification_rows(tmp: Path, n_classes: int, box: int, repeat: int, threads: int,
                        options: list[str]) -> list[dict]:
    """Seconds per class: one occupy-relion job for the classification, beside one run per map."""
    from occupy.demo import write_demo_classification
    bindir = Path(sys.executable).parent
    project = tmp / "project"
    write_demo_classification(project, n_classes=n_classes, box=box, seed=7)
    maps = sorted((project / "Class3D" / "job001").glob("*.mrc"))
    flags = [f"--{o.lstrip('-')}" for o in options]
    relion_opts = [x for o in flags for x in (o, "true")]

    def whole(r: int) -> float:
        return _wall([str(bindir / "occupy-relion"), "--o", f"External/job{r:03d}/", "--in_3dref",
                      "Class3D/job001/", "--j", str(threads), *relion_opts], project)

    def relion_each(r: int) -> float:
        return sum(_wall([str(bindir / "occupy-relion"), "--o", f"External/job1{r:02d}{k:02d}/", "--in_3dref",
                          str(m.relative_to(project)), "--j", str(threads), *relion_opts], project)
                   for k, m in enumerate(maps))

    def occupy_each(r: int) -> float:
        return sum(_wall([str(bindir / "occupy"), "-i", str(m), "-o", f"out{r}", "-j", str(threads), "-q", *flags],
                         project) for m in maps)

    whole(999)          # warm the file cache and Python's bytecode cache
    rows = []
    for name, fn in (("occupy-relion, classification (1 job)", whole),
                     ("occupy-relion, 1 job per class", relion_each),
                     ("occupy, 1 process per class", occupy_each)):
        times = [fn(r) for r in range(repeat)]
        rows.append({"mode": name, "classes": n_classes, "box": box, "threads": threads, "seconds": times,
                     "best_s": min(times), "s_per_class": min(times) / n_classes})
        print(f"{name}: {times}", file=sys.stderr)
    return rows


def _print_classes(rows: list[dict]) -> None:
    print(f"\nclassification: {rows[0]['classes']} classes of {rows[0]['box']}^3, {rows[0]['threads']} threads, "
          "process start to exit (target <= 0.15 s per class in one job)")
    print(f"| {'mode':<38} | best s | s/class |")
    print(f"|{'-' * 40}|--------|---------|")
    for row in rows:
        print(f"| {row['mode']:<38} | {row['best_s']:6.2f} | {row['s_per_class']:7.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--maps", type=int, default=32)
    ap.add_argument("--box", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--amplify", action="store_true", help="also amplify (gamma 4)")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--classes", type=int, default=10, help="classes in the classification rows (0: none)")
    ap.add_argument("--class-box", type=int, default=128)
    ap.add_argument("--only-classes", action="store_true", help="only the classification rows")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    from occupy import __version__
    from occupy.threads import usable_cpus
    options = {"amplify": True, "gamma": 4.0} if args.amplify else {}
    cpus = usable_cpus()
    rows, class_rows = [], []
    with tempfile.TemporaryDirectory(prefix="occupy_bench_batch_") as tmp:
        if not args.only_classes:
            rows = batch_rows(Path(tmp), args, options, cpus)
        if args.classes:
            class_rows = classification_rows(Path(tmp), args.classes, args.class_box, max(args.repeat, 3), cpus,
                                             ["amplify"] if args.amplify else [])
    result = {"version": __version__, "python": platform.python_version(), "cpus": cpus,
              "maps": args.maps, "box": args.box, "options": options, "repeat": args.repeat,
              "date": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": rows, "classification": class_rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    if rows:
        print(f"\n{args.maps} maps of {args.box}^3, options {options or 'default'}, {cpus} CPUs "
              f"(best of {args.repeat})")
        print(f"| {'mode':<16} | jobs | threads/map | best s | maps/s |")
        print(f"|{'-' * 18}|------|-------------|--------|--------|")
        for row in rows:
            print(f"| {row['mode']:<16} | {row['jobs']:>4} | {row['threads_per_job']:>11} | "
                  f"{row['best_s']:6.2f} | {row['maps_per_s']:6.2f} |")
    if class_rows:
        _print_classes(class_rows)
    print(f"\nwrote {os.path.relpath(args.out)}")


def batch_rows(tmp_path: Path, args, options: dict, cpus: int) -> list[dict]:
    """Maps per second of the three batch back ends on the same maps."""
    rows = []
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
    return rows


if __name__ == "__main__":
    main()
