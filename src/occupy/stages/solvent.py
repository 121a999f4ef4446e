"""Solvent model: one Gaussian fitted to the histogram of a solvent sample (algorithm.md §6)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..arrays import check_map_values
from ..constants import EDGE_LEVEL, FLAT_FRACTION, FLAT_SAMPLE, MASK_INSIDE, N_BINS
from ..errors import OccupyError
from ..stats import density_histogram, rows_density_histogram, rows_value_range
from .gaussian import fit_gaussian, gaussian
from .sample import inscribed_sphere, lowpassed_ranges, sphere_rows

__all__ = ["SolventModel", "check_solvent_mask", "fit_solvent", "fit_solvent_unchecked", "flattened_fraction",
           "flattening_warning", "inscribed_sphere", "lowpassed_ranges", "sphere_rows"]


@dataclass
class SolventModel:
    """Gaussian solvent model ``amplitude * exp(-(x-mean)^2 / (2 sigma^2))`` (algorithm.md §6).

    Fitted to the density histogram of a solvent sample of the lowpassed map by
    ``fit_solvent``; calling the model evaluates it. Values are in map units.

    Parameters
    ----------
    amplitude : float
        Model height (histogram density units).
    mean : float
        Solvent mean.
    sigma : float
        Solvent width (standard deviation).
    edge : float
        Where the solvent ends: left edge of the highest bin whose model value (at ``x``)
        is >= 1e-9.
    content_99 : float
        Where non-solvent content makes up >= 99% of the density: left edge of the first
        bin, from the peak bin up, where the model is at most 1% of the (nonzero) height.
    peak : float
        Position (in ``x``) of the highest histogram bin.
    heights : numpy.ndarray
        Density histogram of the sample, 1000 bins.
    bin_edges : numpy.ndarray
        Its 1001 bin edges, from the sample's min to its max.
    x : numpy.ndarray
        The 1000 points the model was fitted at (min to max, both included).
    guess : tuple of float
        Initial (amplitude, mean, sigma) of the fit.
    n_sample : int
        Voxels in the sample.
    sample : str
        Which sample: ``"inscribed sphere"``, ``"mask inside"`` or ``"mask outside"``.
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
        """Model value at ``x`` (float64).

        Parameters
        ----------
        x : numpy.ndarray or float
            Map values.

        Returns
        -------
        numpy.ndarray or numpy.float64
            ``amplitude * exp(-(x-mean)^2 / (2 sigma^2))``.
        """
        return gaussian(x, self.amplitude, self.mean, self.sigma)


def _initial_guess(x: np.ndarray, h: np.ndarray) -> tuple[float, float, float]:
    p = int(np.argmax(h))
    a0 = float(h[p])
    below = np.flatnonzero(h[p + 1:] < a0 / math.e)
    if below.size:
        s0 = float(x[p + 1 + below[0]] - x[p])
    else:
        s0 = float(x[-1] - x[p]) or float(x[1] - x[0])
    return a0, float(x[p]), s0


def check_solvent_mask(mask: np.ndarray, shape: tuple[int, ...], name: str = "solvent mask") -> np.ndarray:
    """The inside (``mask > 0.9``) of a solvent-definition mask, checked against the map's ``shape``.

    Parameters
    ----------
    mask : numpy.ndarray
        The mask (``--solvent-def``), same shape as the map.
    shape : tuple of int
        The map's shape.
    name : str, default "solvent mask"
        What to call the mask in error messages.

    Returns
    -------
    numpy.ndarray
        Boolean array, True inside.

    Raises
    ------
    OccupyError
        If the shapes differ or no voxel is inside.

    Examples
    --------
    >>> check_solvent_mask(np.array([[[0.95, 0.5]]]), (1, 1, 2))
    array([[[ True, False]]])
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


def _sample_histogram(lpmap: np.ndarray, mask: np.ndarray | None, threads: int | None,
                      sample_range: tuple | None = None) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Density histogram (heights, edges), size and name of the solvent sample.

    Without a mask, the inscribed sphere of a float32 map is histogrammed in place by the
    compiled kernel (no gathered copy); counts equal ``np.histogram``'s. Its range is
    ``sample_range`` when given (``lowpassed_ranges``), else found here.
    """
    if mask is None and lpmap.dtype == np.float32 and lpmap.flags.c_contiguous and lpmap.size:
        x0, x1 = sphere_rows(lpmap.shape)
        lo, hi, n = sample_range if sample_range is not None else rows_value_range(lpmap, x0, x1, threads)
        _check_sample(n, lo, hi)
        heights, edges = rows_density_histogram(lpmap, x0, x1, lo, hi, threads)
        return heights, edges, n, "inscribed sphere"
    if mask is None:
        sample, where = lpmap[inscribed_sphere(lpmap.shape)], "inscribed sphere"
    else:
        sample, where = _solvent_sample(lpmap, mask)
    lo, hi = (sample.min(), sample.max()) if sample.size else (0.0, 0.0)
    _check_sample(sample.size, lo, hi)
    heights, edges = density_histogram(sample, lo, hi, threads)
    return heights, edges, int(sample.size), where


