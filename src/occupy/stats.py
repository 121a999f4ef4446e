"""Value ranges and histograms of maps (header statistics: ``occupy.header_stats``).

Float32 C-contiguous arrays go through the compiled parallel reductions; anything
else falls back to NumPy with the same results. Every result is identical for any
thread count (fixed-size blocks, merged in order; histogram counts are integers).
Histograms are those of ``np.histogram(values, N_BINS, range=(lo, hi), density=True)``:
same edges, same bin rule, same heights (edges in float64 where NumPy's refuses: ``histogram_edges``).
"""
from __future__ import annotations

import numpy as np

from .constants import N_BINS
from .threads import effective_threads

__all__ = [
    "density",
    "density_histogram",
    "density_histogram_above",
    "finite_range",
    "histogram_edges",
    "kernel_ready",
    "rows_density_histogram",
    "rows_value_range",
    "value_range",
]


def kernel_ready(arr: np.ndarray) -> bool:
    """Say whether the compiled kernels take ``arr`` as it is (non-empty C-contiguous float32).

    Parameters
    ----------
    arr : numpy.ndarray
        Any array.

    Returns
    -------
    bool
        True if a kernel can read it in place; otherwise callers use NumPy, with the same results.
    """
    return arr.dtype == np.float32 and arr.flags.c_contiguous and arr.size > 0


def histogram_edges(lo, hi, n_bins: int = N_BINS, values_dtype=None) -> np.ndarray:
    """Return the ``n_bins + 1`` edges that ``np.histogram(values, n_bins, range=(lo, hi))`` uses.

    Parameters
    ----------
    lo, hi : float or numpy.floating
        The histogram range (map values). If ``lo == hi`` NumPy widens it to
        ``[lo - 0.5, hi + 0.5]``.
    n_bins : int
        Number of equal-width bins (default ``N_BINS``, 1000).
    values_dtype : numpy.dtype, optional
        The dtype of the values to be histogrammed, which NumPy takes into account too.

    Returns
    -------
    numpy.ndarray
        1-D, strictly ascending, with the dtype NumPy gives them: that of ``lo``/``hi`` (and
        the values), e.g. float32 for float32 limits or values. Where that dtype cannot hold
        ``n_bins + 1`` distinct edges (a narrow range far from 0, such as a map plus 1e6:
        NumPy's "Too many bins for data range") or ``hi - lo``, they are made in float64.

    Raises
    ------
    ValueError
        If ``lo > hi`` or a limit is not finite.

    Examples
    --------
    >>> histogram_edges(0.0, 1.0, 4)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    >>> e = histogram_edges(np.float32(1e6), np.float32(1e6 + 1))   # 16 float32 values apart
    >>> e.dtype, e.size, bool((np.diff(e) > 0).all())
    (dtype('float64'), 1001, True)
    """
    like = () if values_dtype is None else (np.empty(0, dtype=values_dtype),)
    edge_type = np.result_type(lo, hi, *like)
    narrower = edge_type != np.float64 and np.issubdtype(edge_type, np.floating)
    if narrower and lo < hi and not _edges_fit(lo, hi, n_bins, edge_type):
        edge_type, lo, hi = np.float64, float(lo), float(hi)
    return np.histogram_bin_edges(np.empty(0, dtype=edge_type), bins=n_bins, range=(lo, hi))


def _edges_fit(lo, hi, n_bins: int, edge_type) -> bool:
    """Whether NumPy makes ``n_bins + 1`` finite, strictly ascending edges from ``lo`` to ``hi`` in ``edge_type``."""
    if not float(hi) - float(lo) <= float(np.finfo(edge_type).max):
        return False                # NumPy's span overflows
    edges = np.linspace(lo, hi, n_bins + 1, dtype=edge_type)
    return bool((edges[:-1] < edges[1:]).all())


