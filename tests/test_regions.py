"""Packed masks, counts within them and gathered values: equal to NumPy for any size and thread count."""
from __future__ import annotations

import numpy as np
import pytest

from occupy.regions import above_mask, partial_fraction, values_where_equal
from occupy.stats import density_histogram, density_histogram_above

SIZES = [1, 7, 8, 9, 65536 * 3 + 5, 1_000_003]


@pytest.mark.parametrize("n", SIZES)
def test_mask_counts_and_gather_equal_numpy(n) -> None:
    rng = np.random.default_rng(n)
    a, b = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
    b[::7] = 1.0
    for threads in (1, 2, 3):
        mask = above_mask(a, 0.3, threads)
        assert np.array_equal(mask, np.packbits(a > 0.3, bitorder="little"))
        solid = a > 0.3
        expected = np.count_nonzero(solid & (b < 0.5)) / np.count_nonzero(solid)
        assert partial_fraction(None, b, 0.3, 0.5, threads, solid=mask) == expected
        assert np.array_equal(values_where_equal(b, 1.0, a, threads), a[b == 1.0])
    a64 = a.astype(np.float64)            # not compiled: NumPy, comparing in float64
    assert np.array_equal(above_mask(a64, 0.3), np.packbits(a64 > 0.3, bitorder="little"))


@pytest.mark.parametrize("n", SIZES[3:])
def test_histogram_and_mask_in_one_pass(n) -> None:
    v = np.random.default_rng(n + 1).standard_normal(n).astype(np.float32)
    lo, hi = v.min(), v.max()
    heights, edges = density_histogram(v, lo, hi)
    for threads in (1, 2, 3):
        h, e, mask = density_histogram_above(v, lo, hi, 0.25, threads)
        assert np.array_equal(h, heights) and np.array_equal(e, edges)
        assert np.array_equal(mask, np.packbits(v > 0.25, bitorder="little"))
    np.testing.assert_array_equal(heights, np.histogram(v, bins=1000, range=(lo, hi), density=True)[0])


@pytest.mark.parametrize("shape", [(3, 5, 7), (64, 64, 64), (70, 33, 91)])
def test_scale_summary_equals_the_separate_passes(shape) -> None:
    """One pass gives the header statistics, full-scale values and partial fraction of three."""
    from occupy.regions import scale_statistics
    from occupy.header_stats import header_statistics
    rng = np.random.default_rng(sum(shape))
    scale = np.clip(rng.random(shape, dtype=np.float32) * 1.3, 0, 1).astype(np.float32)
    data, lp = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
    solid = above_mask(lp, 0.2)
    for threads in (1, 2, 3):
        r = scale_statistics(scale, data, solid, 0.5, threads)
        assert r.header_stats == header_statistics(scale)
        assert (r.n_full, r.sum_full) == (np.count_nonzero(scale == 1), np.sum(data[scale == 1], dtype=np.float64))
        assert r.partial_fraction == partial_fraction(lp, scale, 0.2, 0.5)


@pytest.mark.parametrize("n", [5, 13, 4099, 300_001])
def test_histograms_count_runs_of_one_value_and_skip_outsiders(n) -> None:
    """Counts go through four lanes: runs in one bin (flat solvent), odd lengths, and values
    outside the range or NaN (never counted) give NumPy's counts for any thread count."""
    from occupy._ext import _stats
    rng = np.random.default_rng(n)
    v = rng.standard_normal(n).astype(np.float32)
    v[n // 3: n // 3 + n // 4] = 0.125                      # a run in one bin
    v[::11] = np.float32(9.0)                                # above the range
    v[1::13] = np.nan
    edges = np.linspace(-2.5, 2.5, 1001)
    finite = v[np.isfinite(v)]
    expected = np.histogram(finite, bins=edges)[0]
    vol = v[: n - n % 4].reshape(1, -1, 4) if n >= 4 else v.reshape(1, 1, -1)
    x0 = np.zeros(vol.shape[:2], dtype=np.int64)
    x1 = np.full(vol.shape[:2], vol.shape[2], dtype=np.int64)
    x1[0, ::3] = 1                                           # rows of every length 1..4
    rows = np.concatenate([vol[0, y, x0[0, y]:x1[0, y]] for y in range(vol.shape[1])])
    for threads in (1, 2, 3):
        assert np.array_equal(_stats.histogram(v, edges, threads), expected)
        counts, bits = _stats.histogram_above(v, edges, np.float32(0.1), threads)
        assert np.array_equal(counts, expected)
        assert np.array_equal(bits, np.packbits(v > np.float32(0.1), bitorder="little"))
        assert np.array_equal(_stats.rows_histogram(vol, x0, x1, edges, threads),
                              np.histogram(rows[np.isfinite(rows)], bins=edges)[0])
    assert expected.sum() < n and expected.max() >= n // 5     # the run and the outsiders are there


def test_merge_block_stats_refuses_an_empty_array_instead_of_reading_past_it() -> None:
    from occupy.header_stats import merge_block_stats
    empty64, empty32 = np.zeros(0, np.float64), np.zeros(0, np.float32)
    with pytest.raises(ValueError, match="do not match"):
        merge_block_stats(0, empty64, empty64, empty32, empty32)
    with pytest.raises(ValueError, match="do not match"):
        merge_block_stats(10, np.zeros(2), np.zeros(2), np.zeros(2, np.float32), np.zeros(2, np.float32))


def _wide_values(rng, n: int) -> np.ndarray:
    """float32 values over 35 orders of magnitude and both signs: any change in the order or grouping
    of a float64 sum of them shows in its last bits."""
    return (rng.standard_normal(n) * np.exp(rng.uniform(-40, 40, n))).astype(np.float32)


def test_pairwise_sum_is_numpys_for_every_length_of_a_chunk() -> None:
    """The compiled pairwise sum gives np.sum(float32, dtype=float64) bit for bit, up to one buffer."""
    from occupy._ext._regions import pairwise_sum_f32
    rng = np.random.default_rng(7)
    lengths = [*range(0, 300), 1000, 1023, 1024, 1025, 4095, 4096, 8191, 8192]
    for n in lengths:
        a = _wide_values(rng, n)
        assert pairwise_sum_f32(a) == np.sum(a, dtype=np.float64), n


@pytest.mark.parametrize("density", [0.0, 1e-6, 0.001, 0.3, 0.96, 1.0])
@pytest.mark.parametrize("n", [1, 8191, 65536 * 5 + 123, 65536 * 9])
def test_full_scale_sum_is_numpys_without_gathering(density: float, n: int) -> None:
    """The sum of the values where the key is 1, made where they lie (no array of them), equals
    np.sum of the gathered values, dtype float64, bit for bit, for 1-8 threads: chunks shared by
    two threads' blocks, chunks wholly inside one, and selections that end mid-chunk."""
    from occupy._ext._regions import summarize_scale, sum_full_blocks
    rng = np.random.default_rng(int(density * 1000) + n)
    key = np.where(rng.random(n) < density, 1.0, 0.5).astype(np.float32)
    src = _wide_values(rng, n)
    _, per_block, _, _ = summarize_scale(key, np.zeros((n + 7) // 8, np.uint8), 0.5, 2)
    expected = (int(np.count_nonzero(key == 1)), np.sum(src[key == 1], dtype=np.float64))
    for threads in (1, 2, 3, 5, 8):
        assert sum_full_blocks(key, 1.0, src, per_block, threads) == expected, threads
