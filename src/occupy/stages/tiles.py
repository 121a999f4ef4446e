"""The full-scale reference ``s_full`` by the tile search (algorithm.md §4); the only caller of ``_ext/_tiles``."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._ext import _tiles
from ..arrays import as_float_volume, check_map_values
from ..constants import TILES_PER_AXIS
from ..errors import OccupyError
from ..options import check_option
from ..threads import effective_threads

__all__ = ["TileResult", "tile_grid", "tile_search"]

# one thread per this many tile voxels: below that, starting a team costs more than it saves
_VOXELS_PER_THREAD = 1_000_000


@dataclass(frozen=True)
class TileResult:
    """Outcome of the tile search of algorithm.md §4.

    All positions are in voxels, in array axis order [z, y, x] (the log and the ChimeraX
    script convert the centre to Å and the file's axis order).

    Parameters
    ----------
    s_full : float
        Full-scale reference: the largest rank value over the used tiles (map units).
    tile_index : tuple of int
        Grid index (i, j, l) of the tile that gave ``s_full``.
    tile_start : tuple of int
        Its first voxel.
    tile_shape : tuple of int
        Tile sides.
    tile_center : tuple of float
        Its centre, ``start + (side - 1) / 2`` per axis.
    n_tiles_per_axis : int
        Tiles per axis of the grid, ``n_t``.
    n_used_tiles : int
        Tiles inside the grid's sphere, the ones searched.
    """

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
    """Tile geometry of the tile search (algorithm.md §4).

    ``n_t = 20`` tiles per axis (fewer only when no axis holds 20), starting at
    ``edge + i*step`` (tiles may overlap); a tile is used when its index distance from the
    grid centre, ``|(i, j, l) - n_t/2|``, is ``< n_t/2 - 1``.

    Parameters
    ----------
    shape : tuple of int
        Box shape in voxels, axes [z, y, x].
    tile_size : int, optional
        Tile side in voxels (``--tile-size``); default ``max(1, n // 20)`` per axis of side n.

    Returns
    -------
    tuple
        ``(n_t, tile_shape, starts_per_axis, used)``: tiles per axis (int), tile sides
        (3 ints), the ``n_t`` tile starts of each axis (3 int arrays), and the (m, 3) int
        array of the used tile indices (i, j, l), in C order.

    Raises
    ------
    OccupyError
        If ``tile_size`` is larger than the smallest side or the grid does not fit the box.
    OptionError
        If ``tile_size`` is not a positive integer.

    Examples
    --------
    >>> n_t, tile_shape, starts, used = tile_grid((100, 100, 100))
    >>> n_t, tile_shape, starts[0][:3].tolist(), len(used)
    (20, (5, 5, 5), [0, 5, 10], 2969)
    """
    if check_option("tile_size", tile_size) is not None:
        tile_size = int(tile_size)
        if tile_size > min(shape):
            raise OccupyError(
                f"tile size {tile_size} is larger than the box {'x'.join(map(str, shape))}"
            )
        sides = [tile_size] * 3
    else:
        sides = [max(1, n // TILES_PER_AXIS) for n in shape]
    n_t = TILES_PER_AXIS
    if all(n - t + 1 < TILES_PER_AXIS for n, t in zip(shape, sides)):
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
    """Full-scale reference ``s_full`` by the tile search (algorithm.md §4).

    Per used tile of ``tile_grid``, the value at 0-based rank ``min(floor(tau*V), V-1)`` of its
    sorted ``V`` voxels; ``s_full`` is the largest (map units), from the first such tile in C order.

    Parameters
    ----------
    data : numpy.ndarray
        The scale input, 3-D, axes [z, y, x] (float32/float64 kept, others as float32).
    tau : float
        Rank fraction, 0 < tau <= 1.
    tile_size : int, optional
        Tile side in voxels (default ``max(1, n // 20)`` per axis of side n).
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); results do not depend on it.

    Returns
    -------
    TileResult
        ``s_full`` and the tile that gave it.

    Raises
    ------
    OccupyError
        If ``tau`` is None or ``data`` is not 3-D or too small; OptionError if out of range.

    Examples
    --------
    >>> m = np.random.default_rng(0).random((40, 40, 40), dtype=np.float32)
    >>> res = tile_search(m, 0.5)      # 2x2x2 tiles, V = 8: rank floor(0.5*8) = 4
    >>> z, y, x = res.tile_start
    >>> res.tile_shape, float(np.sort(m[z:z + 2, y:y + 2, x:x + 2], axis=None)[4]) == res.s_full
    ((2, 2, 2), True)
    """
    arr = as_float_volume(data)
    check_map_values(arr, allow_constant=True, threads=threads)
    return tile_search_unchecked(arr, tau, tile_size, threads)


def tile_search_unchecked(arr: np.ndarray, tau: float, tile_size: int | None, threads: int | None) -> TileResult:
    """``tile_search`` without the value checks, for stages whose input is already checked."""
    if check_option("tau", tau) is None:
        raise OccupyError("tile_search needs tau")
    n_t, tshape, starts, used = tile_grid(arr.shape, tile_size)
    if len(used) == 0:
        raise OccupyError(f"the box {'x'.join(map(str, arr.shape))} is too small for the tile search "
                          "(use a smaller tile size or --s0)")
    tile_starts = np.stack([starts[a][used[:, a]] for a in range(3)], axis=1).astype(np.int32)
    n_vox = tshape[0] * tshape[1] * tshape[2]
    rank = min(int(math.floor(float(tau) * n_vox)), n_vox - 1)
    n_threads = min(effective_threads(threads), max(1, len(used) * n_vox // _VOXELS_PER_THREAD))
    value, k = _tiles.tile_rank_max(np.ascontiguousarray(arr), tile_starts, *tshape, rank, n_threads)
    return _result(float(value), tuple(int(v) for v in used[k]), tuple(int(v) for v in tile_starts[k]),
                   tshape, n_t, len(used))


def _result(s_full: float, index, start, shape, n_t: int, n_used: int) -> TileResult:
    return TileResult(s_full=s_full, tile_index=index, tile_start=start, tile_shape=shape,
                      tile_center=tuple(s + (t - 1) / 2.0 for s, t in zip(start, shape)),
                      n_tiles_per_axis=n_t, n_used_tiles=n_used)
