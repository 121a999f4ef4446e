"""The statistics an MRC header carries (DMIN, DMAX, DMEAN, RMS), made by the compiled kernels.

Identical for any thread count (fixed-size blocks, merged in order); used for every map
occupy writes (``occupy.io.mrcwrite``) and for the scale made in one pass with its other
numbers (``occupy.regions``).
"""
from __future__ import annotations

import numpy as np

from .stats import kernel_ready
from .threads import effective_threads

__all__ = ["header_statistics", "merge_block_stats"]


def merge_block_stats(size: int, sums: np.ndarray, squares: np.ndarray, minima: np.ndarray,
                      maxima: np.ndarray) -> tuple[float, float, float, float]:
    """Merge per-block statistics, made by a kernel in blocks of the stats kernels' size, in block order.

    Parameters
    ----------
    size : int
        Voxels in the whole array.
    sums, squares : numpy.ndarray
        Per block: the sum and the sum of squared deviations from the block's mean (float64).
    minima, maxima : numpy.ndarray
        Per block: the minimum and maximum (float32).

    Returns
    -------
    (float, float, float, float)
        Minimum, maximum, mean and standard deviation, as ``header_statistics`` gives them.
    """
    from ._ext import _stats
    return _stats.merge_block_stats(size, sums, squares, minima, maxima)


def header_statistics(values: np.ndarray, threads: int | None = None
                      ) -> tuple[float, float, float, float] | None:
    """Return ``(min, max, mean, std)`` of a float32 map for an MRC header.

    Parameters
    ----------
    values : numpy.ndarray
        The map, any shape.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); the result
        does not depend on it.

    Returns
    -------
    tuple of float or None
        For the header's DMIN, DMAX, DMEAN and RMS; ``std`` has ddof 0 (RMS as mrcfile
        defines it). None for an empty, non-float32 or non-C-contiguous array,
        or when a statistic is not finite; the caller then uses mrcfile's own.

    Examples
    --------
    >>> import numpy as np
    >>> header_statistics(np.array([[[1, 3]]], dtype=np.float32))
    (1.0, 3.0, 2.0, 1.0)
    >>> header_statistics(np.zeros((2, 2, 2))) is None  # float64
    True
    """
    arr = np.asarray(values)
    if not kernel_ready(arr):
        return None
    from ._ext import _stats
    stats = _stats.mean_std(arr.reshape(-1), effective_threads(threads))
    return stats if np.isfinite(stats).all() else None

