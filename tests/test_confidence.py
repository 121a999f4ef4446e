"""Confidence curve and per-voxel lookup (algorithm.md §7)."""
from __future__ import annotations

import numpy as np
import pytest

from occupy.errors import OccupyError
from occupy.stages.confidence import confidence_curve, monotone_confidence, voxel_confidence
from occupy.stages.solvent import fit_solvent


def test_monotone_rules_on_hand_made_curve():
    raw = np.array([0.9, 0.2, 0.8, 0.95, 0.7, 1.0, 0.99, 1.0])
    out = monotone_confidence(raw)
    # walked from the top: 1.0 | min(.99, 1.0) = .99 | min(1.0, .99, .98) = .98
    # | min(.7, .98, .97) = .7 | min(.95, .7, .42) = .42 | min(.8, .42, .14) = .14
    # | min(.2, .14, -.14) = -.14 <= 0 -> 0, and every lower bin 0
    np.testing.assert_allclose(out, [0, 0, 0.14, 0.42, 0.7, 0.98, 0.99, 1.0], atol=1e-12)
    np.testing.assert_array_equal(raw, [0.9, 0.2, 0.8, 0.95, 0.7, 1.0, 0.99, 1.0])  # copy


def test_monotone_properties_random():
    rng = np.random.default_rng(0)
    raw = np.sort(rng.uniform(-0.2, 1, 1000)) + rng.normal(0, 0.05, 1000)
    c = monotone_confidence(raw)
    assert np.all(np.diff(c) >= -1e-15)                   # never decreases upward
    assert np.all(c <= np.maximum(raw, 0) + 1e-15)        # only lowered (or zeroed)
    pos = np.flatnonzero(c > 0)
    steps = np.diff(c[pos[0]:])
    assert np.all(np.diff(steps) <= 1e-12)                # steps shrink going up
    assert np.all(c[:pos[0]] == 0)


def test_top_bin_non_positive_zeroes_everything():
    np.testing.assert_array_equal(monotone_confidence([0.5, 0.8, -0.1]), [0, 0, 0])


def _map_and_model():
    rng = np.random.default_rng(1)
    data = (rng.standard_normal((40, 40, 40)) * 0.05).astype(np.float32)
    data[15:25, 15:25, 15:25] += rng.uniform(0.5, 2.0, (10, 10, 10)).astype(np.float32)
    return data, fit_solvent(data)


def test_curve_definition():
    data, model = _map_and_model()
    curve = confidence_curve(data, model)
    h, edges = np.histogram(data, bins=1000, density=True)
    np.testing.assert_array_equal(curve.heights, h)
    left = edges[:-1].astype(np.float64)
    model_left = model.amplitude * np.exp(-(left - model.mean) ** 2 / (2 * model.sigma ** 2))
    np.testing.assert_allclose(curve.raw, (h + 0.01 - model_left) / (h + 0.01))
    np.testing.assert_array_equal(curve.monotone, monotone_confidence(curve.raw))
    assert curve.values[-1] == 1.0 and curve.values[0] == 0.0
    assert not curve.bad_model
    first = np.flatnonzero(curve.monotone > 0.5)[0]
    assert curve.limit == edges[first]


def test_hedge_and_bad_model():
    data, model = _map_and_model()
    plain = confidence_curve(data, model)
    hedged = confidence_curve(data, model, hedge=3.0)
    np.testing.assert_allclose(hedged.values, plain.monotone ** 3)
    np.testing.assert_array_equal(hedged.monotone, plain.monotone)
    # a model far too wide calls almost everything solvent
    model.sigma *= 40
    assert confidence_curve(data, model).bad_model
    with pytest.raises(OccupyError):
        confidence_curve(data, model, hedge=0.5)


def test_voxel_lookup():
    data, model = _map_and_model()
    curve = confidence_curve(data, model, hedge=2.0)
    conf = voxel_confidence(data, curve)
    assert conf.dtype == np.float32 and conf.shape == data.shape
    lo, hi = float(data.min()), float(data.max())
    b = np.clip(np.floor((data.astype(np.float64) - lo) / (hi - lo) * 1000), 0, 999).astype(int)
    np.testing.assert_array_equal(conf, np.clip(curve.values, 0, 1).astype(np.float32)[b])
    assert conf[data == data.max()].item() == np.float32(curve.values[999])
    assert conf[data == data.min()].item() == np.float32(curve.values[0])
    assert conf.min() >= 0 and conf.max() <= 1


def test_voxel_lookup_thread_independent():
    data, model = _map_and_model()
    curve = confidence_curve(data, model)
    one = voxel_confidence(data, curve, threads=1)
    np.testing.assert_array_equal(one, voxel_confidence(data, curve, threads=2))
    np.testing.assert_array_equal(one, voxel_confidence(data, curve, threads=3))


@pytest.mark.parametrize("kind", ["normal", "integers", "float64"])
def test_map_histogram_equals_numpy(kind):
    """The compiled whole-map histogram equals np.histogram (also for values on bin edges)."""
    rng = np.random.default_rng(4)
    if kind == "integers":
        data = rng.integers(-5, 9, (30, 33, 35)).astype(np.float32)
    else:
        data = rng.standard_normal((30, 33, 35)).astype(np.float64 if kind == "float64" else np.float32)
    model = fit_solvent(data)
    h, e = np.histogram(data, bins=1000, range=(data.min(), data.max()), density=True)
    curves = [confidence_curve(data, model, threads=t) for t in (1, 2, 3)]
    for curve in curves:
        np.testing.assert_array_equal(curve.heights, h)
        np.testing.assert_array_equal(curve.bin_edges, e)


