"""Validated entry points to the compiled kernels: local maximum and tile search (SPEC 2.2, 2.4)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._ext import _maxfilter, _tiles
from ._threads import effective_threads
from .errors import OccupyError

__all__ = [
    "MAX_KERNEL_SIZE",
    "TileResult",
    "ball_footprint",
    "maximum_filter_ball",
    "tile_grid",
    "tile_search",
]

MAX_KERNEL_SIZE = 31
_TILES_PER_AXIS = 20


def ball_footprint(kernel_size: int, kernel_radius: float) -> np.ndarray:
    """Boolean k×k×k ball: voxels whose distance from the centre voxel is ``<= kernel_radius``.

    The centre is voxel ``(k-1)/2`` on each axis; the distance is computed and compared
    in float32 (SPEC 2.2).  ``kernel_size`` must be odd, 1..31.
    """
    if int(kernel_size) != kernel_size or kernel_size < 1:
        raise OccupyError(f"kernel size must be a positive odd integer, got {kernel_size!r}")
    k = int(kernel_size)
    if k % 2 == 0:
        raise OccupyError(f"kernel size must be odd, got {k}")
    if k > MAX_KERNEL_SIZE:
        raise OccupyError(f"kernel size {k} is too large (at most {MAX_KERNEL_SIZE})")
    if not math.isfinite(kernel_radius) or kernel_radius < 0:
        raise OccupyError(f"kernel radius must be a non-negative number, got {kernel_radius!r}")
    c = (k - 1) / 2.0
    ax = (np.arange(k, dtype=np.float32) - np.float32(c)) ** 2
    d2 = ax[:, None, None] + ax[None, :, None] + ax[None, None, :]
    return np.sqrt(d2, dtype=np.float32) <= np.float32(kernel_radius)


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


def _as_float_volume(data: np.ndarray) -> np.ndarray:
    """3-D float32 or float64 view/copy of ``data`` (strides are kept when possible)."""
    arr = np.asarray(data)
    if arr.ndim != 3:
        raise OccupyError(f"expected a 3-D map, got {arr.ndim}-D array of shape {arr.shape}")
    if arr.size == 0:
        raise OccupyError(f"the map is empty (shape {arr.shape})")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float32)
    if arr.dtype.byteorder not in ("=", "|"):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr


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
    """Local maximum of ``data`` over a footprint (greyscale dilation), SPEC 2.4.

    Bit-identical to ``scipy.ndimage.maximum_filter(data, footprint=fp, mode='reflect')``
    (origin 0, so the centre of an even footprint side s is index s//2), for any
    thread count.  ``footprint_or_radius`` is a boolean 3-D array or a ball radius in
    voxels.  float32 and float64 are kept; other dtypes are computed in float32.
    Inputs must be finite (NaN handling differs from scipy).
    """
    arr = _as_float_volume(data)
    fp = _as_footprint(footprint_or_radius)
    n_threads = effective_threads(threads)
    kz, ky, kx = fp.shape
    nz, ny, nx = arr.shape
    plane_runs, plane_start, plane_of, lengths = _decompose(fp)
    zidx = _reflect_index(np.arange(nz + kz - 1) - kz // 2, nz).astype(np.int32)
    yidx = _reflect_index(np.arange(ny + ky - 1) - ky // 2, ny).astype(np.int32)
    xidx = _reflect_index(np.arange(nx + kx - 1) - kx // 2, nx).astype(np.int32)
    out = np.empty(arr.shape, dtype=arr.dtype)
    _maxfilter.max_filter_runs(
        arr, out, zidx, yidx, xidx, plane_runs, plane_start, plane_of, lengths,
        kz // 2, ky // 2, kx // 2, n_threads,
    )
    return out


@dataclass(frozen=True)
class TileResult:
    """Outcome of the tile search (all positions in voxels, array axis order z, y, x)."""

    s_full: float
    tile_index: tuple[int, int, int]
    tile_start: tuple[int, int, int]
    tile_shape: tuple[int, int, int]
    tile_center: tuple[float, float, float]
    n_tiles_per_axis: int
    n_used_tiles: int


def tile_grid(
    shape: tuple[int, int, int], tile_size: int | None = None
) -> tuple[int, tuple[int, int, int], list[np.ndarray], np.ndarray]:
    """Tile geometry of SPEC 2.4.

    Returns ``(n_t, tile_shape, starts_per_axis, used)`` where ``used`` is an (m, 3)
    int array of the tile indices (i, j, l) inside the sphere, in C order.
    """
    if tile_size is not None:
        if int(tile_size) != tile_size or tile_size < 1:
            raise OccupyError(f"tile size must be a positive integer, got {tile_size!r}")
        tile_size = int(tile_size)
        if tile_size > min(shape):
            raise OccupyError(
                f"tile size {tile_size} is larger than the box {'x'.join(map(str, shape))}"
            )
        sides = [tile_size] * 3
    else:
        sides = [max(1, n // _TILES_PER_AXIS) for n in shape]
    n_t = _TILES_PER_AXIS
    if all(n - t + 1 < _TILES_PER_AXIS for n, t in zip(shape, sides)):
        n_t = shape[0] - sides[0] + 1
    starts = []
    for n, t in zip(shape, sides):
        step = t + (n - n_t * t) // (n_t - 1) if n_t > 1 else t
        edge = (n - ((n_t - 1) * step + t)) // 2
        s = edge + step * np.arange(n_t)
        if s.min() < 0 or s.max() + t > n:
            raise OccupyError(f"tile grid does not fit the box {'x'.join(map(str, shape))}")
        starts.append(s)
    i = np.arange(n_t, dtype=np.float64) - n_t / 2
    dist = np.sqrt(i[:, None, None] ** 2 + i[None, :, None] ** 2 + i[None, None, :] ** 2)
    used = np.argwhere(dist < n_t / 2 - 1)
    return n_t, (sides[0], sides[1], sides[2]), starts, used


def tile_search(
    data: np.ndarray, tau: float, tile_size: int | None = None, threads: int | None = None
) -> TileResult:
    """Full-scale reference ``s_full`` by the tile search of SPEC 2.4.

    For each tile inside the sphere, the value at 0-based rank ``min(floor(tau*V), V-1)``
    of its ascending-sorted ``V`` voxels; ``s_full`` is the largest, and the tile that
    gave it is the first such tile in C order of its index (i, j, l).
    """
    arr = _as_float_volume(data)
    if not (isinstance(tau, (int, float, np.floating)) and 0.0 < float(tau) <= 1.0):
        raise OccupyError(f"tau must be in (0, 1], got {tau!r}")
    n_t, tshape, starts, used = tile_grid(arr.shape, tile_size)
    if len(used) == 0:
        raise OccupyError(
            f"the box {'x'.join(map(str, arr.shape))} is too small for the tile search "
            "(use a smaller tile size or --s0)"
        )
    tile_starts = np.stack([starts[a][used[:, a]] for a in range(3)], axis=1).astype(np.int32)
    n_vox = tshape[0] * tshape[1] * tshape[2]
    rank = min(int(math.floor(float(tau) * n_vox)), n_vox - 1)
    # one thread per ~1M tile voxels: below that, starting a team costs more than it saves
    n_threads = min(effective_threads(threads), max(1, len(used) * n_vox // 1_000_000))
    value, k = _tiles.tile_rank_max(
        np.ascontiguousarray(arr), tile_starts, *tshape, rank, n_threads
    )
    start = tuple(int(v) for v in tile_starts[k])
    return TileResult(
        s_full=float(value),
        tile_index=tuple(int(v) for v in used[k]),
        tile_start=start,
        tile_shape=tshape,
        tile_center=tuple(s + (t - 1) / 2.0 for s, t in zip(start, tshape)),
        n_tiles_per_axis=n_t,
        n_used_tiles=len(used),
    )
