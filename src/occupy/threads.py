"""The one place that decides how many threads a kernel uses.

Also the only caller of the compiled ``_ext/_threads`` module, which says whether the
build has OpenMP and can prove that threads run together.

``OMP_NUM_THREADS`` is put in order when this module is first imported (``import occupy``
imports it before anything can load an OpenMP runtime, ours or pyFFTW's, which read the
variable once): see ``tidy_omp_num_threads``. ``OMP_NUM_THREADS_GIVEN`` keeps the user's
value when it was changed, so that a run can say so once (``thread_advice``). This is
the only change the package makes to the process environment on import.
"""
from __future__ import annotations

import numbers
import os
from typing import MutableMapping

from .constants import THREADS_PER_CPU_CAP

__all__ = ["OMP_NUM_THREADS_GIVEN", "effective_threads", "has_openmp", "parallel_probe", "requested_threads",
           "thread_advice", "thread_cap", "tidy_omp_num_threads", "usable_cpus"]


def usable_cpus() -> int:
    """Count the CPUs this process may run on (affinity-aware).

    Uses the process's CPU affinity mask where the platform has one (so a job limited
    by ``taskset`` or a batch scheduler counts only its own cores), else ``os.cpu_count()``.

    Returns
    -------
    int
        The number of usable CPUs, at least 1.

    Examples
    --------
    >>> usable_cpus() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def thread_cap() -> int:
    """The most threads a kernel is given: ``THREADS_PER_CPU_CAP`` per usable CPU.

    Returns
    -------
    int
        Larger requests are clamped to this (more threads than CPUs only add overhead,
        and tens of thousands exhaust memory in the kernels' per-thread buffers).
    """
    return THREADS_PER_CPU_CAP * usable_cpus()


def tidy_omp_num_threads(environ: MutableMapping[str, str]) -> str | None:
    """Put ``OMP_NUM_THREADS`` in ``environ`` in order for an OpenMP runtime about to load.

    A value that is not a comma-separated list of positive integers is removed (the
    runtime would print its own complaints); a first entry above ``thread_cap()`` is
    lowered to it (tens of thousands of threads exhaust memory, and crash pyFFTW).

    Parameters
    ----------
    environ : mutable mapping of str to str
        The environment to change in place (``os.environ`` on import of this module).

    Returns
    -------
    str or None
        The value as it was, if it was changed; None if it was absent or fine.

    Examples
    --------
    >>> env = {"OMP_NUM_THREADS": "two"}
    >>> tidy_omp_num_threads(env), env
    ('two', {})
    >>> env = {"OMP_NUM_THREADS": "1,1"}
    >>> tidy_omp_num_threads(env), env
    (None, {'OMP_NUM_THREADS': '1,1'})
    """
    value = environ.get("OMP_NUM_THREADS")
    if value is None:
        return None
    parts = [part.strip() for part in value.split(",")]
    if not all(part.isdigit() and int(part) > 0 for part in parts):
        del environ["OMP_NUM_THREADS"]
        return value
    if int(parts[0]) > thread_cap():
        environ["OMP_NUM_THREADS"] = ",".join([str(thread_cap()), *parts[1:]])
        return value
    return None


def requested_threads(threads: int | None = None) -> tuple[int | None, str]:
    """The count asked for, before the cap, and where it came from.

    Parameters
    ----------
    threads : int, optional
        An explicit count (``--threads``/``-j``).

    Returns
    -------
    (int or None, str)
        ``(threads, "--threads")``, ``(n, "OMP_NUM_THREADS")`` or ``(None, "")`` when
        neither is set (or ``OMP_NUM_THREADS`` is not a positive integer).

    Raises
    ------
    ValueError
        If ``threads`` is given and is not a positive integer.
    """
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        return int(threads), "--threads"
    first = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if first.isdigit() and int(first) >= 1:
        return int(first), "OMP_NUM_THREADS"
    return None, ""


def effective_threads(threads: int | None = None) -> int:
    """Thread count for a kernel: explicit ``threads`` > ``OMP_NUM_THREADS`` > usable CPUs, capped.

    Parameters
    ----------
    threads : int, optional
        An explicit count (``--threads``/``-j``); must be a positive integer.

    Returns
    -------
    int
        The count to pass to every ``prange`` of the call, at most ``thread_cap()``.
        ``OMP_NUM_THREADS`` may be a comma-separated list (nested levels); its first
        entry is used, and a value that is not a positive integer is ignored.

    Raises
    ------
    ValueError
        If ``threads`` is given and is not a positive integer.

    Examples
    --------
    >>> effective_threads(1)
    1
    """
    requested, _ = requested_threads(threads)
    return min(requested if requested is not None else usable_cpus(), thread_cap())


def has_openmp() -> bool:
    """Say whether the compiled kernels were built with OpenMP.

    Returns
    -------
    bool
        True with OpenMP; False if the build has none, in which case every kernel runs
        on one thread whatever ``effective_threads`` says.

    Examples
    --------
    >>> isinstance(has_openmp(), bool)
    True
    """
    from ._ext import _threads
    return _threads.has_openmp()


def parallel_probe(n_threads: int) -> list[tuple[int, int, bool]]:
    """Run ``n_threads`` iterations of a compiled loop on ``n_threads`` threads.

    A diagnostic: it shows whether the threads of a parallel loop really run at the
    same time on this machine (each iteration waits, bounded, for all the others).

    Parameters
    ----------
    n_threads : int
        Threads to start, 1 to 64.

    Returns
    -------
    list of (int, int, bool)
        Per iteration: the OpenMP thread number, the team size, and whether every
        thread reached a rendezvous while this one waited (they ran at the same time).
        Without OpenMP every entry is ``(0, 1, ...)``.

    Raises
    ------
    ValueError
        If ``n_threads`` is not in 1..64.

    Examples
    --------
    >>> parallel_probe(1)
    [(0, 1, True)]
    """
    from ._ext import _threads
    return _threads.parallel_probe(n_threads)


def thread_advice(threads: int | None) -> str | None:
    """Say when a requested thread count will not be used as given.

    Parameters
    ----------
    threads : int, optional
        The ``threads`` option of a run.

    Returns
    -------
    str or None
        A warning when ``threads`` (or ``OMP_NUM_THREADS``) is above ``thread_cap`` or
        ``OMP_NUM_THREADS`` is not a positive integer; None otherwise.
    """
    given = OMP_NUM_THREADS_GIVEN
    cap = f"{thread_cap()} ({thread_cap() // usable_cpus()} per usable CPU, {usable_cpus()} CPUs)"
    requested, source = requested_threads(threads)
    if requested is not None and requested > thread_cap():
        return f"{source} {requested} is more than {cap}: using {thread_cap()}"
    if given is not None and threads is None:
        first = given.split(",")[0].strip()
        if first.isdigit() and int(first) > 0:
            return f"OMP_NUM_THREADS={given} is more than {cap}: using {thread_cap()}"
        return f"OMP_NUM_THREADS={given!r} is not a positive integer: ignored"
    return None


OMP_NUM_THREADS_GIVEN: str | None = tidy_omp_num_threads(os.environ)