def _check_sample(n: int, lo: float, hi: float) -> None:
    if n < 10:
        raise OccupyError(f"solvent sample too small ({n} voxels)")
    if not (np.isfinite(lo) and np.isfinite(hi)) or not hi > lo:
        raise OccupyError("solvent sample is constant or not finite; cannot fit a solvent model")


def fit_solvent(lpmap: np.ndarray, *, mask: np.ndarray | None = None,
                threads: int | None = None) -> SolventModel:
    """Fit the solvent model of a lowpassed map (algorithm.md §6).

    One Gaussian is fitted to the 1000-bin density histogram of the box's inscribed sphere,
    or with ``mask`` of the mask's inside or outside in that sphere, whichever varies less.

    Parameters
    ----------
    lpmap : numpy.ndarray
        The lowpassed map, 3-D, axes [z, y, x].
    mask : numpy.ndarray, optional
        Solvent definition (``--solvent-def``), same shape; values > 0.9 are inside.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); results do not depend on it.

    Returns
    -------
    SolventModel
        The fitted model, its histogram and the solvent edge.

    Raises
    ------
    OccupyError
        Not 3-D; the mask misfits or is empty; under 10, constant or non-finite samples; no fit.

    Examples
    --------
    >>> import occupy
    >>> from occupy.stages.lowpass import lowpass_filter
    >>> demo = occupy.make_demo_map(box=48)
    >>> solvent = fit_solvent(lowpass_filter(demo.data, demo.voxel_size, 8.0))
    >>> solvent.sample, solvent.n_sample, round(solvent.mean, 3), round(solvent.sigma, 3)
    ('inscribed sphere', 57856, 0.0, 0.009)
    >>> bool(solvent.peak < solvent.content_99 < solvent.edge)
    True
    """
    lpmap = np.asarray(lpmap)
    if lpmap.ndim != 3:
        raise OccupyError(f"expected a 3-D map, got shape {lpmap.shape}")
    check_map_values(lpmap, "lowpassed map", threads=threads)
    return fit_solvent_unchecked(lpmap, mask, threads)


def fit_solvent_unchecked(lpmap: np.ndarray, mask: np.ndarray | None, threads: int | None,
                          sample_range: tuple | None = None) -> SolventModel:
    """``fit_solvent`` without the checks of the map's values, for a 3-D map already checked.

    Parameters
    ----------
    lpmap : numpy.ndarray
        The lowpassed map, 3-D, free of NaN/Inf (``check_map_values``).
    mask : numpy.ndarray or None
        Solvent definition, as for ``fit_solvent``.
    threads : int or None
        Thread count; results do not depend on it.
    sample_range : tuple, optional
        The inscribed sphere's ``(min, max, count)`` from ``lowpassed_ranges`` (one pass less).

    Returns
    -------
    SolventModel
        As ``fit_solvent`` gives it.

    Raises
    ------
    OccupyError
        The mask misfits or is empty; under 10, constant or non-finite samples; no fit.
    """
    heights, edges, n_sample, where = _sample_histogram(lpmap, mask, threads, sample_range)
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