def test_voxel_lookup_bin_boundaries():
    """Each voxel gets the bin floor((v - min)/(max - min) * 1000), clipped: values on edges,
    just below edges, the minimum and the maximum (the original's lookup was one bin low)."""
    from occupy.stages.confidence import ConfidenceCurve
    edges = np.linspace(0.0, 1.0, 1001)
    table = np.linspace(0.0, 1.0, 1000)          # bin k -> k/999: the bin is readable from the value
    curve = ConfidenceCurve(heights=np.ones(1000), bin_edges=edges, model=np.zeros(1000), raw=table,
                            monotone=table, values=table, hedge=None, bad_model=False, limit=0.0)
    values = np.array([0.0, 0.0005, 0.001, 0.0015, 0.5, 0.4995, 0.999, 0.9995, 1.0], np.float32)
    bins = voxel_confidence(values.reshape(1, 1, -1), curve).reshape(-1) * 999
    expected = np.clip(np.floor(values.astype(np.float64) * 1000), 0, 999)
    np.testing.assert_allclose(bins, expected, atol=1e-3)
    assert round(bins[-1]) == 999 and round(bins[0]) == 0 and round(bins[2]) == 1


@pytest.mark.parametrize("distinct", [3, 256, 257, 1000])
def test_confidence_index_is_the_confidence_map(distinct: int) -> None:
    """The confidence held as a table index (one byte up to 256 distinct values, two above) gives
    voxel_confidence's map bit for bit, whole and block by block, and modifies a map identically."""
    from dataclasses import replace

    from occupy.stages.confidence import confidence_index
    from occupy.stages.modification import modify, modify_pieces
    rng = np.random.default_rng(distinct)
    lp = rng.standard_normal((37, 41, 43)).astype(np.float32)
    curve = confidence_curve(lp, fit_solvent(lp))
    values = np.sort(rng.random(distinct)) if distinct < 1000 else np.linspace(0, 1, 1000) ** 3
    curve = replace(curve, values=np.resize(values, curve.values.size))
    assert np.unique(np.clip(curve.values, 0, 1).astype(np.float32)).size == distinct
    ci = confidence_index(lp, curve, threads=2)
    assert ci.index.dtype == (np.uint8 if distinct <= 256 else np.uint16)
    expected = voxel_confidence(lp, curve, threads=3)
    assert np.array_equal(ci.full(), expected)
    buf = np.empty(5000, np.float32)
    assert np.array_equal(ci.take(1000, 6000, buf), expected.reshape(-1)[1000:6000])
    solvent = fit_solvent(lp)
    whole = modify(lp, np.clip(np.abs(lp), 0, 1), expected, solvent, mode="attenuate", gamma=3.0, seed=2)[0]
    pieces: list[np.ndarray] = []
    modify_pieces(lambda p: pieces.append(p.copy()), lp, np.clip(np.abs(lp), 0, 1), ci, solvent,
                  mode="attenuate", gamma=3.0, seed=2)
    assert np.array_equal(np.concatenate(pieces).reshape(lp.shape), whole)


def test_confidence_bins_are_the_exact_quotient_at_bin_edges() -> None:
    """The lookup's fast bin position (a product) is checked against the exact formula
    floor((v - vmin) / (vmax - vmin) * 1000) in float64, on float32 values at and next to every bin
    edge of ranges with float32 ends (as the lowpassed map's are), where the two can differ: e.g.
    v = -1.0894872 in [-1.6810732, 3.0516148] is in bin 125, and the product says 124."""
    from dataclasses import replace
    rng = np.random.default_rng(4)
    lp = rng.standard_normal((20, 30, 40)).astype(np.float32)
    base = confidence_curve(lp, fit_solvent(lp))
    base = replace(base, values=np.arange(base.values.size, dtype=np.float64) / base.values.size)
    table = np.clip(base.values, 0, 1).astype(np.float32)
    ranges = [(-1.6810731887817383, 3.051614761352539)] + [
        (float(lo), float(np.float32(lo + w))) for lo, w in zip(rng.uniform(-3, 1, 60).astype(np.float32),
                                                                 rng.uniform(0.01, 6, 60))]
    for vmin, vmax in ranges:
        curve = replace(base, bin_edges=np.linspace(vmin, vmax, base.bin_edges.size))
        edges = (vmin + np.arange(-2, 1003) * (vmax - vmin) / 1000).astype(np.float32)
        v = np.concatenate([edges, np.nextafter(edges, np.float32(-np.inf)), np.nextafter(edges, np.float32(np.inf))])
        exact = np.clip(np.floor((v.astype(np.float64) - vmin) / (vmax - vmin) * 1000), 0, 999).astype(int)
        assert np.array_equal(voxel_confidence(v.reshape(1, 1, -1), curve, threads=2).reshape(-1), table[exact])
