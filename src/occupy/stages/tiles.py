"""The full-scale reference ``s_full`` by the tile search (SPEC 2.4); the only caller of ``_ext/_tiles``."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._ext import _tiles
from ..arrays import as_float_volume
from ..constants import TILES_PER_AXIS
from ..errors import OccupyError
from ..options import check_option
from ..threads import effective_threads

__all__ = ["TileResult", "tile_grid", "tile_search"]

# one thread per this many tile voxels: below that, starting a team costs more than it saves
_VOXELS_PER_THREAD = 1_000_000


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
    """Full-scale reference ``s_full`` by the tile search of SPEC 2.4.

    For each tile inside the sphere, the value at 0-based rank ``min(floor(tau*V), V-1)``
    of its ascending-sorted ``V`` voxels; ``s_full`` is the largest, and the tile that
    gave it is the first such tile in C order of its index (i, j, l).
    """
    arr = as_float_volume(data)
    if check_option("tau", tau) is None:
        raise OccupyError("tile_search needs tau")
    n_t, tshape, starts, used = tile_grid(arr.shape, tile_size)
    if len(used) == 0:
        raise OccupyError(
            f"the box {'x'.join(map(str, arr.shape))} is too small for the tile search "
            "(use a smaller tile size or --s0)"
        )
    tile_starts = np.stack([starts[a][used[:, a]] for a in range(3)], axis=1).astype(np.int32)
    n_vox = tshape[0] * tshape[1] * tshape[2]
    rank = min(int(math.floor(float(tau) * n_vox)), n_vox - 1)
    n_threads = min(effective_threads(threads), max(1, len(used) * n_vox // _VOXELS_PER_THREAD))
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