def _strided_sample(data: np.ndarray, sample_size: int, sphere: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """An evenly strided sample of about ``sample_size`` voxels of the box, and which of them
    lie in the inscribed sphere (None unless ``sphere``); no copy of the map is made."""
    data = np.asarray(data)
    step = max(1, data.size // max(1, sample_size))
    flat_index = np.arange(0, data.size, step, dtype=np.int64)
    sample = data.reshape(-1)[flat_index] if data.flags.c_contiguous else data.flat[flat_index]
    if not sphere or data.ndim != 3:
        return sample, None
    x0, x1 = sphere_rows(data.shape)
    row, x = np.divmod(flat_index, data.shape[2])          # row = z * ny + y
    return sample, (x >= x0.reshape(-1)[row]) & (x < x1.reshape(-1)[row])


def _top_value(sample: np.ndarray) -> tuple[float, float]:
    """The most common value of a sample and the fraction that holds it exactly ((0, nan) if empty)."""
    if not sample.size:
        return 0.0, math.nan
    values, counts = np.unique(sample, return_counts=True)
    top = int(np.argmax(counts))
    return float(counts[top]) / sample.size, float(values[top]) + 0.0   # + 0.0: no "-0"


def flattened_fraction(data: np.ndarray, sample_size: int = FLAT_SAMPLE, *,
                       sphere: bool = False) -> tuple[float, float]:
    """The most common value of a map and the fraction of voxels that hold it exactly.

    Estimated on an evenly strided sample of about ``sample_size`` voxels (no full sort).
    A masked or solvent-flattened map has a large fraction at one value (usually 0);
    an unmasked one has none above a fraction of a percent.

    Parameters
    ----------
    data : numpy.ndarray
        The input map.
    sample_size : int, optional
        Voxels to sample (of the whole box).
    sphere : bool, optional
        Count only the sampled voxels in the box's inscribed sphere, where the solvent
        model samples (``inscribed_sphere``): RELION's maps are exactly 0 in the box
        corners outside it, and that does not disturb the model.

    Returns
    -------
    (float, float)
        The fraction (0..1) and the value; ``(0.0, nan)`` when no voxel is sampled.

    Examples
    --------
    >>> m = np.zeros((20, 20, 20), np.float32)
    >>> m[5:15, 5:15, 5:15] = np.random.default_rng(0).random((10, 10, 10))
    >>> fraction, value = flattened_fraction(m)
    >>> round(fraction, 3), value
    (0.875, 0.0)
    >>> m[inscribed_sphere(m.shape)] = 1 + np.random.default_rng(1).random(int(inscribed_sphere(m.shape).sum()))
    >>> flattened_fraction(m)[0] > 0.4, flattened_fraction(m, sphere=True)[0] < 0.01
    (True, True)
    """
    sample, inside = _strided_sample(data, sample_size, sphere)
    return _top_value(sample if inside is None else sample[inside])


def flattening_warning(data: np.ndarray, solvent: SolventModel) -> str | None:
    """The warning for a solvent-flattened or masked input map (troubleshooting.md), or None.

    Only the box's inscribed sphere, where the solvent model samples, is looked at: a map
    that is constant only outside it (RELION zeroes the corners outside its reconstruction
    sphere) does not warn.

    Parameters
    ----------
    data : numpy.ndarray
        The input map.
    solvent : SolventModel
        Its solvent model (its width goes into the message).

    Returns
    -------
    str or None
        One line saying what the masking means for the scale and the modification, when
        more than ``FLAT_FRACTION`` of the inscribed sphere's voxels hold one value.
    """
    sample, inside = _strided_sample(data, FLAT_SAMPLE, sphere=True)
    fraction, value = _top_value(sample if inside is None else sample[inside])
    if fraction <= FLAT_FRACTION:
        return None
    whole = float(np.count_nonzero(sample == value)) / sample.size
    return (f"{whole:.0%} of the voxels are exactly {value:g} ({fraction:.0%} of the inscribed sphere the "
            "solvent model samples): the map looks solvent-flattened or masked, "
            "which occupy is not designed for (it models the solvent noise of the unmasked map); expect a "
            f"narrow solvent model (width {solvent.sigma:.3g}), a scale that follows the mask's edge, and "
            "modifications that change little or amplify noise near the mask. Use the unmasked map if you "
            "have it, or give --solvent-def")
