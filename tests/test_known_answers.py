"""Known answers: each test checks a result against a truth worked out by hand (or a closed
form), not against another path through the implementation.

- the tile search's winning tile among tied tiles, for 1, 2 and 4 threads (algorithm.md §4);
- the sigmoid against its closed form, and its pivot mapped to itself (algorithm.md §8);
- two signals in quick succession: one clean stop with the first signal's status;
- the summary table's columns against each map's own run;
- the ChimeraX marker at the winning tile's centre in Å (origin and voxel size applied);
- the partial-occupancy fraction on maps whose count is known exactly.
"""
from __future__ import annotations

import csv
import io
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import log_value, one_error, read_star, run_cli, write_demo_map, write_mrc

import occupy

# ---------------------------------------------------------------- 1. tile search: ties

# algorithm.md §4 with a 240^3 box: 20 tiles of side 12 per axis, step 12, first tile at 0
# (no overlap); a tile is used when |(i, j, l) - 10| < 9. These four are inside that sphere and
# spread over the C order of the used tiles, so with 2 or 4 threads they fall to different threads.
TIE_BOX, TIE_SIDE = 240, 12
TIED_TILES = [(12, 15, 9), (3, 10, 10), (16, 10, 10), (8, 4, 12)]


def test_tile_search_tie_goes_to_the_first_tile_in_c_order_for_any_thread_count() -> None:
    """Tiles holding the same values (permuted) tie exactly; the tie rule documented by
    ``occupy.tile_search`` (the first such tile in C order of the grid index) picks (3, 10, 10)."""
    rng = np.random.default_rng(7)
    data = rng.random((TIE_BOX,) * 3, dtype=np.float32)            # background: values in [0, 1)
    bright = 2.0 + rng.random(TIE_SIDE ** 3, dtype=np.float32)       # every tied tile: these values
    for z, y, x in TIED_TILES:
        data[z * 12:z * 12 + 12, y * 12:y * 12 + 12, x * 12:x * 12 + 12] = \
            rng.permutation(bright).reshape((TIE_SIDE,) * 3)
    tau = 0.9
    expected_s_full = float(np.sort(bright)[int(np.floor(tau * TIE_SIDE ** 3))])   # rank floor(tau*V)
    for threads in (1, 2, 4):
        res = occupy.tile_search(data, tau, threads=threads)
        assert res.tile_shape == (12, 12, 12) and res.n_tiles_per_axis == 20
        assert res.s_full == expected_s_full, threads
        assert res.tile_index == (3, 10, 10), threads
        assert res.tile_start == (36, 120, 120), threads
        assert res.tile_center == (41.5, 125.5, 125.5), threads


# ---------------------------------------------------------------- 2, 3. sigmoid: closed form, pivot

# Two roundings to float32 stand between the double-precision closed form and an output voxel:
# the factor f(S)/S is stored as float32, then data*factor is rounded to float32 again. Each is
# within half an ulp (eps/2 relative), so the output is within eps of f(S); 2*eps leaves a margin.
F32_RTOL = 2 * float(np.finfo(np.float32).eps)
SCALES = np.linspace(0.06, 1.0, 95, dtype=np.float32)      # above the default scale limit 0.05


def _sigmoid_closed_form(s: np.ndarray, power: float, pivot: float) -> np.ndarray:
    """algorithm.md §8: f(S) = 1/(1 + (mu(1-S)/(S(1-mu)))^G) with mu chosen so that f(P) = P:
    (mu/(1-mu)) ((1-P)/P) = ((1-P)/P)^(1/G), i.e. mu/(1-mu) = ((1-P)/P)^(1/G - 1)."""
    odds = ((1.0 - pivot) / pivot) ** (1.0 / power - 1.0)
    mu = odds / (1.0 + odds)
    s = s.astype(np.float64)
    return 1.0 / (1.0 + (mu * (1.0 - s) / (s * (1.0 - mu))) ** power)


