# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Per-voxel confidence lookup (algorithm.md §7).

Every voxel is computed independently, so results are identical for any thread count.
"""
from cython.parallel cimport prange
from libc.math cimport floor


ctypedef fused entry_t:
    float               # the confidence itself
    unsigned char       # the index of its value in a table of at most 256
    unsigned short      # ... or of at most 65536


def lookup_confidence(const float[::1] values, const entry_t[::1] table, entry_t[::1] out,
                      double vmin, double vmax, int n_threads):
    """``out[i] = table[clip(floor((values[i] - vmin) / (vmax - vmin) * nbins), 0, nbins - 1)]``.

    ``table`` holds each bin's confidence (float32), or the index of it in a table of
    the curve's distinct values (uint8 or uint16), and ``out`` is of the same type."""
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


ctypedef fused index_t:
    unsigned char
    unsigned short


def expand_index(const index_t[::1] index, const float[::1] values, float[::1] out, int n_threads):
    """``out[i] = values[index[i]]`` (``index`` is checked against ``values`` by its maker)."""
    cdef Py_ssize_t i, n = index.shape[0]
    if out.shape[0] < n:
        raise ValueError("output shorter than the index")
    for i in prange(n, nogil=True, num_threads=n_threads, schedule="static"):
        out[i] = values[index[i]]
