"""Fourier-space filters: the hard spherical lowpass (algorithm.md §5.2) and the occ-mode Gaussian (§5.3).

Each is one ``occupy.stages.spectral.spectral_map``: a transform that keeps only the
needed block of frequencies, scales it plane by plane and transforms back, so a lowpass of
an N-voxel map needs its 4N-byte output plus the kept block.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..arrays import check_map_values
from ..constants import OCC_SIGMA_PER_LOWPASS
from ..errors import OccupyError
from ..params import check_voxel_size
from ..stats import finite_range
from ..threads import effective_threads
from .spectral import aligned_copy, from_kept_spectrum, kept_spectrum, spectral_map

__all__ = ["gaussian_filter", "gaussian_filter_unchecked", "lowpass_cutoff", "lowpass_filter",
           "lowpass_filter_unchecked", "lowpass_then_gaussian"]


def lowpass_cutoff(shape: tuple[int, ...], voxel_size: float, lowpass_A: float) -> int:
    """Cut-off radius of the lowpass in Fourier voxels of the longest edge (algorithm.md §5.2).

    The radius is ``floor(L/lp) + 1`` with ``L`` the longest box edge in Å; for a cube of
    side n that is ``floor(n*pix/lp) + 1``.

    Parameters
    ----------
    shape : tuple of int
        Box shape in voxels, axes [z, y, x].
    voxel_size : float
        Voxel size in Å.
    lowpass_A : float
        Lowpass resolution in Å (> 0).

    Returns
    -------
    int
        Radius in Fourier voxels, counted along the longest edge.

    Examples
    --------
    >>> lowpass_cutoff((100, 100, 100), 1.0, 8.0)
    13
    """
    longest = max(shape) * float(voxel_size)
    return math.floor(longest / float(lowpass_A)) + 1


def _scaled_freq_sq(n: int, longest: int, half: bool) -> np.ndarray:
    """Squared frequency along one axis, in units of 1/(longest edge) (exact integers if n == longest)."""
    k = np.arange(n // 2 + 1) if half else np.fft.fftfreq(n, 1.0 / n)
    f = k * (longest / n)
    return f * f


def lowpass_filter(data: np.ndarray, voxel_size: float, lowpass_A: float,
            threads: int | None = None) -> np.ndarray:
    """Hard spherical lowpass of a 3-D map at ``lowpass_A`` Å (algorithm.md §5.2).

    Keeps Fourier components with ``|f| <= (floor(L/lp) + 1) / L`` cycles/Å, ``L`` the longest edge in Å.

    Parameters
    ----------
    data : numpy.ndarray
        The map, axes [z, y, x]; any real dtype (computed in float32).
    voxel_size : float
        Voxel size in Å.
    lowpass_A : float
        Lowpass in Å (> 0); at or below ``2*voxel_size`` nothing is removed.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); results do not depend on it.

    Returns
    -------
    numpy.ndarray
        New float32 array of ``data``'s shape (the mean is kept).

    Raises
    ------
    OccupyError
        If ``data`` is not 3-D or ``lowpass_A`` is not positive, or its values are so large
        that the single-precision transform overflows.

    Examples
    --------
    >>> m = np.random.default_rng(0).normal(size=(32, 32, 32)).astype(np.float32)
    >>> lp = lowpass_filter(m, 1.0, 8.0)   # radius floor(32/8) + 1 = 5 Fourier voxels
    >>> lp.shape, lp.dtype, bool(lp.std() < 0.2 * m.std()), bool(abs(lp.mean() - m.mean()) < 1e-6)
    ((32, 32, 32), dtype('float32'), True, True)
    """
    data = np.asarray(data)
    if data.ndim != 3:
        raise OccupyError(f"lowpass needs a 3-D map, got shape {data.shape}")
    check_map_values(data, allow_constant=True, threads=threads)
    return lowpass_filter_unchecked(data, voxel_size, lowpass_A, threads)


def lowpass_filter_unchecked(data: np.ndarray, voxel_size: float, lowpass_A: float, threads: int | None) -> np.ndarray:
    """``lowpass_filter`` of a 3-D map already checked (no value checks).

    Parameters
    ----------
    data : numpy.ndarray
        The map, 3-D, free of NaN/Inf (``check_map_values``).
    voxel_size : float
        Voxel size in Å.
    lowpass_A : float
        Lowpass resolution in Å.
    threads : int or None
        Thread count; results do not depend on it.

    Returns
    -------
    numpy.ndarray
        As ``lowpass_filter`` gives it.

    Raises
    ------
    OccupyError
        If ``voxel_size`` or ``lowpass_A`` is not positive and finite, or the transform
        overflows (values too large for float32 sums).
    """
    check_voxel_size(voxel_size)
    if not (lowpass_A > 0 and math.isfinite(lowpass_A)):
        raise OccupyError(f"lowpass must be a positive finite number of Å, got {lowpass_A!r}")
    if lowpass_A <= 2 * voxel_size:
        return np.array(data, dtype=np.float32, copy=True)
    shape = tuple(int(n) for n in data.shape)
    iz, iy, nkx, plane_scale = _sphere_mask(shape, lowpass_cutoff(shape, voxel_size, lowpass_A), data)
    return spectral_map(data, shape, (iz, iz), (iy, iy), nkx, plane_scale, effective_threads(threads))


def _sphere_mask(shape: tuple[int, int, int], radius: int, source: np.ndarray, gaussian: float = 0.0):
    """The kept y and x frequencies of a sphere of ``radius`` (longest-edge units), and the
    per-z-plane scaling that normalises the kept block and zeroes what lies outside; with
    ``gaussian`` = -2 pi^2 sigma^2 in longest-edge units, it also weights each kept
    component by ``exp(gaussian * f^2)``. The scaling raises ``OccupyError`` if a kept
    component of the transform of ``source`` (the finite map filtered) overflowed."""
    longest = max(shape)
    r2 = float(radius * radius)
    fz2 = _scaled_freq_sq(shape[0], longest, False)
    fy2 = _scaled_freq_sq(shape[1], longest, False)
    fx2 = _scaled_freq_sq(shape[2], longest, True)
    nkx = int(np.count_nonzero(fx2 <= r2))          # fx2 increases: a leading block
    iy = np.flatnonzero(fy2 <= r2)
    fyx2 = fy2[iy][:, None] + fx2[:nkx][None, :]
    inv_n = np.float32(1.0 / float(np.prod(shape, dtype=np.float64)))
    weight_yx = np.exp(gaussian * fyx2).astype(np.float32) * inv_n if gaussian else None

    def plane_scale(j: int, plane: np.ndarray) -> None:
        if fz2[j] > r2:
            plane[...] = 0
            return
        if not np.isfinite(plane).all():
            raise OccupyError(_overflow_message(source))
        if weight_yx is None:
            plane *= inv_n
        else:
            plane *= weight_yx * np.float32(math.exp(gaussian * fz2[j]))
        plane[fyx2 > r2 - fz2[j]] = 0

    return np.arange(shape[0]), iy, nkx, plane_scale


def _overflow_message(data: np.ndarray) -> str:
    """Why the transform of a finite map is not finite: values too large for sums of them in float32."""
    lo, hi, n_bad = finite_range(data)
    peak = max(-lo, hi)                  # not the input's if an earlier transform (a resampling) overflowed
    values = "too large in magnitude" if n_bad or not math.isfinite(peak) else f"up to {peak:.2g} in magnitude"
    return (f"map values {values} overflow single-precision arithmetic (a filter's Fourier transform "
            f"adds up all {data.size} voxels); rescale the map, e.g. to values of order 1")


def gaussian_filter(data: np.ndarray, voxel_size: float, sigma_A: float, threads: int | None = None) -> np.ndarray:
    """The occ-mode Gaussian filter of a 3-D map (algorithm.md §5.3).

    Fourier components are weighted by ``exp(-2 pi^2 sigma^2 |f|^2)`` (a real-space Gaussian
    of standard deviation ``sigma_A``) and band-limited at the lowpass ``sigma_A /
    OCC_SIGMA_PER_LOWPASS``, where the weight is down to 2.3%: the kept block, and the cost,
    are those of that hard lowpass, and a point's ripples stay within 0.2% of its peak (9%
    with the hard lowpass alone).

    Parameters
    ----------
    data : numpy.ndarray
        The map, axes [z, y, x]; any real dtype (computed in float32).
    voxel_size : float
        Voxel size in Å.
    sigma_A : float
        The Gaussian's standard deviation in Å (``occupy.params.occ_sigma``).
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); results do not depend on it.

    Returns
    -------
    numpy.ndarray
        The filtered map, float32, of ``data``'s shape.

    Raises
    ------
    OccupyError
        If ``data`` is not 3-D, empty or not finite, or ``voxel_size``/``sigma_A`` is not
        positive and finite, or the transform overflows (values too large for float32 sums).

    Examples
    --------
    >>> spike = np.zeros((32, 32, 32), dtype=np.float32)
    >>> spike[16, 16, 16] = 1
    >>> g = gaussian_filter(spike, 1.0, 2.0)
    >>> round(float(g.sum()), 4), bool(g[16, 16, 16] == g.max()), bool(g.min() > -0.002 * g.max())
    (1.0, True, True)
    """
    arr = np.asarray(data)
    if arr.ndim != 3:
        raise OccupyError(f"expected a 3-D map, got shape {arr.shape}")
    check_map_values(arr, allow_constant=True, threads=threads)
    return gaussian_filter_unchecked(arr, voxel_size, sigma_A, threads)


def gaussian_filter_unchecked(data: np.ndarray, voxel_size: float, sigma_A: float, threads: int | None
                              ) -> np.ndarray:
    """``gaussian_filter`` of a 3-D map already checked (no value checks).

    Parameters
    ----------
    data : numpy.ndarray
        The map, 3-D, free of NaN/Inf (``check_map_values``).
    voxel_size : float
        Voxel size in Å.
    sigma_A : float
        The Gaussian's standard deviation in Å.
    threads : int or None
        Thread count; results do not depend on it.

    Returns
    -------
    numpy.ndarray
        As ``gaussian_filter`` gives it.

    Raises
    ------
    OccupyError
        If ``voxel_size`` or ``sigma_A`` is not positive and finite, or the transform
        overflows (values too large for float32 sums).
    """
    pix = check_voxel_size(voxel_size)
    if not (sigma_A > 0 and math.isfinite(sigma_A)):
        raise OccupyError(f"the Gaussian's sigma must be a positive finite number of Å, got {sigma_A!r}")
    shape = tuple(int(n) for n in data.shape)
    longest = max(shape)
    radius = lowpass_cutoff(shape, pix, float(sigma_A) / OCC_SIGMA_PER_LOWPASS)
    coefficient = -2.0 * (math.pi * float(sigma_A) / (longest * pix)) ** 2
    iz, iy, nkx, plane_scale = _sphere_mask(shape, radius, data, coefficient)
    return spectral_map(data, shape, (iz, iz), (iy, iy), nkx, plane_scale, effective_threads(threads))


def lowpass_then_gaussian(data: np.ndarray, voxel_size: float, lowpass_A: float, sigma_A: float,
                          threads: int | None) -> tuple[np.ndarray, Callable[[], np.ndarray]]:
    """The hard lowpass of a checked map now, and the occ-mode Gaussian later, from one forward transform.

    Where the Gaussian keeps the lowpass's block of frequencies (sigma = ``OCC_SIGMA_PER_LOWPASS``
    x lowpass: the default), the kept spectrum is transformed once and a copy of it (a
    block of the spectrum, far smaller than the map) waits for the Gaussian, which is then
    only the inverse half; both results are the bits ``lowpass_filter_unchecked`` and
    ``gaussian_filter_unchecked`` give. Otherwise the Gaussian is made from ``data`` when asked.

    Parameters
    ----------
    data : numpy.ndarray
        The map, 3-D, free of NaN/Inf.
    voxel_size : float
        Voxel size in Å.
    lowpass_A, sigma_A : float
        The lowpass and the Gaussian's sigma, in Å.
    threads : int or None
        Thread count; results do not depend on it.

    Returns
    -------
    (numpy.ndarray, callable)
        The lowpassed map, and a function of no arguments that returns the Gaussian-filtered
        map (call it once; ``data`` must be unchanged until then).
    """
    pix = check_voxel_size(voxel_size)
    shape = tuple(int(n) for n in data.shape)
    radius = lowpass_cutoff(shape, pix, lowpass_A)
    if lowpass_A <= 2 * pix or radius != lowpass_cutoff(shape, pix, float(sigma_A) / OCC_SIGMA_PER_LOWPASS):
        return (lowpass_filter_unchecked(data, pix, lowpass_A, threads),
                lambda: gaussian_filter_unchecked(data, pix, sigma_A, threads))
    n_threads = effective_threads(threads)
    iz, iy, nkx, hard = _sphere_mask(shape, radius, data)
    block = kept_spectrum(data, (iz, iz), (iy, iy), nkx, shape[0], n_threads)
    saved = aligned_copy(block)
    lp = from_kept_spectrum(block, shape, (iy, iy), hard, n_threads)
    del block
    gaussian = _sphere_mask(shape, radius, data, -2.0 * (math.pi * float(sigma_A) / (max(shape) * pix)) ** 2)[3]
    return lp, lambda: from_kept_spectrum(saved, shape, (iy, iy), gaussian, n_threads)