def _sigmoid_output(scales: np.ndarray, power: float, pivot: float) -> tuple[np.ndarray, np.ndarray]:
    """``occupy.modify`` of a map equal to its own scale (so the output is f(S)), without noise or
    confidence; the voxels 0 and 1 fix the clip range to [0, 1]. Returns (output, factor) at ``scales``."""
    s = np.concatenate([[0.0, 1.0], scales]).astype(np.float32).reshape(1, 1, -1)
    out, factor = occupy.modify(s, s, None, mode="sigmoid", sigmoid=power, pivot=pivot, exclude_solvent=True,
                                threads=2)
    return out.ravel()[2:].astype(np.float64), factor.ravel()[2:].astype(np.float64)


@pytest.mark.parametrize("power", [1.0, 2.0, 4.5, 10.0])
def test_sigmoid_matches_its_closed_form(power: float) -> None:
    # pivot 0.5 gives mu = 0.5 for every G: f(S) = 1/(1 + ((1-S)/S)^G) = S^G/(S^G + (1-S)^G)
    s = SCALES.astype(np.float64)
    expected = s ** power / (s ** power + (1.0 - s) ** power)
    out, factor = _sigmoid_output(SCALES, power, 0.5)
    np.testing.assert_allclose(out, expected, rtol=F32_RTOL, atol=0)
    np.testing.assert_allclose(factor, expected / s, rtol=F32_RTOL, atol=0)
    np.testing.assert_allclose(out, _sigmoid_closed_form(SCALES, power, 0.5), rtol=F32_RTOL, atol=0)


@pytest.mark.parametrize("pivot", [0.25, 0.375, 0.75])          # exact in float32
@pytest.mark.parametrize("power", [2.0, 6.0])
def test_sigmoid_pivot_maps_to_itself(pivot: float, power: float) -> None:
    scales = np.sort(np.concatenate([SCALES, [pivot]])).astype(np.float32)
    out, _ = _sigmoid_output(scales, power, pivot)
    at = int(np.flatnonzero(scales == np.float32(pivot))[0])
    assert abs(out[at] - pivot) <= F32_RTOL * pivot, (out[at], pivot)
    s = scales.astype(np.float64)
    assert np.all(out[s < pivot] < s[s < pivot]) and np.all(out[(s > pivot) & (s < 1)] > s[(s > pivot) & (s < 1)])
    np.testing.assert_allclose(out, _sigmoid_closed_form(scales, power, pivot), rtol=F32_RTOL, atol=0)


# ---------------------------------------------------------------- 4. two signals at once

def test_second_signal_during_the_stop_changes_nothing(tmp_path) -> None:
    """SIGINT, then SIGTERM 50 ms later, both pending when the run next executes Python (as when
    they arrive during a compiled kernel): the run stops once, for SIGINT (exit 130, docs:
    128+N), with one error line, no staged file or created directory, no process left."""
    psutil = pytest.importorskip("psutil")
    from test_termination import Paused, _tree
    write_demo_map(tmp_path / "a.mrc", box=48, seed=20)
    before = _tree(tmp_path)
    run = Paused(["occupy", "-i", "a.mrc", "--amplify", "-o", "out/nested"], tmp_path, "write:2")
    family = run.family()
    pid = run.proc.pid
    os.kill(pid, signal.SIGSTOP)                    # hold it, so both signals are pending together
    deadline = time.monotonic() + 10
    while psutil.Process(pid).status() != psutil.STATUS_STOPPED:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(pid, signal.SIGINT)
    time.sleep(0.05)
    os.kill(pid, signal.SIGTERM)
    os.kill(pid, signal.SIGCONT)
    _, err = run.proc.communicate(timeout=30)
    assert run.proc.returncode == 130, err
    one_error(err, "stopped by SIGINT")
    assert _tree(tmp_path) == before                # no staged file, no out/ or out/nested/
    _, alive = psutil.wait_procs(family, timeout=5)
    assert not alive


