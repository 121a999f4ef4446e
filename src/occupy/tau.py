"""The rank fraction ``tau`` of the tile search, derived from the kernel size (SPEC 2.2)."""
from __future__ import annotations

import math

from .errors import OccupyError

__all__ = ["tau_root", "tau_from_nv"]


def tau_root(n: int) -> float:
    """Positive real root of ``x**n + x - 1 = 0`` (to 1e-12).

    The root lies in [0.5, 1) for n >= 1: 0.5 for n=1, the golden ratio - 1 for n=2.
    """
    if int(n) != n or n < 1:
        raise OccupyError(f"tau_root needs a positive integer, got {n!r}")
    n = int(n)
    lo, hi = 0.0, 1.0  # f(0) = -1 < 0, f(1) = 1 > 0, f increasing on [0, 1]
    while hi - lo > 1e-13:
        mid = 0.5 * (lo + hi)
        if mid**n + mid - 1.0 > 0.0:
            hi = mid
        else:
            lo = mid
    x = 0.5 * (lo + hi)
    # one Newton step polishes the last bits (f' >= 1 on [0, 1], so it is safe)
    step = (x**n + x - 1.0) / (n * x ** (n - 1) + 1.0)
    if math.isfinite(step) and abs(step) < 1e-12:
        x -= step
    return x


def tau_from_nv(n_v: int) -> float:
    """``tau`` for a kernel of ``n_v`` voxels, rounded exactly as SPEC 2.2 requires."""
    if int(n_v) != n_v or n_v < 1:
        raise OccupyError(f"the kernel must contain at least one voxel, got n_v={n_v!r}")
    n_v = int(n_v)
    if n_v <= 1000:
        return round(tau_root(n_v), 4)
    if n_v < 7000:
        return round(tau_root(1100 + 100 * ((n_v - 1000) // 100)), 5)
    return 0.999
