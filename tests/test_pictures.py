"""The pictures of ``--plot`` and ``--report``: any box, positions in the map's coordinates, true voxel
counts, early ``--slices`` checks, non-UTF-8 names, and ``tile`` slices under ``--s0``."""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

import occupy
from occupy.errors import OptionError
from occupy.io.maps import read_map
from occupy.outputs.figures import axis_title, map_grid, run_pictures
from occupy.outputs.slices import coarse_map, gaussian_smooth
from occupy.outputs.staged import tile_voxels

from helpers import one_error, run_cli, write_mrc


def _blob(shape, centre, sigma: float = 3.0, noise: float = 0.03, seed: int = 1) -> np.ndarray:
    grids = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    r2 = sum((g - c) ** 2 for g, c in zip(grids, centre))
    rng = np.random.default_rng(seed)
    return (np.exp(-r2 / (2 * sigma ** 2)) + rng.normal(0, noise, shape)).astype(np.float32)


@pytest.mark.parametrize("shape, voxel, lowpass", [((8, 8, 8), 0.4, 8.0), ((9, 10, 11), 0.3, 8.0),
                                                   ((12, 14, 16), 1.0, 30.0)])
def test_coarse_blocks_never_exceed_the_box(shape, voxel, lowpass):
    data = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    coarse = coarse_map(data, voxel, lowpass)
    f = coarse.factor
    assert 1 <= f <= min(shape)
    assert coarse.mean.shape == tuple(s // f for s in shape)
    whole = data[:coarse.mean.shape[0] * f, :coarse.mean.shape[1] * f, :coarse.mean.shape[2] * f]
    expected = whole.reshape(coarse.mean.shape[0], f, coarse.mean.shape[1], f, coarse.mean.shape[2], f).mean(
        axis=(1, 3, 5))
    assert np.allclose(coarse.mean, expected, atol=1e-5)           # each block's true mean
    pictures = run_pictures(data, np.full(shape, 0.5, np.float32), {}, voxel_size=voxel, lowpass=lowpass,
                            solvent_edge=0.0, min_vis_scale=0.2, slices="centre")
    assert [p.input_grey.shape for p in pictures.planes] == [shape[1:], shape[::2], shape[:2]]


@pytest.mark.parametrize("shape, voxel, extra", [((8, 8, 8), 0.4, ()), ((9, 10, 11), 0.3, ()),
                                                 ((12, 14, 16), 1.0, ("--lowpass", "30"))])
def test_plot_and_report_of_small_boxes(tmp_path, shape, voxel, extra):
    path = occupy.write_map(tmp_path / "t.mrc", _blob(shape, [s / 2 for s in shape], sigma=2.0), voxel_size=voxel)
    done = run_cli("occupy", "-i", str(path), "-o", str(tmp_path / "o"), "--plot", "--report", *extra)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "scale_slices_t.png").stat().st_size > 1000
    assert "data-axis" in (tmp_path / "o" / "report_t.html").read_text(encoding="utf-8")


def test_slices_outside_the_box_refused_before_the_work(tmp_path):
    path = occupy.write_map(tmp_path / "m.mrc", _blob((24, 24, 24), (12, 12, 12)), voxel_size=2.0)
    stages: list[str] = []
    with pytest.raises(OptionError, match=r"--slices y:30 is outside the box \(y from 0 to 23\)"):
        occupy.run(path, output_dir=tmp_path / "o", plot=True, slices="com,y:30", progress=stages.append)
    assert stages == ["read map"]                    # nothing computed after reading the map
    assert not (tmp_path / "o").exists()
    occupy.run(path, output_dir=tmp_path / "plain", slices="y:30")      # unused without --plot/--report
    bad = run_cli("occupy", "-i", str(path), "-o", str(tmp_path / "c"), "--report", "--slices", "y:30")
    assert bad.returncode == 2
    assert "--slices y:30 is outside the box" in one_error(bad.stderr, "outside the box")


@pytest.fixture(scope="module")
def placed_maps(tmp_path_factory) -> list[Path]:
    """One map placed by its header origin (and z voxels of another size), one by its start indices."""
    d = tmp_path_factory.mktemp("placed")
    data = _blob((32, 32, 32), (12, 18, 20))
    return [write_mrc(d / "origin.mrc", data, voxel=(1.5, 1.5, 2.0), origin=(10.0, -20.0, 33.0)),
            write_mrc(d / "start.mrc", data, voxel=1.5, nxstart=-5, nystart=7, nzstart=3)]


