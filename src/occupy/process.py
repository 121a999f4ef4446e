"""Settings for a whole process that runs occupy: set by the console scripts, never on import.

One today: maps of a run are allocated and freed one after another, and glibc's malloc
raises its mmap threshold each time a large block is freed, so that later blocks of up to
32 MiB (FFT work areas, rows of the filter's rings) come from the heap, which keeps their
pages after they are freed: a 256³ run peaked 15-27 MB higher for it (bench/README.md).
A fixed threshold returns every block above 128 KiB to the system when it is freed.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["MMAP_THRESHOLD", "return_freed_memory"]

MMAP_THRESHOLD = 128 * 1024     # glibc's default; setting it explicitly stops it from growing
_M_MMAP_THRESHOLD = -3          # mallopt's parameter number in glibc's malloc.h


def return_freed_memory() -> bool:
    """Fix malloc's mmap threshold for this process, so that freed large blocks go back at once.

    For a process that exists to run occupy (the console scripts, batch workers); an
    application that embeds occupy keeps its own allocator settings.

    Returns
    -------
    bool
        True if the threshold was set (glibc); False elsewhere, where nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):   # not glibc (musl has no mallopt)
        return False
