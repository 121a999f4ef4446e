"""Fourier-space stages: the hard spherical lowpass (SPEC 2.3) and Fourier crop/pad (SPEC 2.1).

All transforms are single precision (float32 <-> complex64) pyFFTW plans made per call with
``FFTW_ESTIMATE`` (planning takes milliseconds; FFTW keeps its own wisdom). The 3-D
transform runs axis by axis and keeps only the needed block of frequencies after each
axis; the x-axis (real) transforms run slab by slab, so no full-size complex array is
ever made: a lowpass of an N-voxel map needs its 4N-byte output plus the kept block.
"""
from __future__ import annotations

import math

import numpy as np
import pyfftw

from ..constants import BLOCK_VOXELS
from ..errors import OccupyError
from ..threads import effective_threads

__all__ = ["fourier_crop", "fourier_pad", "lowpass_cutoff", "lowpass_filter"]

_FLAGS = ("FFTW_ESTIMATE",)


def _rfft_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(shape[:-1]) + (shape[-1] // 2 + 1,)


def _slab_plans(shape: tuple[int, ...]):
    """Real and half-complex slab buffers with forward/backward x-axis plans (one slab of planes)."""
    real = pyfftw.empty_aligned(shape, dtype=np.float32)
    spec = pyfftw.empty_aligned(_rfft_shape(shape), dtype=np.complex64)
    fwd = pyfftw.FFTW(real, spec, axes=(2,), direction="FFTW_FORWARD", flags=_FLAGS, threads=1)
    bwd = pyfftw.FFTW(spec, real, axes=(2,), direction="FFTW_BACKWARD",
                      flags=_FLAGS + ("FFTW_DESTROY_INPUT",), threads=1)
    return real, spec, fwd, bwd


def _slabs(n: int, shape_yx: tuple[int, int]):
    """Yield (start, stop, plans) covering ``n`` planes in slabs of about BLOCK_VOXELS voxels.

    Slab transforms are single-threaded on purpose: measured on 256^3, a cache-sized
    slab runs fastest on one thread (thread start-up per slab costs more than it saves).
    """
    size = max(1, min(n, BLOCK_VOXELS // max(1, shape_yx[0] * shape_yx[1])))
    plans = {}
    for start in range(0, n, size):
        stop = min(n, start + size)
        if stop - start not in plans:
            plans[stop - start] = _slab_plans((stop - start,) + tuple(shape_yx))
        yield start, stop, plans[stop - start]


def _r2c_x_kept(data: np.ndarray, nkx: int) -> np.ndarray:
    """First ``nkx`` x frequencies of the unnormalised r2c FFT along x, slab by slab."""
    nz, ny, _ = data.shape
    out = pyfftw.empty_aligned((nz, ny, nkx), dtype=np.complex64)
    for a, b, (real, spec, fwd, _) in _slabs(nz, data.shape[1:]):
        np.copyto(real, data[a:b], casting="unsafe")
        fwd.execute()
        out[a:b] = spec[:, :, :nkx]
    return out


def _c2r_x_kept(block: np.ndarray, nx: int) -> np.ndarray:
    """Unnormalised c2r FFT along x of a spectrum whose x frequencies >= nkx are zero."""
    nz, ny, nkx = block.shape
    out = np.empty((nz, ny, nx), dtype=np.float32)
    for a, b, (real, spec, _, bwd) in _slabs(nz, (ny, nx)):
        spec[:, :, nkx:] = 0
        spec[:, :, :nkx] = block[a:b]
        bwd.execute()
        out[a:b] = real
    return out


def _c2c_inplace(arr: np.ndarray, axis: int, forward: bool, threads: int) -> None:
    """Unnormalised in-place complex FFT of ``arr`` along ``axis``."""
    plan = pyfftw.FFTW(arr, arr, axes=(axis,),
                       direction="FFTW_FORWARD" if forward else "FFTW_BACKWARD",
                       flags=_FLAGS, threads=threads)
    plan.execute()


def _take_aligned(arr: np.ndarray, index: np.ndarray | slice, axis: int) -> np.ndarray:
    """Aligned copy of ``arr`` restricted to ``index`` along ``axis``."""
    sel = [slice(None)] * arr.ndim
    sel[axis] = index
    view = arr[tuple(sel)]
    out = pyfftw.empty_aligned(view.shape, dtype=arr.dtype)
    np.copyto(out, view)
    return out


def _embed_aligned(arr: np.ndarray, shape: tuple[int, ...], index: np.ndarray | slice,
                   axis: int) -> np.ndarray:
    """Zero array of ``shape`` with ``arr`` placed at ``index`` along ``axis``."""
    out = pyfftw.zeros_aligned(shape, dtype=arr.dtype)
    sel = [slice(None)] * arr.ndim
    sel[axis] = index
    out[tuple(sel)] = arr
    return out


def _spectral_map(data: np.ndarray, out_shape: tuple[int, ...], z_idx, y_idx, nkx: int,
                  plane_scale, threads: int) -> np.ndarray:
    """Transform ``data``, keep a block of its spectrum, scale it, and transform back.

    The transform runs axis by axis (x, then y, then z) and drops the frequencies that
    are not kept after each axis, so only the kept block is ever transformed along y and
    z. ``z_idx``/``y_idx`` are (from, to) index arrays into the input/output grids' full
    frequency axes, ``nkx`` the number of kept non-negative x frequencies, and
    ``plane_scale(j, plane)`` scales the kept block's ``j``-th z plane in place.
    """
    nz, ny, _ = data.shape
    mz, my, mx = out_shape
    block = _r2c_x_kept(data, nkx)
    _c2c_inplace(block, 1, True, threads)
    block = _take_aligned(block, y_idx[0], 1)
    _c2c_inplace(block, 0, True, threads)
    if mz != nz or not np.array_equal(z_idx[0], z_idx[1]):
        block = _embed_aligned(block[z_idx[0]], (mz,) + block.shape[1:], z_idx[1], 0)
    for j in range(mz):
        plane_scale(j, block[j])
    _c2c_inplace(block, 0, False, threads)
    block = _embed_aligned(block, (mz, my, nkx), y_idx[1], 1)
    _c2c_inplace(block, 1, False, threads)
    return _c2r_x_kept(block, mx)


def lowpass_cutoff(shape: tuple[int, ...], voxel_size: float, lowpass_A: float) -> int:
    """Cut-off radius in Fourier voxels of the longest edge: ``floor(L/lp) + 1``, L in Å."""
    longest = max(shape) * float(voxel_size)
    return math.floor(longest / float(lowpass_A)) + 1


def _scaled_freq_sq(n: int, longest: int, half: bool) -> np.ndarray:
    """Squared frequency along one axis, in units of 1/(longest edge) (exact integers if n == longest)."""
    k = np.arange(n // 2 + 1) if half else np.fft.fftfreq(n, 1.0 / n)
    f = k * (longest / n)
    return f * f


def lowpass_filter(data: np.ndarray, voxel_size: float, lowpass_A: float,
            threads: int | None = None) -> np.ndarray:
    """Hard spherical lowpass of a 3-D map at ``lowpass_A`` Å (SPEC 2.3); returns a new float32 array.

    Keeps the Fourier components with ``|f| <= (floor(L/lp) + 1) / L`` cycles/Å, ``L`` the
    longest box edge in Å (for a cube of side n: radius ``floor(n*pix/lp) + 1`` Fourier
    voxels), symmetric about zero frequency. When ``lowpass_A <= 2*voxel_size`` nothing is
    removed and a float32 copy is returned.
    """
    data = np.asarray(data)
    if data.ndim != 3:
        raise OccupyError(f"lowpass needs a 3-D map, got shape {data.shape}")
    if not lowpass_A > 0:
        raise OccupyError(f"lowpass must be positive, got {lowpass_A!r}")
    if lowpass_A <= 2 * voxel_size:
        return np.array(data, dtype=np.float32, copy=True)
    nthreads = effective_threads(threads)
    shape = tuple(int(n) for n in data.shape)
    longest = max(shape)
    r = lowpass_cutoff(shape, voxel_size, lowpass_A)
    r2 = float(r * r)
    fz2 = _scaled_freq_sq(shape[0], longest, False)
    fy2 = _scaled_freq_sq(shape[1], longest, False)
    fx2 = _scaled_freq_sq(shape[2], longest, True)
    nkx = int(np.count_nonzero(fx2 <= r2))          # fx2 increases: a leading block
    iy = np.flatnonzero(fy2 <= r2)
    iz = np.arange(shape[0])
    fyx2 = fy2[iy][:, None] + fx2[:nkx][None, :]
    inv_n = np.float32(1.0 / float(np.prod(shape, dtype=np.float64)))

    def plane_scale(j: int, plane: np.ndarray) -> None:
        if fz2[j] > r2:
            plane[...] = 0
        else:
            plane *= inv_n
            plane[fyx2 > r2 - fz2[j]] = 0

    return _spectral_map(data, shape, (iz, iz), (iy, iy), nkx, plane_scale, nthreads)


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

    return _spectral_map(data, new_shape, z_idx, y_idx, nkx, plane_scale, nthreads)


def fourier_crop(data: np.ndarray, new_shape: tuple[int, ...], threads: int | None = None) -> np.ndarray:
    """Downsample a 3-D map to ``new_shape`` by truncating its Fourier transform.

    Normalisation: values keep their scale (the mean is preserved exactly; a map with no
    content at or above the new grid's Nyquist frequency is sampled, not rescaled). The new
    voxel size is ``voxel_size * old_side / new_side`` per axis.
    """
    if any(m > n for m, n in zip(new_shape, np.shape(data))):
        raise OccupyError(f"fourier_crop cannot enlarge {np.shape(data)} to {tuple(new_shape)}")
    return _resample(data, new_shape, threads)


def fourier_pad(data: np.ndarray, new_shape: tuple[int, ...], threads: int | None = None) -> np.ndarray:
    """Upsample a 3-D map to ``new_shape`` by zero-padding its Fourier transform.

    Inverse of :func:`fourier_crop` for band-limited maps, with the same normalisation
    (values keep their scale, the mean is preserved); the result has exactly ``new_shape``.
    """
    if any(m < n for m, n in zip(new_shape, np.shape(data))):
        raise OccupyError(f"fourier_pad cannot shrink {np.shape(data)} to {tuple(new_shape)}")
    return _resample(data, new_shape, threads)
