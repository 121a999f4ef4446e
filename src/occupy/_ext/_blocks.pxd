# cython: language_level=3, cdivision=True
"""Declarations shared by the kernels: the fixed block size, the block traversal, and
block work that two kernels must do identically.

A kernel whose result must not depend on the thread count walks its flat array in
blocks of a fixed number of voxels, one ``prange`` iteration per block, and combines the
per-block results in block order:

    for b in prange(n_blocks(n, STAT_BLOCK), nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(b, n, STAT_BLOCK)
        ...                              # the block's work on [start, stop)

Everything here is inlined into the modules that cimport it, so this file is needed to
build them, not to run them.
"""
from libc.string cimport memcpy

cdef enum:
    # Voxels per block of the reductions and region kernels (_stats, _regions): fixed,
    # never derived from the thread count, and a multiple of 8, so that each block owns
    # whole bytes of a packed bit mask. Block results such as summarize_scale's
    # statistics are merged by _stats.merge_block_stats, so both must use this value.
    STAT_BLOCK = 65536


cdef inline Py_ssize_t n_blocks(Py_ssize_t n, Py_ssize_t size) noexcept nogil:
    """Number of blocks of ``size`` voxels covering ``n >= 0`` voxels (the last may be short)."""
    return (n + size - 1) // size


cdef inline (Py_ssize_t, Py_ssize_t) block_span(Py_ssize_t b, Py_ssize_t n,
                                                Py_ssize_t size) noexcept nogil:
    """``(start, stop)`` of block ``b`` of ``size`` voxels in an array of ``n`` voxels."""
    cdef Py_ssize_t start = b * size
    return start, min(start + size, n)


cdef inline double sum_sq_dev(const float* v, Py_ssize_t m, double mean) noexcept nogil:
    """Sum of the squared deviations of ``v[0:m]`` from ``mean``, in double and in order:
    a block's ``m2`` as ``_stats.mean_std`` and ``_regions.summarize_scale`` make it."""
    cdef Py_ssize_t i
    cdef double d, m2 = 0.0
    for i in range(m):
        d = v[i] - mean
        m2 = m2 + d * d
    return m2


cdef inline bint _little_endian() noexcept nogil:
    cdef unsigned short probe = 1
    return (<unsigned char*> &probe)[0] == 1           # a constant to the C compiler


cdef inline unsigned char above_byte(const float* v, Py_ssize_t m, float level) noexcept nogil:
    """One byte of a packed mask: bit ``j`` set where ``v[j] > level`` (never for NaN), for
    ``j < m <= 8``; the mask of ``_regions.above_bits`` and ``_stats.histogram_above``.

    A whole byte is made without branches: the eight 0/1 flags, read as one 64-bit word,
    times a constant that moves flag ``j`` to bit ``56 + j`` (no two partial products
    meet, so nothing carries); the compiler vectorises the comparisons.
    """
    cdef unsigned char flags[8]
    cdef unsigned long long word
    cdef Py_ssize_t j
    cdef unsigned char byte = 0
    if m == 8:
        for j in range(8):
            flags[j] = v[j] > level
        memcpy(&word, flags, 8)
        if _little_endian():
            return <unsigned char> ((word * 0x0102040810204080ULL) >> 56)
        return <unsigned char> ((word * 0x8040201008040201ULL) >> 56)
    for j in range(m):
        byte = byte | <unsigned char> ((v[j] > level) << j)
    return byte
