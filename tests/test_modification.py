"""Modification (algorithm.md §8)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from occupy.errors import OccupyError
from occupy.stages.modification import flatten_solvent, match_histogram, modification_factor, modify, sigmoid_mu

SOLVENT = SimpleNamespace(mean=0.0, sigma=0.05)


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    shape = (20, 22, 24)
    data = rng.uniform(-0.5, 2.0, shape).astype(np.float32)
    scale = rng.uniform(0, 1, shape).astype(np.float32)
    scale.flat[:50] = 1.0
    conf = rng.uniform(0, 1, shape).astype(np.float32)
    return data, scale, conf


@pytest.mark.parametrize("mode", ["amplify", "attenuate"])
def test_gamma_one_is_no_change(mode):
    data, scale, conf = _inputs()
    out, factor = modify(data, scale, conf, SOLVENT, mode=mode, gamma=1.0)
    np.testing.assert_array_equal(factor, 1.0)
    np.testing.assert_allclose(out, data, rtol=1e-6, atol=1e-6)


def test_sigmoid_power_one_is_no_change():
    data, scale, conf = _inputs()
    factor = modification_factor(scale, mode="sigmoid", sigmoid=1.0, pivot=0.3)
    np.testing.assert_allclose(factor[scale > 0.05], 1.0, rtol=1e-6)


def test_factor_formulas_and_scale_limit():
    s = np.array([0.0, 0.03, 0.05, 0.06, 0.25, 0.5, 1.0], np.float32)
    amp = modification_factor(s, mode="amplify", gamma=4)
    att = modification_factor(s, mode="attenuate", gamma=4)
    touched = s > 0.05
    np.testing.assert_array_equal(amp[~touched], 1.0)
    np.testing.assert_array_equal(att[~touched], 1.0)
    sd = s[touched].astype(np.float64)
    np.testing.assert_allclose(amp[touched], sd ** (1 / 4 - 1), rtol=1e-6)
    np.testing.assert_allclose(att[touched], sd ** 3, rtol=1e-6)
    # amplified scale S*factor = S^(1/g): partial scale raised, full scale kept
    assert np.all(s[touched] * amp[touched] >= s[touched]) and amp[-1] == 1.0
    assert np.all(s[touched] * att[touched] <= s[touched]) and att[-1] == 1.0
    lim = modification_factor(s, mode="amplify", gamma=4, scale_limit=0.3)
    np.testing.assert_array_equal(lim[s <= 0.3], 1.0)


def test_sigmoid_pivot_fixed_and_monotone():
    g, p = 3.0, 0.4
    mu = sigmoid_mu(g, p)
    s = np.linspace(0.06, 1.0, 500).astype(np.float32)
    out_scale = s * modification_factor(s, mode="sigmoid", sigmoid=g, pivot=p)
    assert np.all(np.diff(out_scale) >= 0) and out_scale[0] < out_scale[-1]
    f_p = 1 / (1 + (mu * (1 - p) / (p * (1 - mu))) ** g)
    assert f_p == pytest.approx(p)
    assert s[-1] * modification_factor(np.float32([1.0]), mode="sigmoid", sigmoid=g, pivot=p)[0] == \
        pytest.approx(1.0)
    with pytest.raises(OccupyError):
        sigmoid_mu(3.0, 1.0)


def test_amplify_moves_partial_scale_toward_target_and_keeps_low_scale():
    data, scale, conf = _inputs()
    conf[:] = 1.0
    out, factor = modify(data, scale, conf, None, mode="amplify", gamma=2.0)
    low = scale <= 0.05
    np.testing.assert_array_equal(out[low], data[low])
    mid = (scale > 0.05) & (data > 0)
    expected = np.clip(data * np.sqrt(1 / scale.astype(np.float64)), data.min(), data.max())
    np.testing.assert_allclose(out[mid], expected[mid], rtol=1e-5)


def test_confidence_suppression_and_exclude():
    data, scale, conf = _inputs()
    out, factor = modify(data, scale, conf, None, mode="amplify", gamma=3.0)
    m = data.astype(np.float64) * factor
    want = np.clip(m * conf + data * (1.0 - conf), data.min(), data.max())
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    excl, _ = modify(data, scale, conf, None, mode="amplify", gamma=3.0, exclude_solvent=True)
    np.testing.assert_allclose(excl, np.clip(m * conf, data.min(), data.max()), rtol=1e-5, atol=1e-6)
    omit, _ = modify(data, scale, None, None, mode="amplify", gamma=3.0)
    np.testing.assert_allclose(omit, np.clip(m, data.min(), data.max()), rtol=1e-5, atol=1e-6)
    assert out.min() >= data.min() and out.max() <= data.max()


def test_attenuate_adds_seeded_synthetic_solvent():
    data, scale, conf = _inputs()
    a1, f1 = modify(data, scale, conf, SOLVENT, mode="attenuate", gamma=3.0, seed=7)
    a2, _ = modify(data, scale, conf, SOLVENT, mode="attenuate", gamma=3.0, seed=7)
    a3, _ = modify(data, scale, conf, SOLVENT, mode="attenuate", gamma=3.0, seed=8)
    np.testing.assert_array_equal(a1, a2)
    assert not np.array_equal(a1, a3)
    quiet = modify(data, scale, conf, SimpleNamespace(mean=0.0, sigma=0.0), mode="attenuate", gamma=3.0)[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        noise = (a1.astype(np.float64) - quiet) / (conf * np.clip(1 - f1, 0, 1))
    inside = (conf > 0.2) & (f1 < 0.8) & (a1 > data.min()) & (a1 < data.max())
    assert noise[inside].std() == pytest.approx(0.05, rel=0.1)
    assert abs(noise[inside].mean()) < 0.01
    # excluding solvent: no synthetic solvent
    e1, _ = modify(data, scale, conf, SOLVENT, mode="attenuate", gamma=3.0, exclude_solvent=True, seed=1)
    e2, _ = modify(data, scale, conf, SOLVENT, mode="attenuate", gamma=3.0, exclude_solvent=True, seed=2)
    np.testing.assert_array_equal(e1, e2)


def test_lowpass_output_and_hist_match():
    data, scale, conf = _inputs()
    plain, _ = modify(data, scale, conf, None, mode="amplify", gamma=2.0)
    lp, _ = modify(data, scale, conf, None, mode="amplify", gamma=2.0, lowpass_output=6.0, voxel_size=1.0)
    assert lp.std() < plain.std()
    hm, _ = modify(data, scale, conf, None, mode="amplify", gamma=2.0, hist_match=True)
    np.testing.assert_array_equal(np.sort(hm.ravel()), np.sort(data.ravel()))


def test_hist_match():
    rng = np.random.default_rng(3)
    src = rng.standard_normal((10, 12, 8)).astype(np.float32)
    tmpl = rng.exponential(size=(10, 12, 8)).astype(np.float32)
    out = match_histogram(src, tmpl)
    assert out.shape == src.shape and out.dtype == np.float32
    np.testing.assert_array_equal(np.sort(out.ravel()), np.sort(tmpl.ravel()))
    np.testing.assert_array_equal(np.argsort(out.ravel()), np.argsort(src.ravel()))
    small = match_histogram(src, tmpl[:5])
    assert small.min() == tmpl[:5].min() and small.max() == tmpl[:5].max()


def test_exclude_solvent_and_errors():
    data, scale, conf = _inputs()
    np.testing.assert_array_equal(flatten_solvent(data, conf), data * conf)
    with pytest.raises(OccupyError):
        modify(data, scale, conf, SOLVENT, mode="amplify", gamma=0.5)
    with pytest.raises(OccupyError):
        modify(data, scale, conf, SOLVENT, mode="boost", gamma=2)
    with pytest.raises(OccupyError):
        modify(data, scale, conf, None, mode="attenuate", gamma=2)
    with pytest.raises(OccupyError):
        modify(data, scale[:5], conf, SOLVENT, mode="amplify", gamma=2)
    with pytest.raises(OccupyError):
        flatten_solvent(data, conf[:5])


@pytest.mark.parametrize("mode, kw", [("amplify", dict(gamma=3.0)), ("attenuate", dict(gamma=2.5)),
                                      ("sigmoid", dict(sigmoid=3.0, pivot=0.3))])
def test_fused_kernel_matches_factor_and_threads(mode, kw):
    data, scale, conf = _inputs(1)
    outs = [modify(data, scale, conf, SOLVENT, mode=mode, seed=3, threads=t, **kw) for t in (1, 2, 3)]
    for out, fac in outs[1:]:
        np.testing.assert_array_equal(out, outs[0][0])
        np.testing.assert_array_equal(fac, outs[0][1])
    np.testing.assert_allclose(outs[0][1], modification_factor(scale, mode=mode, **kw), rtol=1e-6)


@pytest.mark.parametrize("mode, kw", [("amplify", dict(gamma=4.0)), ("attenuate", dict(gamma=3.0)),
                                      ("sigmoid", dict(sigmoid=2.0, pivot=0.4))])
def test_blocks_threads_and_return_factor_do_not_change_output(mode, kw, monkeypatch):
    """Many blocks and sub-blocks: identical bits for any thread count and block size."""
    from occupy.stages import modification
    rng = np.random.default_rng(9)
    shape = (23, 41, 37)                          # 34891 voxels: 9 noise sub-blocks
    data = rng.uniform(-0.5, 2.0, shape).astype(np.float32)
    scale = rng.uniform(0, 1, shape).astype(np.float32)
    conf = rng.uniform(-0.2, 1, shape).clip(0, 1).astype(np.float32)   # many conf == 0
    ref, ref_f = modify(data, scale, conf, SOLVENT, mode=mode, seed=11, threads=1, **kw)
    monkeypatch.setattr(modification, "BLOCK_VOXELS", 5000)
    for t in (1, 2, 3):
        out, fac = modify(data, scale, conf, SOLVENT, mode=mode, seed=11, threads=t, **kw)
        np.testing.assert_array_equal(out, ref)
        np.testing.assert_array_equal(fac, ref_f)
        out, fac = modify(data, scale, conf, SOLVENT, mode=mode, seed=11, threads=t,
                          return_factor=False, **kw)
        assert fac is None
        np.testing.assert_array_equal(out, ref)


def test_synthetic_draws_go_to_used_voxels_in_order():
    """Draw k of the seeded stream lands on the k-th voxel with factor < 1 and conf > 0."""
    data, scale, conf = _inputs(2)
    conf.flat[::3] = 0.0
    sol = SimpleNamespace(mean=0.1, sigma=0.05)
    out, fac = modify(data, scale, conf, sol, mode="attenuate", gamma=2.0, seed=4, exclude_solvent=False)
    need = (fac < 1) & (conf > 0)
    z = np.zeros(data.size, np.float32)
    z[np.flatnonzero(need)] = np.random.Generator(np.random.PCG64(4)).standard_normal(
        int(need.sum()), dtype=np.float32)
    f, d, c = fac.astype(np.float64), data.astype(np.float64), conf.astype(np.float64)
    m = d * f + (0.1 + 0.05 * z.reshape(data.shape)) * np.clip(1 - f, 0, 1)
    want = np.clip(m * c + d * (1 - c), data.min(), data.max()).astype(np.float32)
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-7)


def test_factor_power_within_an_ulp_of_numpy():
    """The kernel's powf may differ from numpy's float32 power by rounding only."""
    s = np.linspace(0.051, 1.0, 100001, dtype=np.float32)
    for mode, g in (("amplify", 4.0), ("attenuate", 3.0)):
        e = np.float32(1 / g - 1) if mode == "amplify" else np.float32(g - 1)
        exact = (s.astype(np.float64) ** float(e))
        got = modification_factor(s, mode=mode, gamma=g)
        np.testing.assert_allclose(got, exact, rtol=1.2e-7)
        np.testing.assert_allclose(got, np.power(s, e), rtol=2.5e-7)


@pytest.mark.parametrize("settings, message", [
    (dict(mode="amplify", gamma=2, scale_limit=-1.0), r"--scale-limit must be in \[0, 1\), got -1"),
    (dict(mode="amplify", gamma=2, scale_limit=float("nan")), "--scale-limit must be a finite number"),
    (dict(mode="sigmoid", sigmoid=2.0, pivot=5.0), r"--pivot must be in \(0, 1\), got 5"),
])
def test_modification_settings_are_checked_as_their_options_are(settings, message) -> None:
    """The API's modify and modification_factor refuse what the CLI refuses, with its words."""
    from occupy.errors import OptionError
    scale = np.full((4, 4, 4), 0.5, np.float32)
    with pytest.raises(OptionError, match=message):
        modification_factor(scale, **settings)
    with pytest.raises(OptionError, match=message):
        modify(scale.copy(), scale, None, **settings)