# ---------------------------------------------------------------- 5. summary table

NUMERIC_COLUMNS = {"s_full": "occupyFullScale", "solvent_mean": "occupySolventMean",
                   "solvent_width": "occupySolventWidth", "partial_fraction": "occupyPartialFraction"}


def test_summary_table_columns_are_each_maps_own_numbers(tmp_path) -> None:
    stems = ("first", "second")
    for seed, stem in enumerate(stems):
        demo = occupy.make_demo_map(box=32, seed=30 + seed, occupancies=((1.0, 0.4), (1.0, 0.7, 0.2))[seed])
        occupy.write_map(tmp_path / f"{stem}.mrc", demo.data, voxel_size=demo.voxel_size)
    maps = [tmp_path / f"{stem}.mrc" for stem in stems]
    r = run_cli("occupy-batch", *map(str, maps), "-o", "out", "-q", "-j", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    csv_rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "occupy_summary.csv").read_text())))
    star_rows = read_star(tmp_path / "out" / "occupy_summary.star")["occupy_summary"]
    assert len(csv_rows) == len(star_rows) == 2
    own = [occupy.run(m, output_dir=tmp_path / "alone", threads=1, chimerax=False) for m in maps]
    # the two maps differ in every column, and the columns of one map differ from each other
    for key in NUMERIC_COLUMNS:
        assert getattr(own[0], key) != pytest.approx(getattr(own[1], key), rel=1e-3), key
    for res in own:
        values = [getattr(res, key) for key in NUMERIC_COLUMNS]
        assert all(v != pytest.approx(w, rel=1e-3) for i, v in enumerate(values) for w in values[i + 1:]), values
    for row, star, res, m in zip(csv_rows, star_rows, own, maps):
        assert row["map"] == star["rlnReferenceImage"] == str(m)
        assert Path(row["scale_map"]).name == Path(star["occupyScaleMap"]).name == f"scale_res_{m.stem}.mrc"
        for key, label in NUMERIC_COLUMNS.items():     # written with 6 significant digits
            assert float(row[key]) == pytest.approx(getattr(res, key), rel=1e-5), key
            assert float(star[label]) == pytest.approx(getattr(res, key), rel=1e-5), label
        log = tmp_path / "out" / f"log_{m.stem}.txt"
        assert float(row["s_full"]) == pytest.approx(float(log_value(log, "s_full")), rel=1e-5)


# ---------------------------------------------------------------- 6. ChimeraX marker

# box 40: tiles of side 2, step 2, first at 0; tile (z, y, x) index (13, 8, 5) starts at voxel
# (26, 16, 10) and is used (|(3, -2, -5)| < 9); its centre is voxel (z, y, x) = (26.5, 16.5, 10.5).
MARK_START = (26, 16, 10)
VOXEL = 1.5


