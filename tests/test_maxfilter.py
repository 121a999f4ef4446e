"""The local-maximum kernel equals scipy.ndimage.maximum_filter(mode='reflect') bit for bit."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

from occupy.errors import OccupyError
from occupy.params import ball_footprint
from occupy.stages.maxfilter import _decompose, maximum_filter_ball

SHAPES = [(17, 17, 17), (16, 16, 16), (13, 20, 9), (1, 5, 7), (2, 3, 2), (1, 1, 1), (3, 1, 2)]


def scipy_max(x: np.ndarray, fp: np.ndarray) -> np.ndarray:
    return ndi.maximum_filter(x, footprint=fp, mode="reflect")


def assert_bit_identical(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    # compare the bytes, so that -0.0 and +0.0 count as different
    assert np.array_equal(np.ascontiguousarray(a).view(np.uint8), np.ascontiguousarray(b).view(np.uint8))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("k", [3, 5, 7, 9])
def test_ball_matches_scipy(shape, k):
    rng = np.random.default_rng(k * 1000 + sum(shape))
    x = rng.standard_normal(shape).astype(np.float32)
    for radius in (k / 2 - 0.05, (k - 1) / 2.0, 0.38 * k):
        fp = ball_footprint(k, radius)
        want = scipy_max(x, fp)
        for threads in (1, 2, 4):
            assert_bit_identical(maximum_filter_ball(x, fp, threads=threads), want)


@pytest.mark.parametrize("k", [11, 13, 15])
def test_large_balls(k):
    rng = np.random.default_rng(k)
    x = rng.standard_normal((19, 22, 17)).astype(np.float32)
    fp = ball_footprint(k, k / 2 - 0.2)
    assert_bit_identical(maximum_filter_ball(x, fp, threads=2), scipy_max(x, fp))


def test_spec_default_radius_and_radius_argument():
    # pix 1.05 A, lp 8 A: k = floor(8/1.05) = 7, radius 8/(2*1.05) = 3.81 voxels
    rng = np.random.default_rng(7)
    x = rng.standard_normal((30, 28, 26)).astype(np.float32)
    radius = 8.0 / (2 * 1.05)
    fp = ball_footprint(7, radius)
    assert_bit_identical(maximum_filter_ball(x, radius, threads=2), scipy_max(x, fp))


@pytest.mark.parametrize("fshape", [(2, 2, 2), (3, 4, 5), (4, 3, 2), (5, 5, 5), (1, 1, 6), (6, 1, 1)])
@pytest.mark.parametrize("shape", [(9, 8, 11), (1, 5, 7), (2, 3, 2), (3, 3, 3)])
def test_random_footprints(fshape, shape):
    rng = np.random.default_rng(abs(hash((fshape, shape))) % 2**32)
    x = rng.standard_normal(shape).astype(np.float32)
    for _ in range(3):
        fp = rng.random(fshape) < 0.45
        fp.flat[rng.integers(fp.size)] = True
        want = scipy_max(x, fp)
        for threads in (1, 2):
            assert_bit_identical(maximum_filter_ball(x, fp, threads=threads), want)


def test_full_cube_footprint():
    # scipy takes its separable path for an all-True footprint
    rng = np.random.default_rng(3)
    x = rng.standard_normal((10, 12, 7)).astype(np.float32)
    fp = np.ones((5, 3, 4), bool)
    assert_bit_identical(maximum_filter_ball(x, fp, threads=2), scipy_max(x, fp))


def test_non_contiguous_inputs():
    rng = np.random.default_rng(11)
    base = rng.standard_normal((30, 26, 34)).astype(np.float32)
    fp = ball_footprint(5, 2.4)
    for x in (base[::2, 1::3, ::-1], base.transpose(2, 0, 1), base[3:20, :, 5:30:2]):
        assert not x.flags.c_contiguous
        want = scipy_max(np.ascontiguousarray(x), fp)
        for threads in (1, 2):
            assert_bit_identical(maximum_filter_ball(x, fp, threads=threads), want)


def test_ties_negative_and_integer_data():
    rng = np.random.default_rng(5)
    ints = rng.integers(-4, 3, size=(21, 18, 15))
    fp = ball_footprint(7, 3.2)
    want = scipy_max(ints.astype(np.float32), fp)
    got = maximum_filter_ball(ints, fp, threads=2)  # integers are computed in float32
    assert got.dtype == np.float32
    assert_bit_identical(got, want)
    neg = -np.abs(rng.standard_normal((12, 12, 12))).astype(np.float32) - 5
    assert_bit_identical(maximum_filter_ball(neg, fp, threads=2), scipy_max(neg, fp))


def test_signed_zero_ties_follow_scipy():
    # a masked map (negative values times a 0 mask) holds both +0.0 and -0.0
    rng = np.random.default_rng(9)
    x = -np.abs(rng.standard_normal((14, 13, 12))).astype(np.float32)
    x *= (rng.random(x.shape) < 0.5).astype(np.float32)
    x[rng.random(x.shape) < 0.3] = 0.0
    fp = ball_footprint(5, 2.3)
    assert_bit_identical(maximum_filter_ball(x, fp, threads=2), scipy_max(x, fp))


def test_float64_kept():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((11, 10, 9))
    fp = ball_footprint(5, 2.5)
    got = maximum_filter_ball(x, fp, threads=2)
    assert got.dtype == np.float64
    assert_bit_identical(got, scipy_max(x, fp))


@pytest.mark.parametrize("shape", [(64, 48, 40)])
def test_larger_box_thread_independent(shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    fp = ball_footprint(9, 4.3)
    want = scipy_max(x, fp)
    for threads in (1, 2, 4):
        assert_bit_identical(maximum_filter_ball(x, fp, threads=threads), want)


def test_decomposition_covers_footprint():
    fp = ball_footprint(9, 4.1)
    plane_runs, plane_start, plane_of, lengths = _decompose(fp)
    rebuilt = np.zeros_like(fp)
    for fz, p in enumerate(plane_of):
        for dy, fx, li in plane_runs[plane_start[p]:plane_start[p + 1]]:
            rebuilt[fz, dy + 4, fx:fx + lengths[li]] = True
    assert np.array_equal(rebuilt, fp)
    assert len(plane_start) - 1 == 5  # a ball's planes come in equal pairs
    assert len(plane_runs) < fp.sum()  # far fewer runs than voxels


def test_footprint_with_empty_planes():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((9, 10, 11)).astype(np.float32)
    fp = np.zeros((5, 3, 3), bool)
    fp[1, 1, :] = True
    fp[4, 0, 2] = True
    assert_bit_identical(maximum_filter_ball(x, fp, threads=2), scipy_max(x, fp))


def test_ball_footprint_definition():
    fp = ball_footprint(7, 3.0)
    c = np.indices((7, 7, 7)) - 3
    assert np.array_equal(fp, np.sqrt((c**2).sum(0)) <= 3.0)
    assert fp.sum() == 123 and fp[3, 3, 3] and not fp[0, 0, 0]
    assert ball_footprint(1, 0.0).sum() == 1


def test_errors():
    x = np.zeros((4, 4, 4), np.float32)
    with pytest.raises(OccupyError):
        ball_footprint(6, 2.0)
    with pytest.raises(OccupyError):
        ball_footprint(33, 10.0)
    with pytest.raises(OccupyError):
        maximum_filter_ball(np.zeros((4, 4)), 1.0)
    with pytest.raises(OccupyError):
        maximum_filter_ball(x, np.zeros((3, 3, 3), bool))
    with pytest.raises(OccupyError):
        maximum_filter_ball(x, 16.0)


@pytest.mark.parametrize("shape", [(31, 40, 17), (48, 48, 48), (20, 70, 33)])
def test_relative_output_equals_divide_then_clip(shape) -> None:
    """The fused scale (max / s_full clipped to [0, 1], made row by row) is NumPy's, bit for bit."""
    from occupy.stages.maxfilter import maximum_filter_ball_unchecked
    data = np.random.default_rng(3).normal(size=shape).astype(np.float32)
    fp = ball_footprint(7, 3.5)
    for threads in (1, 2, 3):
        plain = maximum_filter_ball_unchecked(data, fp, threads)
        expected = np.clip(np.divide(plain, np.float32(1.37)), 0.0, 1.0)
        spare = np.full(shape, np.nan, dtype=np.float32)
        fused = maximum_filter_ball_unchecked(data, fp, threads, divisor=1.37, out=spare)
        assert fused is spare and np.array_equal(fused, expected)
    with pytest.raises(ValueError, match="separate C-contiguous"):
        maximum_filter_ball_unchecked(data, fp, 1, out=data)


@pytest.mark.parametrize("band", [1, 3, 7])
@pytest.mark.parametrize("fshape", [(3, 4, 5), (4, 3, 2), (5, 5, 5)])
def test_blocks_of_rows_give_the_same_result(monkeypatch, band, fshape):
    """Large boxes are filtered in blocks of rows (a cache-sized ring per thread): same bits."""
    import occupy.stages.maxfilter as mf
    monkeypatch.setattr(mf, "RING_BYTES", 1)
    monkeypatch.setattr(mf, "MIN_BAND", band)
    rng = np.random.default_rng(band * 100 + sum(fshape))
    x = rng.standard_normal((11, 23, 9)).astype(np.float32)
    fp = rng.random(fshape) < 0.5
    fp.flat[0] = True
    want = scipy_max(x, fp)
    for threads in (1, 2, 3):
        assert_bit_identical(maximum_filter_ball(x, fp, threads=threads), want)
    ball = ball_footprint(7, 3.5)
    assert_bit_identical(mf.maximum_filter_ball_unchecked(x, ball, 2, divisor=1.5), np.clip(scipy_max(x, ball) / np.float32(1.5), 0, 1))
