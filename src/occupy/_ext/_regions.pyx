# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Regions of float32 maps: packed masks of the voxels above a level, counts within them,
and the values selected by a key map, without full-size boolean arrays.

Counts are integers, summed exactly, and gathered values keep their order: results never
depend on the thread count. Work is split in blocks of ``STAT_BLOCK`` voxels (a multiple
of 8, so every block owns whole bytes of a packed mask; see ``_blocks.pxd``).
"""
import numpy as np
from cython.parallel cimport prange

from ._blocks cimport STAT_BLOCK, above_byte, block_span, n_blocks, sum_sq_dev


def count_above_below(const float[::1] a, float above, const float[::1] b, float below, int n_threads):
    """``(n, m)``: voxels with ``a > above``, and of those the ones with ``b < below``.

    Integer counts, summed exactly: identical for any thread count.
    """
    cdef Py_ssize_t n = a.shape[0]
    if b.shape[0] != n:
        raise ValueError("the arrays differ in size")
    cdef Py_ssize_t nb = n_blocks(n, STAT_BLOCK)
    cdef long long[::1] n_above = np.zeros(nb, dtype=np.int64)
    cdef long long[::1] n_both = np.zeros(nb, dtype=np.int64)
    cdef Py_ssize_t blk, i, start, stop
    cdef long long c_above, c_both
    for blk in prange(nb, nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(blk, n, STAT_BLOCK)
        c_above = 0
        c_both = 0
        for i in range(start, stop):
            c_above = c_above + (a[i] > above)
            c_both = c_both + ((a[i] > above) & (b[i] < below))
        n_above[blk] = c_above
        n_both[blk] = c_both
    return int(np.asarray(n_above).sum()), int(np.asarray(n_both).sum())


def above_bits(const float[::1] a, float level, int n_threads):
    """Bit ``i`` (little-endian within each byte) set where ``a[i] > level``, as uint8 bytes."""
    cdef Py_ssize_t n = a.shape[0]
    cdef Py_ssize_t nbytes = (n + 7) // 8
    cdef unsigned char[::1] bits = np.zeros(nbytes, dtype=np.uint8)
    cdef Py_ssize_t nb = n_blocks(n, STAT_BLOCK)
    cdef Py_ssize_t blk, k, start, stop
    for blk in prange(nb, nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(blk, n, STAT_BLOCK)   # start is a multiple of 8: whole bytes
        for k in range(start >> 3, stop >> 3):
            bits[k] = above_byte(&a[k << 3], 8, level)
        if stop & 7:                                   # the last, partial byte
            bits[stop >> 3] = above_byte(&a[stop & ~7], stop & 7, level)
    return np.asarray(bits)


def count_bits_below(const unsigned char[::1] bits, const float[::1] b, float below, int n_threads):
    """``(n, m)``: set bits, and of those the voxels with ``b < below`` (exact integer counts)."""
    cdef Py_ssize_t n = b.shape[0]
    if bits.shape[0] != (n + 7) // 8:
        raise ValueError("bit mask and array differ in size")
    cdef Py_ssize_t nb = n_blocks(n, STAT_BLOCK)
    cdef long long[::1] n_set = np.zeros(nb, dtype=np.int64)
    cdef long long[::1] n_both = np.zeros(nb, dtype=np.int64)
    cdef Py_ssize_t blk, i, start, stop
    cdef long long c_set, c_both
    for blk in prange(nb, nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(blk, n, STAT_BLOCK)
        c_set = 0
        c_both = 0
        for i in range(start, stop):
            if (bits[i >> 3] >> (i & 7)) & 1:
                c_set = c_set + 1
                if b[i] < below:
                    c_both = c_both + 1
        n_set[blk] = c_set
        n_both[blk] = c_both
    return int(np.asarray(n_set).sum()), int(np.asarray(n_both).sum())


cdef inline void _gather_equal(const float* key, float value, const float* src, Py_ssize_t m,
                               float* out) noexcept nogil:
    """Append ``src[i]`` for each ``i < m`` with ``key[i] == value`` to ``out``, in order."""
    cdef Py_ssize_t i, j = 0
    for i in range(m):
        if key[i] == value:
            out[j] = src[i]
            j = j + 1


def gather_where_equal(const float[::1] key, float value, const float[::1] src, int n_threads):
    """``src[key == value]`` in order, without a boolean mask of the whole array."""
    cdef Py_ssize_t n = key.shape[0]
    if src.shape[0] != n:
        raise ValueError("the arrays differ in size")
    cdef Py_ssize_t nb = n_blocks(n, STAT_BLOCK)
    cdef long long[::1] counts = np.zeros(nb + 1, dtype=np.int64)
    cdef Py_ssize_t blk, i, start, stop
    cdef long long c
    for blk in prange(nb, nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(blk, n, STAT_BLOCK)
        c = 0
        for i in range(start, stop):
            if key[i] == value:
                c = c + 1
        counts[blk + 1] = c
    cdef long long[::1] offsets = np.cumsum(counts)
    cdef float[::1] out = np.empty(offsets[nb], dtype=np.float32)
    for blk in prange(nb, nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(blk, n, STAT_BLOCK)
        _gather_equal(&key[start], value, &src[start], stop - start, &out[0] + offsets[blk])
    return np.asarray(out)


def summarize_scale(const float[::1] scale, const unsigned char[::1] solid, float below, int n_threads):
    """One pass over a scale map for everything a run reports about it.

    Returns ``(block_stats, n_full_per_block, n_solid, n_partial)``: per block of
    ``STAT_BLOCK`` voxels its sum, sum of squared deviations from its mean, minimum and
    maximum (exactly as ``_stats.mean_std`` makes them, to be merged by
    ``merge_block_stats``), how many voxels are exactly 1, and over the whole map the set
    bits of ``solid`` and those with ``scale < below``.
    """
    cdef Py_ssize_t n = scale.shape[0]
    if n == 0:
        raise ValueError("summary of an empty array")
    if solid.shape[0] != (n + 7) // 8:
        raise ValueError("bit mask and array differ in size")
    cdef Py_ssize_t nb = n_blocks(n, STAT_BLOCK)
    cdef double[::1] bsum = np.empty(nb, dtype=np.float64)
    cdef double[::1] bm2 = np.empty(nb, dtype=np.float64)
    cdef float[::1] bmin = np.empty(nb, dtype=np.float32)
    cdef float[::1] bmax = np.empty(nb, dtype=np.float32)
    cdef long long[::1] bfull = np.zeros(nb, dtype=np.int64)
    cdef long long[::1] bset = np.zeros(nb, dtype=np.int64)
    cdef long long[::1] bpart = np.zeros(nb, dtype=np.int64)
    cdef Py_ssize_t b, i, start, stop
    cdef double s
    cdef float lo, hi, v
    cdef long long c_full, c_set, c_part, bit
    for b in prange(nb, nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(b, n, STAT_BLOCK)
        s = 0.0
        lo = scale[start]
        hi = scale[start]
        c_full = 0
        c_set = 0
        c_part = 0
        for i in range(start, stop):
            v = scale[i]
            s = s + v
            if v < lo:
                lo = v
            if v > hi:
                hi = v
            bit = (solid[i >> 3] >> (i & 7)) & 1
            c_full = c_full + (v == 1)
            c_set = c_set + bit
            c_part = c_part + (bit & (v < below))
        bsum[b] = s
        bm2[b] = sum_sq_dev(&scale[start], stop - start, s / (stop - start))   # block still in cache
        bmin[b] = lo
        bmax[b] = hi
        bfull[b] = c_full
        bset[b] = c_set
        bpart[b] = c_part
    stats = (np.asarray(bsum), np.asarray(bm2), np.asarray(bmin), np.asarray(bmax))
    return stats, np.asarray(bfull), int(np.asarray(bset).sum()), int(np.asarray(bpart).sum())


def gather_full_blocks(const float[::1] key, float value, const float[::1] src,
                       const long long[::1] per_block, int n_threads):
    """``src[key == value]`` in order, visiting only the blocks whose count ``per_block`` is not 0."""
    cdef Py_ssize_t n = key.shape[0]
    cdef Py_ssize_t nb = n_blocks(n, STAT_BLOCK)
    if src.shape[0] != n or per_block.shape[0] != nb:
        raise ValueError("the arrays differ in size")
    cdef long long[::1] offsets = np.concatenate(([0], np.cumsum(per_block))).astype(np.int64)
    cdef float[::1] out = np.empty(offsets[nb], dtype=np.float32)
    cdef Py_ssize_t blk, start, stop
    for blk in prange(nb, nogil=True, num_threads=n_threads, schedule="dynamic"):
        if per_block[blk] == 0:
            continue
        start, stop = block_span(blk, n, STAT_BLOCK)
        _gather_equal(&key[start], value, &src[start], stop - start, &out[0] + offsets[blk])
    return np.asarray(out)
