"""Solvent model (algorithm.md §6)."""
from __future__ import annotations

import numpy as np
import pytest

from occupy.errors import OccupyError
from occupy.io import read_map
from occupy.stages.gaussian import fit_gaussian, gaussian
from occupy.stages.lowpass import lowpass_filter
from occupy.stages.solvent import fit_solvent, inscribed_sphere, sphere_rows


def _noise_map(shape=(40, 40, 40), mu=0.3, sigma=0.05, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * sigma + mu).astype(np.float32)


def test_gaussian():
    assert gaussian(2.0, 3.0, 2.0, 0.5) == pytest.approx(3.0)
    assert gaussian(2.5, 1.0, 2.0, 0.5) == pytest.approx(np.exp(-0.5))


def test_inscribed_sphere():
    m = inscribed_sphere((9, 10, 11))          # radius floor(9/2) = 4 around (4, 4.5, 5)
    z, y, x = np.indices((9, 10, 11))
    d2 = (z - 4) ** 2 + (y - 4.5) ** 2 + (x - 5) ** 2
    np.testing.assert_array_equal(m, d2 <= 16)


def test_fit_recovers_gaussian_sample():
    model = fit_solvent(_noise_map(mu=0.3, sigma=0.05))
    assert model.mean == pytest.approx(0.3, abs=0.002)
    assert model.sigma == pytest.approx(0.05, rel=0.03)
    assert model.heights.size == 1000 and model.bin_edges.size == 1001 and model.x.size == 1000
    assert model.x[0] == model.bin_edges[0] and model.x[-1] == pytest.approx(model.bin_edges[-1])
    assert model.guess[0] == model.heights.max()
    # density histogram integrates to 1
    assert np.sum(model.heights * np.diff(model.bin_edges)) == pytest.approx(1.0)
    # edge: left edge of the highest bin whose model value is >= 1e-9
    i = np.flatnonzero(model(model.x) >= 1e-9)[-1]
    assert model.edge == model.bin_edges[i]
    assert model.mean < model.edge
    assert model.peak == pytest.approx(0.3, abs=0.02)


def test_fit_gaussian_exact_data():
    x = np.linspace(-3, 5, 1000)
    h = gaussian(x, 7.0, 1.2, 0.4)
    a, mu, s = fit_gaussian(x, h, (5.0, 1.0, 0.8))
    assert (a, mu, s) == pytest.approx((7.0, 1.2, 0.4), rel=1e-8)


@pytest.mark.parametrize("name", ["emd_5168.map", "emd_3488.mrc", "emd_1997.map"])
def test_numpy_fit_matches_scipy_on_real_maps(test_data, name):
    curve_fit = pytest.importorskip("scipy.optimize").curve_fit
    m = read_map(test_data / name)
    lp = lowpass_filter(m.data, m.voxel_size, max(8.0, 3 * m.voxel_size))
    model = fit_solvent(lp)
    (a, mu, sigma), _ = curve_fit(gaussian, model.x, model.heights, p0=model.guess)
    sigma = abs(sigma)
    assert model.sigma == pytest.approx(sigma, rel=0.01)
    assert abs(model.mean - mu) <= 0.01 * sigma
    assert abs(model.mean - mu) <= 0.01 * abs(mu) or abs(model.mean - mu) <= 1e-3 * sigma


def _two_region_map():
    """Solvent noise (sd 0.05) outside a central cube of varied density."""
    rng = np.random.default_rng(5)
    data = (rng.standard_normal((40, 40, 40)) * 0.05).astype(np.float32)
    mask = np.zeros(data.shape, np.float32)
    mask[12:28, 12:28, 12:28] = 1.0
    data[mask > 0] = rng.uniform(0.5, 3.0, int(mask.sum()))
    return data, mask


