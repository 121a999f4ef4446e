"""Batch runs: many maps through ``occupy.run``, in local processes or on a Dask cluster.

Each map runs with the same options and writes its outputs into ``output_dir`` (maps
whose names give the same output stem are refused up front); a failing map does not
stop the others. The ``occupy-batch`` command (``occupy.cli.batch``) is a thin layer
over ``run_batch``.
"""
from __future__ import annotations

import glob
import os
import signal
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import OccupyError, OccupyWarning
from .io.files import output_directory
from .termination import SIGNALS, SignalGuard, Terminated

__all__ = ["BatchReport", "MapOutcome", "expand_inputs", "run_batch", "run_one"]

_GLOB_CHARS = set("*?[")
STOP_GRACE_S = 4.0     # seconds workers get to clean up after a signal before they are killed


@dataclass
class MapOutcome:
    """What happened to one map of a batch.

    Made by ``run_one``; the fields are the constructor's parameters.

    Parameters
    ----------
    input_path : pathlib.Path
        The map, as given to the batch.
    ok : bool
        True if its run finished.
    seconds : float
        Wall time of its run.
    s_full : float, optional
        The full-scale reference of the run (None on failure).
    solvent_edge : float, optional
        Where the solvent model says solvent ends, in map values (None on failure).
    warnings : list of str
        The run's warnings (they are not issued again as ``OccupyWarning``).
    output_paths : dict of str to pathlib.Path
        Role -> file written, as in ``occupy.RunResult``.
    error : str, optional
        One line saying why the run failed (None on success).
    """

    input_path: Path
    ok: bool
    seconds: float = 0.0
    s_full: float | None = None
    solvent_edge: float | None = None
    warnings: list[str] = field(default_factory=list)
    output_paths: dict[str, Path] = field(default_factory=dict)
    error: str | None = None


@dataclass
class BatchReport:
    """Outcomes in input order, and the wall time of the whole batch.

    Made by ``run_batch``; the fields are the constructor's parameters.

    Parameters
    ----------
    outcomes : list of MapOutcome
        One per map, in input order.
    seconds : float
        Wall time of the whole batch.
    jobs : int
        Maps run at once.
    threads_per_job : int, optional
        Threads given to each map (None: each worker's default).
    backend : str
        ``"local"`` (processes on this machine) or ``"dask"``.
    """

    outcomes: list[MapOutcome]
    seconds: float
    jobs: int = 1
    threads_per_job: int | None = None
    backend: str = "local"

    @property
    def failed(self) -> list[MapOutcome]:
        """The outcomes of the maps that failed.

        Returns
        -------
        list of MapOutcome
            In input order; empty if every map succeeded.
        """
        return [o for o in self.outcomes if not o.ok]

    @property
    def succeeded(self) -> list[MapOutcome]:
        """The outcomes of the maps that succeeded.

        Returns
        -------
        list of MapOutcome
            In input order.
        """
        return [o for o in self.outcomes if o.ok]


def expand_inputs(items: Iterable[str | os.PathLike]) -> list[Path]:
    """Turn globs, ``.txt`` lists (one path a line, ``#`` comments) and paths into map paths.

    Paths in a list file are relative to the current directory, like paths on the
    command line. Globs are sorted, ``**`` matches across directories, and matched
    directories are dropped; plain paths are not checked here.

    Parameters
    ----------
    items : iterable of str or path-like
        Map paths, globs (containing ``*``, ``?`` or ``[``) and ``.txt`` list files.

    Returns
    -------
    list of pathlib.Path
        In the order given; the same file given twice is kept once (first spelling).

    Raises
    ------
    OccupyError
        If a glob matches nothing or a list file cannot be read.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a.mrc", "b.mrc"):
    ...     _ = (d / name).write_bytes(b"")
    >>> _ = (d / "maps.txt").write_text(f"{d / 'b.mrc'}  # already matched")
    >>> [p.name for p in expand_inputs([d / "*.mrc", d / "maps.txt"])]
    ['a.mrc', 'b.mrc']
    """
    paths: list[Path] = []
    for item in items:
        text = str(item)
        if _GLOB_CHARS & set(text):
            found = sorted(glob.glob(text, recursive=True))
            if not found:
                raise OccupyError(f"no files match {text!r}")
            paths += [Path(f) for f in found if not Path(f).is_dir()]
        elif text.lower().endswith(".txt"):
            try:
                lines = Path(text).read_text().splitlines()
            except OSError as exc:
                raise OccupyError(f"cannot read map list {text}: {exc.strerror}") from exc
            paths += [Path(s) for s in (ln.split("#", 1)[0].strip() for ln in lines) if s]
        else:
            paths.append(Path(text))
    unique: dict[str, Path] = {}
    for p in paths:
        unique.setdefault(os.path.abspath(p), p)
    return list(unique.values())


