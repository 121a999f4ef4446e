"""The local worker processes of a batch: one map at a time each; a worker that dies costs only its map.

``occupy-batch --jobs N`` runs its maps in N worker processes of its own (forkserver, else
spawn; never fork), each sent its next map when it is done with one. The batch process
therefore always knows which map each worker runs: a worker that dies (the out-of-memory
killer's SIGKILL, a crash) fails that map alone, with the signal or exit status that ended
the worker, and is not retried (a map that kills its worker would kill the next one too);
the other workers are not disturbed, and a fresh worker takes the dead one's place for the
maps still to run. The dead worker's staging files are removed as soon as it is reaped.

A worker watches the batch process (``multiprocessing.parent_process``: a pipe on POSIX, a
process handle on Windows). When the batch ends without stopping it, killed by SIGKILL say,
the worker stops its map: a watcher thread raises ``Terminated`` in it at once, and the map's
``check_abort``, which runs just before its outputs are renamed into place, refuses to
publish them. The run then removes its staged files and the worker exits; an idle worker
exits at once. A worker stuck in a compiled kernel is ended ``STOP_GRACE_S`` seconds later
(its staging files are then removed by the next run in that folder).

On Windows a stopped worker is ended at once (``terminate`` is ``TerminateProcess``: no clean
up), and staging files are never removed by a later run (there is no safe test of a process
id there), so a stopped or crashed batch may leave hidden ``.part`` files in the output folder.
"""
from __future__ import annotations

import _thread
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from functools import partial
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Callable

from .io.staging import remove_staging_of
from .process import return_freed_memory
from .results import MapOutcome
from .termination import Terminated, stop_on_signals

__all__ = ["STOP_GRACE_S", "run_in_workers"]

RunMap = Callable[[str, dict], MapOutcome]     # runs one map with the options; picklable (a module's function)

STOP_GRACE_S = 4.0     # seconds a worker gets to clean up after a signal (or its batch's end) before it is killed
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def run_in_workers(run_map: RunMap, paths: list[Path], options: dict[str, Any], jobs: int, threads: int,
                   on_done: Callable[[MapOutcome], None]) -> list[MapOutcome]:
    """Run ``run_map`` on every map in at most ``jobs`` worker processes.

    Parameters
    ----------
    run_map : callable
        ``run_map(path, options)`` runs one map and reports its failure in the outcome
        (``occupy.batch.run_one``); a module-level function, as it is sent to the workers.
    paths : list of pathlib.Path
        The maps, run in this order.
    options : dict
        Keyword arguments for ``occupy.run`` (``check_abort`` is the worker's own).
    jobs : int
        Maps run at once.
    threads : int
        OpenMP/BLAS threads of each worker, set before any extension loads.
    on_done : callable
        Called with each ``MapOutcome`` as it finishes.

    Returns
    -------
    list of MapOutcome
        In the order of ``paths``; a map whose worker died has ``ok=False`` and an ``error``
        naming the signal (``its worker process was killed by SIGKILL ...``) or exit status.

    Raises
    ------
    BaseException
        Whatever stops the batch (``Terminated``, ``KeyboardInterrupt``): its workers are
        first signalled to clean up and end, and killed if they have not within ``STOP_GRACE_S``.
    """
    context = _mp_context()
    todo = deque(paths)
    workers: list[_Worker] = []
    outcomes: dict[Path, MapOutcome] = {}
    try:
        while todo or any(w.path is not None for w in workers):
            _assign(workers, todo, min(jobs, len(paths)), partial(_Worker, context, run_map, threads), options)
            for outcome, dead_pid in _collect(workers):
                outcomes[outcome.input_path] = outcome
                if dead_pid is not None:    # reaped just now: its id is not yet anyone else's
                    remove_staging_of(options.get("output_dir") or ".", dead_pid)
                on_done(outcome)
    except BaseException:
        _end_workers(workers, stop=True)
        raise
    _end_workers(workers, stop=False)
    return [outcomes[p] for p in paths]


def _mp_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class _Worker:
    """One worker process, the batch's end of its pipe, and the map it runs (None while idle)."""

    def __init__(self, context, run_map: RunMap, threads: int):
        self.conn, worker_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(worker_end, run_map, threads), name="occupy-batch worker")
        self.process.start()
        worker_end.close()
        self.path: Path | None = None
        self.started = 0.0          # time.perf_counter() when it was given its map

    def close(self) -> None:
        self.conn.close()
        self.process.join(0)