def density(counts: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Turn bin counts into density heights, computed as ``np.histogram(..., density=True)`` does.

    Parameters
    ----------
    counts : numpy.ndarray
        Count per bin (``n`` values).
    edges : numpy.ndarray
        The ``n + 1`` bin edges.

    Returns
    -------
    numpy.ndarray
        The float64 heights ``counts / width / counts.sum()``, which integrate to 1
        over ``edges`` (NaN if every count is 0).

    Examples
    --------
    >>> import numpy as np
    >>> density(np.array([1, 3]), np.array([0.0, 0.5, 1.0]))
    array([0.5, 1.5])
    """
    width = np.array(np.diff(edges), float)
    return counts / width / counts.sum()


def value_range(values: np.ndarray, threads: int | None = None):
    """Return ``(min, max)`` of a non-empty array.

    Parameters
    ----------
    values : numpy.ndarray
        Any shape, e.g. a ``[z, y, x]`` map. float32 C-contiguous arrays take the
        compiled parallel path, anything else NumPy's ``min``/``max``.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); the result
        does not depend on it.

    Returns
    -------
    tuple
        ``(lo, hi)``. For float32 input NumPy float32 scalars (exactly the array's values);
        otherwise whatever ``values.min()``/``values.max()`` return.

    Raises
    ------
    ValueError
        If ``values`` is empty.

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = value_range(np.array([[[3, -1], [2, 5]]], dtype=np.float32))
    >>> float(lo), float(hi), lo.dtype
    (-1.0, 5.0, dtype('float32'))
    """
    arr = np.asarray(values)
    if kernel_ready(arr):
        from ._ext import _stats
        lo, hi = _stats.minmax(arr.reshape(-1), effective_threads(threads))
        return np.float32(lo), np.float32(hi)
    return arr.min(), arr.max()


def finite_range(values: np.ndarray, threads: int | None = None) -> tuple[float, float, int]:
    """The range of the finite values of a non-empty array, and how many are not finite.

    One pass for float32 (compiled); NumPy otherwise.

    Parameters
    ----------
    values : numpy.ndarray
        Any real array.
    threads : int, optional
        Thread count; the result does not depend on it.

    Returns
    -------
    (float, float, int)
        Minimum and maximum of the finite values (NaN if there are none) and the number
        of NaN/Inf values.

    Examples
    --------
    >>> finite_range(np.array([1.0, np.nan, -2.0, np.inf], dtype=np.float32))
    (-2.0, 1.0, 2)
    """
    arr = np.asarray(values)
    if kernel_ready(arr):
        from ._ext import _stats
        lo, hi, bad = _stats.finite_minmax(arr.reshape(-1), effective_threads(threads))
        return float(lo), float(hi), int(bad)
    finite = np.isfinite(arr)
    n_bad = int(arr.size - np.count_nonzero(finite))
    if n_bad == arr.size:
        return float("nan"), float("nan"), n_bad
    kept = arr[finite] if n_bad else arr
    return float(kept.min()), float(kept.max()), n_bad


def density_histogram(values: np.ndarray, lo, hi, threads: int | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Density histogram of ``values`` in ``N_BINS`` bins over ``[lo, hi]``.

    Parameters
    ----------
    values : numpy.ndarray
        Any shape; values outside ``[lo, hi]`` are not counted.
    lo, hi : float or numpy.floating
        The histogram range, usually the map's ``value_range``.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); the result
        does not depend on it.

    Returns
    -------
    heights : numpy.ndarray
        ``N_BINS`` float64 density heights (integrating to 1 over the edges).
    edges : numpy.ndarray
        The ``N_BINS + 1`` bin edges (see ``histogram_edges``).

    Raises
    ------
    ValueError
        If ``lo > hi`` or a limit is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> heights, edges = density_histogram(np.linspace(0, 1, 5000, dtype=np.float32),
    ...                                    np.float32(0), np.float32(1))
    >>> heights.shape, edges.shape, round(float(heights.mean()), 3)
    ((1000,), (1001,), 1.0)
    """
    arr = np.asarray(values)
    edges = histogram_edges(lo, hi, values_dtype=arr.dtype)
    if not kernel_ready(arr):
        return np.histogram(arr, bins=edges, density=True)
    from ._ext import _stats
    counts = _stats.histogram(arr.reshape(-1), edges.astype(np.float64), effective_threads(threads))
    return density(counts, edges), edges


def rows_value_range(vol: np.ndarray, x0: np.ndarray, x1: np.ndarray,
                     threads: int | None = None) -> tuple[np.float32, np.float32, int]:
    """Return ``(min, max, count)`` over the voxels ``vol[z, y, x0[z, y]:x1[z, y]]``.

    Selects one run of voxels along X per ``(z, y)`` row (e.g. a ball or a mask given
    row by row) without gathering them into a copy.

    Parameters
    ----------
    vol : numpy.ndarray
        The map: float32, C-contiguous, ``[z, y, x]``.
    x0, x1 : numpy.ndarray
        Start (inclusive) and stop (exclusive) X index of each row's run: int64,
        C-contiguous, shape ``(nz, ny)``; a row with ``x1 <= x0`` contributes nothing.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); the result
        does not depend on it.

    Returns
    -------
    tuple of (numpy.float32, numpy.float32, int)
        Minimum and maximum of the selected voxels, and their number.

    Raises
    ------
    ValueError
        If no voxel is selected, or an array has the wrong dtype or layout.

    Examples
    --------
    >>> import numpy as np
    >>> vol = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    >>> x0, x1 = np.full((2, 3), 1, np.int64), np.full((2, 3), 3, np.int64)
    >>> lo, hi, n = rows_value_range(vol, x0, x1)
    >>> float(lo), float(hi), n
    (1.0, 22.0, 12)
    """
    from ._ext import _stats
    lo, hi, n = _stats.rows_minmax(vol, x0, x1, effective_threads(threads))
    return np.float32(lo), np.float32(hi), int(n)


def density_histogram_above(values: np.ndarray, lo, hi, level: float, threads: int | None = None
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``density_histogram`` and ``occupy.regions.above_mask(values, level)`` in one pass over the map.

    Parameters
    ----------
    values : numpy.ndarray
        The map (compiled for C-contiguous float32).
    lo, hi : float
        The histogram's range (the map's minimum and maximum).
    level : float
        The level of the mask.
    threads : int, optional
        Thread count; the results do not depend on it.

    Returns
    -------
    heights, edges, mask : numpy.ndarray
        As ``density_histogram`` and ``above_mask`` return them.

    Examples
    --------
    >>> from occupy.regions import above_mask
    >>> v = np.linspace(0, 1, 5000, dtype=np.float32)
    >>> h, e, mask = density_histogram_above(v, np.float32(0), np.float32(1), 0.5)
    >>> bool(np.array_equal(mask, above_mask(v, 0.5)))
    True
    >>> bool(np.array_equal(h, density_histogram(v, np.float32(0), np.float32(1))[0]))
    True
    """
    arr = np.asarray(values)
    if not kernel_ready(arr):
        return (*density_histogram(arr, lo, hi, threads), np.packbits(arr.reshape(-1) > level, bitorder="little"))
    from ._ext import _stats
    edges = histogram_edges(lo, hi, values_dtype=arr.dtype)
    counts, mask = _stats.histogram_above(arr.reshape(-1), edges.astype(np.float64), float(level),
                                          effective_threads(threads))
    return density(counts, edges), edges, mask


def rows_density_histogram(vol: np.ndarray, x0: np.ndarray, x1: np.ndarray, lo, hi,
                           threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``density_histogram`` of the voxels ``vol[z, y, x0[z, y]:x1[z, y]]``.

    The voxels are read in place (no gathered copy); see ``rows_value_range``.

    Parameters
    ----------
    vol : numpy.ndarray
        The map: float32, C-contiguous, ``[z, y, x]``.
    x0, x1 : numpy.ndarray
        Start (inclusive) and stop (exclusive) X index of each row's run: int64,
        C-contiguous, shape ``(nz, ny)``.
    lo, hi : float or numpy.floating
        The histogram range; selected values outside it are not counted.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); the result
        does not depend on it.

    Returns
    -------
    heights : numpy.ndarray
        ``N_BINS`` float64 density heights.
    edges : numpy.ndarray
        The ``N_BINS + 1`` bin edges (see ``histogram_edges``).

    Raises
    ------
    ValueError
        If ``lo > hi``, or an array has the wrong dtype or layout.
    """
    from ._ext import _stats
    edges = histogram_edges(lo, hi, values_dtype=np.float32)
    counts = _stats.rows_histogram(vol, x0, x1, edges.astype(np.float64), effective_threads(threads))
    return density(counts, edges), edges
