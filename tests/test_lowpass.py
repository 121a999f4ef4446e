"""Hard spherical lowpass (algorithm.md §5.2) and Fourier crop/pad (algorithm.md §10)."""
from __future__ import annotations

import numpy as np
import pytest

from occupy.errors import OccupyError
from occupy.stages.lowpass import lowpass_cutoff, lowpass_filter
from occupy.stages.resample import fourier_crop, fourier_pad


def _wave(shape, k, phase=0.3):
    """cos(2 pi k.r / n) on the grid, k in Fourier voxels per axis."""
    grids = np.meshgrid(*[np.arange(n) / n for n in shape], indexing="ij")
    arg = sum(2 * np.pi * kk * g for kk, g in zip(k, grids))
    return np.cos(arg + phase).astype(np.float32)


def _reference(data, pix, lp):
    """Direct numpy: full complex FFT with the symmetric spherical mask."""
    shape = data.shape
    L = max(shape) * pix
    cut = (np.floor(L / lp) + 1) / L
    f = np.meshgrid(*[np.fft.fftfreq(n, pix) for n in shape], indexing="ij")
    mask = f[0] ** 2 + f[1] ** 2 + f[2] ** 2 <= cut ** 2 * (1 + 1e-12)
    return np.fft.ifftn(np.fft.fftn(data.astype(np.float64)) * mask).real


def test_cutoff_radius():
    assert lowpass_cutoff((32, 32, 32), 1.0, 4.0) == 9
    assert lowpass_cutoff((100, 100, 100), 1.05, 8.0) == 14     # floor(105/8) + 1


@pytest.mark.parametrize("k, kept", [((3, 4, 0), True), ((0, 9, 0), True), ((3, 6, 6), True),
                                     ((9, 1, 0), False), ((6, 8, 0), False), ((0, 0, 16), False)])
def test_single_sinusoid_below_and_above_cutoff(k, kept):
    shape = (32, 32, 32)                      # pix 1, lp 4: radius 9 Fourier voxels exactly
    w = _wave(shape, k)
    out = lowpass_filter(w + 1.5, 1.0, 4.0, threads=1)
    assert out.dtype == np.float32 and out.shape == shape
    expected = w + 1.5 if kept else np.full(shape, 1.5, np.float32)
    np.testing.assert_allclose(out, expected, atol=2e-5)


@pytest.mark.parametrize("shape, pix, lp", [((32, 32, 32), 1.0, 5.0), ((24, 30, 21), 1.5, 6.0),
                                            ((17, 40, 26), 0.8, 3.3)])
def test_matches_direct_fft_and_keeps_mean(shape, pix, lp):
    data = np.random.default_rng(1).standard_normal(shape).astype(np.float32) + 2.0
    out = lowpass_filter(data, pix, lp, threads=2)
    np.testing.assert_allclose(out, _reference(data, pix, lp), atol=2e-5)
    assert out.mean(dtype=np.float64) == pytest.approx(data.mean(dtype=np.float64), abs=1e-5)
    assert out.std() < data.std()


def test_non_cubic_cut_uses_longest_edge():
    # longest edge 40 voxels x 1 A; lp 5 -> |f| <= 9/40 cycles/A. Along the 20-voxel axis
    # that is 4.5 Fourier voxels: k=4 kept, k=5 removed.
    shape = (20, 40, 24)
    kept = lowpass_filter(_wave(shape, (4, 0, 0)), 1.0, 5.0)
    gone = lowpass_filter(_wave(shape, (5, 0, 0)), 1.0, 5.0)
    np.testing.assert_allclose(kept, _wave(shape, (4, 0, 0)), atol=2e-5)
    np.testing.assert_allclose(gone, 0.0, atol=2e-5)


def test_skip_when_lowpass_below_nyquist():
    data = np.random.default_rng(2).standard_normal((16, 16, 16)).astype(np.float32)
    out = lowpass_filter(data, 2.0, 4.0)
    assert out is not data
    np.testing.assert_array_equal(out, data)