@pytest.mark.filterwarnings("ignore:.*anisotropic voxels")
@pytest.mark.parametrize("which", [0, 1])
def test_slice_positions_are_the_logs_tile_centre(placed_maps, tmp_path, which):
    path = placed_maps[which]
    result = occupy.run(path, output_dir=tmp_path / "o", keep_arrays=True)
    logged = re.search(r"tile centre \(x, y, z A\)\s+\((.*)\)", (tmp_path / "o" / f"log_{path.stem}.txt").read_text())
    tile_A = dict(zip("xyz", (float(v) for v in logged.group(1).split(","))))
    m = read_map(path)
    pictures = run_pictures(m.data, result.arrays["scale"], {}, voxel_size=m.voxel_size, lowpass=result.lowpass,
                            solvent_edge=result.solvent_edge, min_vis_scale=0.2, slices="tile",
                            tile_zyx=tile_voxels(m, result.tile_center_A), grid=map_grid(m), browser=False)
    assert [p.plane.why for p in pictures.planes] == ["full-scale tile"] * 3
    for p in pictures.planes:
        assert p.position_A == pytest.approx(tile_A[p.plane.axis], abs=1e-3)
        assert f"({tile_A[p.plane.axis]:.1f} Å)" in axis_title(p)
    x0, x1, y0, y1 = pictures.planes[1].extent_A          # the y slice: x across, z up
    grid = map_grid(m)
    assert (x0 + x1) / 2 == pytest.approx(grid.start_A[0] + 15.5 * grid.voxel_A[0])    # the box's middle
    assert (y1 - y0) == pytest.approx(32 * grid.voxel_A[2])                            # z voxels of z's size


@pytest.mark.filterwarnings("ignore:.*anisotropic voxels")
def test_report_slice_titles_are_the_logs_tile_centre(placed_maps, tmp_path):
    path = placed_maps[0]
    result = occupy.run(path, output_dir=tmp_path / "o", report=True, slices="tile")
    x, y, z = result.tile_center_A
    text = (tmp_path / "o" / "report_origin.html").read_text(encoding="utf-8")
    for axis, value in (("z", z), ("y", y), ("x", x)):
        assert re.search(rf"{axis} = \d+ \({value:.1f} Å\), full-scale tile", text)


def test_scale_histogram_counts_voxels_of_the_map():
    data = _blob((64, 64, 64), (32, 32, 32), sigma=8.0, noise=0.01)
    scale = np.full(data.shape, 0.7, np.float32)
    pictures = run_pictures(data, scale, {}, voxel_size=1.0, lowpass=8.0, solvent_edge=0.3, min_vis_scale=0.2,
                            slices="centre", browser=False)
    assert coarse_map(data, 1.0, 8.0).factor == 4
    truth = int((gaussian_smooth(data, 0.1874 * 8.0) > 0.3).sum())      # the lowpassed map, at full size
    assert pictures.non_solvent == pytest.approx(truth, rel=0.15)
    counts, _ = pictures.scale_hist
    assert counts.sum() == pictures.non_solvent
    from occupy.outputs.report_parts import scale_hist_svg
    assert f"{pictures.non_solvent} non-solvent voxels" in scale_hist_svg(*pictures.scale_hist,
                                                                          pictures.non_solvent, "m", "")


@pytest.mark.skipif(os.name != "posix", reason="a file name of raw bytes")
def test_report_of_a_non_utf8_name_is_utf8(tmp_path):
    path = os.fsencode(tmp_path) + b"/caf\xe9.mrc"
    occupy.write_map(os.fsdecode(path), _blob((24, 24, 24), (12, 12, 12)), voxel_size=2.0)
    done = run_cli("occupy", "-i", os.fsdecode(path), "-o", str(tmp_path / "o"), "--report", "--no-chimerax")
    assert done.returncode == 0, done.stderr
    raw = next((tmp_path / "o").glob("report_*.html")).read_bytes()
    text = raw.decode("utf-8")                      # strict: the page is the UTF-8 it declares
    assert "caf\ufffd" in text


def test_tile_slices_under_s0_go_through_the_box_centre(tmp_path):
    path = occupy.write_map(tmp_path / "m.mrc", _blob((24, 28, 32), (8, 20, 23)), voxel_size=2.0)
    result = occupy.run(path, output_dir=tmp_path / "o", s0=True, slices="tile", plot=True, report=True)
    assert result.tile_center_A is None
    text = result.output_paths["report"].read_text(encoding="utf-8")
    assert re.findall(r'data-axis="(\w)" data-index="(\d+)"', text) == [("z", "12"), ("y", "14"), ("x", "16")]
    assert "no full-scale tile" in text and "box centre instead" in text
