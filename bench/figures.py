"""What figures and reports cost (issue 22, item 2): a run with and without ``--plot``/``--report``.

Rows, each the best of ``--repeat`` runs in this process, the variants interleaved (matplotlib
imported before the clock starts, as in a long-lived process; a new process pays about 0.3 s
more for it with ``--plot``):

* one 256^3 map (``occupy.make_demo_map(box=256)``), amplify gamma 4: plain, ``--report``,
  ``--plot``, both; the extra seconds over plain (target: <= 0.5 s for both)
* one 128^3 map: the same
* a classification of 8 classes of 128^3 (``occupy.run_classes``): seconds per class over plain
  (target: <= 0.1 s per class)
* the report's file size for the 256^3 map

Run from the repository root in the venv where occupy is installed::

    python bench/figures.py              # all rows
    python bench/figures.py --repeat 1   # quicker

"in write s" is the extra time of the run's "write outputs" stage, where all figure work
happens: steadier than the whole run's on a shared machine.

Results: a table on stdout and ``bench/results/figures.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import occupy


VARIANTS = (("plain", {}), ("--report", {"report": True}), ("--plot", {"plot": True}),
            ("--plot --report", {"plot": True, "report": True}))


def _rows(box: int, repeat: int, workdir: Path) -> list[dict]:
    """One map: each variant once per repeat, interleaved (a shared machine's noise hits all alike)."""
    m = occupy.make_demo_map(box=box, seed=1)
    path = occupy.write_map(workdir / f"demo{box}.mrc", m.data, voxel_size=m.voxel_size)
    best = {label: float("inf") for label, _ in VARIANTS}
    writing = dict(best)
    sizes: dict[str, int] = {}
    for _ in range(repeat):
        for label, opts in VARIANTS:
            t0 = time.perf_counter()
            result = occupy.run(str(path), output_dir=str(workdir / f"o{box}"), amplify=True, gamma=4,
                                chimerax=False, **opts)
            best[label] = min(best[label], time.perf_counter() - t0)
            writing[label] = min(writing[label], result.timings["write outputs"])
            if "report" in result.output_paths:
                sizes[label] = os.path.getsize(result.output_paths["report"])
    return [{"what": f"map {box}^3", "options": label, "seconds": best[label], "plain_seconds": best["plain"],
             "extra": best[label] - best["plain"], "write_outputs_extra": writing[label] - writing["plain"],
             **({"report_bytes": sizes[label]} if label in sizes else {})} for label, _ in VARIANTS[1:]]


def _class_rows(n_classes: int, box: int, repeat: int, workdir: Path) -> list[dict]:
    """A classification through ``occupy.run_classes``: seconds per class, with and without figures."""
    from occupy.demo import write_demo_classification
    source = write_demo_classification(workdir / "proj", n_classes=n_classes, box=box)
    best = {label: float("inf") for label, _ in VARIANTS}
    for _ in range(repeat):
        for label, opts in VARIANTS:
            t0 = time.perf_counter()
            occupy.run_classes(source, output_dir=workdir / "classes", amplify=True, gamma=4, **opts)
            best[label] = min(best[label], (time.perf_counter() - t0) / n_classes)
    return [{"what": f"{n_classes} classes {box}^3, per class", "options": label, "seconds": best[label],
             "plain_seconds": best["plain"], "extra": best[label] - best["plain"]} for label, _ in VARIANTS[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--boxes", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--classes", type=int, default=8, help="classes of 128^3 in the classification rows")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        warm = occupy.write_map(Path(tmp) / "warm.mrc", occupy.make_demo_map(box=32).data, voxel_size=1.0)
        occupy.run(str(warm), output_dir=tmp, plot=True, report=True, amplify=True)   # imports, outside the clock
        for box in args.boxes:
            rows += _rows(box, args.repeat, Path(tmp))
        rows += _class_rows(args.classes, 128, args.repeat, Path(tmp))
    print(f"{'what':<26} {'options':<16} {'plain s':>8} {'with s':>8} {'extra s':>8} {'in write s':>10} "
          f"{'report kB':>10}")
    for r in rows:
        size = f"{r['report_bytes'] / 1024:.0f}" if "report_bytes" in r else "-"
        stage = f"{r['write_outputs_extra']:.3f}" if "write_outputs_extra" in r else "-"
        print(f"{r['what']:<26} {r['options']:<16} {r['plain_seconds']:8.3f} {r['seconds']:8.3f} {r['extra']:8.3f} "
              f"{stage:>10} {size:>10}")
    out = Path(__file__).parent / "results" / "figures.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
