"""A plain numpy/scipy reading of algorithm.md §1, §5.2, §12 (res-mode scale), for tests only.

Written from the text of algorithm.md, independently of the package, and deliberately simple:
``scipy.ndimage.maximum_filter`` with the ball footprint and a python loop over tiles.
Tests compare it with the original program's recorded numbers (is our reading of the
algorithm right?) and with the package (does the fast code do what algorithm.md says?).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

N_TILES = 20


@dataclass(frozen=True)
class RefParams:
    """Automatically derived estimation parameters (algorithm.md §12)."""

    lowpass: float
    kernel_size: int
    kernel_radius: float
    kernel: np.ndarray
    n_v: int
    tau: float


def tau_root(n: int) -> float:
    """Positive real root of x**n + x - 1 = 0, by bisection to ~1e-15."""
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid ** n + mid - 1.0 > 0.0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def ref_tau(n_v: int) -> float:
    """tau from n_v with the original's rounding (algorithm.md §3.2)."""
    if n_v <= 1000:
        return round(tau_root(n_v), 4)
    if n_v < 7000:
        return round(tau_root(1100 + 100 * ((n_v - 1000) // 100)), 5)
    return 0.999


def ball(size: int, radius: float) -> np.ndarray:
    """Voxels of a size^3 cube within ``radius`` of its centre voxel (float32 compare)."""
    c = (size - 1) / 2.0
    i = np.arange(size, dtype=np.float64) - c
    d2 = i[:, None, None] ** 2 + i[None, :, None] ** 2 + i[None, None, :] ** 2
    return np.sqrt(d2.astype(np.float32)) <= np.float32(radius)


def ref_params(shape: tuple[int, ...], pix: float, lowpass: float | None = None) -> RefParams:
    """Lowpass, kernel size/radius, kernel, n_v and tau for a map (algorithm.md §12)."""
    del shape  # the derived parameters do not depend on the box
    pix32 = np.float32(pix)
    lp32 = np.float32(lowpass if lowpass is not None else max(8.0, 3.0 * float(pix32)))
    k = int(np.floor(lp32 / pix32))
    k = min(max(2 * (k // 2) + 1, 3), 9)
    rk = float(lp32 / (np.float32(2.0) * pix32))
    kernel = ball(k, rk)
    n_v = int(kernel.sum())
    return RefParams(float(lp32), k, rk, kernel, n_v, ref_tau(n_v))


def ref_tile_search(data: np.ndarray, tau: float, tile_size: int | None = None
                    ) -> tuple[float, tuple[int, int, int]]:
    """Full-scale value s_full and the (i, j, l) index of the tile that gave it (algorithm.md §4)."""
    shape = data.shape
    t = [tile_size if tile_size else max(1, n // N_TILES) for n in shape]
    n_t = N_TILES
    if all(n - ta + 1 < N_TILES for n, ta in zip(shape, t)):
        n_t = shape[0] - t[0] + 1
    step = [ta + ((n - n_t * ta) // (n_t - 1) if n_t > 1 else 0) for n, ta in zip(shape, t)]
    edge = [(n - ((n_t - 1) * s + ta)) // 2 for n, s, ta in zip(shape, step, t)]
    vox = t[0] * t[1] * t[2]
    rank = min(int(math.floor(tau * vox)), vox - 1)
    best, best_idx = -math.inf, (-1, -1, -1)
    half = n_t / 2
    for i in range(n_t):
        for j in range(n_t):
            for l in range(n_t):
                if math.sqrt((i - half) ** 2 + (j - half) ** 2 + (l - half) ** 2) >= half - 1:
                    continue
                a = [e + q * s for e, q, s in zip(edge, (i, j, l), step)]
                tile = data[a[0]:a[0] + t[0], a[1]:a[1] + t[1], a[2]:a[2] + t[2]]
                v = float(np.partition(tile.ravel(), rank)[rank])
                if v > best:
                    best, best_idx = v, (i, j, l)
    return best, best_idx


def ref_scale_res(data: np.ndarray, pix: float) -> tuple[np.ndarray, float, float, int]:
    """res-mode scale of a raw map: (scale float32, s_full, tau, n_v)."""
    data = np.asarray(data, dtype=np.float32)
    p = ref_params(data.shape, pix)
    smax = ndimage.maximum_filter(data, footprint=p.kernel, mode="reflect")
    s_full, _ = ref_tile_search(data, p.tau)
    scale = np.clip(smax / np.float32(s_full), 0, 1).astype(np.float32)
    scale[scale == 0] = 0  # no negative zeros (the input may hold -0.0; the original wrote +0.0)
    return scale, s_full, p.tau, p.n_v
