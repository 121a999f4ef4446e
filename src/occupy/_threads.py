"""The one place that decides how many threads a kernel uses."""
from __future__ import annotations

import os

__all__ = ["effective_threads", "usable_cpus"]


def usable_cpus() -> int:
    """Number of CPUs this process may run on (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def effective_threads(threads: int | None = None) -> int:
    """Thread count for a kernel: explicit ``threads`` > ``OMP_NUM_THREADS`` > usable CPUs.

    ``threads`` must be a positive integer when given.  ``OMP_NUM_THREADS`` may be a
    comma-separated list (nested levels); its first entry is used.
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