def test_input_untouched_and_other_dtypes():
    data = np.random.default_rng(3).standard_normal((20, 20, 20))
    copy = data.copy()
    out = lowpass_filter(data, 1.0, 5.0)
    np.testing.assert_array_equal(data, copy)
    np.testing.assert_allclose(out, _reference(data, 1.0, 5.0), atol=2e-5)


def _band_limited(shape, pix=1.0, lp=5.0, seed=4):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32) + 0.5
    return lowpass_filter(data, pix, lp)


@pytest.mark.parametrize("shape, small", [((48, 48, 48), (32, 32, 32)), ((45, 50, 39), (28, 30, 24)),
                                          ((40, 40, 40), (40, 32, 40))])
def test_crop_pad_round_trip(shape, small):
    # band limit: radius floor(50/5)+1 = 11 Fourier voxels < 12, below the small grid's Nyquist
    data = _band_limited(shape)
    crop = fourier_crop(data, small)
    assert crop.shape == small and crop.dtype == np.float32
    assert crop.mean(dtype=np.float64) == pytest.approx(data.mean(dtype=np.float64), abs=1e-5)
    back = fourier_pad(crop, shape)
    assert back.shape == shape
    np.testing.assert_allclose(back, data, atol=1e-4 * float(np.abs(data).max()))


def test_crop_samples_a_band_limited_wave():
    shape, small = (40, 40, 40), (20, 20, 20)
    crop = fourier_crop(_wave(shape, (2, 3, 1)), small)
    np.testing.assert_allclose(crop, _wave(small, (2, 3, 1)), atol=2e-5)


def test_crop_pad_reject_wrong_direction():
    data = np.zeros((8, 8, 8), np.float32)
    with pytest.raises(OccupyError):
        fourier_crop(data, (10, 8, 8))
    with pytest.raises(OccupyError):
        fourier_pad(data, (6, 8, 8))
    np.testing.assert_array_equal(fourier_crop(data, (8, 8, 8)), data)


def test_thread_count_does_not_change_bits():
    data = np.random.default_rng(6).standard_normal((37, 50, 44)).astype(np.float32)
    one = lowpass_filter(data, 1.0, 4.0, threads=1)
    for t in (2, 3):
        np.testing.assert_array_equal(lowpass_filter(data, 1.0, 4.0, threads=t), one)
    np.testing.assert_array_equal(fourier_crop(data, (20, 30, 24), threads=1),
                                  fourier_crop(data, (20, 30, 24), threads=2))


def test_slabs_side_by_side_give_the_same_bits():
    """Maps of several x-transform slabs (here 43 + 27 planes) run them on threads: same bits."""
    from occupy.stages.spectral import _slab_bounds
    data = np.random.default_rng(8).standard_normal((70, 160, 150)).astype(np.float32)
    assert len(_slab_bounds(70, (160, 150))) == 2
    one = lowpass_filter(data, 1.0, 5.0, threads=1)
    for t in (2, 3):
        np.testing.assert_array_equal(lowpass_filter(data, 1.0, 5.0, threads=t), one)
    np.testing.assert_array_equal(fourier_pad(data, (80, 170, 160), threads=1),
                                  fourier_pad(data, (80, 170, 160), threads=2))


@pytest.mark.parametrize("voxel_size", [0.0, -1.0, float("nan"), float("inf")])
def test_lowpass_refuses_a_voxel_size_that_is_not_positive_and_finite(voxel_size) -> None:
    from occupy.errors import OccupyError
    data = np.random.default_rng(0).random((8, 8, 8), dtype=np.float32)
    with pytest.raises(OccupyError, match="voxel size must be a positive finite number of Å"):
        lowpass_filter(data, voxel_size, 8.0)
    with pytest.raises(OccupyError, match="lowpass must be a positive finite number of Å, got inf"):
        lowpass_filter(data, 1.0, float("inf"))
