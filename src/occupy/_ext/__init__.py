"""Compiled kernels (Cython + OpenMP), one module per family, each with one Python caller.

Importing ``occupy`` imports this package first, and it puts ``OMP_NUM_THREADS`` in
order before any OpenMP runtime is loaded (ours, or pyFFTW's), since the runtime reads
the variable once, then: a value that is not a list of positive integers is removed
(the runtime would print its own complaints), and a count above
``occupy.threads.thread_cap()`` is lowered to it (tens of thousands of threads exhaust
memory). ``OMP_NUM_THREADS_GIVEN`` keeps the original value so that a run warns once.
"""
import os

from ..threads import thread_cap

OMP_NUM_THREADS_GIVEN = None
_value = os.environ.get("OMP_NUM_THREADS")
if _value is not None:
    _parts = [part.strip() for part in _value.split(",")]
    if not all(part.isdigit() and int(part) > 0 for part in _parts):
        OMP_NUM_THREADS_GIVEN = _value
        del os.environ["OMP_NUM_THREADS"]
    elif int(_parts[0]) > thread_cap():
        OMP_NUM_THREADS_GIVEN = _value
        os.environ["OMP_NUM_THREADS"] = ",".join([str(thread_cap()), *_parts[1:]])
