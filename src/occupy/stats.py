"""Value ranges, header statistics and histograms of maps; the only caller of ``_ext/_stats``.

Float32 C-contiguous arrays go through the compiled parallel reductions; anything
else falls back to NumPy with the same results. Every result is identical for any
thread count (fixed-size blocks, merged in order; histogram counts are integers).
Histograms are those of ``np.histogram(values, N_BINS, range=(lo, hi), density=True)``:
same edges, same bin rule, same heights.
"""
from __future__ import annotations

import numpy as np

from .constants import N_BINS
from .threads import effective_threads

__all__ = [
    "density",
    "density_histogram",
    "header_statistics",
    "histogram_edges",
    "rows_density_histogram",
    "rows_value_range",
    "value_range",
]


def _compiled(arr: np.ndarray) -> bool:
    return arr.dtype == np.float32 and arr.flags.c_contiguous and arr.size > 0


def histogram_edges(lo, hi, n_bins: int = N_BINS) -> np.ndarray:
    """The ``n_bins + 1`` edges that ``np.histogram(values, n_bins, range=(lo, hi))`` uses.

    The edges have the dtype of ``lo``/``hi`` (float32 edges for float32 limits), as NumPy's.
    """
    return np.histogram_bin_edges(np.empty(0, dtype=np.result_type(lo, hi)), bins=n_bins,
                                  range=(lo, hi))


def density(counts: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Histogram heights as a density, computed as ``np.histogram(..., density=True)`` does."""
    width = np.array(np.diff(edges), float)
    return counts / width / counts.sum()


def value_range(values: np.ndarray, threads: int | None = None):
    """``(min, max)`` of a non-empty array.

    For float32 input the limits are NumPy float32 scalars (exactly the array's values);
    otherwise they are whatever ``values.min()``/``values.max()`` return.
    """
    arr = np.asarray(values)
    if _compiled(arr):
        from ._ext import _stats
        lo, hi = _stats.minmax(arr.reshape(-1), effective_threads(threads))
        return np.float32(lo), np.float32(hi)
    return arr.min(), arr.max()


def density_histogram(values: np.ndarray, lo, hi, threads: int | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Density histogram of ``values`` in ``N_BINS`` bins over ``[lo, hi]``: (heights, edges)."""
    arr = np.asarray(values)
    if not _compiled(arr):
        return np.histogram(arr, bins=N_BINS, range=(lo, hi), density=True)
    from ._ext import _stats
    edges = histogram_edges(lo, hi)
    counts = _stats.histogram(arr.reshape(-1), edges.astype(np.float64), effective_threads(threads))
    return density(counts, edges), edges


def rows_value_range(vol: np.ndarray, x0: np.ndarray, x1: np.ndarray,
                     threads: int | None = None) -> tuple[np.float32, np.float32, int]:
    """``(min, max, count)`` over the voxels ``vol[z, y, x0[z, y]:x1[z, y]]`` of a float32 map."""
    from ._ext import _stats
    lo, hi, n = _stats.rows_minmax(vol, x0, x1, effective_threads(threads))
    return np.float32(lo), np.float32(hi), int(n)


def rows_density_histogram(vol: np.ndarray, x0: np.ndarray, x1: np.ndarray, lo, hi,
                           threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`density_histogram` of the voxels ``vol[z, y, x0[z, y]:x1[z, y]]`` (no gathered copy)."""
    from ._ext import _stats
    edges = histogram_edges(lo, hi)
    counts = _stats.rows_histogram(vol, x0, x1, edges.astype(np.float64), effective_threads(threads))
    return density(counts, edges), edges


def header_statistics(values: np.ndarray, threads: int | None = None
                      ) -> tuple[float, float, float, float] | None:
    """``(min, max, mean, std)`` of a float32 map for an MRC header, or None if not computable.

    ``std`` has ddof 0 (the header's RMS field as mrcfile defines it). None for an empty
    or non-float32 array, or when a statistic is not finite.
    """
    arr = np.asarray(values)
    if not _compiled(arr):
        return None
    from ._ext import _stats
    stats = _stats.mean_std(arr.reshape(-1), effective_threads(threads))
    return stats if np.isfinite(stats).all() else None
