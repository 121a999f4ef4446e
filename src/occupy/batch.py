"""Batch runs: many maps through ``occupy.run``, in local processes or on a Dask cluster.

Each map runs with the same options and writes its outputs into ``output_dir`` (maps
whose names give the same output stem are refused up front); a failing map does not
stop the others, nor does a local worker process that dies (``occupy.batch_workers``:
only the map it ran fails). Globs leave out occupy's own outputs (``occupy.inputs``).
The ``occupy-batch`` command (``occupy.cli.batch``) is a thin layer over ``run_batch``.
"""
from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from typing import Any, Callable

from .inputs import batch_maps
from .batch_workers import run_in_workers
from .errors import OccupyError, OccupyWarning
from .inputs import check_stems, classification_input
from .io.files import output_directory
from .outputs.outputset import OutputSet
from .constants import MIN_VIS_SCALE
from .outputs.class_report import BATCH_REPORT, stage_many_report
from .outputs.summary_table import stage_summary
from .pipeline import run_outcome
from .results import BatchReport, MapOutcome
from .threads import effective_threads

__all__ = ["run_batch", "run_one"]


def run_one(path: str | os.PathLike, options: dict[str, Any]) -> MapOutcome:
    """Run one map through ``occupy.run``; a failure is reported, not raised.

    Used by every backend (also in worker processes). Its ``OccupyWarning`` are
    not shown but kept in the outcome.

    Parameters
    ----------
    path : str or path-like
        The map.
    options : dict
        Keyword arguments for ``occupy.run``.

    Returns
    -------
    MapOutcome
        ``ok=False`` with a one-line ``error`` if the run raised any ``Exception``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OccupyWarning)
        return run_outcome(path, **options)


def _run_local(paths: list[Path], options: dict[str, Any], jobs: int, threads: int,
               on_done: Callable[[MapOutcome], None]) -> list[MapOutcome]:
    if jobs > 1:
        return run_in_workers(run_one, paths, options, jobs, threads, on_done)
    results = []
    for p in paths:
        results.append(run_one(p, options))
        on_done(results[-1])
    return results


def _run_dask(paths: list[Path], options: dict[str, Any], address: str,
              on_done: Callable[[MapOutcome], None]) -> list[MapOutcome]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise OccupyError("--dask-scheduler needs dask.distributed: pip install 'occupy[dask]'") from None
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise OccupyError(f"cannot connect to the Dask scheduler at {address}: {exc}") from exc
    by_path: dict[Path, MapOutcome] = {}
    with client:
        futures = client.map(run_one, [str(p) for p in paths], options=options, pure=False)
        try:
            _collect_dask(futures, paths, by_path, as_completed, on_done)
        except BaseException:
            client.cancel(futures, force=True)      # stop what has not finished
            raise
    return [by_path[p] for p in paths]


def _collect_dask(futures, paths: list[Path], by_path: dict[Path, MapOutcome], as_completed,
                  on_done: Callable[[MapOutcome], None]) -> None:
    index = {f.key: p for f, p in zip(futures, paths)}
    for fut in as_completed(futures):
        p = index[fut.key]
        try:
            outcome = fut.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker, not a map error
            outcome = MapOutcome(p, ok=False, error=f"dask task failed: {type(exc).__name__}: {exc}")
        outcome.input_path = p
        by_path[p] = outcome
        on_done(outcome)


def run_batch(inputs: list[str | os.PathLike], *, jobs: int | None = None, threads_per_job: int | None = None,
              dask_scheduler: str | None = None, on_done: Callable[[MapOutcome], None] | None = None,
              **options: Any) -> BatchReport:
    """Run ``occupy.run`` on every map of ``inputs``; a failing map does not stop the others.

    Writes the summary table (``occupy_summary.star`` and ``.csv``) into ``output_dir``.
    A RELION classification (a ``*_model.star`` or job directory, given alone) runs
    through ``occupy.run_classes`` with ``keep_going=True``.

    Parameters
    ----------
    inputs : list of str or path-like
        Map paths, globs and ``.txt`` lists (see ``occupy.inputs.batch_maps``: globs
        leave out occupy's outputs), or one classification.
    jobs : int, optional
        Maps run at once, each in its own process (forkserver/spawn, never fork; see
        ``occupy.batch_workers``); default 1.
        For a classification: classes at once, in threads (default: ``occupy.class_runs.plan_threads``).
    threads_per_job : int, optional
        Threads per map; default ``threads`` (else all usable cores) divided by ``jobs``.
        With Dask: ``threads``, else the worker's ``OMP_NUM_THREADS`` or cores.
    dask_scheduler : str, optional
        A Dask scheduler's address (``tcp://host:8786``): run the maps there instead.
    on_done : callable, optional
        Called with each ``MapOutcome`` as it finishes.
    **options : Any
        ``occupy.RunOptions`` for every map, except ``progress``/``check_abort``.

    Returns
    -------
    BatchReport
        The outcomes in input order, the wall time, how the maps were run and the
        summary files (a ``ClassesReport`` for a classification).

    Raises
    ------
    OccupyError
        Before any map runs: ``jobs < 1``, ``progress``/``check_abort`` given, no maps,
        clashing output names, a classification given with other inputs or with Dask, or
        (Dask) no ``dask.distributed`` or no scheduler.
    OptionError
        For a bad option value (an unknown option name raises TypeError).

    Warns
    -----
    OccupyWarning
        Once, when globs matched outputs of occupy and they were left out (how many, which).
    """
    _check_arguments(jobs, options)
    source = classification_input(inputs, dask_scheduler, threads_per_job)
    if source is not None:
        from .class_runs import run_classes  # noqa: PLC0415 - loaded only for a classification
        return run_classes(source, jobs=jobs, keep_going=True, on_done=on_done, **options)
    return _run_maps(_maps(inputs), jobs or 1, threads_per_job, dask_scheduler, on_done or (lambda _o: None),
                     options)


def _check_arguments(jobs: int | None, options: dict[str, Any]) -> None:
    """Refuse bad arguments of ``run_batch`` before any process starts."""
    from .options import RunOptions
    if jobs is not None and jobs < 1:
        raise OccupyError(f"--jobs must be at least 1, got {jobs}")
    for bad in ("progress", "check_abort"):
        if options.get(bad) is not None:
            raise OccupyError(f"run_batch does not take {bad}= (use on_done=)")
    RunOptions.from_kwargs(**options).validate()


def _maps(inputs: list[str | os.PathLike]) -> list[Path]:
    """The maps to run (``batch_maps``), with one warning for the outputs of occupy left out; checked
    for clashing output names."""
    maps = batch_maps(inputs)
    if not maps.paths:
        raise OccupyError("no input maps given" + (f" (the globs matched only outputs of occupy: "
                                                   f"{_examples(maps.skipped)})" if maps.skipped else ""))
    if maps.skipped:
        warnings.warn(f"skipped {len(maps.skipped)} file(s) that the globs matched and occupy wrote "
                      f"({_examples(maps.skipped)}); name them explicitly to run them", OccupyWarning, stacklevel=3)
    check_stems(maps.paths)
    return maps.paths


def _examples(paths: list[Path], most: int = 3) -> str:
    names = ", ".join(p.name for p in paths[:most])
    return names + (", ..." if len(paths) > most else "")


def _run_maps(paths: list[Path], jobs: int, threads_per_job: int | None, dask_scheduler: str | None,
              done: Callable[[MapOutcome], None], options: dict[str, Any]) -> BatchReport:
    total = options.pop("threads", None)
    jobs = max(1, min(jobs, len(paths)))        # more workers than maps would only split the cores
    if dask_scheduler:
        per_job = threads_per_job or total
    else:
        per_job = threads_per_job or max(1, effective_threads(total) // jobs)
    run_options = {**options, "threads": per_job}
    t0 = time.perf_counter()
    # made here, not by the maps' runs, so that a stopped batch removes it (if still empty)
    with output_directory(run_options.get("output_dir", ".")) as out_dir:
        if dask_scheduler:
            outcomes = _run_dask(paths, run_options, dask_scheduler, done)
        else:
            outcomes = _run_local(paths, run_options, jobs, per_job or 1, done)
        with OutputSet(out_dir) as out:
            written = stage_summary(out, outcomes)
            if options.get("report"):
                report = stage_many_report(out, outcomes, BATCH_REPORT, staged=False, lowpass=options.get("lowpass"),
                                           pixel_size=options.get("pixel_size"),
                                           min_vis_scale=options.get("min_vis_scale") or MIN_VIS_SCALE)
                written.update({"report": report} if report else {})
    return BatchReport(outcomes, time.perf_counter() - t0, jobs=jobs, threads_per_job=per_job,
                       backend="dask" if dask_scheduler else "local", output_paths=written)
