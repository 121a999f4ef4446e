"""The default solvent sample, the box's inscribed sphere (algorithm.md §6): as a mask, row by
row, and the lowpassed map's range over it found in the same pass as over the whole map."""
from __future__ import annotations

import numpy as np

from ..stats import finite_range
from ..threads import effective_threads

__all__ = ["inscribed_sphere", "lowpassed_ranges", "sphere_rows"]


def inscribed_sphere(shape: tuple[int, ...]) -> np.ndarray:
    """Boolean mask of the sphere inscribed in the box (the default solvent sample, algorithm.md §6).

    Parameters
    ----------
    shape : tuple of int
        Box shape in voxels, axes [z, y, x].

    Returns
    -------
    numpy.ndarray
        Boolean array of ``shape``, True within ``floor(min(shape)/2)`` voxels of the box
        centre ((n-1)/2 on each axis).

    Examples
    --------
    >>> int(inscribed_sphere((5, 5, 5)).sum())
    33
    """
    r2 = float((min(shape) // 2) ** 2)
    d2 = [(np.arange(n) - (n - 1) / 2.0) ** 2 for n in shape]
    mask = np.empty(shape, dtype=bool)
    yx = d2[1][:, None] + d2[2][None, :]
    for z in range(shape[0]):      # plane by plane: no full-size float temporaries
        np.less_equal(yx, r2 - d2[0][z], out=mask[z])
    return mask


def sphere_rows(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per ``(z, y)`` row, the x range ``[x0, x1)`` of ``inscribed_sphere``.

    Exact: all squared distances are multiples of 1/4 well below 2^50, so float64 holds
    them without rounding and ``dy² + dx² <= r² - dz²`` is ``dx² <= r² - dz² - dy²``.

    Parameters
    ----------
    shape : tuple of int
        Box shape in voxels, axes [z, y, x].

    Returns
    -------
    x0 : numpy.ndarray
        First x index inside, per row (int64, shape ``shape[:2]``).
    x1 : numpy.ndarray
        One past the last x index inside; an empty row has ``x0 == x1``.

    Examples
    --------
    >>> x0, x1 = sphere_rows((5, 5, 5))
    >>> x0[2].tolist(), x1[2].tolist()
    ([2, 1, 0, 1, 2], [3, 4, 5, 4, 3])
    """
    nz, ny, nx = shape
    r2 = float((min(shape) // 2) ** 2)
    d2 = [(np.arange(n) - (n - 1) / 2.0) ** 2 for n in shape]
    room = r2 - d2[0][:, None] - d2[1][None, :]
    right = d2[2][nx // 2:]                 # increasing squared distances of the right half
    x1 = (nx // 2 + np.searchsorted(right, room, side="right")).astype(np.int64)
    x0 = np.minimum(nx - x1, x1)            # mirror image of the last voxel inside
    return np.ascontiguousarray(x0), np.ascontiguousarray(x1)


def lowpassed_ranges(lpmap: np.ndarray, mask: np.ndarray | None, threads: int | None
                     ) -> tuple[tuple[float, float, int], tuple[np.float32, np.float32, int] | None]:
    """The range of a lowpassed map and, for the solvent model without a mask, of its inscribed
    sphere, from one pass over the map.

    Parameters
    ----------
    lpmap : numpy.ndarray
        The lowpassed map, 3-D.
    mask : numpy.ndarray or None
        The solvent definition, if any (then the sphere's range is not made).
    threads : int or None
        Thread count; results do not depend on it.

    Returns
    -------
    whole : (float, float, int)
        ``occupy.stats.finite_range(lpmap)``: for ``check_map_values(..., known=whole)``.
    sample : (numpy.float32, numpy.float32, int) or None
        ``rows_value_range`` of the inscribed sphere, for ``fit_solvent_unchecked``; None with
        a mask, or for a map the compiled kernels do not take.
    """
    if mask is not None or not (lpmap.dtype == np.float32 and lpmap.flags.c_contiguous and lpmap.size):
        return finite_range(lpmap, threads), None
    from .._ext import _stats
    x0, x1 = sphere_rows(lpmap.shape)
    lo, hi, bad, slo, shi, n = _stats.finite_minmax_rows(lpmap, x0, x1, effective_threads(threads))
    return (lo, hi, bad), (np.float32(slo), np.float32(shi), n)
