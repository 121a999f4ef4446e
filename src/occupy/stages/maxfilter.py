"""Local maximum over a ball (greyscale dilation, algorithm.md §2.2); the only caller of ``_ext/_maxfilter``."""
from __future__ import annotations

import math

import numpy as np

from .._ext import _maxfilter
from ..arrays import as_float_volume, check_map_values
from ..constants import MAX_KERNEL_SIZE
from ..errors import OccupyError
from ..params import ball_footprint
from ..threads import effective_threads

__all__ = ["maximum_filter_ball"]


def _as_footprint(footprint_or_radius: np.ndarray | float) -> np.ndarray:
    """A boolean 3-D footprint from a footprint array or a ball radius (k = 2*floor(r)+1)."""
    if isinstance(footprint_or_radius, np.ndarray):
        fp = footprint_or_radius
        if fp.dtype != np.bool_:
            if not np.issubdtype(fp.dtype, np.integer):
                raise OccupyError(f"footprint must be a boolean array, got dtype {fp.dtype}")
            fp = fp != 0
        if fp.ndim != 3:
            raise OccupyError(f"footprint must be 3-D, got {fp.ndim}-D")
        if not fp.any():
            raise OccupyError("footprint has no voxels")
        return fp
    radius = float(footprint_or_radius)
    if not math.isfinite(radius) or radius < 0:
        raise OccupyError(f"kernel radius must be a non-negative number, got {radius!r}")
    k = max(1, 2 * int(math.floor(radius)) + 1)
    if k > MAX_KERNEL_SIZE:
        raise OccupyError(f"kernel radius {radius} gives a kernel larger than {MAX_KERNEL_SIZE}")
    return ball_footprint(k, radius)


def _reflect_index(idx: np.ndarray, n: int) -> np.ndarray:
    """Map any integer index to 0..n-1 by mirroring with the edge repeated (period 2n)."""
    if n == 1:
        return np.zeros_like(idx)
    m = np.mod(idx, 2 * n)
    return np.where(m >= n, 2 * n - 1 - m, m)


