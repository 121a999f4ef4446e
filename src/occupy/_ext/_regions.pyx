# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Regions of float32 maps: packed masks of the voxels above a level, counts within them,
and the values selected by a key map, without full-size boolean arrays.

Counts are integers, summed exactly, and gathered values keep their order: results never
depend on the thread count. Work is split in blocks of ``STAT_BLOCK`` voxels (a multiple
of 8, so every block owns whole bytes of a packed mask; see ``_blocks.pxd``).
"""
import numpy as np
from cython.parallel cimport parallel, prange
from libc.stdlib cimport free, malloc

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


cdef enum:
    # np.sum(float32 array, dtype=np.float64) casts through NumPy's default ufunc buffer, so
    # it adds, in order, the pairwise sums of consecutive chunks of this many values...
    NP_CHUNK = 8192
    # ... each summed by NumPy's pairwise summation, in blocks of this many with 8 lanes.
    PW_BLOCK = 128


cdef double pairwise_sum(const float* a, Py_ssize_t n) noexcept nogil:
    """NumPy's pairwise summation of ``a[0:n]`` in double (``np.sum`` of a float64 array)."""
    cdef Py_ssize_t i, j, n2
    cdef double res
    cdef double r[8]
    if n < 8:
        res = 0.0
        for i in range(n):
            res = res + <double> a[i]
        return res
    if n <= PW_BLOCK:
        for j in range(8):
            r[j] = a[j]
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] = r[j] + <double> a[i + j]
            i = i + 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res = res + <double> a[i]
            i = i + 1
        return res
    n2 = n // 2
    n2 = n2 - n2 % 8
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2)


def pairwise_sum_f32(const float[::1] a):
    """``np.sum(a, dtype=np.float64)`` of at most ``NP_CHUNK`` float32 values (for tests)."""
    if a.shape[0] > NP_CHUNK:
        raise ValueError("at most one chunk")
    return pairwise_sum(&a[0], a.shape[0]) if a.shape[0] else 0.0


cdef void _sum_range(const float[::1] key, float value, const float[::1] src,
                     const long long[::1] per_block, const long long[::1] offsets,
                     Py_ssize_t b0, Py_ssize_t b1, double[::1] sums, float* buf,
                     float* spill_first, float* spill_last) noexcept nogil:
    """Chunk sums of the selected values of blocks b0..b1-1 (global positions offsets[b0]..offsets[b1]).

    A chunk wholly inside the range is collected in ``buf`` and summed into ``sums``; the values of
    the range's first and last chunks, when they also hold other ranges' values, go to the spills
    at their positions in the chunk."""
    cdef Py_ssize_t n = key.shape[0], nb = per_block.shape[0], blk, i, start, stop
    cdef long long total = offsets[nb], g0 = offsets[b0], g1 = offsets[b1]
    cdef long long c = g0 // NP_CHUNK, c_first = c, pos = g0 - c * NP_CHUNK, length
    cdef bint own
    cdef float* dst
    if g0 == g1:
        return
    length = min(<long long> NP_CHUNK, total - c * NP_CHUNK)
    own = c * NP_CHUNK >= g0 and c * NP_CHUNK + length <= g1
    dst = buf if own else spill_first
    for blk in range(b0, b1):
        if per_block[blk] == 0:
            continue
        start, stop = block_span(blk, n, STAT_BLOCK)
        for i in range(start, stop):
            if key[i] == value:
                dst[pos] = src[i]
                pos = pos + 1
                if pos == length:
                    if own:
                        sums[c] = pairwise_sum(buf, length)
                    c = c + 1
                    pos = 0
                    length = min(<long long> NP_CHUNK, total - c * NP_CHUNK)
                    own = c * NP_CHUNK + length <= g1
                    dst = buf if own else (spill_first if c == c_first else spill_last)


def sum_full_blocks(const float[::1] key, float value, const float[::1] src,
                    const long long[::1] per_block, int n_threads):
    """``(count, total)``: the voxels with ``key == value`` and the sum of ``src`` over them,
    bit for bit ``np.sum(src[key == value], dtype=np.float64)``, without gathering them.

    ``per_block`` holds the count of each block (``summarize_scale``). Each thread takes a
    range of whole blocks; chunk sums are added in chunk order: identical for any thread count.
    """
    cdef Py_ssize_t n = key.shape[0]
    cdef Py_ssize_t nb = n_blocks(n, STAT_BLOCK)
    if src.shape[0] != n or per_block.shape[0] != nb:
        raise ValueError("the arrays differ in size")
    cdef long long[::1] offsets = np.concatenate(([0], np.cumsum(per_block))).astype(np.int64)
    cdef long long count = offsets[nb]
    if count == 0:
        return 0, 0.0
    cdef Py_ssize_t n_ranges = max(1, min(n_threads, nb)), t, c
    cdef double[::1] sums = np.zeros((count + NP_CHUNK - 1) // NP_CHUNK, dtype=np.float64)
    cdef float[:, :, ::1] spill = np.zeros((n_ranges, 2, NP_CHUNK), dtype=np.float32)
    cdef float* buf
    cdef int failed = 0
    cdef int *failed_ptr = &failed
    with nogil, parallel(num_threads=n_ranges):
        buf = <float*> malloc(NP_CHUNK * sizeof(float))
        for t in prange(n_ranges, schedule="static", chunksize=1):
            if buf == NULL:
                failed_ptr[0] = 1
            else:
                _sum_range(key, value, src, per_block, offsets, t * nb // n_ranges, (t + 1) * nb // n_ranges,
                           sums, buf, &spill[t, 0, 0], &spill[t, 1, 0])
        free(buf)
    if failed:
        raise MemoryError("not enough memory for a chunk buffer")
    _sum_shared_chunks(offsets, nb, n_ranges, spill, sums)
    cdef double total = 0.0
    for c in range(sums.shape[0]):
        total = total + sums[c]
    return int(count), total


def _sum_shared_chunks(const long long[::1] offsets, Py_ssize_t nb, Py_ssize_t n_ranges,
                       const float[:, :, ::1] spill, double[::1] sums):
    """Sum the chunks that several block ranges share, from the ranges' spills."""
    count = offsets[nb]
    spilled = np.asarray(spill)
    parts: dict = {}
    for t in range(n_ranges):
        g0, g1 = offsets[t * nb // n_ranges], offsets[(t + 1) * nb // n_ranges]
        if g0 == g1:
            continue
        c_first, c_last = g0 // NP_CHUNK, (g1 - 1) // NP_CHUNK
        for slot, c in enumerate((c_first, c_last) if c_last != c_first else (c_first,)):
            cs = c * NP_CHUNK
            length = min(NP_CHUNK, count - cs)
            if not (cs >= g0 and cs + length <= g1):
                parts.setdefault(c, []).append((t, slot, max(g0, cs) - cs, min(g1, cs + length) - cs))
    for c, pieces in parts.items():
        chunk = np.empty(min(NP_CHUNK, count - c * NP_CHUNK), dtype=np.float32)
        for t, slot, lo, hi in pieces:
            chunk[lo:hi] = spilled[t, slot, lo:hi]
        sums[c] = pairwise_sum_f32(chunk)