def test_mask_picks_the_quieter_side():
    data, mask = _two_region_map()
    outside = fit_solvent(data, mask=mask)
    inside = fit_solvent(data, mask=1.0 - mask)        # same partition, labels swapped
    for model in (outside, inside):
        assert model.mean == pytest.approx(0.0, abs=0.005)
        assert model.sigma == pytest.approx(0.05, rel=0.05)
    assert outside.sample == "mask outside" and inside.sample == "mask inside"


def test_mask_errors():
    data, mask = _two_region_map()
    with pytest.raises(OccupyError) as err:
        fit_solvent(data, mask=mask[:, :, :30])
    assert "40x40x30" in str(err.value) and "40x40x40" in str(err.value)
    with pytest.raises(OccupyError, match="0.9"):
        fit_solvent(data, mask=np.zeros_like(mask))


def test_degenerate_sample():
    with pytest.raises(OccupyError):
        fit_solvent(np.ones((10, 10, 10), np.float32))
    with pytest.raises(OccupyError):
        fit_solvent(np.ones((10, 10), np.float32))


@pytest.mark.parametrize("shape", [(9, 10, 11), (10, 10, 10), (11, 11, 11), (7, 12, 9), (1, 5, 5), (64, 40, 33)])
def test_sphere_rows_equal_inscribed_sphere(shape):
    x0, x1 = sphere_rows(shape)
    rows = np.zeros(shape, bool)
    for z in range(shape[0]):
        for y in range(shape[1]):
            rows[z, y, x0[z, y]:x1[z, y]] = True
    np.testing.assert_array_equal(rows, inscribed_sphere(shape))


def _sphere_histogram(data):
    sample = data[inscribed_sphere(data.shape)]
    return np.histogram(sample, bins=1000, range=(sample.min(), sample.max()), density=True), sample.size


def test_sample_histogram_equals_numpy_on_real_maps(test_data):
    """The in-place sphere histogram gives np.histogram's heights and edges exactly."""
    for name in ("emd_3488.mrc", "emd_5168.map", "emd_1997.map"):
        data = read_map(test_data / name).data
        lp = lowpass_filter(data, 1.0, 8.0)
        for arr in (data, lp):
            (h, e), n = _sphere_histogram(arr)
            model = fit_solvent(arr)
            np.testing.assert_array_equal(model.heights, h)
            np.testing.assert_array_equal(model.bin_edges, e)
            assert model.n_sample == n


def test_sample_histogram_values_on_edges_and_threads():
    # few distinct values: many voxels sit exactly on bin edges
    data = np.random.default_rng(2).integers(-3, 8, (30, 31, 32)).astype(np.float32)
    (h, e), _ = _sphere_histogram(data)
    models = [fit_solvent(data, threads=t) for t in (1, 2, 3)]
    np.testing.assert_array_equal(models[0].heights, h)
    np.testing.assert_array_equal(models[0].bin_edges, e)
    for m in models[1:]:
        assert (m.amplitude, m.mean, m.sigma) == (models[0].amplitude, models[0].mean, models[0].sigma)


@pytest.mark.parametrize("shape", [(9, 10, 11), (32, 17, 40), (1, 1, 5)])
def test_lowpassed_ranges_are_the_two_passes_in_one(shape) -> None:
    """The map's finite range and NaN/Inf count, and the inscribed sphere's range and size, from one
    pass: equal to finite_range and rows_value_range for 1-4 threads, with NaN and Inf outside the
    sphere counted; with a mask there is no sphere range."""
    from occupy.stages.sample import lowpassed_ranges
    from occupy.stats import finite_range, rows_value_range
    rng = np.random.default_rng(sum(shape))
    lp = rng.standard_normal(shape).astype(np.float32)
    lp[0, 0, 0], lp[-1, -1, -1] = np.nan, np.inf          # corners: outside the sphere
    x0, x1 = sphere_rows(shape)
    for threads in (1, 2, 3, 4):
        whole, sample = lowpassed_ranges(lp, None, threads)
        assert whole == finite_range(lp, threads)
        assert sample == rows_value_range(lp, x0, x1)
    assert lowpassed_ranges(lp, np.ones(shape, np.float32), 2) == (finite_range(lp), None)