def _decompose(fp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct z-planes of the footprint and their runs along the last axis, in C order.

    Returns int32 arrays: ``plane_runs`` (rows dy, first x index, length index),
    ``plane_start`` (plane p owns rows ``plane_start[p]:plane_start[p+1]``),
    ``plane_of`` (plane number of each footprint z-slice, -1 if empty) and the
    ascending distinct run ``lengths``.
    """
    kz, ky, _ = fp.shape
    planes: list[np.ndarray] = []
    plane_of = np.full(kz, -1, dtype=np.int32)
    for fz in range(kz):
        if fp[fz].any():
            same = [p for p, q in enumerate(planes) if np.array_equal(q, fp[fz])]
            if not same:
                planes.append(fp[fz])
            plane_of[fz] = same[0] if same else len(planes) - 1
    raw: list[list[tuple[int, int, int]]] = []
    for plane in planes:
        runs = []
        for fy in range(ky):
            edges = np.diff(np.concatenate(([0], plane[fy].astype(np.int8), [0])))
            for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
                runs.append((fy - ky // 2, int(start), int(stop - start)))
        raw.append(runs)
    lengths = np.array(sorted({r[2] for runs in raw for r in runs}), dtype=np.int32)
    where = {int(L): i for i, L in enumerate(lengths)}
    plane_runs = np.array(
        [(dy, fx, where[L]) for runs in raw for dy, fx, L in runs], dtype=np.int32
    )
    plane_start = np.cumsum([0] + [len(runs) for runs in raw]).astype(np.int32)
    return plane_runs, plane_start, plane_of, lengths


def maximum_filter_ball(
    data: np.ndarray, footprint_or_radius: np.ndarray | float, threads: int | None = None
) -> np.ndarray:
    """Local maximum of ``data`` over a footprint (greyscale dilation, algorithm.md §2.2).

    Output voxel i is the maximum of ``data`` over the footprint centred at i; outside the
    box the map is mirrored with the edge voxel repeated (``d c b a | a b c d | d c b a``).
    The result is bit-identical to ``scipy.ndimage.maximum_filter(data, footprint=fp,
    mode='reflect')`` (origin 0: the centre of an even footprint side s is index s//2)
    for any shape and thread count. Inputs must be finite (NaN handling differs from SciPy).

    Parameters
    ----------
    data : numpy.ndarray
        The map, 3-D, axes [z, y, x]. float32 and float64 are kept; other dtypes are
        computed in float32.
    footprint_or_radius : numpy.ndarray or float
        A boolean (or integer, nonzero = in) 3-D footprint, or a ball radius r in voxels:
        the voxels of a k×k×k cube, ``k = 2*floor(r) + 1``, within r of its centre.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); results do not depend on it.

    Returns
    -------
    numpy.ndarray
        New array of ``data``'s shape and (float32 or float64) dtype.

    Raises
    ------
    OccupyError
        If ``data`` is not 3-D or is empty, the footprint is not a 3-D boolean/integer array
        with a voxel in it, or the radius is negative, not finite or gives k > 31.

    Examples
    --------
    >>> row = np.array([3, 1, 4, 1, 5, 9], dtype=np.float32).reshape(1, 1, 6)
    >>> maximum_filter_ball(row, np.ones((1, 1, 3), dtype=bool))   # edge repeats at each end
    array([[[3., 4., 4., 5., 9., 9.]]], dtype=float32)
    >>> spike = np.zeros((5, 5, 5), dtype=np.float32)
    >>> spike[2, 2, 2] = 1
    >>> int(maximum_filter_ball(spike, 1.0).sum())   # radius 1: centre + 6 face neighbours
    7
    """
    arr = as_float_volume(data)
    check_map_values(arr, allow_constant=True, threads=threads)
    return maximum_filter_ball_unchecked(arr, _as_footprint(footprint_or_radius), effective_threads(threads))


# Scratch ring per thread: about a quarter of a typical L3 cache, so that the rows a block
# reads again stay in cache. One block per slab of slices is much slower; rings of 2-8 MiB
# are close to one another (bench/README.md, "Close to the floor", gives the measurements).
RING_BYTES = 4 << 20
MIN_BAND = 16


def maximum_filter_ball_unchecked(arr: np.ndarray, fp: np.ndarray, n_threads: int, divisor: float | None = None,
               out: np.ndarray | None = None) -> np.ndarray:
    """``maximum_filter_ball`` without the checks, for stages whose input is already checked.

    With ``divisor``, the result is ``clip(maximum / divisor, 0, 1)``, made row by row in the
    same pass (the same bits as dividing and clipping afterwards in the array's precision).
    ``out`` (C-contiguous, ``arr``'s shape and dtype, not ``arr`` itself) receives the result
    instead of a new array: a buffer that is no longer needed saves an allocation.
    """
    kz, ky, kx = fp.shape
    nz, ny, nx = arr.shape
    plane_runs, plane_start, plane_of, lengths = _decompose(fp)
    zidx = _reflect_index(np.arange(nz + kz - 1) - kz // 2, nz).astype(np.int32)
    yidx = _reflect_index(np.arange(ny + ky - 1) - ky // 2, ny).astype(np.int32)
    xidx = _reflect_index(np.arange(nx + kx - 1) - kx // 2, nx).astype(np.int32)
    if out is None:
        out = np.empty(arr.shape, dtype=arr.dtype)
    elif out.shape != arr.shape or out.dtype != arr.dtype or not out.flags.c_contiguous or np.shares_memory(out, arr):
        raise ValueError("out must be a separate C-contiguous array of the input's shape and dtype")
    _maxfilter.max_filter_runs(
        arr, out, zidx, yidx, xidx, plane_runs, plane_start, plane_of, lengths,
        kz // 2, ky // 2, kx // 2, n_threads, float(np.float32(divisor)) if divisor else 0.0,
        _band_rows(kz * (len(plane_start) - 1), nx, arr.itemsize),
    )
    return out


def _band_rows(planes_per_row: int, nx: int, itemsize: int) -> int:
    """Output rows per block: the ring of plane dilations (``planes_per_row`` rows of ``nx``
    per output row) of one thread stays within ``RING_BYTES``; at least ``MIN_BAND`` rows."""
    return max(MIN_BAND, RING_BYTES // max(1, planes_per_row * nx * itemsize))
