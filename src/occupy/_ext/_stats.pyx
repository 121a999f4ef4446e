# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Parallel reductions over float32 maps: min/max, mean and standard deviation, histograms.

Results never depend on the thread count: floating-point sums run over blocks of a
fixed size (sequentially inside a block, in double) and the block results are combined
in block order; histogram counts are integers, summed exactly.
"""
import numpy as np
from cython.parallel cimport prange
from libc.math cimport INFINITY, isfinite, sqrt

from ._blocks cimport STAT_BLOCK, above_byte, block_span, n_blocks, sum_sq_dev


STAT_BLOCK_VOXELS = STAT_BLOCK   # for Python callers that feed block_stats piece by piece

def minmax(const float[::1] values, int n_threads):
    """``(min, max)`` of a non-empty float32 array, meant for values without NaN.

    NaN is not skipped reliably: a block of ``STAT_BLOCK`` values whose first value is NaN
    has NaN as its min and max, a later NaN in a block is ignored, and the blocks are
    merged past NaN. So the result is ``(nan, nan)`` when every block starts with NaN (for
    up to 65536 values: when the first is NaN, as in ``minmax([nan, 1, 2])``), and NaN
    values are ignored otherwise (``minmax([1, nan, 2])`` is ``(1, 2)``).
    :func:`finite_minmax` skips NaN and Inf and counts them.
    """
    cdef Py_ssize_t n = values.shape[0]
    if n == 0:
        raise ValueError("minmax of an empty array")
    cdef Py_ssize_t nb = n_blocks(n, STAT_BLOCK)
    cdef float[::1] bmin = np.empty(nb, dtype=np.float32)
    cdef float[::1] bmax = np.empty(nb, dtype=np.float32)
    cdef Py_ssize_t b, i, start, stop
    cdef float lo, hi, v
    for b in prange(nb, nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(b, n, STAT_BLOCK)
        lo = values[start]
        hi = values[start]
        for i in range(start + 1, stop):
            v = values[i]
            if v < lo:
                lo = v
            if v > hi:
                hi = v
        bmin[b] = lo
        bmax[b] = hi
    lo = bmin[0]
    hi = bmax[0]
    for b in range(1, nb):
        if bmin[b] < lo or lo != lo:
            lo = bmin[b]
        if bmax[b] > hi or hi != hi:
            hi = bmax[b]
    return float(lo), float(hi)


cdef inline long long _finite_span(const float* v, Py_ssize_t m, float* lo, float* hi) noexcept nogil:
    """Widen ``[lo, hi]`` to the finite values of ``v[0:m]``; return how many are NaN/Inf."""
    cdef Py_ssize_t i
    cdef float x, a = lo[0], b = hi[0]
    cdef long long bad = 0
    for i in range(m):
        x = v[i]
        if isfinite(x):
            if x < a:
                a = x
            if x > b:
                b = x
        else:
            bad = bad + 1
    lo[0] = a
    hi[0] = b
    return bad


def finite_minmax(const float[::1] values, int n_threads):
    """``(min, max, n_nonfinite)`` of a non-empty float32 array, over its finite values.

    One pass: the count of NaN/Inf values and the range of the others (``(nan, nan, n)``
    if none is finite). Identical for any thread count.
    """
    cdef Py_ssize_t n = values.shape[0]
    if n == 0:
        raise ValueError("finite_minmax of an empty array")
    cdef Py_ssize_t nb = n_blocks(n, STAT_BLOCK)
    cdef float[::1] bmin = np.full(nb, np.inf, dtype=np.float32)
    cdef float[::1] bmax = np.full(nb, -np.inf, dtype=np.float32)
    cdef long long[::1] bbad = np.zeros(nb, dtype=np.int64)
    cdef Py_ssize_t b, start, stop
    for b in prange(nb, nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(b, n, STAT_BLOCK)
        bmin[b] = INFINITY
        bmax[b] = -INFINITY
        bbad[b] = _finite_span(&values[start], stop - start, &bmin[b], &bmax[b])
    n_bad = int(np.asarray(bbad).sum())
    if n_bad == n:
        return float("nan"), float("nan"), n_bad
    return float(np.asarray(bmin).min()), float(np.asarray(bmax).max()), n_bad


def mean_std(const float[::1] values, int n_threads):
    """``(min, max, mean, std)`` of a non-empty float32 array; std with ddof 0.

    Each fixed-size block is reduced in double (sum, then the sum of squared deviations
    from the block mean); the blocks are merged in order with the pairwise-update
    formula of Chan et al., so the result is the same for any thread count.
    """
    if values.shape[0] == 0:
        raise ValueError("statistics of an empty array")
    return merge_block_stats(values.shape[0], *block_stats(values, n_threads))


def block_stats(const float[::1] values, int n_threads):
    """``(sum, m2, min, max)`` arrays of each ``STAT_BLOCK``-voxel block, for ``merge_block_stats``.

    The blocks of consecutive pieces of an array, each but the last a whole number of
    blocks long, are the blocks of the whole array: their results concatenated and merged
    give ``mean_std`` of the whole."""
    cdef Py_ssize_t n = values.shape[0]
    cdef Py_ssize_t nb = n_blocks(n, STAT_BLOCK)
    cdef double[::1] bsum = np.empty(nb, dtype=np.float64)
    cdef double[::1] bm2 = np.empty(nb, dtype=np.float64)
    cdef float[::1] bmin = np.empty(nb, dtype=np.float32)
    cdef float[::1] bmax = np.empty(nb, dtype=np.float32)
    cdef Py_ssize_t b, i, start, stop
    cdef double s
    cdef float lo, hi, v
    for b in prange(nb, nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(b, n, STAT_BLOCK)
        s = 0.0
        lo = values[start]
        hi = values[start]
        for i in range(start, stop):
            v = values[i]
            s = s + v
            if v < lo:
                lo = v
            if v > hi:
                hi = v
        bsum[b] = s
        bm2[b] = sum_sq_dev(&values[start], stop - start, s / (stop - start))   # block still in cache
        bmin[b] = lo
        bmax[b] = hi
    return np.asarray(bsum), np.asarray(bm2), np.asarray(bmin), np.asarray(bmax)


def merge_block_stats(Py_ssize_t n, const double[::1] bsum, const double[::1] bm2,
                      const float[::1] bmin, const float[::1] bmax):
    """``(min, max, mean, std)`` from per-block sums, squared deviations, minima and maxima
    of ``STAT_BLOCK``-voxel blocks, merged in block order (Chan et al.), as ``mean_std`` does."""
    cdef Py_ssize_t nb = bsum.shape[0], b, start, stop
    cdef double count = 0.0, mean = 0.0, tot_m2 = 0.0, nbk, mb, delta, merged
    cdef float lo, hi
    if nb < 1 or nb != n_blocks(n, STAT_BLOCK) or bm2.shape[0] != nb or bmin.shape[0] != nb or bmax.shape[0] != nb:
        raise ValueError("block statistics do not match the array size (or the array is empty)")
    lo, hi = bmin[0], bmax[0]
    for b in range(nb):
        start, stop = block_span(b, n, STAT_BLOCK)
        nbk = <double>(stop - start)
        mb = bsum[b] / nbk
        merged = count + nbk
        delta = mb - mean
        tot_m2 = tot_m2 + bm2[b] + delta * delta * count * nbk / merged
        mean = mean + delta * nbk / merged
        count = merged
        if bmin[b] < lo:
            lo = bmin[b]
        if bmax[b] > hi:
            hi = bmax[b]
    return float(lo), float(hi), mean, sqrt(tot_m2 / count)


cdef inline Py_ssize_t _bin(float v, double lo, double inv_width, const double* edges,
                            Py_ssize_t nbins) noexcept nogil:
    """Bin of ``v`` with ``edges[k] <= v < edges[k+1]`` (last bin closed); ``nbins`` (a
    bin that is never reported) if ``v`` is outside the edges or NaN.

    The first guess may be off by rounding; comparing with the edges makes it exact.
    """
    cdef double x = v
    cdef Py_ssize_t k
    if not (x >= edges[0] and x <= edges[nbins]):
        return nbins
    k = <Py_ssize_t>((x - lo) * inv_width)
    if k < 0:
        k = 0
    elif k > nbins - 1:
        k = nbins - 1
    if x < edges[k]:
        k = k - 1
        while k > 0 and x < edges[k]:
            k = k - 1
    elif k < nbins - 1 and x >= edges[k + 1]:
        k = k + 1
        while k < nbins - 1 and x >= edges[k + 1]:
            k = k + 1
    return k


# Histograms count through four lanes of uint32 counts (value j of a run into lane j % 4),
# so that a run of values in one bin (solvent) does not wait on its own last increment.
# A thread adds its lanes into its int64 counts at least every FLUSH_VOXELS voxels,
# before a lane could overflow.
cdef enum:
    LANES = 4
    FLUSH_VOXELS = 1 << 30


cdef inline void _count_run(const float* v, Py_ssize_t m, unsigned int* lanes, Py_ssize_t stride,
                            double lo, double inv_width, const double* edges, Py_ssize_t nbins) noexcept nogil:
    cdef Py_ssize_t j = 0
    while j + 4 <= m:
        lanes[_bin(v[j], lo, inv_width, edges, nbins)] += 1
        lanes[stride + _bin(v[j + 1], lo, inv_width, edges, nbins)] += 1
        lanes[2 * stride + _bin(v[j + 2], lo, inv_width, edges, nbins)] += 1
        lanes[3 * stride + _bin(v[j + 3], lo, inv_width, edges, nbins)] += 1
        j = j + 4
    while j < m:
        lanes[_bin(v[j], lo, inv_width, edges, nbins)] += 1
        j = j + 1


cdef inline void _flush(unsigned int* lanes, Py_ssize_t stride, long long* counts, Py_ssize_t nbins) noexcept nogil:
    cdef Py_ssize_t k, lane
    for k in range(nbins):
        for lane in range(LANES):
            counts[k] += lanes[lane * stride + k]
    for k in range(LANES * stride):
        lanes[k] = 0


cdef (double, double) _bin_scale(const double[::1] edges) except *:
    """``(lo, 1/width)`` of equal-width ``edges``; ValueError unless there is a bin of positive width."""
    cdef Py_ssize_t nbins = edges.shape[0] - 1
    if nbins < 1 or not edges[nbins] > edges[0]:
        raise ValueError("need at least one bin of positive width")
    return edges[0], nbins / (edges[nbins] - edges[0])


def histogram(const float[::1] values, const double[::1] edges, int n_threads):
    """Counts (int64) of ``values`` in the equal-width bins ``edges`` (like ``np.histogram``).

    A value lands in bin ``k`` when ``edges[k] <= v < edges[k+1]`` (the last bin includes
    its right edge); values outside ``[edges[0], edges[-1]]`` are not counted.
    """
    cdef Py_ssize_t n = values.shape[0], nbins = edges.shape[0] - 1, stride = nbins + 1
    cdef double lo, inv_width
    lo, inv_width = _bin_scale(edges)
    cdef int nt = max(1, n_threads)
    cdef long long[:, ::1] counts = np.zeros((nt, nbins), dtype=np.int64)
    cdef unsigned int[:, ::1] lanes = np.zeros((nt, LANES * stride), dtype=np.uint32)
    cdef Py_ssize_t t, a, b, stop, per = (n + nt - 1) // nt
    for t in prange(nt, nogil=True, num_threads=nt, schedule="static", chunksize=1):
        a = t * per
        stop = min(a + per, n)
        while a < stop:
            b = min(a + FLUSH_VOXELS, stop)
            _count_run(&values[a], b - a, &lanes[t, 0], stride, lo, inv_width, &edges[0], nbins)
            _flush(&lanes[t, 0], stride, &counts[t, 0], nbins)
            a = b
    return np.asarray(counts).sum(axis=0)


def rows_minmax(const float[:, :, ::1] vol, const long long[:, ::1] x0,
                const long long[:, ::1] x1, int n_threads):
    """``(min, max, count)`` over the voxels ``vol[z, y, x0[z, y]:x1[z, y]]`` (count > 0 required)."""
    cdef Py_ssize_t nz = vol.shape[0], ny = vol.shape[1]
    cdef int nt = max(1, n_threads)
    cdef float[::1] tmin = np.full(nt, np.inf, dtype=np.float32)
    cdef float[::1] tmax = np.full(nt, -np.inf, dtype=np.float32)
    cdef long long[::1] tcount = np.zeros(nt, dtype=np.int64)
    cdef Py_ssize_t t, z, zi, y, x
    cdef float lo, hi, v
    cdef long long c
    for t in prange(nt, nogil=True, num_threads=nt, schedule="static", chunksize=1):
        lo = tmin[t]
        hi = tmax[t]
        c = 0
        for zi in range((nz - t + nt - 1) // nt):
            z = t + zi * nt
            for y in range(ny):
                c = c + (x1[z, y] - x0[z, y] if x1[z, y] > x0[z, y] else 0)
                for x in range(x0[z, y], x1[z, y]):
                    v = vol[z, y, x]
                    if v < lo:
                        lo = v
                    if v > hi:
                        hi = v
        tmin[t] = lo
        tmax[t] = hi
        tcount[t] = c
    a = np.asarray(tcount).sum()
    if a == 0:
        raise ValueError("no voxels selected")
    return float(np.asarray(tmin).min()), float(np.asarray(tmax).max()), int(a)


def finite_minmax_rows(const float[:, :, ::1] vol, const long long[:, ::1] x0,
                       const long long[:, ::1] x1, int n_threads):
    """``finite_minmax`` of the whole array and ``rows_minmax`` of the voxels
    ``vol[z, y, x0[z, y]:x1[z, y]]``, in one pass: ``(min, max, n_nonfinite, row_min, row_max,
    row_count)``. The row range is of the selected values as they are (finite ones expected:
    a caller refuses the map otherwise); NaN if none is selected. Identical for any thread count."""
    cdef Py_ssize_t nz = vol.shape[0], ny = vol.shape[1], nx = vol.shape[2]
    cdef int nt = max(1, n_threads)
    cdef float[:, ::1] tlim = np.empty((nt, 4), dtype=np.float32)
    cdef long long[:, ::1] tcount = np.zeros((nt, 2), dtype=np.int64)
    cdef Py_ssize_t t, z, zi, y, x, a, b
    cdef float lo, hi, slo, shi, v
    cdef long long bad, c
    if x0.shape[0] != nz or x0.shape[1] != ny or x1.shape[0] != nz or x1.shape[1] != ny:
        raise ValueError("row ranges do not match the array")
    for t in prange(nt, nogil=True, num_threads=nt, schedule="static", chunksize=1):
        lo = INFINITY
        hi = -INFINITY
        slo = INFINITY
        shi = -INFINITY
        bad = 0
        c = 0
        for zi in range((nz - t + nt - 1) // nt):
            z = t + zi * nt
            for y in range(ny):
                a = min(max(x0[z, y], 0), nx)
                b = min(max(x1[z, y], a), nx)
                bad = bad + _finite_span(&vol[z, y, 0], nx, &lo, &hi)
                for x in range(a, b):
                    v = vol[z, y, x]
                    if v < slo:
                        slo = v
                    if v > shi:
                        shi = v
                c = c + (b - a)
        tlim[t, 0] = lo
        tlim[t, 1] = hi
        tlim[t, 2] = slo
        tlim[t, 3] = shi
        tcount[t, 0] = bad
        tcount[t, 1] = c
    lims, counts = np.asarray(tlim), np.asarray(tcount).sum(axis=0)
    n_bad, n_rows = int(counts[0]), int(counts[1])
    whole = (float("nan"), float("nan")) if n_bad == nz * ny * nx else \
        (float(lims[:, 0].min()), float(lims[:, 1].max()))
    rows = (float("nan"), float("nan")) if n_rows == 0 else (float(lims[:, 2].min()), float(lims[:, 3].max()))
    return whole[0], whole[1], n_bad, rows[0], rows[1], n_rows


def rows_histogram(const float[:, :, ::1] vol, const long long[:, ::1] x0,
                   const long long[:, ::1] x1, const double[::1] edges, int n_threads):
    """Like :func:`histogram`, over the voxels ``vol[z, y, x0[z, y]:x1[z, y]]``."""
    cdef Py_ssize_t nz = vol.shape[0], ny = vol.shape[1], nx = vol.shape[2]
    cdef Py_ssize_t nbins = edges.shape[0] - 1, stride = nbins + 1
    cdef double lo, inv_width
    lo, inv_width = _bin_scale(edges)
    cdef int nt = max(1, n_threads)
    cdef long long[:, ::1] counts = np.zeros((nt, nbins), dtype=np.int64)
    cdef unsigned int[:, ::1] lanes = np.zeros((nt, LANES * stride), dtype=np.uint32)
    cdef Py_ssize_t t, z, zi, y, pending
    for t in prange(nt, nogil=True, num_threads=nt, schedule="static", chunksize=1):
        pending = 0
        for zi in range((nz - t + nt - 1) // nt):
            z = t + zi * nt
            if pending > FLUSH_VOXELS - ny * nx:       # this plane could reach the limit
                _flush(&lanes[t, 0], stride, &counts[t, 0], nbins)
                pending = 0
            for y in range(ny):
                if x1[z, y] > x0[z, y]:
                    _count_run(&vol[z, y, x0[z, y]], x1[z, y] - x0[z, y], &lanes[t, 0], stride, lo,
                               inv_width, &edges[0], nbins)
                    pending = pending + x1[z, y] - x0[z, y]
        _flush(&lanes[t, 0], stride, &counts[t, 0], nbins)
    return np.asarray(counts).sum(axis=0)


def histogram_above(const float[::1] values, const double[::1] edges, float level, int n_threads):
    """``histogram(values, edges)`` and, in the same pass, ``above_bits(values, level)``."""
    cdef Py_ssize_t n = values.shape[0], nbins = edges.shape[0] - 1, stride = nbins + 1
    cdef double lo, inv_width
    lo, inv_width = _bin_scale(edges)
    cdef int nt = max(1, n_threads)
    cdef long long[:, ::1] counts = np.zeros((nt, nbins), dtype=np.int64)
    cdef unsigned int[:, ::1] lanes = np.zeros((nt, LANES * stride), dtype=np.uint32)
    cdef unsigned char[::1] bits = np.zeros((n + 7) // 8, dtype=np.uint8)
    cdef Py_ssize_t t, i, m, stop, pending, per = (((n + nt - 1) // nt) + 7) // 8 * 8   # whole bytes
    for t in prange(nt, nogil=True, num_threads=nt, schedule="static", chunksize=1):
        i = t * per
        stop = min(i + per, n)
        pending = 0
        while i < stop:                              # one byte of the mask (8 voxels) at a time
            m = min(8, stop - i)
            _count_run(&values[i], m, &lanes[t, 0], stride, lo, inv_width, &edges[0], nbins)
            bits[i >> 3] = above_byte(&values[i], m, level)
            pending = pending + m
            if pending >= FLUSH_VOXELS:
                _flush(&lanes[t, 0], stride, &counts[t, 0], nbins)
                pending = 0
            i = i + m
        _flush(&lanes[t, 0], stride, &counts[t, 0], nbins)
    return np.asarray(counts).sum(axis=0), np.asarray(bits)
