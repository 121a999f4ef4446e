"""The occ-mode filter (algorithm.md §5.3) on phantoms with known truth: the scale follows occupancy,
not blur, better than the original's hard lowpass; --occ-filter lowpass is that lowpass exactly.

The filter's constants were tuned on phantom seeds 1-3; these tests use seed 201, and the
bounds sit under what bench/accuracy.py measures on seeds 101-103 (one seed varies more
than a mean of three).
"""
from __future__ import annotations

import numpy as np

import occupy
from occupy import phantom_metrics as pm
from occupy.phantoms import blur_phantom, both_phantom, model_phantom, occupancy_phantom
from occupy.stages.scale import estimate_scale

SEED = 201


def _scales(ph):
    return {f: estimate_scale(ph.data, ph.voxel_size, mode="occ", occ_filter=f, threads=2).scale
            for f in ("gaussian", "lowpass")}


def test_blur_hardly_moves_the_scale():
    ph = blur_phantom(SEED, box=128)
    s = _scales(ph)
    new, old = pm.blur_invariance(s["gaussian"], ph), pm.blur_invariance(s["lowpass"], ph)
    assert new >= 0.93, new
    assert new - old >= 0.1, (new, old)


def test_scale_correlates_with_occupancy():
    ph = occupancy_phantom(SEED, box=128)
    s = _scales(ph)
    new, old = pm.occupancy_correlation(s["gaussian"], ph), pm.occupancy_correlation(s["lowpass"], ph)
    assert new >= 0.95 and new > old + 0.02, (new, old)
    cores = pm.core_scale(s["gaussian"], ph)
    assert list(cores) == sorted(cores, reverse=True)


def test_occupancy_and_blur_together():
    ph = both_phantom(SEED, box=128)
    s = _scales(ph)
    new, old = pm.occupancy_correlation(s["gaussian"], ph), pm.occupancy_correlation(s["lowpass"], ph)
    assert new >= 0.92 and new > old + 0.05, (new, old)
    assert pm.blur_invariance(s["gaussian"], ph) >= 0.93


def test_realistic_model(test_data):
    ph = model_phantom(SEED, box=128, pdb_path=test_data / "5me2.pdb")
    s = _scales(ph)
    assert pm.blur_invariance(s["gaussian"], ph) >= 0.90
    new, old = pm.occupancy_correlation(s["gaussian"], ph), pm.occupancy_correlation(s["lowpass"], ph)
    assert new >= 0.84 and new >= old - 0.005, (new, old)      # chains touch: not worse than before


def test_amplification_reaches_the_ideal_at_least_as_well(tmp_path):
    ph = both_phantom(SEED, box=96)
    path = occupy.write_map(tmp_path / "b.mrc", ph.data, voxel_size=ph.voxel_size)
    err = {}
    for f in ("gaussian", "lowpass"):
        r = occupy.run(path, amplify=True, gamma=4, occ_filter=f, keep_arrays=True, chimerax=False,
                       output_dir=path.parent / f)
        err[f] = pm.amplification_error(r.arrays["amplify"], ph, 4.0).mae
    assert err["gaussian"] <= err["lowpass"], err


def test_the_run_and_the_api_agree_and_the_lowpass_option_is_the_previous_occ_mode(tmp_path):
    ph = occupancy_phantom(SEED, box=64)
    path = occupy.write_map(tmp_path / "p.mrc", ph.data, voxel_size=ph.voxel_size)
    for f, sigma in (("gaussian", 3.5), ("lowpass", None)):
        r = occupy.run(path, scale_mode="occ", occ_filter=f, keep_arrays=True, output_dir=tmp_path / f)
        est = estimate_scale(ph.data, ph.voxel_size, mode="occ", occ_filter=f)
        np.testing.assert_array_equal(r.arrays["scale"], est.scale)
        assert r.occ_sigma == sigma and est.params.sigma == sigma
        log = (tmp_path / f / "log_p.txt").read_text()
        assert ("gaussian, sigma 3.5 A" if sigma else "lowpass (hard, as the original OccuPy)") in log
