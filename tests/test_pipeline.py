"""occupy.run end to end on real maps: options, outputs, header facts, determinism."""
from __future__ import annotations

import warnings

import mrcfile
import numpy as np
import pytest

import occupy
from occupy import OccupyError, read_map, write_map
from occupy.stages.lowpass import gaussian_filter


def _names(d):
    return sorted(p.name for p in d.iterdir())


def test_result_fields_and_log(test_data, tmp_path):
    r = occupy.run(test_data / "emd_3488.mrc", output_dir=tmp_path)
    assert r.scale_mode == "res" and r.kernel_size == 7 and r.n_v == 251 and r.tau == pytest.approx(0.9837)
    assert r.s_full == pytest.approx(0.603733, rel=1e-5)  # the original program's value
    assert r.map_threshold == pytest.approx((r.s_full + r.solvent_edge) / 2)
    assert 0 < r.scale_threshold <= 1
    assert set(r.output_paths) == {"scale", "chimerax", "log"}
    assert list(r.timings) == ["read map", "prepare", "lowpass", "solvent model", "confidence", "scale",
                              "modification", "write outputs"]
    log = r.output_paths["log"].read_text()
    assert f"{r.s_full:.6g}" in log and "tile centre" in log


def test_max_box_downsamples_and_pads_back(test_data, tmp_path):
    full = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path / "full", keep_arrays=True)
    small = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path / "small", max_box=64, keep_arrays=True)
    s = small.arrays["scale"]
    assert s.shape == (100, 100, 100) and s.min() >= 0 and s.max() <= 1
    assert np.corrcoef(s.ravel(), full.arrays["scale"].ravel())[0, 1] > 0.8
    log = small.output_paths["log"].read_text()
    assert "64 x 64 x 64" in log and "2.7218" in log
    assert "occupy.run(" in log and "max_box=64" in log
    m = read_map(small.output_paths["scale"])
    assert m.voxel_size == pytest.approx(1.742, rel=1e-4) and m.nstart == (-50, -50, -50)


def test_save_all_maps_s0_sigmoid_names(test_data, tmp_path):
    r = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path, sigmoid=8, pivot=0.5, s0=True,
                   save_all_maps=True, chimerax=False)
    assert _names(tmp_path) == sorted(["scale_naive_emd_5168.mrc", "sigm_8.0-0.50_emd_5168.mrc",
                                       "lowpass_emd_5168.mrc", "conf_emd_5168.mrc",
                                       "modification_emd_5168.mrc", "log_emd_5168.txt"])
    conf = mrcfile.read(tmp_path / "conf_emd_5168.mrc")
    assert conf.min() >= 0 and conf.max() <= 1
    m = read_map(test_data / "emd_5168.map")
    assert r.scale_mode == "occ" and r.occ_sigma == 3.5        # the occ-mode scale is made on the Gaussian
    assert r.s_full == pytest.approx(r.tau * float(gaussian_filter(m.data, m.voxel_size, 3.5).max()), rel=1e-5)
    lp = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path / "lp", sigmoid=8, pivot=0.5, s0=True,
                    save_all_maps=True, chimerax=False, occ_filter="lowpass")
    assert lp.occ_sigma is None         # the original's occ mode: on the saved lowpassed map
    assert lp.s_full == pytest.approx(lp.tau * float(read_map(tmp_path / "lp" / "lowpass_emd_5168.mrc").data.max()),
                                      rel=1e-5)


def test_solvent_def_mask_changes_solvent_sample(test_data, tmp_path):
    m = read_map(test_data / "emd_3488.mrc")
    mask = (m.data > 0.05).astype(np.float32)
    mask_path = write_map(tmp_path / "mask.mrc", mask, like=m)
    plain = occupy.run(test_data / "emd_3488.mrc", output_dir=tmp_path / "a")
    masked = occupy.run(test_data / "emd_3488.mrc", output_dir=tmp_path / "b", solvent_def=str(mask_path))
    assert masked.s_full == plain.s_full  # the mask never changes the scale
    assert masked.solvent_width != plain.solvent_width


def test_resolution_only_gives_finite_lowpass(test_data, tmp_path):
    r = occupy.run(test_data / "emd_1997.map", output_dir=tmp_path, resolution=12.0, amplify=True, gamma=3)
    assert r.lowpass == pytest.approx(12.0) and np.isfinite(r.s_full)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r2 = occupy.run(test_data / "emd_1997.map", output_dir=tmp_path / "both", resolution=12.0, lowpass=9.0)
    assert r2.lowpass == pytest.approx(12.0)
    assert any("larger" in str(w.message) or "12" in str(w.message) for w in caught)


def test_modification_options_stay_in_input_range(test_data, tmp_path):
    src = read_map(test_data / "emd_5168.map").data
    r = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path, amplify=True, attenuate=True, gamma=3,
                   hedge_confidence=4, lowpass_output=10.0, keep_arrays=True)
    for kind in ("amplify", "attenuate"):
        out = r.arrays[kind]
        assert out.min() >= src.min() and out.max() <= src.max()
    hm = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path / "hm", amplify=True, gamma=3, hist_match=True,
                    keep_arrays=True)
    np.testing.assert_array_equal(np.sort(hm.arrays["amplify"].ravel()), np.sort(src.ravel()))


def test_seeded_attenuation_is_reproducible(test_data, tmp_path):
    a = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path / "a", attenuate=True, gamma=2, seed=3)
    b = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path / "b", attenuate=True, gamma=2, seed=3)
    c = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path / "c", attenuate=True, gamma=2, seed=4)
    name = a.output_paths["attenuate"].name
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()


def test_non_cubic_odd_box(test_data, tmp_path):
    r = occupy.run(test_data / "emd_21457_seg_nstart.mrc", output_dir=tmp_path, amplify=True, keep_arrays=True)
    assert r.arrays["scale"].shape == (47, 40, 48)
    m = read_map(r.output_paths["amplify"])
    assert m.nstart == (155, 220, 195) and m.shape == (47, 40, 48)


def test_failure_leaves_no_files(test_data, tmp_path):
    with pytest.raises(OccupyError, match="larger than the box"):
        occupy.run(test_data / "emd_3488.mrc", output_dir=tmp_path, tile_size=150)
    assert _names(tmp_path) == []
    with pytest.raises(OccupyError, match=r"--gamma must be in \[1, 1000\]"):
        occupy.run(test_data / "emd_3488.mrc", output_dir=tmp_path, amplify=True, gamma=0.5)
    with pytest.raises(TypeError, match="unknown option"):
        occupy.run(test_data / "emd_3488.mrc", output_dir=tmp_path, gamme=2)
    assert _names(tmp_path) == []


def test_omit_confidence_lets_solvent_be_amplified(test_data, tmp_path):
    src = read_map(test_data / "emd_5168.map").data
    plain = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path / "a", amplify=True, gamma=4,
                       keep_arrays=True)
    omit = occupy.run(test_data / "emd_5168.map", output_dir=tmp_path / "b", amplify=True, gamma=4,
                      omit_confidence=True, keep_arrays=True)
    assert omit.arrays["confidence"] is None  # not even computed
    solvent = plain.arrays["confidence"] == 0
    change_plain = np.abs(plain.arrays["amplify"] - src)[solvent].mean()
    change_omit = np.abs(omit.arrays["amplify"] - src)[solvent].mean()
    assert change_plain == 0 and change_omit > 0.1 * float(src.std())
