"""Pruned 3-D FFTs: transform a map, keep a block of its spectrum, scale it, transform back.

All transforms are single precision (float32 <-> complex64) pyFFTW plans made per call with
``FFTW_ESTIMATE`` (planning takes milliseconds; FFTW keeps its own wisdom). The 3-D
transform runs axis by axis and keeps only the needed block of frequencies after each
axis; the x-axis (real) transforms run slab by slab, side by side on the threads, so no
full-size complex array is ever made. Results do not depend on the thread count.
"""
from __future__ import annotations

import numpy as np

from ..constants import BLOCK_VOXELS
from .fftw_core import fftw_core

__all__ = ["aligned_copy", "from_kept_spectrum", "kept_spectrum", "spectral_map"]

_FLAGS = ("FFTW_ESTIMATE",)


def _fftw():
    """pyFFTW's compiled core, loaded when a transform is first made (``fftw_core``: without the
    package's SciPy and Dask interfaces), so runs that fail early, and ``import occupy``, pay nothing."""
    return fftw_core()


def _rfft_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(shape[:-1]) + (shape[-1] // 2 + 1,)


def _slab_plans(shape: tuple[int, ...]):
    """Real and half-complex slab buffers with forward/backward x-axis plans (one slab of planes)."""
    real = _fftw().empty_aligned(shape, dtype=np.float32)
    spec = _fftw().empty_aligned(_rfft_shape(shape), dtype=np.complex64)
    fwd = _fftw().FFTW(real, spec, axes=(2,), direction="FFTW_FORWARD", flags=_FLAGS, threads=1)
    bwd = _fftw().FFTW(spec, real, axes=(2,), direction="FFTW_BACKWARD",
                      flags=_FLAGS + ("FFTW_DESTROY_INPUT",), threads=1)
    return real, spec, fwd, bwd


def _slab_bounds(n: int, shape_yx: tuple[int, int]) -> list[tuple[int, int]]:
    """(start, stop) of slabs of about BLOCK_VOXELS voxels covering ``n`` planes.

    Slab transforms are single-threaded on purpose: a cache-sized slab runs fastest on one
    thread; with more threads, whole slabs run side by side (``_each_slab``).
    """
    size = max(1, min(n, BLOCK_VOXELS // max(1, shape_yx[0] * shape_yx[1])))
    return [(start, min(n, start + size)) for start in range(0, n, size)]


def _each_slab(n: int, shape_yx: tuple[int, int], work, threads: int) -> None:
    """Call ``work(start, stop, plans)`` for every slab, ``threads`` slabs at a time.

    Each thread makes its own plans (a dict by slab size, for ``work`` to fill), so every
    slab is transformed by a plan of the same shape whichever thread runs it: the result
    does not depend on ``threads``. pyFFTW and NumPy's copies release the GIL.
    """
    bounds = _slab_bounds(n, shape_yx)
    workers = max(1, min(threads, len(bounds)))
    if workers == 1:
        plans: dict = {}
        for a, b in bounds:
            work(a, b, plans)
        return
    from concurrent.futures import ThreadPoolExecutor

    def run_share(k: int) -> None:
        plans: dict = {}
        for a, b in bounds[k::workers]:
            work(a, b, plans)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(run_share, k) for k in range(workers)]:
            future.result()


def _r2c_x_kept(data: np.ndarray, nkx: int, threads: int) -> np.ndarray:
    """First ``nkx`` x frequencies of the unnormalised r2c FFT along x, slab by slab."""
    nz, ny, _ = data.shape
    out = _fftw().empty_aligned((nz, ny, nkx), dtype=np.complex64)

    def work(a: int, b: int, plans: dict) -> None:
        if b - a not in plans:
            plans[b - a] = _slab_plans((b - a,) + tuple(data.shape[1:]))
        real, spec, fwd, _ = plans[b - a]
        np.copyto(real, data[a:b], casting="unsafe")
        fwd.execute()
        out[a:b] = spec[:, :, :nkx]

    _each_slab(nz, data.shape[1:], work, threads)
    return out


def _y_then_x_inverse(block: np.ndarray, y_to: np.ndarray | slice, out_shape: tuple[int, int, int],
                      threads: int) -> np.ndarray:
    """Unnormalised inverse along y, then c2r along x, of a kept block, slab by slab of planes.

    ``block`` holds the kept y frequencies (placed at ``y_to`` in the output's full y
    axis) of the non-negative x frequencies < nkx; x frequencies >= nkx are zero. Only one
    slab is ever expanded to the full y axis, so the whole block never is.
    """
    mz, my, mx = out_shape
    nkx = block.shape[2]
    out = np.empty(out_shape, dtype=np.float32)

    def work(a: int, b: int, plans: dict) -> None:
        if b - a not in plans:
            yslab = _fftw().empty_aligned((b - a, my, nkx), dtype=np.complex64)
            yplan = _fftw().FFTW(yslab, yslab, axes=(1,), direction="FFTW_BACKWARD", flags=_FLAGS, threads=1)
            plans[b - a] = (yslab, yplan, *_slab_plans((b - a, my, mx)))
        yslab, yplan, real, spec, _, bwd = plans[b - a]
        yslab[:] = 0
        yslab[:, y_to, :] = block[a:b]
        yplan.execute()
        spec[:, :, nkx:] = 0
        spec[:, :, :nkx] = yslab
        bwd.execute()
        out[a:b] = real

    _each_slab(mz, (my, mx), work, threads)
    return out


def _c2c_inplace(arr: np.ndarray, axis: int, forward: bool, threads: int) -> None:
    """Unnormalised in-place complex FFT of ``arr`` along ``axis``."""
    plan = _fftw().FFTW(arr, arr, axes=(axis,),
                       direction="FFTW_FORWARD" if forward else "FFTW_BACKWARD",
                       flags=_FLAGS, threads=threads)
    plan.execute()


def _take_aligned(arr: np.ndarray, index: np.ndarray | slice, axis: int) -> np.ndarray:
    """Aligned copy of ``arr`` restricted to ``index`` along ``axis``."""
    sel = [slice(None)] * arr.ndim
    sel[axis] = index
    view = arr[tuple(sel)]
    out = _fftw().empty_aligned(view.shape, dtype=arr.dtype)
    np.copyto(out, view)
    return out


def aligned_copy(arr: np.ndarray) -> np.ndarray:
    """A copy of ``arr`` in memory aligned as pyFFTW's plans expect it.

    Parameters
    ----------
    arr : numpy.ndarray
        Any array (a kept spectrum, to transform it twice).

    Returns
    -------
    numpy.ndarray
        The copy.
    """
    return _take_aligned(arr, slice(None), 0)


def _embed_aligned(arr: np.ndarray, shape: tuple[int, ...], index: np.ndarray | slice,
                   axis: int) -> np.ndarray:
    """Zero array of ``shape`` with ``arr`` placed at ``index`` along ``axis``."""
    out = _fftw().zeros_aligned(shape, dtype=arr.dtype)
    sel = [slice(None)] * arr.ndim
    sel[axis] = index
    out[tuple(sel)] = arr
    return out


def spectral_map(data: np.ndarray, out_shape: tuple[int, ...], z_idx, y_idx, nkx: int,
                  plane_scale, threads: int) -> np.ndarray:
    """Transform ``data``, keep a block of its spectrum, scale it, and transform back.

    The transform runs axis by axis (x, then y, then z) and drops the frequencies that
    are not kept after each axis, so only the kept block is ever transformed along y and z.

    Parameters
    ----------
    data : numpy.ndarray
        A 3-D float32 map.
    out_shape : tuple of int
        Shape of the result (the input's for a lowpass; another for a crop or pad).
    z_idx, y_idx : (numpy.ndarray, numpy.ndarray)
        Indices into the input's and the output's full z (y) frequency axes of the kept
        frequencies, pairwise.
    nkx : int
        Number of kept non-negative x frequencies.
    plane_scale : callable
        ``plane_scale(j, plane)`` scales the kept block's ``j``-th z plane in place.
    threads : int
        Threads for the transforms; the result does not depend on it.

    Returns
    -------
    numpy.ndarray
        The unnormalised float32 result of shape ``out_shape``.
    """
    block = kept_spectrum(data, z_idx, y_idx, nkx, out_shape[0], threads)
    return from_kept_spectrum(block, out_shape, y_idx, plane_scale, threads)


def kept_spectrum(data: np.ndarray, z_idx, y_idx, nkx: int, out_nz: int, threads: int) -> np.ndarray:
    """The forward half of ``spectral_map``: the kept block of ``data``'s spectrum, unscaled.

    Parameters
    ----------
    data : numpy.ndarray
        A 3-D float32 map.
    z_idx, y_idx, nkx
        As for ``spectral_map``.
    out_nz : int
        The output's z size (the block's first axis).
    threads : int
        Threads for the transforms; the result does not depend on it.

    Returns
    -------
    numpy.ndarray
        Complex64 block ``(out_nz, len(y_idx[0]), nkx)``: ``from_kept_spectrum`` scales a
        copy of it and transforms it back, so one forward transform can serve two filters.
    """
    nz = data.shape[0]
    block = _r2c_x_kept(data, nkx, threads)
    _c2c_inplace(block, 1, True, threads)
    block = _take_aligned(block, y_idx[0], 1)
    _c2c_inplace(block, 0, True, threads)
    if out_nz != nz or not np.array_equal(z_idx[0], z_idx[1]):
        block = _embed_aligned(block[z_idx[0]], (out_nz,) + block.shape[1:], z_idx[1], 0)
    return block


def from_kept_spectrum(block: np.ndarray, out_shape: tuple[int, ...], y_idx, plane_scale, threads: int
                       ) -> np.ndarray:
    """The inverse half of ``spectral_map``, on ``block`` (scaled in place, then transformed back).

    Parameters
    ----------
    block : numpy.ndarray
        From ``kept_spectrum`` (a copy of it, to use it again).
    out_shape, y_idx, plane_scale, threads
        As for ``spectral_map``.

    Returns
    -------
    numpy.ndarray
        The unnormalised float32 result of shape ``out_shape``.
    """
    for j in range(out_shape[0]):
        plane_scale(j, block[j])
    _c2c_inplace(block, 0, False, threads)
    return _y_then_x_inverse(block, y_idx[1], out_shape, threads)