@pytest.mark.parametrize("mode, extra", [("amplify", {"gamma": 3.0}), ("attenuate", {"gamma": 2.0}),
                                         ("sigmoid", {"sigmoid": 4.0, "pivot": 0.3}),
                                         ("attenuate", {"gamma": 2.0, "exclude_solvent": True})])
def test_pieces_are_the_modified_map(mode: str, extra: dict) -> None:
    """modify_pieces hands over modify's map bit for bit, in BLOCK_VOXELS pieces (the last shorter),
    seeded solvent noise included, for 1 and 3 threads; the map crosses three blocks."""
    from occupy.constants import BLOCK_VOXELS
    from occupy.stages.modification import modify_pieces
    rng = np.random.default_rng(3)
    shape = (130, 129, 131)                                  # 2.1 blocks of 2**20 voxels
    data = rng.standard_normal(shape).astype(np.float32)
    scale = np.clip(rng.random(shape, dtype=np.float32) * 1.2, 0, 1).astype(np.float32)
    conf = rng.random(shape, dtype=np.float32)
    solvent = SimpleNamespace(mean=0.1, sigma=0.3)
    expected = modify(data, scale, conf, solvent, mode=mode, seed=4, threads=2, **extra)[0]
    for threads in (1, 3):
        pieces: list[np.ndarray] = []
        modify_pieces(lambda p: pieces.append(p.copy()), data, scale, conf, solvent, mode=mode, seed=4,
                      threads=threads, **extra)
        assert [p.size for p in pieces] == [BLOCK_VOXELS, BLOCK_VOXELS, data.size - 2 * BLOCK_VOXELS]
        assert np.array_equal(np.concatenate(pieces).reshape(shape), expected)