def _assign(workers: list[_Worker], todo: deque, jobs: int, start_worker: Callable[[], _Worker],
            options: dict[str, Any]) -> None:
    """Give the next maps to idle workers, starting workers (for dead ones too) up to ``jobs``."""
    for gone in [w for w in workers if w.path is None and not w.process.is_alive()]:
        workers.remove(gone)
        gone.close()
    while todo:
        idle = next((w for w in workers if w.path is None), None)
        if idle is None and len(workers) < jobs:
            idle = start_worker()
            workers.append(idle)
        if idle is None:
            return
        idle.path, idle.started = todo.popleft(), time.perf_counter()
        try:
            idle.conn.send((str(idle.path), options))
        except OSError:
            pass            # it died meanwhile: _collect reports the map with how it ended


def _collect(workers: list[_Worker]) -> list[tuple[MapOutcome, int | None]]:
    """Wait for busy workers; each map finished or whose worker died, and the dead worker's pid (or None)."""
    busy = [w for w in workers if w.path is not None]
    ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
    finished = []
    for worker in busy:
        if worker.conn not in ready and worker.process.sentinel not in ready:
            continue
        outcome = _receive(worker)
        dead_pid = None if outcome is not None else worker.process.pid
        if outcome is None:
            outcome = MapOutcome(worker.path, ok=False, seconds=time.perf_counter() - worker.started,
                                 error=_death(worker))
            workers.remove(worker)
            worker.close()
        outcome.input_path = worker.path
        worker.path = None
        finished.append((outcome, dead_pid))
    return finished


def _receive(worker: _Worker) -> MapOutcome | None:
    """The outcome the worker sent, or None if it ended without sending one."""
    try:
        return worker.conn.recv() if worker.conn.poll() else None
    except (EOFError, OSError):
        return None


# exit statuses of a worker that caught SIGHUP, SIGINT or SIGTERM and cleaned up (128 + N); any other
# status is reported as it is (255: the forkserver that started it was lost; Windows: a crash code)
_CAUGHT_EXITS = {128 + 1, 128 + 2, 128 + 15}


def _death(worker: _Worker) -> str:
    """Why a worker ended without a result, in words (the signal that killed it, or its exit status)."""
    worker.process.join(STOP_GRACE_S)
    if worker.process.is_alive():       # it closed its pipe but lives on: it cannot be trusted with more
        worker.process.kill()
        worker.process.join(1.0)
    code = worker.process.exitcode
    if code is not None and code < 0:
        name = _signal_name(-code)
        hint = ", perhaps out of memory" if name == "SIGKILL" else ""
        return f"its worker process was killed by {name}{hint}; not run again"
    if code in _CAUGHT_EXITS:               # a signal it caught, cleaning up (occupy.termination)
        return f"its worker process was stopped by {_signal_name(code - 128)}; not run again"
    return f"its worker process died (exit status {code}); not run again"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _end_workers(workers: list[_Worker], stop: bool, grace: float = STOP_GRACE_S) -> None:
    """End every worker: ``stop``, by a signal to clean up and end (the batch is stopped), else by
    telling it the maps are done; those still alive after ``grace`` seconds are killed."""
    for worker in workers:
        if stop and worker.process.is_alive():
            worker.process.terminate()
        elif not stop:
            try:
                worker.conn.send(None)
            except OSError:
                pass
    deadline = time.monotonic() + grace
    for worker in workers:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(1.0)
        worker.conn.close()


def _serve(conn, run_map: RunMap, threads: int) -> None:
    """A worker process: run each map it is sent, one at a time, until told to end or the batch is gone.

    A signal ends it once its run has cleaned up (``occupy.termination``); so does the end
    of the batch process (``_watch_batch``).
    """
    for variable in _THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    return_freed_memory()
    stop_on_signals()
    batch_alive = _watch_batch()
    try:
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                os._exit(0)         # the batch is gone
            if task is None:
                return
            path, options = task
            outcome = run_map(path, {**options, "check_abort": batch_alive})
            try:
                conn.send(outcome)
            except OSError:
                os._exit(0)
    except Terminated as stop:
        os._exit(stop.exit_status)


def _watch_batch() -> Callable[[], None]:
    """Start the watcher of the batch process; return the check that stops a map once the batch is gone."""
    batch = multiprocessing.parent_process()

    def batch_alive() -> None:
        if not batch.is_alive():
            raise Terminated(signal.SIGTERM)

    threading.Thread(target=_stop_when_gone, args=(batch, threading.main_thread().ident),
                     name="occupy-batch watch", daemon=True).start()
    return batch_alive


def _stop_when_gone(batch, main_thread: int) -> None:
    """Wait for the batch process to end, then stop this worker's map, and this worker."""
    batch.join()
    if hasattr(signal, "pthread_kill"):
        signal.pthread_kill(main_thread, signal.SIGTERM)    # also interrupts a blocking call
    else:
        _thread.interrupt_main(signal.SIGTERM)
    time.sleep(STOP_GRACE_S)
    os._exit(128 + signal.SIGTERM)
