"""Regions of a map: where it is above a level (packed), and what lies there; the only caller
of ``_ext/_regions``. Used for the partial-occupancy fraction and the variability limit."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .header_stats import merge_block_stats
from .stats import kernel_ready
from .threads import effective_threads

__all__ = ["ScaleStatistics", "above_mask", "partial_fraction", "scale_statistics", "values_where_equal"]


def above_mask(values: np.ndarray, level: float, threads: int | None = None) -> np.ndarray:
    """Where a map is above a level, packed eight voxels a byte (1/32 of a float32 map).

    Parameters
    ----------
    values : numpy.ndarray
        Any real array (compiled for C-contiguous float32).
    level : float
        The level.
    threads : int, optional
        Thread count; the result does not depend on it.

    Returns
    -------
    numpy.ndarray
        ``np.packbits(values.ravel() > level, bitorder="little")``.

    Examples
    --------
    >>> above_mask(np.array([0.0, 2.0, 3.0], dtype=np.float32), 1.0)
    array([6], dtype=uint8)
    """
    arr = np.asarray(values)
    if kernel_ready(arr):
        from ._ext import _regions
        return _regions.above_bits(arr.reshape(-1), float(level), effective_threads(threads))
    return np.packbits(arr.reshape(-1) > level, bitorder="little")


def values_where_equal(key: np.ndarray, value: float, values: np.ndarray, threads: int | None = None
                       ) -> np.ndarray:
    """``values[key == value]``, in order, without a boolean mask of the whole map.

    Parameters
    ----------
    key, values : numpy.ndarray
        Arrays of the same shape (compiled for C-contiguous float32).
    value : float
        The key value selected.
    threads : int, optional
        Thread count; the result does not depend on it.

    Returns
    -------
    numpy.ndarray
        1-D, the selected values.

    Examples
    --------
    >>> values_where_equal(np.array([1.0, 0.5, 1.0], dtype=np.float32), 1.0,
    ...                    np.array([3.0, 4.0, 5.0], dtype=np.float32))
    array([3., 5.], dtype=float32)
    """
    k, v = np.asarray(key), np.asarray(values)
    if k.shape != v.shape:
        raise ValueError(f"key {k.shape} and values {v.shape} differ in shape")
    if kernel_ready(k) and kernel_ready(v):
        from ._ext import _regions
        return _regions.gather_where_equal(k.reshape(-1), float(value), v.reshape(-1), effective_threads(threads))
    return v[k == value]


def partial_fraction(lowpassed: np.ndarray | None, scale: np.ndarray, solvent_edge: float, limit: float = 0.5,
                     threads: int | None = None, *, solid: np.ndarray | None = None) -> float:
    """Fraction of the non-solvent voxels whose scale is below ``limit`` (partial occupancy).

    Non-solvent voxels are those where the lowpassed map lies above the solvent model's
    edge. One compiled pass for float32 maps; the count does not depend on ``threads``.

    Parameters
    ----------
    lowpassed : numpy.ndarray
        The lowpassed map the solvent model was fitted to.
    scale : numpy.ndarray
        The local scale, same shape.
    solvent_edge : float
        Where the solvent model says solvent ends, in map values.
    limit : float, optional
        Scale below which a voxel counts as partial.
    threads : int, optional
        Thread count.
    solid : numpy.ndarray, optional
        ``above_mask(lowpassed, solvent_edge)``, made earlier, instead of ``lowpassed``.

    Returns
    -------
    float
        The fraction, in [0, 1]; NaN when no voxel lies above ``solvent_edge``.

    Raises
    ------
    ValueError
        If the shapes differ.

    Examples
    --------
    >>> lp = np.array([0.0, 1.0, 1.0, 1.0, 1.0], dtype=np.float32)
    >>> partial_fraction(lp, np.array([0.1, 0.2, 0.9, 0.8, 0.4], dtype=np.float32), 0.5)
    0.5
    """
    b = np.asarray(scale)
    if solid is not None:
        from ._ext import _regions
        n, m = _regions.count_bits_below(solid, np.ascontiguousarray(b, dtype=np.float32).reshape(-1), float(limit),
                                       effective_threads(threads))
        return m / n if n else float("nan")
    a = np.asarray(lowpassed)
    if a.shape != b.shape:
        raise ValueError(f"lowpassed map {a.shape} and scale {b.shape} differ in shape")
    if kernel_ready(a) and kernel_ready(b):
        from ._ext import _regions
        n, m = _regions.count_above_below(a.reshape(-1), float(solvent_edge), b.reshape(-1), float(limit),
                                        effective_threads(threads))
    else:
        solid = a > solvent_edge
        n, m = int(np.count_nonzero(solid)), int(np.count_nonzero(solid & (b < limit)))
    return m / n if n else float("nan")


@dataclass
class ScaleStatistics:
    """What a run reports about its scale map, from one pass over it (``scale_statistics``).

    Parameters
    ----------
    header_stats : (float, float, float, float) or None
        Minimum, maximum, mean and standard deviation, exactly as
        ``occupy.header_stats.header_statistics`` gives them (None if not finite).
    n_full : int
        How many voxels have a scale of exactly 1.
    sum_full : float
        The sum of the scale's input map over those voxels, exactly as
        ``np.sum(scale_input[scale == 1], dtype=np.float64)`` gives it (0.0 if none).
    partial_fraction : float
        Of the voxels in the solid mask, the fraction with scale below the limit (NaN if none).
    """

    header_stats: tuple[float, float, float, float] | None
    n_full: int
    sum_full: float
    partial_fraction: float


def scale_statistics(scale: np.ndarray, scale_input: np.ndarray, solid: np.ndarray, limit: float = 0.5,
                    threads: int | None = None) -> ScaleStatistics:
    """Summarise a float32 scale map in one pass: header statistics, full-scale values, partial fraction.

    Parameters
    ----------
    scale : numpy.ndarray
        The scale, C-contiguous float32.
    scale_input : numpy.ndarray
        The map the scale came from, same shape (C-contiguous float32).
    solid : numpy.ndarray
        ``above_mask(lowpassed, solvent_edge)``: where the map is not solvent.
    limit : float, optional
        Scale below which a solid voxel counts as partially occupied.
    threads : int, optional
        Thread count; the results do not depend on it.

    Returns
    -------
    ScaleStatistics
        The same numbers as ``header_statistics(scale)``, the size and ``np.sum(..., dtype=np.float64)``
        of ``values_where_equal(scale, 1, scale_input)``, and ``partial_fraction(None, scale, ...,
        solid=solid)``; the full-scale values are summed where they lie, never gathered (on a map of
        noise most voxels are at full scale).

    Raises
    ------
    ValueError
        If the arrays are not C-contiguous float32 of one size, or the mask does not fit.

    Examples
    --------
    >>> s = np.array([1.0, 0.25, 1.0, 0.75], dtype=np.float32)
    >>> m = np.array([5.0, 1.0, 3.0, 2.0], dtype=np.float32)
    >>> r = scale_statistics(s, m, above_mask(m, 1.5))
    >>> [round(v, 6) for v in r.header_stats], r.n_full, r.sum_full, r.partial_fraction
    ([0.25, 1.0, 0.75, 0.306186], 2, 8.0, 0.0)
    """
    from ._ext import _regions
    for arr, what in ((scale, "scale"), (scale_input, "scale input")):
        if not (kernel_ready(np.asarray(arr)) and arr.size == scale.size):
            raise ValueError(f"{what} must be C-contiguous float32 of the scale's size")
    n_threads = effective_threads(threads)
    flat = scale.reshape(-1)
    blocks, per_block, n_solid, n_partial = _regions.summarize_scale(flat, solid, float(limit), n_threads)
    stats = merge_block_stats(flat.size, *blocks)
    n_full, sum_full = _regions.sum_full_blocks(flat, 1.0, scale_input.reshape(-1), per_block, n_threads)
    return ScaleStatistics(header_stats=stats if np.isfinite(stats).all() else None, n_full=n_full, sum_full=sum_full,
                        partial_fraction=n_partial / n_solid if n_solid else float("nan"))