@pytest.mark.parametrize("header, corner", [
    ({"origin": (-12.5, 30.25, 7.0)}, (-12.5, 30.25, 7.0)),                       # origin in Å (x, y, z)
    ({"nxstart": -4, "nystart": 6, "nzstart": 10}, (-4 * VOXEL, 6 * VOXEL, 10 * VOXEL)),   # no origin: start
], ids=["origin", "nstart"])
def test_chimerax_marker_is_the_tile_centre_in_angstrom(tmp_path, header, corner) -> None:
    data = occupy.make_demo_map(box=40, seed=3).data.copy()
    z, y, x = MARK_START
    data[z:z + 2, y:y + 2, x:x + 2] = 3 * data.max()           # the one tile whose rank value is this high
    write_mrc(tmp_path / "a.mrc", data, voxel=VOXEL, **header)
    r = run_cli("occupy", "-i", "a.mrc", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    # by hand: x = x0 + 10.5*1.5, y = y0 + 16.5*1.5, z = z0 + 26.5*1.5
    expected = (corner[0] + 10.5 * VOXEL, corner[1] + 16.5 * VOXEL, corner[2] + 26.5 * VOXEL)
    markers = [ln for ln in (tmp_path / "chimX_a.cxc").read_text().splitlines() if ln.startswith("marker ")]
    assert len(markers) == 1, markers
    words = markers[0].split()
    assert words[1] == "#20" and words[2] == "position"
    position = tuple(float(v) for v in words[3].split(","))
    assert position == pytest.approx(expected, abs=1e-3), (position, expected)


# ---------------------------------------------------------------- 7. partial-occupancy fraction

def _partial_phantom(shape=(40, 40, 37)) -> tuple[np.ndarray, np.ndarray, float, float]:
    """A lowpassed map and a scale map whose partial fraction is known by construction.

    Every 5th voxel (in C order) is solvent: its lowpassed value is the solvent edge exactly (not
    above it) or below it, and its scale is 0.2 (so counting it would change the answer). The solid
    voxels cycle through the scales 0.1, nextafter(0.5, 0), 0.5, 0.9, 1: two of each five are below
    0.5 (0.5 itself is not partial). The fraction is (partial solid) / (solid) exactly."""
    n = int(np.prod(shape))
    edge = np.float32(0.25)
    i = np.arange(n)
    solvent = i % 5 == 0
    lp = np.where(i % 10 == 0, edge, np.float32(0.1)).astype(np.float32)
    lp[~solvent] = np.float32(0.8) + (i[~solvent] % 7).astype(np.float32) * np.float32(0.01)
    cycle = np.array([0.1, np.nextafter(np.float32(0.5), np.float32(0)), 0.5, 0.9, 1.0], dtype=np.float32)
    n_solid = n - len(range(0, n, 5))
    scale = np.full(n, 0.2, dtype=np.float32)
    scale[~solvent] = cycle[np.arange(n_solid) % 5]
    n_partial = 2 * (n_solid // 5) + min(n_solid % 5, 2)
    return lp.reshape(shape), scale.reshape(shape), float(edge), n_partial / n_solid


def test_partial_fraction_of_a_constructed_map_is_known_exactly() -> None:
    from occupy.regions import partial_fraction, scale_statistics
    from occupy.stats import density_histogram_above
    lp, scale, edge, expected = _partial_phantom()
    assert expected == pytest.approx(0.4, abs=1e-4)
    for threads in (1, 2):
        # the run's path: the solid mask from the confidence histogram's pass, then the scale summary
        _, _, solid = density_histogram_above(lp, lp.min(), lp.max(), edge, threads)
        stats = scale_statistics(scale, lp, solid, 0.5, threads)
        assert stats.partial_fraction == expected, threads
        assert partial_fraction(lp, scale, edge, 0.5, threads) == expected, threads
        assert partial_fraction(None, scale, edge, 0.5, threads, solid=solid) == expected, threads


def test_partial_fraction_of_a_run_is_the_documented_count(tmp_path) -> None:
    """docs/usage.md: of the non-solvent voxels (lowpassed map above the solvent edge), the
    fraction with scale below 0.5 -- counted here from the run's own lowpassed and scale maps."""
    write_demo_map(tmp_path / "a.mrc", box=40, seed=8, occupancies=(1.0, 0.45, 0.25))
    res = occupy.run(tmp_path / "a.mrc", output_dir=tmp_path / "out", save_all_maps=True, chimerax=False, threads=2)
    lp = occupy.read_map(res.output_paths["lowpass"]).data
    scale = occupy.read_map(res.output_paths["scale"]).data
    solid = lp > np.float32(res.solvent_edge)
    n_solid, n_partial = int(np.count_nonzero(solid)), int(np.count_nonzero(solid & (scale < np.float32(0.5))))
    assert 0 < n_partial < n_solid
    assert res.partial_fraction == n_partial / n_solid
