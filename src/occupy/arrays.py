"""Checks and conversions of the arrays given to the public array functions.

They say what is wrong in the words the command line uses for a map file, so that
``occupy.estimate_scale(array, ...)`` and ``occupy -i map.mrc`` reject the same data
the same way.
"""
from __future__ import annotations

import numpy as np

from .errors import OccupyError

__all__ = ["as_float_volume", "check_map_values", "require_real"]


def require_real(arr: np.ndarray, what: str = "map") -> None:
    """Refuse complex and non-numeric arrays (before any conversion would drop their meaning).

    Parameters
    ----------
    arr : numpy.ndarray
        The array.
    what : str, optional
        How messages name it.

    Raises
    ------
    OccupyError
        ``<what> is complex; occupy needs real values``, or for a non-numeric dtype.
    """
    if np.iscomplexobj(arr):
        raise OccupyError(f"{what} is complex; occupy needs real values")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise OccupyError(f"{what} has dtype {arr.dtype}; occupy needs numbers")


def as_float_volume(data: np.ndarray, what: str = "the map") -> np.ndarray:
    """Return a 3-D float32 or float64 view (or copy) of ``data``, in native byte order.

    float32 and float64 are kept (strides too, when possible); other real dtypes are
    converted to float32.

    Parameters
    ----------
    data : numpy.ndarray
        The array (any real dtype).
    what : str, optional
        How messages name it.

    Returns
    -------
    numpy.ndarray
        3-D, float32 or float64, native byte order.

    Raises
    ------
    OccupyError
        If ``data`` is not 3-D, is empty, or is complex or not numeric.

    Examples
    --------
    >>> as_float_volume(np.zeros((2, 3, 4), dtype=np.int16)).dtype
    dtype('float32')
    """
    arr = np.asarray(data)
    require_real(arr, what)
    if arr.ndim != 3:
        raise OccupyError(f"expected a 3-D map, got {arr.ndim}-D array of shape {arr.shape}")
    if arr.size == 0:
        raise OccupyError(f"{what} is empty (shape {arr.shape})")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float32)
    if arr.dtype.byteorder not in ("=", "|"):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr


def check_map_values(data: np.ndarray, what: str = "map", *, allow_constant: bool = False,
                     threads: int | None = None, known: tuple[float, float, int] | None = None
                     ) -> tuple[float, float]:
    """Refuse NaN/Inf values and (unless ``allow_constant``) a constant map, in one pass.

    Parameters
    ----------
    data : numpy.ndarray
        A real, non-empty array.
    what : str, optional
        How messages name it (``"PATH: map"`` for a file).
    allow_constant : bool, optional
        Accept a map whose voxels are all equal (masks).
    threads : int, optional
        Thread count of the compiled pass.
    known : (float, float, int), optional
        ``occupy.stats.finite_range(data)``, already found (as ``read_map`` does while
        reading): the checks use it instead of a pass over the map.

    Returns
    -------
    (float, float)
        The map's minimum and maximum.

    Raises
    ------
    OccupyError
        ``<what> contains N NaN/Inf values``, ``<what> is constant (every voxel is V)``,
        or for complex, non-numeric or empty data.

    Examples
    --------
    >>> check_map_values(np.array([[[0.0, 2.0]]], dtype=np.float32))
    (0.0, 2.0)
    >>> check_map_values(np.ones((2, 2, 2)))
    Traceback (most recent call last):
    ...
    occupy.errors.OccupyError: map is constant (every voxel is 1)
    """
    from .stats import finite_range
    arr = np.asarray(data)
    require_real(arr, what)
    if arr.size == 0:
        raise OccupyError(f"{what} is empty (shape {arr.shape})")
    lo, hi, n_bad = known if known is not None else finite_range(arr, threads)
    if n_bad:
        raise OccupyError(f"{what} contains {n_bad} NaN/Inf values")
    if not allow_constant and lo == hi:
        raise OccupyError(f"{what} is constant (every voxel is {lo:g})")
    return lo, hi
