"""Parameters derived from the box, the voxel size and the user's overrides (algorithm.md §12).

The lowpass, the occ-mode Gaussian's width, the ball kernel (size, radius, footprint,
``n_v``) and the tile-search rank fraction ``tau``.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from .constants import (DEFAULT_KERNEL_MAX, DEFAULT_KERNEL_MIN, LOWPASS_FLOOR_A, LOWPASS_VOXELS, MAX_KERNEL_SIZE,
                        OCC_KERNEL_SIGMAS, OCC_SIGMA_MIN_VOXELS, OCC_SIGMA_PER_LOWPASS)
from .errors import OccupyError, warn
from .options import check_option

__all__ = ["Parameters", "ball_footprint", "check_voxel_size", "default_lowpass", "derive_parameters", "occ_sigma",
           "tau_from_nv", "tau_root"]

_log = logging.getLogger("occupy")


@dataclass
class Parameters:
    """Settings of one scale estimate, as ``derive_parameters`` returns them.

    The fields are also the constructor's parameters.

    Parameters
    ----------
    lowpass : float
        Lowpass in Å.
    kernel_size : int
        Side of the kernel's cube (odd, voxels).
    kernel_radius : float
        Ball radius in voxels.
    footprint : numpy.ndarray
        Boolean ``kernel_size``³ ball (see ``ball_footprint``).
    n_v : int
        Voxels in the ball (``footprint.sum()``).
    tau : float
        Rank fraction used by the tile search, in (0, 1].
    tau_recommended : float
        The one derived from ``n_v`` (equal to ``tau`` unless the user overrode it).
    warnings : list of str
        Advice issued while deriving them.
    sigma : float or None
        With the Gaussian occ-mode filter: its sigma in Å (``occ_sigma``); the kernel is then
        derived from ``OCC_KERNEL_SIGMAS * sigma`` instead of the lowpass. None otherwise.
    """

    lowpass: float
    kernel_size: int
    kernel_radius: float
    footprint: np.ndarray
    n_v: int
    tau: float
    tau_recommended: float
    warnings: list[str] = field(default_factory=list)
    sigma: float | None = None


def occ_sigma(lowpass: float, voxel_size: float) -> float:
    """The sigma (Å) of the Gaussian occ-mode filter for a lowpass (algorithm.md §5.3).

    ``max(OCC_SIGMA_PER_LOWPASS * lowpass, OCC_SIGMA_MIN_VOXELS * voxel_size)``: the lowpass
    keeps its meaning (the worst resolution of interest) and sets the filter's width.

    Parameters
    ----------
    lowpass : float
        The lowpass in Å (``--lowpass``/``--resolution``, or the default).
    voxel_size : float
        Voxel size in Å.

    Returns
    -------
    float
        Sigma in Å.

    Examples
    --------
    >>> occ_sigma(8.0, 1.0), occ_sigma(20.0, 1.0), occ_sigma(8.0, 3.0)
    (3.5, 8.75, 4.5)
    """
    return max(OCC_SIGMA_PER_LOWPASS * float(lowpass), OCC_SIGMA_MIN_VOXELS * float(voxel_size))


def default_lowpass(voxel_size: float) -> float:
    """Return the lowpass used when neither ``--lowpass`` nor ``--resolution`` is given.

    That is max(8 Å, 3 voxels); ``3 voxels`` is computed in float32, as the original
    program did with the header's value.

    Parameters
    ----------
    voxel_size : float
        Voxel size in Å.

    Returns
    -------
    float
        The lowpass in Å.

    Examples
    --------
    >>> default_lowpass(1.0), default_lowpass(4.0)
    (8.0, 12.0)
    """
    return max(LOWPASS_FLOOR_A, float(np.float32(LOWPASS_VOXELS) * np.float32(voxel_size)))


def ball_footprint(kernel_size: int, kernel_radius: float) -> np.ndarray:
    """Return the boolean k×k×k ball: voxels whose distance from the centre voxel is ``<= kernel_radius``.

    Parameters
    ----------
    kernel_size : int
        Odd cube side ``k`` in voxels, 1 to 31.
    kernel_radius : float
        Radius in voxels (>= 0); the centre is voxel ``(k-1)/2`` on each axis and the
        distance is computed and compared in float32 (algorithm.md §2.1).

    Returns
    -------
    numpy.ndarray
        Boolean array of shape ``(k, k, k)``; the centre voxel is always True.

    Raises
    ------
    OccupyError
        For a size that is not an odd integer in 1..31, or a negative or non-finite radius.

    Examples
    --------
    >>> int(ball_footprint(7, 3.8).sum())
    251
    """
    if int(kernel_size) != kernel_size or kernel_size < 1 or kernel_size % 2 == 0:
        raise OccupyError(f"kernel size must be a positive odd integer, got {kernel_size!r}")
    k = int(kernel_size)
    if k > MAX_KERNEL_SIZE:
        raise OccupyError(f"kernel size {k} is too large (at most {MAX_KERNEL_SIZE})")
    if not math.isfinite(kernel_radius) or kernel_radius < 0:
        raise OccupyError(f"kernel radius must be a non-negative number, got {kernel_radius!r}")
    ax = (np.arange(k, dtype=np.float32) - np.float32((k - 1) / 2.0)) ** 2
    d2 = ax[:, None, None] + ax[None, :, None] + ax[None, None, :]
    return np.sqrt(d2, dtype=np.float32) <= np.float32(kernel_radius)


def tau_root(n: int) -> float:
    """Return the positive real root of ``x**n + x - 1 = 0``, to 1e-12.

    Parameters
    ----------
    n : int
        The exponent, a positive integer (the kernel's voxel count ``n_v``).

    Returns
    -------
    float
        The root, in [0.5, 1) and increasing with ``n``: 0.5 for n=1, the golden
        ratio - 1 for n=2.

    Raises
    ------
    OccupyError
        If ``n`` is not a positive integer.

    Examples
    --------
    >>> round(tau_root(2), 6)
    0.618034
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
    """Return ``tau`` for a kernel of ``n_v`` voxels, rounded exactly as algorithm.md §3.2 requires.

    Up to 1000 voxels: ``tau_root`` of ``n_v`` rounded to 4 decimals; below 7000:
    ``tau_root`` of ``1100 + 100 * ((n_v - 1000) // 100)`` rounded to 5 decimals;
    from 7000 on: 0.999.

    Parameters
    ----------
    n_v : int
        Voxels in the kernel's ball, at least 1.

    Returns
    -------
    float
        The rank fraction the tile search uses, in [0.5, 1).

    Raises
    ------
    OccupyError
        If ``n_v`` is not a positive integer.

    Examples
    --------
    >>> tau_from_nv(251), tau_from_nv(7000)
    (0.9837, 0.999)
    """
    if int(n_v) != n_v or n_v < 1:
        raise OccupyError(f"the kernel must contain at least one voxel, got n_v={n_v!r}")
    n_v = int(n_v)
    if n_v <= 1000:
        return round(tau_root(n_v), 4)
    if n_v < 7000:
        return round(tau_root(1100 + 100 * ((n_v - 1000) // 100)), 5)
    return 0.999


def _choose_lowpass(voxel_size: float, lowpass: float | None, resolution: float | None,
                    sink: list[str]) -> float:
    check_option("lowpass", lowpass)
    check_option("resolution", resolution)
    if lowpass is not None and resolution is not None:
        lp = max(float(lowpass), float(resolution))
        if lowpass != resolution:
            warn(f"both --lowpass ({lowpass:g} Å) and --resolution ({resolution:g} Å) given; "
                 f"using the larger, {lp:g} Å", sink)
        return lp
    if lowpass is not None:
        return float(lowpass)
    if resolution is not None:
        return float(resolution)
    return default_lowpass(voxel_size)


def _choose_kernel(lp: float, pix: float, kernel_size: int | None,
                   kernel_radius: float | None) -> tuple[int, float]:
    """Kernel size and radius (algorithm.md §2.1): the overrides, else derived from the lowpass.

    Derived values use float32, as the original did. A given ``--kernel-size K`` without
    ``--kernel-radius`` raises the radius to at least ``(K-1)/2``, so a larger K really
    samples more voxels.
    """
    default_radius = float(np.float32(lp) / (np.float32(2.0) * np.float32(pix)))
    if check_option("kernel_radius", kernel_radius) is not None:
        radius = float(kernel_radius)
    elif kernel_size is not None:
        radius = max(default_radius, (int(kernel_size) - 1) / 2.0)
    else:
        radius = default_radius
    if check_option("kernel_size", kernel_size) is not None:
        return int(kernel_size), radius
    k = int(math.floor(np.float32(lp) / np.float32(pix)))
    return min(max(2 * (k // 2) + 1, DEFAULT_KERNEL_MIN), DEFAULT_KERNEL_MAX), radius


def _choose_tau(tau: float | None, n_v: int) -> tuple[float, float]:
    """(tau used, tau recommended for ``n_v``); an override is logged with the recommendation."""
    recommended = float(tau_from_nv(n_v))
    if check_option("tau", tau) is None:
        return recommended, recommended
    if float(tau) != recommended:
        _log.info("tau %.5g given; recommended for n_v=%d is %.5g", float(tau), n_v, recommended)
    return float(tau), recommended


def _kernel_advice(k: int, rk: float, n_v: int, given: bool, kernel_lp: float, pix: float,
                   sink: list[str]) -> None:
    """Warn about a kernel the user made small (``given``: --kernel-size or --kernel-radius); ``kernel_lp``
    is the lowpass the kernel is derived from. The derived kernel never warns: it spans the lowpass's
    resolution element, and on coarse maps (size 3 at 4.2 Å voxels) a larger one does not separate
    present from absent density better (docs/troubleshooting.md, "small kernel"). The kernel does not
    enter the solvent model."""
    if not given:
        return
    size, radius = _choose_kernel(kernel_lp, pix, None, None)
    derived_n_v = int(np.count_nonzero(ball_footprint(size, radius)))
    if k < 5 and n_v < derived_n_v:
        warn(f"small kernel (size {k}, radius {rk:.2f} voxels, n_v = {n_v}): smaller than the kernel the "
             f"lowpass gives (size {size}, n_v = {derived_n_v}), so the scale follows noise more; leave "
             "--kernel-size and --kernel-radius out", sink)
    elif rk < k / 4:
        warn(f"kernel radius {rk:.2f} voxels fills only part of the {k}^3 kernel box (n_v = {n_v}): the local "
             "maximum sees few voxels; raise --kernel-radius, or leave it out", sink)


def check_voxel_size(voxel_size: float) -> float:
    """Refuse a voxel size that is not a positive finite number of Å.

    Parameters
    ----------
    voxel_size : float
        Voxel size in Å.

    Returns
    -------
    float
        ``voxel_size`` as a float.

    Raises
    ------
    OccupyError
        If it is not a positive finite number (a string such as ``"1.5"`` is refused:
        the API takes numbers, as ``--pixel-size`` does after parsing).
    """
    try:
        pix = math.nan if isinstance(voxel_size, (str, bytes)) else float(voxel_size)
    except (TypeError, ValueError):
        pix = math.nan
    if not (math.isfinite(pix) and pix > 0):
        raise OccupyError(f"voxel size must be a positive finite number of Å, got {voxel_size!r}")
    return pix


def _kernel_ball(k: int, rk: float) -> tuple[np.ndarray, int]:
    """The kernel's ball (boolean ``k``³) and its voxel count ``n_v``; an empty ball is refused."""
    footprint = np.asarray(ball_footprint(k, rk), dtype=bool)
    n_v = int(np.count_nonzero(footprint))
    if n_v < 1:
        raise OccupyError(f"the kernel (size {k}, radius {rk:g} voxels) contains no voxels")
    return footprint, n_v


def derive_parameters(shape: tuple[int, ...], voxel_size: float, *,
                      lowpass: float | None = None, resolution: float | None = None,
                      kernel_size: int | None = None, kernel_radius: float | None = None,
                      tau: float | None = None, occ_filter: str = "lowpass") -> Parameters:
    """Derive the lowpass, kernel and tau of algorithm.md §12 for a box and voxel size.

    Parameters
    ----------
    shape : tuple of int
        The 3-D box (z, y, x) in voxels.
    voxel_size : float
        Voxel size in Å.
    lowpass : float, optional
        Lowpass in Å (``--lowpass``); default ``resolution``, else ``default_lowpass``.
    resolution : float, optional
        Resolution in Å (``--resolution``); if ``lowpass`` is given too, the larger is used.
    kernel_size : int, optional
        Odd kernel side in voxels; default floor(lowpass / voxel size) made odd, within 3..9.
    kernel_radius : float, optional
        Ball radius in voxels; default lowpass / (2 voxel size).
    tau : float, optional
        Rank fraction in (0, 1]; default ``tau_from_nv`` of the ball's voxel count.
    occ_filter : {"lowpass", "gaussian"}
        The filter of the scale's input: with ``"gaussian"`` (occ mode's default) ``sigma``
        is set and the kernel's size and radius are derived from ``OCC_KERNEL_SIGMAS * sigma``.

    Returns
    -------
    Parameters
        Advice (a given kernel smaller than the derived one, or a radius filling little of its
        box; lowpass and resolution both given) is kept in ``warnings`` and issued as
        ``OccupyWarning``; an overridden tau logs the recommended one.

    Raises
    ------
    OccupyError
        For a box that is not 3-D or a voxel size that is not positive.
    OptionError
        For an override out of range (each is checked as its option is).

    Examples
    --------
    >>> p = derive_parameters((100, 100, 100), 1.05)
    >>> p.lowpass, p.kernel_size, round(p.kernel_radius, 3), p.n_v, p.tau
    (8.0, 7, 3.81, 251, 0.9837)
    """
    if len(shape) != 3:
        raise OccupyError(f"expected a 3-D box, got shape {tuple(shape)}")
    pix = check_voxel_size(voxel_size)
    sink: list[str] = []
    lp = _choose_lowpass(pix, lowpass, resolution, sink)
    sigma = occ_sigma(lp, pix) if check_option("occ_filter", occ_filter) == "gaussian" else None
    kernel_lp = lp if sigma is None else OCC_KERNEL_SIGMAS * sigma
    k, rk = _choose_kernel(kernel_lp, pix, kernel_size, kernel_radius)
    footprint, n_v = _kernel_ball(k, rk)
    tau_used, tau_rec = _choose_tau(tau, n_v)
    _kernel_advice(k, rk, n_v, kernel_size is not None or kernel_radius is not None, kernel_lp, pix, sink)
    return Parameters(lowpass=lp, kernel_size=k, kernel_radius=rk, footprint=footprint, n_v=n_v,
                      tau=tau_used, tau_recommended=tau_rec, warnings=sink, sigma=sigma)