@pytest.mark.parametrize("mode, gamma", [("amplify", 3.0), ("attenuate", 2.5), ("sigmoid", 4.0)])
def test_factor_of_repeated_scales_is_the_factor_of_each_alone(mode: str, gamma: float) -> None:
    """Runs of one scale value, repeats far apart, both signs of zero and the limit itself give each
    value's own factor (computed alone), for 1 and 2 threads."""
    rng = np.random.default_rng(11)
    values = np.concatenate([rng.random(3000, dtype=np.float32), [0.0, -0.0, 1.0, 0.05, 0.0500001]]).astype(np.float32)
    scale = values[rng.integers(0, values.size, 300_000)]
    scale[:5000] = np.repeat(values[:50], 100)                      # runs of one value
    pivot = {"pivot": 0.4} if mode == "sigmoid" else {}
    alone = np.array([modification_factor(values[i:i + 1], mode=mode, gamma=gamma, **pivot)[0]
                      for i in range(values.size)])
    lookup = {v.tobytes(): f for v, f in zip(values, alone)}
    expected = np.array([lookup[v.tobytes()] for v in scale], dtype=np.float32)
    for threads in ("1", "2"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("OMP_NUM_THREADS", threads)
            assert np.array_equal(modification_factor(scale, mode=mode, gamma=gamma, **pivot), expected)
