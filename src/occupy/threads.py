"""The one place that decides how many threads a kernel uses.

Also the only caller of the compiled ``_ext/_threads`` module, which says whether the
build has OpenMP and can prove that threads run together.
"""
from __future__ import annotations

import os

__all__ = ["effective_threads", "has_openmp", "parallel_probe", "usable_cpus"]


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


def effective_threads(threads: int | None = None) -> int:
    """Thread count for a kernel: explicit ``threads`` > ``OMP_NUM_THREADS`` > usable CPUs.

    Parameters
    ----------
    threads : int, optional
        An explicit count (``--threads``/``-j``); must be a positive integer. If None
        (default), ``OMP_NUM_THREADS`` decides, else ``usable_cpus``.

    Returns
    -------
    int
        The count to pass to every ``prange`` of the call (at least 1).
        ``OMP_NUM_THREADS`` may be a comma-separated list (nested levels); its first
        entry is used, and a value that is not a positive integer is ignored.

    Raises
    ------
    ValueError
        If ``threads`` is given and is not a positive integer (e.g. 0, -2 or 2.5).

    Examples
    --------
    >>> effective_threads(3)
    3
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"OMP_NUM_THREADS": "4,2"}):
    ...     effective_threads()
    4
    """
    if threads is not None:
        n = int(threads)
        if n < 1 or n != threads:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        return n
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env:
        try:
            n = int(env.split(",")[0])
        except ValueError:
            n = 0
        if n >= 1:
            return n
    return usable_cpus()


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
