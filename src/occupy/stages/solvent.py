"""Solvent model: one Gaussian fitted to the histogram of a solvent sample (SPEC 2.5)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import EDGE_LEVEL, MASK_INSIDE, N_BINS
from ..errors import OccupyError
from ..stats import rows_density_histogram, rows_value_range

__all__ = ["SolventModel", "check_solvent_mask", "fit_gaussian", "fit_solvent", "gaussian",
           "inscribed_sphere", "sphere_rows"]


def gaussian(x: np.ndarray | float, a: float, mu: float, sigma: float) -> np.ndarray:
    """``a * exp(-(x - mu)**2 / (2 sigma**2))`` in float64."""
    x = np.asarray(x, dtype=np.float64)
    return a * np.exp(-((x - mu) ** 2) / (2.0 * sigma * sigma))


@dataclass
class SolventModel:
    """Gaussian solvent model ``amplitude * exp(-(x-mean)^2 / (2 sigma^2))`` of a density histogram.

    ``edge``: left edge of the highest histogram bin whose model value (at ``x``) is
    >= 1e-9, i.e. where the solvent ends. ``content_99``: left edge of the first bin
    above the peak where the model is at most 1% of the histogram height, i.e. where
    non-solvent content makes up >= 99% of the density. ``peak``: position of the highest
    histogram bin. ``heights``/``bin_edges``/``x`` are the sample histogram (density,
    1000 bins) and the points the model was fitted at; ``guess`` the initial
    (amplitude, mean, sigma).
    """

    amplitude: float
    mean: float
    sigma: float
    edge: float
    content_99: float
    peak: float
    heights: np.ndarray
    bin_edges: np.ndarray
    x: np.ndarray
    guess: tuple[float, float, float]
    n_sample: int = 0
    sample: str = "inscribed sphere"

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        """Model value at ``x``."""
        return gaussian(x, self.amplitude, self.mean, self.sigma)


def inscribed_sphere(shape: tuple[int, ...]) -> np.ndarray:
    """Boolean mask of voxels within ``floor(min(shape)/2)`` of the box centre ((n-1)/2 per axis)."""
    r2 = float((min(shape) // 2) ** 2)
    d2 = [(np.arange(n) - (n - 1) / 2.0) ** 2 for n in shape]
    mask = np.empty(shape, dtype=bool)
    yx = d2[1][:, None] + d2[2][None, :]
    for z in range(shape[0]):      # plane by plane: no full-size float temporaries
        np.less_equal(yx, r2 - d2[0][z], out=mask[z])
    return mask


def sphere_rows(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per ``(z, y)`` row, the x range ``[x0, x1)`` of :func:`inscribed_sphere` (int64 arrays).

    Exact: all squared distances are multiples of 1/4 well below 2^50, so float64 holds
    them without rounding and ``dy² + dx² <= r² - dz²`` is ``dx² <= r² - dz² - dy²``.
    """
    nz, ny, nx = shape
    r2 = float((min(shape) // 2) ** 2)
    d2 = [(np.arange(n) - (n - 1) / 2.0) ** 2 for n in shape]
    room = r2 - d2[0][:, None] - d2[1][None, :]
    right = d2[2][nx // 2:]                 # increasing squared distances of the right half
    x1 = (nx // 2 + np.searchsorted(right, room, side="right")).astype(np.int64)
    x0 = np.minimum(nx - x1, x1)            # mirror image of the last voxel inside
    return np.ascontiguousarray(x0), np.ascontiguousarray(x1)


def _initial_guess(x: np.ndarray, h: np.ndarray) -> tuple[float, float, float]:
    p = int(np.argmax(h))
    a0 = float(h[p])
    below = np.flatnonzero(h[p + 1:] < a0 / math.e)
    if below.size:
        s0 = float(x[p + 1 + below[0]] - x[p])
    else:
        s0 = float(x[-1] - x[p]) or float(x[1] - x[0])
    return a0, float(x[p]), s0


def fit_gaussian(x: np.ndarray, h: np.ndarray, p0: tuple[float, float, float], *,
                 max_iter: int = 500, tol: float = 1e-12) -> tuple[float, float, float]:
    """Least-squares fit of ``gaussian`` to ``(x, h)`` by Levenberg-Marquardt, from ``p0``.

    Minimises the sum of squared residuals over all points (the objective of SciPy's
    ``curve_fit``); uses Marquardt's diagonal scaling, so units of x and h do not matter.
    """
    x = np.asarray(x, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    p = np.array(p0, dtype=np.float64)

    def residual(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = gaussian(x, 1.0, q[1], q[2])
        return q[0] * g - h, g

    r, g = residual(p)
    cost = float(r @ r)
    lam = 1e-3
    for _ in range(max_iter):
        a, mu, s = p
        d = x - mu
        jac = np.empty((x.size, 3))
        jac[:, 0] = g
        jac[:, 1] = a * g * d / (s * s)
        jac[:, 2] = a * g * d * d / (s * s * s)
        jtj = jac.T @ jac
        jtr = jac.T @ r
        diag = np.diag(jtj).copy()
        diag[diag == 0] = 1.0
        improved = False
        for _ in range(50):
            try:
                step = np.linalg.solve(jtj + lam * np.diag(diag), -jtr)
            except np.linalg.LinAlgError:
                lam *= 10.0
                continue
            trial = p + step
            r_t, g_t = residual(trial)
            cost_t = float(r_t @ r_t)
            if np.isfinite(cost_t) and cost_t <= cost:
                improved = True
                break
            lam *= 10.0
        if not improved:
            break
        small_step = np.all(np.abs(step) <= tol * (np.abs(p) + tol))
        small_gain = cost - cost_t <= tol * cost
        p, r, g, cost = trial, r_t, g_t, cost_t
        lam = max(lam / 10.0, 1e-15)
        if small_step or small_gain:
            break
    return float(p[0]), float(p[1]), abs(float(p[2]))


def check_solvent_mask(mask: np.ndarray, shape: tuple[int, ...], name: str = "solvent mask") -> np.ndarray:
    """The inside (``mask > 0.9``) of a solvent-definition mask, checked against the map's ``shape``.

    Raises
    ------
    OccupyError
        If the shapes differ or no voxel is inside.
    """
    mask = np.asarray(mask)
    if mask.shape != tuple(shape):
        raise OccupyError(f"{name} shape {'x'.join(map(str, mask.shape))} does not match "
                          f"the input map shape {'x'.join(map(str, shape))}")
    inside = mask > MASK_INSIDE
    if not inside.any():
        raise OccupyError(f"{name} has no voxel above {MASK_INSIDE:g} (all zero?)")
    return inside


def _solvent_sample(lpmap: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, str]:
    """The mask's inside or outside within the inscribed sphere, whichever varies less."""
    sphere = inscribed_sphere(lpmap.shape)
    inside = check_solvent_mask(mask, lpmap.shape)
    best = None
    for name, region in (("mask inside", inside), ("mask outside", ~inside)):
        values = lpmap[region & sphere]
        if values.size < 2:
            continue
        var = float(np.var(values, dtype=np.float64))
        if best is None or var < best[0]:
            best = (var, values, name)
    if best is None:
        raise OccupyError("solvent mask leaves too few voxels in the inscribed sphere")
    return best[1], best[2]


def _sample_histogram(lpmap: np.ndarray, mask: np.ndarray | None,
                      threads: int | None) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Density histogram (heights, edges), size and name of the solvent sample.

    Without a mask, the inscribed sphere of a float32 map is histogrammed in place by the
    compiled kernel (no gathered copy); counts equal ``np.histogram``'s.
    """
    if mask is None and lpmap.dtype == np.float32 and lpmap.flags.c_contiguous and lpmap.size:
        x0, x1 = sphere_rows(lpmap.shape)
        lo, hi, n = rows_value_range(lpmap, x0, x1, threads)
        _check_sample(n, lo, hi)
        heights, edges = rows_density_histogram(lpmap, x0, x1, lo, hi, threads)
        return heights, edges, n, "inscribed sphere"
    if mask is None:
        sample, where = lpmap[inscribed_sphere(lpmap.shape)], "inscribed sphere"
    else:
        sample, where = _solvent_sample(lpmap, mask)
    lo, hi = (sample.min(), sample.max()) if sample.size else (0.0, 0.0)
    _check_sample(sample.size, lo, hi)
    heights, edges = np.histogram(sample, bins=N_BINS, range=(lo, hi), density=True)
    return heights, edges, int(sample.size), where


def _check_sample(n: int, lo: float, hi: float) -> None:
    if n < 10:
        raise OccupyError(f"solvent sample too small ({n} voxels)")
    if not (np.isfinite(lo) and np.isfinite(hi)) or not hi > lo:
        raise OccupyError("solvent sample is constant or not finite; cannot fit a solvent model")


def fit_solvent(lpmap: np.ndarray, *, mask: np.ndarray | None = None,
                threads: int | None = None) -> SolventModel:
    """Fit the solvent model of a lowpassed map (SPEC 2.5).

    The sample is the inscribed sphere of the box, or with ``mask`` (same shape, > 0.9 is
    inside) the mask's inside or outside within that sphere, whichever varies less.
    ``threads`` only sets the speed; the result is the same for any value.
    """
    lpmap = np.asarray(lpmap)
    if lpmap.ndim != 3:
        raise OccupyError(f"expected a 3-D map, got shape {lpmap.shape}")
    heights, edges, n_sample, where = _sample_histogram(lpmap, mask, threads)
    lo, hi = edges[0], edges[-1]
    x = np.linspace(float(lo), float(hi), N_BINS)
    guess = _initial_guess(x, heights)
    a, mu, sigma = fit_gaussian(x, heights, guess)
    if not (np.isfinite([a, mu, sigma]).all() and sigma > 0 and a > 0):
        raise OccupyError("solvent model fit failed (degenerate histogram)")
    model = gaussian(x, a, mu, sigma)
    above = np.flatnonzero(model >= EDGE_LEVEL)
    edge = float(edges[above[-1]]) if above.size else float(edges[0])
    p = int(np.argmax(heights))
    content = np.flatnonzero((heights[p:] > 0) & (model[p:] <= 0.01 * heights[p:]))
    content_99 = float(edges[p + content[0]]) if content.size else float(edges[-1])
    return SolventModel(amplitude=a, mean=mu, sigma=sigma, edge=edge, content_99=content_99,
                        peak=float(x[p]), heights=heights, bin_edges=edges, x=x, guess=guess,
                        n_sample=n_sample, sample=where)
