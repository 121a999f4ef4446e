"""Tile search (algorithm.md §4) against a direct numpy implementation with full sorts."""
from __future__ import annotations

import math

import numpy as np
import pytest

from occupy.errors import OccupyError
from occupy.stages.tiles import tile_grid, tile_search


def reference(x: np.ndarray, tau: float, tile_size: int | None = None):
    """Straight transcription of algorithm.md §4: loop over all tiles, np.sort each."""
    shape = x.shape
    t = [tile_size if tile_size else max(1, n // 20) for n in shape]
    n_t = 20
    if all(n - s + 1 < 20 for n, s in zip(shape, t)):
        n_t = shape[0] - t[0] + 1
    starts = []
    for n, s in zip(shape, t):
        step = s + (n - n_t * s) // (n_t - 1)
        edge = (n - ((n_t - 1) * step + s)) // 2
        starts.append([edge + i * step for i in range(n_t)])
    best, best_idx = -math.inf, None
    v = t[0] * t[1] * t[2]
    rank = min(int(np.floor(tau * v)), v - 1)
    for i in range(n_t):
        for j in range(n_t):
            for l in range(n_t):
                d = math.sqrt((i - n_t / 2) ** 2 + (j - n_t / 2) ** 2 + (l - n_t / 2) ** 2)
                if not d < n_t / 2 - 1:
                    continue
                z, y, xx = starts[0][i], starts[1][j], starts[2][l]
                tile = x[z:z + t[0], y:y + t[1], xx:xx + t[2]]
                val = np.sort(tile, axis=None)[rank]
                if val > best:
                    best, best_idx = val, (i, j, l)
    return float(best), best_idx, (starts[0][best_idx[0]], starts[1][best_idx[1]],
                                   starts[2][best_idx[2]]), tuple(t), n_t


@pytest.mark.parametrize(
    "shape, tile_size",
    [((100, 100, 100), None), ((64, 80, 48), None), ((10, 10, 10), None), ((30, 30, 30), None),
     ((30, 25, 40), None), ((40, 40, 40), 6), ((50, 44, 61), 3), ((250, 20, 20), None)],
)
@pytest.mark.parametrize("tau", [0.5, 0.9811, 0.999, 1.0])
def test_matches_reference(shape, tile_size, tau):
    rng = np.random.default_rng(sum(shape) + int(tau * 1000))
    x = rng.standard_normal(shape).astype(np.float32)
    s_full, idx, start, tshape, n_t = reference(x, tau, tile_size)
    for threads in (1, 2):
        r = tile_search(x, tau, tile_size=tile_size, threads=threads)
        assert r.s_full == s_full
        assert r.tile_index == idx and r.tile_start == start and r.tile_shape == tshape
        assert r.n_tiles_per_axis == n_t
        assert r.tile_center == tuple(s + (t - 1) / 2 for s, t in zip(start, tshape))


def test_small_box_reduces_tile_count():
    n_t, tshape, _, used = tile_grid((30, 30, 30))
    assert tshape == (1, 1, 1) and n_t == 20  # 30 - 1 + 1 >= 20
    n_t, tshape, _, used = tile_grid((10, 12, 11))
    assert tshape == (1, 1, 1) and n_t == 10  # first axis: 10 - 1 + 1
    n_t, tshape, starts, _ = tile_grid((256, 256, 256))
    assert tshape == (12, 12, 12) and n_t == 20
    assert starts[0][0] == 8 and starts[0][1] - starts[0][0] == 12  # step 12 + 16//19 = 12


def test_ties_pick_first_tile_in_c_order():
    x = np.zeros((60, 60, 60), np.float32)  # every tile has the same value
    for threads in (1, 2):
        r = tile_search(x, 0.9, threads=threads)
        used = tile_grid(x.shape)[3]
        assert r.s_full == 0.0 and r.tile_index == tuple(used[0])


def test_integer_ties_and_noncontiguous():
    rng = np.random.default_rng(4)
    base = rng.integers(0, 5, size=(70, 66, 90)).astype(np.float32)
    x = base[:, ::-1, ::2]
    want = reference(np.ascontiguousarray(x), 0.95)
    for threads in (1, 2):
        r = tile_search(x, 0.95, threads=threads)
        assert (r.s_full, r.tile_index) == (want[0], want[1])


def test_single_bright_tile_found():
    x = np.zeros((100, 100, 100), np.float32)
    r0 = tile_search(x, 0.98)
    x[40:60, 40:60, 40:60] = 1.0
    r = tile_search(x, 0.98, threads=2)
    assert r.s_full == 1.0
    z, y, xx = r.tile_start
    assert np.all(x[z:z + 5, y:y + 5, xx:xx + 5] == 1.0)
    assert r0.n_used_tiles == r.n_used_tiles > 0


def test_errors():
    x = np.zeros((20, 20, 20), np.float32)
    with pytest.raises(OccupyError, match="tile size 25 is larger than the box"):
        tile_search(x, 0.9, tile_size=25)
    with pytest.raises(OccupyError):
        tile_search(x, 0.0)
    with pytest.raises(OccupyError):
        tile_search(x, 1.5)
    with pytest.raises(OccupyError):
        tile_search(np.zeros((20, 20)), 0.9)
    with pytest.raises(OccupyError, match="too small"):
        tile_search(np.zeros((3, 3, 3), np.float32), 0.9)


@pytest.mark.parametrize("shape, n_t, used", [
    ((100, 100, 100), 20, 2969),      # algorithm.md §4: index distance from the grid centre < n_t/2 - 1
    ((240, 240, 240), 20, 2969),
    ((12, 12, 12), 12, 485),          # fewer than 20 tiles fit: n_t = n - t + 1 with t = 1
])
def test_exact_used_tile_counts(shape, n_t, used):
    """The tiles inside the sphere: exactly those with index distance < n_t/2 - 1."""
    count = sum(1 for i in range(n_t) for j in range(n_t) for k in range(n_t)
                if math.sqrt((i - n_t / 2) ** 2 + (j - n_t / 2) ** 2 + (k - n_t / 2) ** 2) < n_t / 2 - 1)
    assert count == used
    got_n_t, _, _, used_idx = tile_grid(shape)
    assert got_n_t == n_t and len(used_idx) == used
    result = tile_search(np.random.default_rng(0).random(shape, dtype=np.float32), 0.9)
    assert (result.n_tiles_per_axis, result.n_used_tiles) == (n_t, used)


def test_a_tile_outside_the_sphere_is_never_used():
    """The brightest tile in a corner (outside the sphere) must not set s_full."""
    x = np.zeros((100, 100, 100), np.float32)
    x[:5, :5, :5] = 100.0                     # corner tile (0, 0, 0): distance 17.3 > 9
    x[45:50, 45:50, 45:50] = 1.0              # a central tile
    r = tile_search(x, 0.5)
    assert r.s_full == 1.0 and r.tile_index == (9, 9, 9)
