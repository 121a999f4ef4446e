"""Masks from the scale (issue 22, item 4): on the input's grid, reusable, a soft edge of a width in Å,
a --solvent-def mask of another box placed by the headers, bad values refused, nothing left on failure."""
from __future__ import annotations

from pathlib import Path

import mrcfile
import numpy as np
import pytest
from helpers import one_error, run_cli, write_mrc

import occupy
from occupy.errors import OccupyError
from occupy.io.mrcdata import MapData
from occupy.stages.masks import soft_edge
from occupy.stages.solvent_def import mask_on_grid

ORIGIN = (12.5, -30.0, 7.0)          # x, y, z (Å): a grid not at zero, so a lost origin shows


def _demo(tmp_path: Path) -> Path:
    """A 40x36x32 (z, y, x) demo map of 1.5 Å voxels with an origin: every header fact must come through."""
    demo = occupy.make_demo_map(box=40, seed=3)
    return write_mrc(tmp_path / "demo.mrc", demo.data[:, 2:38, 4:36], voxel=1.5, origin=ORIGIN)


def _header(path: Path) -> tuple:
    with mrcfile.open(path, permissive=True) as m:
        h = m.header
        return (m.data.shape, tuple(float(v) for v in m.voxel_size.tolist()),
                (float(h.origin.x), float(h.origin.y), float(h.origin.z)),
                (int(h.nxstart), int(h.nystart), int(h.nzstart)), (int(h.mapc), int(h.mapr), int(h.maps)))


