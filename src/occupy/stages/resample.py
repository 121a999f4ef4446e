"""The processing box under ``--max-box`` and the Fourier crop and pad that go to it and back (algorithm.md §10).

Each crop or pad is one ``occupy.stages.spectral.spectral_map`` that keeps the frequencies the
two grids share.
"""
from __future__ import annotations

import numpy as np

from ..errors import OccupyError
from ..threads import effective_threads
from .spectral import spectral_map

__all__ = ["fourier_crop", "fourier_pad", "processing_shape"]


def processing_shape(shape: tuple[int, ...], max_box: int) -> tuple[int, ...]:
    """Return the shape the map is processed at under ``--max-box`` (algorithm.md §10).

    ``max_box <= 0`` or a largest side ``<= max_box`` leaves ``shape`` unchanged. Otherwise
    the largest side(s) become ``max_box`` and the other sides are scaled by the same
    factor and rounded to the nearest even number (at least 2, never larger than before).
    The processing voxel size is ``voxel_size * max(shape) / max_box``.

    Parameters
    ----------
    shape : tuple of int
        The map's shape (z, y, x) in voxels.
    max_box : int or None
        Largest side to process at (``--max-box``); 0, negative or None: no limit.

    Returns
    -------
    tuple of int
        The processing shape.

    Examples
    --------
    >>> processing_shape((300, 200, 151), 256)
    (256, 170, 128)
    """
    shape = tuple(int(n) for n in shape)
    if max_box is None or max_box <= 0:
        return shape
    largest = max(shape)
    if largest <= max_box:
        return shape
    factor = max_box / largest
    out = []
    for n in shape:
        if n == largest:
            out.append(int(max_box))
        else:
            out.append(min(max(2 * int(round(n * factor / 2.0)), 2), n))
    return tuple(out)


def _axis_index(n_from: int, n_to: int) -> tuple[np.ndarray, np.ndarray]:
    """Matching indices of the frequencies shared by an axis of ``n_from`` and one of ``n_to``.

    Only frequencies strictly below the smaller grid's Nyquist are shared (the Nyquist of
    an even smaller grid is dropped so that both directions stay exactly Hermitian).
    """
    m = min(n_from, n_to)
    kmax = (m - 1) // 2
    k = np.concatenate([np.arange(0, kmax + 1), np.arange(-kmax, 0)])
    return k % n_from, k % n_to


def _resample(data: np.ndarray, new_shape: tuple[int, ...], threads: int | None) -> np.ndarray:
    data = np.asarray(data)
    new_shape = tuple(int(n) for n in new_shape)
    if data.ndim != 3 or len(new_shape) != 3 or min(new_shape) < 1:
        raise OccupyError(f"cannot resample shape {data.shape} to {new_shape}")
    if new_shape == data.shape:
        return np.array(data, dtype=np.float32, copy=True)
    nthreads = effective_threads(threads)
    z_idx = _axis_index(data.shape[0], new_shape[0])
    y_idx = _axis_index(data.shape[1], new_shape[1])
    nkx = (min(data.shape[2], new_shape[2]) - 1) // 2 + 1
    # Unnormalised transforms both ways: divide by the OLD voxel count so that values
    # (and the mean) keep their scale.
    norm = np.float32(1.0 / float(np.prod(data.shape, dtype=np.float64)))

    def plane_scale(j: int, plane: np.ndarray) -> None:
        plane *= norm

    return spectral_map(data, new_shape, z_idx, y_idx, nkx, plane_scale, nthreads)


def fourier_crop(data: np.ndarray, new_shape: tuple[int, ...], threads: int | None = None) -> np.ndarray:
    """Downsample a 3-D map to ``new_shape`` by truncating its Fourier transform (algorithm.md §10).

    Values keep their scale: the mean is preserved (up to float32 rounding), and a map
    with no content at or above the new grid's Nyquist frequency is sampled, not
    rescaled. The new voxel size is ``voxel_size * old_side / new_side`` per axis.

    Parameters
    ----------
    data : numpy.ndarray
        The map, axes [z, y, x]; any real dtype (computed in float32).
    new_shape : tuple of int
        Shape in voxels, no side larger than ``data``'s.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); results do not depend on it.

    Returns
    -------
    numpy.ndarray
        New float32 array of shape ``new_shape`` (a copy if the shape is unchanged).

    Raises
    ------
    OccupyError
        If a side would grow, or ``data`` or ``new_shape`` is not 3-D or has a side < 1.

    See Also
    --------
    fourier_pad : The inverse, for band-limited maps.

    Examples
    --------
    A wave of 16 voxels per period, cropped to 8 voxels, is sampled at every other voxel:

    >>> wave = np.cos(2 * np.pi * np.arange(16) / 16).astype(np.float32)
    >>> small = fourier_crop(np.broadcast_to(wave, (16, 16, 16)), (8, 8, 8))
    >>> small.shape, small.dtype, bool(np.allclose(small, wave[::2], atol=1e-6))
    ((8, 8, 8), dtype('float32'), True)
    """
    if any(m > n for m, n in zip(new_shape, np.shape(data))):
        raise OccupyError(f"fourier_crop cannot enlarge {np.shape(data)} to {tuple(new_shape)}")
    return _resample(data, new_shape, threads)


def fourier_pad(data: np.ndarray, new_shape: tuple[int, ...], threads: int | None = None) -> np.ndarray:
    """Upsample a 3-D map to ``new_shape`` by zero-padding its Fourier transform (algorithm.md §10).

    Inverse of ``fourier_crop`` for band-limited maps, with the same normalisation
    (values keep their scale, the mean is preserved). Used to bring outputs computed at
    a ``--max-box`` size back to the input shape.

    Parameters
    ----------
    data : numpy.ndarray
        The map, axes [z, y, x]; any real dtype (computed in float32).
    new_shape : tuple of int
        Shape in voxels, no side smaller than ``data``'s.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); results do not depend on it.

    Returns
    -------
    numpy.ndarray
        New float32 array of exactly ``new_shape``.

    Raises
    ------
    OccupyError
        If a side would shrink, or ``data`` or ``new_shape`` is not 3-D or has a side < 1.

    Examples
    --------
    >>> wave = np.cos(2 * np.pi * np.arange(8) / 8).astype(np.float32)
    >>> big = fourier_pad(np.broadcast_to(wave, (8, 8, 8)), (16, 16, 16))
    >>> big.shape, bool(np.allclose(big[0, 0, ::2], wave, atol=1e-6))
    ((16, 16, 16), True)
    """
    if any(m < n for m, n in zip(new_shape, np.shape(data))):
        raise OccupyError(f"fourier_pad cannot shrink {np.shape(data)} to {tuple(new_shape)}")
    return _resample(data, new_shape, threads)
