"""Scale estimate (algorithm.md §1) against a direct numpy/scipy computation, and algorithm.md §9."""
from __future__ import annotations

import numpy as np
import pytest
from ref_impl import ref_params, ref_tile_search

from occupy.errors import OccupyError
from occupy.constants import OCC_KERNEL_SIGMAS
from occupy.params import occ_sigma
from occupy.stages.lowpass import gaussian_filter, lowpass_filter
from occupy.stages.scale import estimate_scale, variability_limit

ndimage = pytest.importorskip("scipy.ndimage")


def _blob_map(shape=(48, 44, 40), seed=0):
    """Three Gaussian blobs at occupancies 1, 0.6, 0.3 plus noise."""
    rng = np.random.default_rng(seed)
    z, y, x = np.indices(shape, dtype=np.float64)
    data = np.zeros(shape)
    for (cz, cy, cx), occ in (((16, 14, 13), 1.0), ((30, 28, 20), 0.6), ((22, 30, 28), 0.3)):
        data += occ * np.exp(-((z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2) / (2 * 4.0 ** 2))
    data += rng.standard_normal(shape) * 0.02
    return data.astype(np.float32)


def _direct(scale_input, footprint, s_full):
    smax = ndimage.maximum_filter(scale_input, footprint=footprint, mode="reflect")
    return np.clip(smax / np.float32(s_full), 0, 1).astype(np.float32)


@pytest.mark.parametrize("mode", ["res", "occ"])
def test_matches_direct_computation(mode):
    """res mode, and occ mode with the original's filter, as algorithm.md §1-§5.2 describe them."""
    data, pix = _blob_map(), 1.2
    est = estimate_scale(data, pix, mode=mode, threads=2, occ_filter="lowpass")
    p = ref_params(data.shape, pix)
    assert (est.params.kernel_size, est.params.n_v, est.tau) == (p.kernel_size, p.n_v, p.tau)
    np.testing.assert_array_equal(est.params.footprint, p.kernel)
    lp = lowpass_filter(data, pix, p.lowpass)
    np.testing.assert_array_equal(est.lowpassed, lp)
    scale_input = lp if mode == "occ" else data
    assert est.scale_input is (est.lowpassed if mode == "occ" else est.scale_input)
    s_full, idx = ref_tile_search(scale_input, p.tau)
    assert est.s_full == s_full and tuple(est.tile.tile_index) == idx
    assert est.scale.dtype == np.float32
    np.testing.assert_array_equal(est.scale, _direct(scale_input, p.kernel, s_full))
    assert est.mode == mode and est.voxel_size == pix


def test_gaussian_occ_mode_matches_direct_computation():
    """occ mode's default: the Gaussian of algorithm.md §5.3 and a kernel derived from 3 sigma."""
    data, pix = _blob_map(), 1.2
    est = estimate_scale(data, pix, mode="occ", threads=2)
    sigma = occ_sigma(8.0, pix)
    assert est.params.sigma == sigma == 3.5 and est.params.lowpass == 8.0
    p = ref_params(data.shape, pix, lowpass=OCC_KERNEL_SIGMAS * sigma)      # the kernel of a 10.5 Å lowpass
    assert (est.params.kernel_size, est.params.n_v, est.tau) == (p.kernel_size, p.n_v, p.tau)
    np.testing.assert_array_equal(est.params.footprint, p.kernel)
    np.testing.assert_array_equal(est.lowpassed, lowpass_filter(data, pix, 8.0))   # the solvent model's map
    smooth = gaussian_filter(data, pix, sigma)
    np.testing.assert_array_equal(est.scale_input, smooth)
    s_full, idx = ref_tile_search(smooth, p.tau)
    assert est.s_full == s_full and tuple(est.tile.tile_index) == idx
    np.testing.assert_array_equal(est.scale, _direct(smooth, p.kernel, s_full))


@pytest.mark.parametrize("occ_filter", ["gaussian", "lowpass"])
def test_scale_ranks_occupancies_in_occ_mode(occ_filter):
    data = _blob_map()
    s = estimate_scale(data, 1.2, mode="occ", occ_filter=occ_filter).scale
    assert s[16, 14, 13] == 1.0
    assert 0.5 < s[30, 28, 20] < 0.75 and 0.2 < s[22, 30, 28] < 0.5
    assert s[30, 28, 20] - s[22, 30, 28] > 0.15


def test_s0_and_overrides():
    data = _blob_map()
    est = estimate_scale(data, 1.2, mode="res", s0=True, tau=0.9, kernel_size=5, kernel_radius=2.0)
    assert est.tile is None and est.tau == 0.9
    assert est.s_full == pytest.approx(float(np.float32(0.9) * data.max()))
    np.testing.assert_array_equal(est.scale, _direct(data, est.params.footprint, est.s_full))
    assert est.params.kernel_size == 5 and est.params.n_v == 33


def test_given_lpmap_and_no_lowpass():
    data = _blob_map()
    fake = np.ascontiguousarray(data[::-1])
    est = estimate_scale(data, 1.2, mode="occ", lpmap=fake, occ_filter="lowpass")
    assert est.lowpassed is fake and est.scale_input is fake
    est = estimate_scale(data, 1.2, mode="occ", lpmap=fake)
    assert est.lowpassed is fake
    np.testing.assert_array_equal(est.scale_input, gaussian_filter(data, 1.2, 3.5))
    res = estimate_scale(data, 1.2, mode="res", make_lowpassed=False)
    assert res.lowpassed is None


def test_tile_size_and_threads_do_not_change_bits():
    data = _blob_map()
    a = estimate_scale(data, 1.2, mode="occ", threads=1)
    b = estimate_scale(data, 1.2, mode="occ", threads=2)
    np.testing.assert_array_equal(a.scale, b.scale)
    c = estimate_scale(data, 1.2, mode="res", tile_size=3)
    assert c.tile.tile_shape == (3, 3, 3)


def test_errors():
    data = _blob_map()
    with pytest.raises(OccupyError):
        estimate_scale(data, 1.2, mode="fast")
    with pytest.raises(OccupyError):
        estimate_scale(-np.abs(data) - 1, 1.2)          # no positive density
    with pytest.raises(OccupyError):
        estimate_scale(data[0], 1.2)


def test_variability_limit():
    scale = np.array([[[1.0, 0.5, 1.0, 0.2]]], np.float32)
    inp = np.array([[[3.0, 1.0, 5.0, 0.4]]], np.float32)
    assert variability_limit(scale, inp, 2.0) == pytest.approx(2.0)      # mean(3, 5) / 2
    assert variability_limit(scale * 0.5, inp, 2.0) == 1.0
