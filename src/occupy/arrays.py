"""Checks and conversions of the arrays given to the public array functions."""
from __future__ import annotations

import numpy as np

from .errors import OccupyError

__all__ = ["as_float_volume"]


def as_float_volume(data: np.ndarray) -> np.ndarray:
    """Return a 3-D float32 or float64 view (or copy) of ``data``, in native byte order.

    float32 and float64 are kept (strides too, when possible); other dtypes are
    converted to float32.

    Parameters
    ----------
    data : numpy.ndarray
        A map indexed ``[z, y, x]``, or anything ``numpy.asarray`` turns into one.

    Returns
    -------
    numpy.ndarray
        ``data`` itself (or a view) when it is native float32/float64, else a converted copy.

    Raises
    ------
    OccupyError
        If ``data`` is not 3-D or is empty.

    Examples
    --------
    >>> import numpy as np
    >>> as_float_volume(np.zeros((2, 3, 4), dtype=np.int16)).dtype
    dtype('float32')
    >>> vol = np.zeros((2, 3, 4))
    >>> as_float_volume(vol) is vol
    True
    """
    arr = np.asarray(data)
    if arr.ndim != 3:
        raise OccupyError(f"expected a 3-D map, got {arr.ndim}-D array of shape {arr.shape}")
    if arr.size == 0:
        raise OccupyError(f"the map is empty (shape {arr.shape})")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float32)
    if arr.dtype.byteorder not in ("=", "|"):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr
