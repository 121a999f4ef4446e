# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Tile search (docs/algorithm.md §4): the largest per-tile rank value over a list of tiles.

Each thread walks a contiguous, ascending block of tiles and keeps its own best.  A
tile can only beat the current best ``b`` if at least ``V - rank`` of its voxels are
``> b``, so most tiles cost one counting pass; only candidates are copied to a
per-thread scratch buffer and reduced with a quickselect (no full sort).  The
per-thread bests are merged by (largest value, smallest tile position), so the
result does not depend on the thread count.  Inputs must be finite.
"""
from cython cimport floating
from cython.parallel cimport prange, parallel, threadid
from libc.stdlib cimport malloc, free

import numpy as np


cdef floating _select(floating *a, Py_ssize_t n, Py_ssize_t k) noexcept nogil:
    """Value of 0-based rank ``k`` of ``a[0:n]`` in ascending order (reorders ``a``)."""
    cdef Py_ssize_t lo = 0, hi = n - 1, i, j, mid
    cdef floating pivot, t, x, y, z
    while hi > lo:
        mid = lo + (hi - lo) // 2
        x = a[lo]
        y = a[mid]
        z = a[hi]
        # median of three as the pivot value
        if x < y:
            pivot = y if y < z else (z if x < z else x)
        else:
            pivot = x if x < z else (z if y < z else y)
        i = lo
        j = hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                t = a[i]
                a[i] = a[j]
                a[j] = t
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return a[k]


cdef Py_ssize_t _count_above(const floating[:, :, ::1] data, int z0, int y0, int x0,
                             int tz, int ty, int tx, floating b) noexcept nogil:
    """Number of tile voxels strictly greater than ``b``."""
    cdef Py_ssize_t z, y, c = 0
    cdef int x, row
    cdef const floating *p
    for z in range(z0, z0 + tz):
        for y in range(y0, y0 + ty):
            p = &data[z, y, x0]
            row = 0
            for x in range(tx):
                row += p[x] > b
            c += row
    return c


cdef void _gather(const floating[:, :, ::1] data, int z0, int y0, int x0,
                  int tz, int ty, int tx, floating *dst) noexcept nogil:
    cdef Py_ssize_t z, y, x
    cdef const floating *p
    for z in range(z0, z0 + tz):
        for y in range(y0, y0 + ty):
            p = &data[z, y, x0]
            for x in range(tx):
                dst[x] = p[x]
            dst += tx


def tile_rank_max(const floating[:, :, ::1] data, const int[:, ::1] starts,
                  int tz, int ty, int tx, Py_ssize_t rank, int n_threads):
    """Largest rank-``rank`` value over the tiles starting at ``starts`` (rows z, y, x).

    Returns ``(value, position)`` with ``position`` the first row of ``starts`` that
    attains the value.
    """
    cdef Py_ssize_t n_tiles = starts.shape[0], n_vox = <Py_ssize_t>tz * ty * tx
    cdef Py_ssize_t need = n_vox - rank, k, t
    cdef int failed = 0
    cdef int *failed_ptr = &failed
    cdef floating *scratch
    cdef floating v
    if n_tiles < 1:
        raise ValueError("no tiles")
    if rank < 0 or rank >= n_vox:
        raise ValueError("rank out of range")
    if n_threads < 1:
        n_threads = 1
    best_val = np.zeros(n_threads, dtype=np.float64)
    best_pos = np.full(n_threads, -1, dtype=np.int64)
    cdef double[::1] bval = best_val
    cdef long long[::1] bpos = best_pos
    with nogil, parallel(num_threads=n_threads):
        scratch = <floating *> malloc(n_vox * sizeof(floating))
        for k in prange(n_tiles, schedule="static"):
            t = threadid()
            if scratch == NULL:
                failed_ptr[0] = 1
            elif bpos[t] < 0 or _count_above(data, starts[k, 0], starts[k, 1], starts[k, 2],
                                             tz, ty, tx, <floating>bval[t]) >= need:
                _gather(data, starts[k, 0], starts[k, 1], starts[k, 2], tz, ty, tx, scratch)
                v = _select(scratch, n_vox, rank)
                if bpos[t] < 0 or v > bval[t]:
                    bval[t] = v
                    bpos[t] = k
        free(scratch)
    if failed:
        raise MemoryError("not enough memory for the tile-search scratch buffer")
    ok = best_pos >= 0
    vals, pos = best_val[ok], best_pos[ok]
    top = vals.max()
    return top, int(pos[vals == top].min())
