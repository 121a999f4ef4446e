# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Greyscale dilation (local maximum) of a 3-D array by a boolean footprint.

The footprint is decomposed into runs of consecutive ``True`` voxels along the last
(contiguous) axis.  For every input row (z, y) the row is padded once by reflection
and the 1-D sliding maxima of every distinct run length are computed with a doubling
scheme (max of two shifted maxima of power-of-two length).  Each distinct z-plane of
the footprint (a ball has only ``(k+1)/2``) then gives a 2-D dilation of the slice:
the element-wise maximum of one shifted sliding-maximum row per run.  An output row
is the maximum over the footprint's z-planes of those 2-D dilations.  Each thread
owns a contiguous block of output z-slices and keeps a ring buffer holding the plane
dilations of the ``kz`` input slices that the current output slice needs.

Ties are resolved toward the footprint voxel that comes first in C order, as
``scipy.ndimage.maximum_filter`` does for a non-separable footprint; this only
matters for the sign of zero.  NaN: a NaN never replaces an earlier finite value and
is never replaced; results for NaN input are unspecified (inputs are validated finite).

The boundary (index tables ``zidx``, ``yidx``, ``xidx``) is computed by the caller.
"""
from cython cimport floating
from cython.parallel cimport prange, parallel
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy


cdef inline void _max2(floating *dst, const floating *a, const floating *b,
                       Py_ssize_t n) noexcept nogil:
    """dst[i] = max(a[i], b[i]); ``a`` wins ties (a holds earlier voxels)."""
    cdef Py_ssize_t i
    cdef floating u, v
    for i in range(n):
        u = a[i]
        v = b[i]
        dst[i] = v if v > u else u


cdef inline void _max_into(floating *acc, const floating *b, Py_ssize_t n) noexcept nogil:
    """acc[i] = max(acc[i], b[i]); ``acc`` wins ties."""
    cdef Py_ssize_t i
    cdef floating u, v
    for i in range(n):
        u = acc[i]
        v = b[i]
        acc[i] = v if v > u else u


cdef inline void _copy(floating *dst, const floating *src, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        dst[i] = src[i]


cdef void _row_maxima(const floating[:, :, :] src, Py_ssize_t zr, Py_ssize_t yy,
                      const int[::1] xidx, int cx, const int[::1] lengths, int n_levels,
                      floating *levels, floating *dst, Py_ssize_t ny,
                      Py_ssize_t npad) noexcept nogil:
    """Sliding maxima of every distinct run length for the padded input row (zr, yy).

    ``levels`` holds ``n_levels`` rows of ``npad``: level j = maxima of length 2**j.
    Result for length index li goes to ``dst + li*ny*npad`` (valid entries npad-L+1).
    """
    cdef Py_ssize_t i, j, li, half, L, p2, n_len = lengths.shape[0]
    cdef floating *lv = levels
    cdef floating *prev
    cdef floating *cur
    cdef Py_ssize_t nx = src.shape[2]
    cdef const char *base = <const char *> &src[zr, yy, 0]
    cdef Py_ssize_t sx = src.strides[2]
    for i in range(cx):
        lv[i] = src[zr, yy, xidx[i]]
    if sx == sizeof(floating):
        memcpy(lv + cx, base, nx * sizeof(floating))
    else:
        for i in range(nx):
            lv[cx + i] = (<const floating *> (base + i * sx))[0]
    for i in range(cx + nx, npad):
        lv[i] = src[zr, yy, xidx[i]]
    half = 1
    for j in range(1, n_levels):
        prev = levels + (j - 1) * npad
        cur = levels + j * npad
        _max2(cur, prev, prev + half, npad - 2 * half + 1)
        half *= 2
    for li in range(n_len):
        L = lengths[li]
        j = 0
        p2 = 1
        while p2 * 2 <= L:
            p2 *= 2
            j += 1
        cur = levels + j * npad
        if p2 == L:
            _copy(dst + li * ny * npad, cur, npad - L + 1)
        else:
            _max2(dst + li * ny * npad, cur, cur + (L - p2), npad - L + 1)


cdef void _fill_rows(const floating[:, :, :] src, Py_ssize_t zr, const int[::1] xidx,
                     const int[::1] yidx, int cx, const int[::1] lengths, int n_levels,
                     floating *levels, floating *rows, Py_ssize_t p0, Py_ssize_t nrows,
                     Py_ssize_t npad) noexcept nogil:
    """Sliding maxima of the input rows at padded y positions p0..p0+nrows-1 of slice ``zr``
    (layout: length, padded y - p0, padded x)."""
    cdef Py_ssize_t p
    for p in range(nrows):
        _row_maxima(src, zr, yidx[p0 + p], xidx, cx, lengths, n_levels, levels,
                    rows + p * npad, nrows, npad)


cdef void _fill_planes(const floating *rows, floating *slot, const int[:, ::1] plane_runs,
                       const int[::1] plane_start, int cy, Py_ssize_t y0, Py_ssize_t nb,
                       Py_ssize_t nrows, Py_ssize_t nx, Py_ssize_t npad) noexcept nogil:
    """2-D dilation of output rows y0..y0+nb-1 of one slice by every distinct footprint plane
    (layout: plane, y - y0, x); ``rows`` starts at padded y position y0."""
    cdef Py_ssize_t p, y, r, n_planes = plane_start.shape[0] - 1
    cdef floating *trow
    cdef const floating *srow
    for p in range(n_planes):
        for y in range(nb):
            trow = slot + (p * nb + y) * nx
            for r in range(plane_start[p], plane_start[p + 1]):
                srow = (rows + (plane_runs[r, 2] * nrows + y + plane_runs[r, 0] + cy) * npad
                        + plane_runs[r, 1])
                if r == plane_start[p]:
                    _copy(trow, srow, nx)
                else:
                    _max_into(trow, srow, nx)


cdef void _relative(floating *orow, Py_ssize_t nx, floating divisor) noexcept nogil:
    """orow = clip(orow / divisor, 0, 1): IEEE division in the array's precision, as NumPy's."""
    cdef Py_ssize_t x
    cdef floating v
    for x in range(nx):
        v = orow[x] / divisor
        if v < 0:
            v = 0
        elif v > 1:
            v = 1
        orow[x] = v


cdef void _do_block(const floating[:, :, :] src, floating[:, :, ::1] out,
                    Py_ssize_t z0, Py_ssize_t z1, Py_ssize_t y0, Py_ssize_t y1,
                    const int[::1] zidx, const int[::1] yidx, const int[::1] xidx,
                    const int[:, ::1] plane_runs, const int[::1] plane_start,
                    const int[::1] plane_of, const int[::1] lengths,
                    int cz, int cy, int cx, int n_levels,
                    floating *rows, floating *ring, int *slot_z, floating *levels,
                    floating divisor, bint relative) noexcept nogil:
    """Output rows y0..y1-1 of slices z0..z1-1.  Ring slot s holds the plane dilations of
    those rows of one input slice, so the ring stays cache-sized for any box.

    With ``relative``, each output row becomes ``clip(max / divisor, 0, 1)`` while in cache."""
    cdef Py_ssize_t nx = src.shape[2], kz = plane_of.shape[0]
    cdef Py_ssize_t ky = yidx.shape[0] - src.shape[1] + 1      # footprint rows (yidx is padded by ky - 1)
    cdef Py_ssize_t npad = xidx.shape[0], n_planes = plane_start.shape[0] - 1
    cdef Py_ssize_t nb = y1 - y0, nrows = nb + ky - 1
    cdef Py_ssize_t slot_size = n_planes * nb * nx
    cdef Py_ssize_t z, y, zz, s, fz
    cdef bint first
    cdef floating *orow
    cdef const floating *trow
    for s in range(kz):
        slot_z[s] = -(1 << 30)
    for z in range(z0, z1):
        for zz in range(z - cz, z - cz + kz):
            s = (zz + cz) % kz
            if slot_z[s] != zz:
                _fill_rows(src, zidx[zz + cz], xidx, yidx, cx, lengths, n_levels, levels,
                           rows, y0, nrows, npad)
                _fill_planes(rows, ring + s * slot_size, plane_runs, plane_start,
                             cy, y0, nb, nrows, nx, npad)
                slot_z[s] = zz
        for y in range(nb):
            orow = &out[z, y0 + y, 0]
            first = True
            for fz in range(kz):
                if plane_of[fz] < 0:
                    continue
                s = (z + fz) % kz  # slot of input slice zz = z + fz - cz
                trow = ring + s * slot_size + (plane_of[fz] * nb + y) * nx
                if first:
                    _copy(orow, trow, nx)
                    first = False
                else:
                    _max_into(orow, trow, nx)
            if relative:
                _relative(orow, nx, divisor)


def max_filter_runs(const floating[:, :, :] src, floating[:, :, ::1] out,
                    const int[::1] zidx, const int[::1] yidx, const int[::1] xidx,
                    const int[:, ::1] plane_runs, const int[::1] plane_start,
                    const int[::1] plane_of, const int[::1] lengths,
                    int cz, int cy, int cx, int n_threads, double divisor=0.0, Py_ssize_t band=0):
    """Local maximum of ``src`` over a run-decomposed footprint, written to ``out``.

    With ``divisor > 0`` the output is ``clip(maximum / divisor, 0, 1)`` instead, the
    division done in the arrays' precision (``divisor`` rounded to it first).

    ``zidx``/``yidx`` map padded indices (``i - cz``/``i - cy`` unpadded) to input
    indices; ``xidx`` maps padded x (``i - cx``) to input x.  The footprint's distinct
    z-planes are numbered; ``plane_of[fz]`` is the plane of footprint slice fz (-1 if
    empty).  Rows ``plane_start[p]:plane_start[p+1]`` of ``plane_runs`` are the runs of
    plane p in C order: (dy, fx, li) = y offset, first x index, index into ``lengths``.

    The output is made in blocks of ``band`` rows (all rows if 0) by slabs of slices; each
    thread takes whole blocks. Every output row is the same maximum whatever the blocks.
    """
    cdef Py_ssize_t nz = src.shape[0], ny = src.shape[1], nx = src.shape[2]
    cdef Py_ssize_t npad = xidx.shape[0], n_len = lengths.shape[0]
    cdef Py_ssize_t kz = plane_of.shape[0], n_planes = plane_start.shape[0] - 1
    cdef Py_ssize_t ky = yidx.shape[0] - ny + 1
    cdef int n_levels = 1, max_len = 0, c, failed = 0
    cdef int *failed_ptr = &failed
    cdef Py_ssize_t z0, z1, y0, y1, item, n_items, n_bands, n_zchunks, nb
    cdef floating *rows
    cdef floating *ring
    cdef floating *levels
    cdef int *slot_z
    cdef floating div = <floating> divisor
    cdef bint relative = divisor > 0
    if out.shape[0] != nz or out.shape[1] != ny or out.shape[2] != nx:
        raise ValueError("output shape differs from input shape")
    if plane_runs.shape[0] == 0 or n_len == 0 or n_planes < 1:
        raise ValueError("empty footprint")
    if ky < 1 or zidx.shape[0] < nz + kz - 1:
        raise ValueError("index tables do not match the input and footprint")
    for c in range(n_len):
        if lengths[c] > max_len:
            max_len = lengths[c]
    while (1 << n_levels) <= max_len:
        n_levels += 1
    nb = ny if band <= 0 or band > ny else band
    n_bands = (ny + nb - 1) // nb
    n_zchunks = (n_threads + n_bands - 1) // n_bands
    if n_zchunks > nz:
        n_zchunks = nz
    if n_zchunks < 1:
        n_zchunks = 1
    n_items = n_bands * n_zchunks
    with nogil, parallel(num_threads=n_threads):
        rows = <floating *> malloc(n_len * (nb + ky - 1) * npad * sizeof(floating))
        ring = <floating *> malloc(kz * n_planes * nb * nx * sizeof(floating))
        levels = <floating *> malloc(n_levels * npad * sizeof(floating))
        slot_z = <int *> malloc(kz * sizeof(int))
        for item in prange(n_items, schedule="static", chunksize=1):
            if rows == NULL or ring == NULL or levels == NULL or slot_z == NULL:
                failed_ptr[0] = 1
            else:
                y0 = (item // n_zchunks) * nb
                y1 = y0 + nb
                if y1 > ny:
                    y1 = ny
                z0 = ((item % n_zchunks) * nz) // n_zchunks
                z1 = ((item % n_zchunks + 1) * nz) // n_zchunks
                _do_block(src, out, z0, z1, y0, y1, zidx, yidx, xidx, plane_runs, plane_start,
                          plane_of, lengths, cz, cy, cx, n_levels, rows, ring, slot_z, levels,
                          div, relative)
        free(rows)
        free(ring)
        free(levels)
        free(slot_z)
    if failed:
        raise MemoryError("not enough memory for the maximum-filter scratch buffers")