def _check_stems(paths: list[Path]) -> None:
    from .outputs.names import map_stem
    seen: dict[str, Path] = {}
    clashes: list[str] = []
    for p in paths:
        stem = map_stem(p)
        if stem in seen:
            clashes.append(f"{seen[stem]} and {p} (both '{stem}')")
        else:
            seen[stem] = p
    if clashes:
        raise OccupyError("maps with the same name would overwrite each other's outputs: "
                          + "; ".join(clashes) + " - rename them or run them into different --output-dir")


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
    from .pipeline import run
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OccupyWarning)
            r = run(path, **options)
    except Exception as exc:  # noqa: BLE001 - the batch goes on; the error is reported
        msg = str(exc) if isinstance(exc, OccupyError) else f"unexpected {type(exc).__name__}: {exc}"
        return MapOutcome(Path(path), ok=False, seconds=time.perf_counter() - t0, error=msg)
    return MapOutcome(Path(path), ok=True, seconds=time.perf_counter() - t0, s_full=r.s_full,
                      solvent_edge=r.solvent_edge, warnings=list(r.warnings),
                      output_paths=dict(r.output_paths))


def _init_worker(threads: int) -> None:
    """Pool initializer: pin OpenMP/BLAS pools before any extension loads; a signal ends the worker cleanly.

    On SIGINT/SIGTERM/SIGHUP a worker raises ``Terminated`` in its run (which removes its
    staged files and created directories) and then exits (``_worker_run``).
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    guard = SignalGuard()
    for sig in SIGNALS:
        signal.signal(sig, guard._handle)


def _worker_run(path: str, options: dict[str, Any]) -> MapOutcome:
    """``run_one`` in a pool worker; a signal ends the process once the run has cleaned up."""
    try:
        return run_one(path, options)
    except Terminated as stop:
        os._exit(stop.exit_status)


def _mp_context():
    import multiprocessing as mp
    methods = mp.get_all_start_methods()
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


def _stop_pool(pool, grace: float = STOP_GRACE_S) -> None:
    """Cancel what has not started, signal the workers to clean up and end, and wait for them.

    Workers still alive after ``grace`` seconds are killed, so no process outlives the batch.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)


def _run_local(paths: list[Path], options: dict[str, Any], jobs: int, threads: int,
               on_done: Callable[[MapOutcome], None]) -> list[MapOutcome]:
    if jobs == 1:
        results = []
        for p in paths:
            results.append(run_one(p, options))
            on_done(results[-1])
        return results
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool
    by_path: dict[Path, MapOutcome] = {}
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(paths)), mp_context=_mp_context(),
                               initializer=_init_worker, initargs=(threads,))
    try:
        futures = {pool.submit(_worker_run, str(p), options): p for p in paths}
        for fut in as_completed(futures):
            p = futures[fut]
            try:
                outcome = fut.result()
            except BrokenProcessPool:
                outcome = MapOutcome(p, ok=False, error="worker process died (crash or out of memory)")
            outcome.input_path = p
            by_path[p] = outcome
            on_done(outcome)
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    return [by_path[p] for p in paths]


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


def run_batch(inputs: list[str | os.PathLike], *, jobs: int = 1, threads_per_job: int | None = None,
              dask_scheduler: str | None = None, on_done: Callable[[MapOutcome], None] | None = None,
              **options: Any) -> BatchReport:
    """Run ``occupy.run`` on every map of ``inputs``; a failing map does not stop the others.

    Parameters
    ----------
    inputs : list of str or path-like
        Map paths, globs and ``.txt`` lists (see ``expand_inputs``).
    jobs : int
        Maps run at once, each in its own process (forkserver/spawn, never fork).
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
        The outcomes in input order, the wall time and how the maps were run.

    Raises
    ------
    OccupyError
        Before any map runs: ``jobs < 1``, ``progress``/``check_abort`` given, no maps,
        clashing output names, or (Dask) no ``dask.distributed`` or no scheduler.
    OptionError
        For a bad option value (an unknown option name raises TypeError).
    """
    from .options import RunOptions
    from .threads import effective_threads
    if jobs < 1:
        raise OccupyError(f"--jobs must be at least 1, got {jobs}")
    for bad in ("progress", "check_abort"):
        if options.get(bad) is not None:
            raise OccupyError(f"run_batch does not take {bad}= (use on_done=)")
    RunOptions.from_kwargs(**options).validate()  # fail fast, before any process starts
    paths = expand_inputs(inputs)
    if not paths:
        raise OccupyError("no input maps given")
    _check_stems(paths)
    total = options.pop("threads", None)
    if dask_scheduler:
        per_job = threads_per_job or total
    else:
        per_job = threads_per_job or max(1, effective_threads(total) // jobs)
    run_options = {**options, "threads": per_job}
    done = on_done or (lambda _o: None)
    t0 = time.perf_counter()
    # made here, not by the maps' runs, so that a stopped batch removes it (if still empty)
    with output_directory(run_options.get("output_dir", ".")):
        if dask_scheduler:
            outcomes = _run_dask(paths, run_options, dask_scheduler, done)
        else:
            outcomes = _run_local(paths, run_options, jobs, per_job or 1, done)
    return BatchReport(outcomes, time.perf_counter() - t0, jobs=jobs, threads_per_job=per_job,
                       backend="dask" if dask_scheduler else "local")
