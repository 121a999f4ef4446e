"""Compiled kernels (Cython + OpenMP), one module per family, each with one Python caller.

Nothing here is imported by the package's own code except through its caller (for
example ``occupy.stats`` for ``_stats``); ``occupy.threads`` puts ``OMP_NUM_THREADS`` in
order before any of them loads an OpenMP runtime.
"""
