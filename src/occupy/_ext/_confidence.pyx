# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Per-voxel confidence lookup (docs/algorithm.md §7, step 5).

Every voxel is computed independently, so results are identical for any thread count.
"""
from cython.parallel cimport prange
from libc.math cimport floor


def lookup_confidence(const float[::1] values, const float[::1] table, float[::1] out,
                      double vmin, double vmax, int n_threads):
    """``out[i] = table[clip(floor((values[i] - vmin) / (vmax - vmin) * nbins), 0, nbins - 1)]``."""
    cdef Py_ssize_t i, n = values.shape[0]
    cdef Py_ssize_t nbins = table.shape[0]
    cdef double span = vmax - vmin
    cdef double b
    cdef Py_ssize_t k
    if out.shape[0] != n:
        raise ValueError("output size differs from input size")
    for i in prange(n, nogil=True, num_threads=n_threads, schedule="static"):
        b = floor((values[i] - vmin) / span * nbins)
        if b < 0:
            k = 0
        elif b > nbins - 1:
            k = nbins - 1
        else:
            k = <Py_ssize_t>b
        out[i] = table[k]