@pytest.mark.parametrize("max_box", [None, "24"])
def test_masks_are_on_the_input_grid(tmp_path, max_box) -> None:
    """Box, voxel size and origin of both masks are the input's, also when the run worked on a smaller box."""
    src = _demo(tmp_path)
    args = ["-i", str(src), "-o", "out", "--save-solvent-def", "--subtraction-mask", "--no-chimerax"]
    r = run_cli("occupy", *args, *(["--max-box", max_box] if max_box else []), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for name in ("solventDef_demo.mrc", "subtractionMask_demo.mrc"):
        assert _header(tmp_path / "out" / name) == _header(src), name
        assert f"wrote out/{name}" in r.stdout                  # listed in the summary
        assert name in (tmp_path / "out" / "log_demo.txt").read_text()
    if max_box:
        assert "24 x 22 x 20" in (tmp_path / "out" / "log_demo.txt").read_text()    # it worked on a smaller box
    solvent_def = mrcfile.read(tmp_path / "out" / "solventDef_demo.mrc")
    subtraction = mrcfile.read(tmp_path / "out" / "subtractionMask_demo.mrc")
    assert set(np.unique(solvent_def).tolist()) == {0.0, 1.0}
    assert 0.0 <= subtraction.min() and subtraction.max() == 1.0 and 0 < np.mean((subtraction > 0) & (subtraction < 1))


def test_solvent_definition_covers_the_density_and_is_reused(tmp_path) -> None:
    demo = occupy.make_demo_map(box=40, seed=3)
    occupy.write_map(tmp_path / "demo.mrc", demo.data, voxel_size=demo.voxel_size)
    r = run_cli("occupy", "-i", "demo.mrc", "-o", "a", "--save-solvent-def", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    inside = mrcfile.read(tmp_path / "a" / "solventDef_demo.mrc") > 0.5
    assert np.mean(inside[demo.labels > 0]) > 0.95              # the domains are not solvent
    assert np.mean(inside) < 0.6                                # and the box is not all molecule
    r = run_cli("occupy", "-i", "demo.mrc", "-o", "b", "--solvent-def", "a/solventDef_demo.mrc", "--amplify",
                "--gamma", "3", cwd=tmp_path)
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    assert (tmp_path / "b" / "ampl_3.0_demo.mrc").is_file()


@pytest.mark.parametrize("voxel", [1.0, 2.0])
def test_soft_edge_falls_from_1_to_0_over_its_width_in_angstrom(voxel) -> None:
    """A ball of radius 12 Å, an edge of 10 Å: 1 in the ball, then the raised cosine of the distance (Å)
    to the ball's nearest voxel (found here by brute force), 0 from 10 Å out, whatever the voxel size."""
    n = round(48 / voxel)
    grid = (np.indices((n, n, n)) - n // 2).reshape(3, -1).T * voxel          # voxel centres (Å)
    rho = np.linalg.norm(grid, axis=1)
    ball = rho <= 12.0
    surface = grid[ball & (rho > 12.0 - 2 * voxel)]
    nearest = np.concatenate([np.sqrt(((chunk[:, None, :] - surface[None]) ** 2).sum(-1)).min(1)
                              for chunk in np.array_split(grid, 64)])
    nearest[ball] = 0.0
    mask = soft_edge(ball.reshape(n, n, n), 10.0, (voxel, voxel, voxel)).reshape(-1)
    expected = np.where(nearest < 10.0, 0.5 * (1 + np.cos(np.pi * np.minimum(nearest, 10.0) / 10.0)), 0.0)
    assert np.abs(mask - expected).max() < 1e-5
    assert np.all(mask[ball] == 1.0) and np.all(mask[nearest >= 10.0] == 0.0)
    assert nearest[mask > 0].max() > 10.0 - 1.5 * voxel       # the edge reaches 10 Å out (not 10 voxels)
    half = np.abs(mask - 0.5) < 0.1
    assert np.all(np.abs(nearest[half] - 5.0) < 1.0)           # half-way at 5 Å
    assert soft_edge(ball, 0.0, (voxel,) * 3).tolist() == ball.astype(np.float32).tolist()


def test_soft_edge_of_a_small_region_works_on_its_padded_box_only(monkeypatch) -> None:
    """Anisotropic voxels, a region at a corner of a larger box: the brute-force raised cosine, with the
    distances computed only on the region's bounding box padded by the edge (clipped to the box)."""
    from occupy.stages import masks
    shape, voxel_xyz, width = (30, 40, 50), (0.9, 1.3, 2.1), 5.0
    region = np.zeros(shape, bool)
    region[:4, 30:36, 44:] = np.random.default_rng(4).random((4, 6, 6)) > 0.5
    region[0, 30, 49] = True
    zyx = np.indices(shape).reshape(3, -1).T * np.array(voxel_xyz[::-1])
    nearest = np.sqrt(((zyx[:, None, :] - zyx[region.reshape(-1)][None]) ** 2).sum(-1)).min(1).reshape(shape)
    expected = np.where(nearest < width, 0.5 * (1 + np.cos(np.pi * np.minimum(nearest, width) / width)), 0.0)
    boxes = []
    distances = masks._distance_squared_within
    monkeypatch.setattr(masks, "_distance_squared_within",
                        lambda r, *args: boxes.append(r.shape) or distances(r, *args))
    mask = soft_edge(region, width, voxel_xyz)
    assert mask.dtype == np.float32 and mask.shape == shape
    assert np.abs(mask - expected).max() < 1e-6 and np.all(mask[nearest >= width] == 0.0)
    assert boxes == [(4 + 3, 6 + 2 * 4, 6 + 6)]       # z: 0..3 + ceil(5/2.1); y: ±ceil(5/1.3); x: -ceil(5/0.9), clipped


def test_contour_mask_of_another_box_is_placed_by_the_headers(tmp_path, test_data) -> None:
    """EMD-3488 (100^3) with its contour mask (100x91x91, same voxel size and origin): padded, with a note."""
    r = run_cli("occupy", "-i", str(test_data / "emd_3488.mrc"), "-o", "out", "--solvent-def",
                str(test_data / "emd_3488_contour_mask.mrc"), "--amplify", "--gamma", "3", cwd=tmp_path, columns=400)
    assert r.returncode == 0, r.stderr
    note = [ln for ln in r.stderr.splitlines() if "emd_3488_contour_mask.mrc is 100x91x91" in ln]
    assert len(note) == 1 and "padded with 0" in note[0] and "map voxel 0,0,0" in note[0], r.stderr
    assert (tmp_path / "out" / "ampl_3.0_emd_3488.mrc").is_file()


def _grid(data: np.ndarray, origin=(0.0, 0.0, 0.0), nstart=(0, 0, 0)) -> MapData:
    return MapData(np.asarray(data, np.float32), voxel_size=2.0, voxel_size_xyz=(2.0, 2.0, 2.0), origin=origin,
                   nstart=nstart)


def test_mask_on_grid_pads_and_crops_about_the_common_origin() -> None:
    mask = np.arange(6 * 5 * 4, dtype=np.float32).reshape(6, 5, 4)
    m = _grid(np.zeros((4, 6, 6)), nstart=(1, 0, 2))                 # x starts 1 voxel, z 2 voxels in
    placed, note = mask_on_grid(_grid(mask, origin=(4.0, 0.0, 0.0)), m, "mask")   # x starts at 2 voxels
    assert placed.shape == (4, 6, 6) and "map voxel 1,0,-2" in note
    assert np.array_equal(placed[:, :5, 1:5], mask[2:6])             # z cropped, y padded, x shifted by 1
    assert not placed[:, 5:].any() and not placed[:, :, 0].any() and not placed[:, :, 5].any()
    with pytest.raises(OccupyError, match="volume resample #2 onGrid #1"):
        mask_on_grid(_grid(mask, origin=(1.0, 0.0, 0.0)), m, "mask")         # half a voxel off


@pytest.mark.parametrize("option, value, says", [
    ("--solvent-def-scale", "0", "must be in (0, 1)"), ("--solvent-def-scale", "1", "must be in (0, 1)"),
    ("--solvent-def-scale", "nan", "must be a finite number"),
    ("--subtract-scale-below", "-0.5", "must be in (0, 1)"), ("--subtract-scale-below", "1.5", "must be in (0, 1)"),
    ("--subtract-scale-below", "x", "is not a valid float"),
    ("--mask-soft-edge", "-1", "must be >= 0"), ("--mask-soft-edge", "inf", "must be a finite number"),
])
def test_bad_values_are_refused_before_work(tmp_path, option, value, says) -> None:
    src = _demo(tmp_path)
    r = run_cli("occupy", "-i", str(src), "-o", "out", option, value, cwd=tmp_path)
    assert r.returncode == 2
    assert option in one_error(r.stderr, says)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.mrc"]


def test_a_mask_that_cannot_be_written_leaves_nothing(tmp_path) -> None:
    src = _demo(tmp_path)
    (tmp_path / "out" / "subtractionMask_demo.mrc").mkdir(parents=True)      # in the way of the mask
    r = run_cli("occupy", "-i", str(src), "-o", "out", "--mask-soft-edge", "4", "--save-solvent-def", cwd=tmp_path)
    assert r.returncode == 1
    one_error(r.stderr, "subtractionMask_demo.mrc")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["subtractionMask_demo.mrc"]
    assert not any((tmp_path / "out" / "subtractionMask_demo.mrc").iterdir())


def test_a_mask_off_the_grid_is_refused_with_the_command_that_fixes_it(tmp_path) -> None:
    src = _demo(tmp_path)
    off = write_mrc(tmp_path / "off.mrc", np.ones((20, 20, 20), np.float32), voxel=1.5,
                    origin=(ORIGIN[0] + 0.75, ORIGIN[1], ORIGIN[2]))
    r = run_cli("occupy", "-i", str(src), "-o", "out", "--solvent-def", str(off), cwd=tmp_path)
    assert r.returncode == 1
    one_error(r.stderr, "volume resample #2 onGrid #1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.mrc", "off.mrc"]
