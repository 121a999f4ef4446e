"""Least-squares fit of one Gaussian to histogram heights (the solvent model's fit, algorithm.md §6).

NumPy only (SciPy is not a runtime dependency): Levenberg-Marquardt on the sum of squared
residuals, the objective of SciPy's ``curve_fit``, which it matches within 1e-5 on the
test maps.
"""
from __future__ import annotations

import numpy as np

__all__ = ["fit_gaussian", "gaussian"]


def gaussian(x: np.ndarray | float, a: float, mu: float, sigma: float) -> np.ndarray:
    """The Gaussian ``a * exp(-(x - mu)**2 / (2 sigma**2))`` of the solvent model, in float64.

    Parameters
    ----------
    x : numpy.ndarray or float
        Where to evaluate it (map units).
    a : float
        Height at ``mu``.
    mu : float
        Centre.
    sigma : float
        Width (standard deviation).

    Returns
    -------
    numpy.ndarray or numpy.float64
        The values, of ``x``'s shape.

    Examples
    --------
    >>> gaussian(np.array([0.0, 1.0]), 2.0, 1.0, 0.5).round(4)
    array([0.2707, 2.    ])
    """
    x = np.asarray(x, dtype=np.float64)
    return a * np.exp(-((x - mu) ** 2) / (2.0 * sigma * sigma))


def fit_gaussian(x: np.ndarray, h: np.ndarray, p0: tuple[float, float, float], *,
                 max_iter: int = 500, tol: float = 1e-12) -> tuple[float, float, float]:
    """Fit ``gaussian`` to ``(x, h)`` by least squares (Levenberg-Marquardt).

    Minimises the sum of squared residuals over all points (SciPy ``curve_fit``'s
    objective) with Marquardt's diagonal scaling, so the units of x and h do not matter.

    Parameters
    ----------
    x, h : numpy.ndarray
        Sample points and heights (same length).
    p0 : tuple of float
        Start ``(a, mu, sigma)``.
    max_iter : int, default 500
        Iteration limit.
    tol : float, default 1e-12
        Relative tolerance on the step and on the cost decrease.

    Returns
    -------
    tuple of float
        Fitted ``(a, mu, sigma)``, ``sigma >= 0``.
    """
    x = np.asarray(x, dtype=np.float64)
    h = np.asarray(h, dtype=np.float64)
    p = np.array(p0, dtype=np.float64)
    r, g = _residual(x, h, p)
    cost = float(r @ r)
    lam = 1e-3
    for _ in range(max_iter):
        jtj, jtr, diag = _normal_equations(x, p, g, r)
        step, trial, r_t, g_t, cost_t, lam = _damped_step(x, h, p, jtj, jtr, diag, lam, cost)
        if step is None:
            break
        small_step = np.all(np.abs(step) <= tol * (np.abs(p) + tol))
        small_gain = cost - cost_t <= tol * cost
        p, r, g, cost = trial, r_t, g_t, cost_t
        lam = max(lam / 10.0, 1e-15)
        if small_step or small_gain:
            break
    return float(p[0]), float(p[1]), abs(float(p[2]))


def _residual(x: np.ndarray, h: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residual ``a*g - h`` of parameters ``q = (a, mu, sigma)``, and the unit Gaussian ``g``."""
    g = gaussian(x, 1.0, q[1], q[2])
    return q[0] * g - h, g


def _normal_equations(x: np.ndarray, p: np.ndarray, g: np.ndarray, r: np.ndarray):
    """``J^T J``, ``J^T r`` and Marquardt's scaling (the diagonal of ``J^T J``, zeros made 1)."""
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
    return jtj, jtr, diag


def _damped_step(x, h, p, jtj, jtr, diag, lam: float, cost: float):
    """Raise the damping until a step lowers the cost (at most 50 tries).

    Returns (step, trial, residual, unit Gaussian, cost, damping); step is None when no
    try lowered the cost.
    """
    for _ in range(50):
        try:
            step = np.linalg.solve(jtj + lam * np.diag(diag), -jtr)
        except np.linalg.LinAlgError:
            lam *= 10.0
            continue
        trial = p + step
        r_t, g_t = _residual(x, h, trial)
        cost_t = float(r_t @ r_t)
        if np.isfinite(cost_t) and cost_t <= cost:
            return step, trial, r_t, g_t, cost_t, lam
        lam *= 10.0
    return None, None, None, None, None, lam
