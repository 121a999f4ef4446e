"""``--plot`` figures: each writes a real, non-blank PNG exactly where asked (drawn with Pillow)."""
from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from occupy.errors import OccupyError
from occupy.outputs import plots

pytest.importorskip("matplotlib")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _check_png(path: Path) -> None:
    raw = path.read_bytes()
    assert raw[:8] == PNG_SIGNATURE
    assert raw[12:16] == b"IHDR"
    width, height = struct.unpack(">II", raw[16:24])
    assert width > 200 and height > 200
    from matplotlib.image import imread

    with path.open("rb") as fh:  # the name may end in .part: decode as PNG explicitly
        img = imread(fh, format="png")
    assert img.shape[:2] == (height, width)
    flat = img.reshape(-1, img.shape[-1])
    assert len(np.unique(flat[::7], axis=0)) > 10, "image is (nearly) a single colour"


def _gauss(x, a, mu, sigma):
    return a * np.exp(-((x - mu) ** 2) / (2 * sigma ** 2))


def test_solvent_model_png(tmp_path):
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 1, 200_000), rng.uniform(1, 8, 20_000)])
    heights, edges = np.histogram(values, bins=1000, density=True)
    centers = (edges[:-1] + edges[1:]) / 2
    fit = _gauss(centers, heights.max(), 0.0, 1.0)
    conf = np.clip((heights + 0.01 - fit) / (heights + 0.01), 0, 1)
    path = tmp_path / ".solModel_x.png.abc.part"  # staged names do not end in .png
    plots.plot_solvent_model(path, hist_centers=centers, hist_heights=heights,
                             guess_curve=_gauss(centers, heights.max(), 0.1, 1.3), fit_curve=fit,
                             confidence=conf, hedged_confidence=conf ** 10, solvent_edge=4.2,
                             s_full=6.5, title="solModel test")
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    _check_png(path)


@pytest.mark.parametrize("used", [{"amplify": 4.0}, {"attenuate": 2.0, "amplify": 4.0, "scale_limit": 0.1},
                                  {"sigmoid": (8.0, 0.5)}])
def test_modification_png(tmp_path, used):
    path = tmp_path / "modification_x.png"
    plots.plot_modification(path, used=used)
    _check_png(path)


def test_modification_rejects_unknown_key(tmp_path):
    with pytest.raises(ValueError, match="unknown keys"):
        plots.plot_modification(tmp_path / "m.png", used={"gamma": 2})


def test_scale_slices_png(tmp_path):
    z, y, x = np.mgrid[:24, :28, :32]
    blob = np.exp(-((z - 12) ** 2 + (y - 14) ** 2 + (x - 16) ** 2) / 40.0).astype(np.float32)
    rng = np.random.default_rng(1)
    data = blob + 0.05 * rng.normal(size=blob.shape).astype(np.float32)
    scale = np.clip(blob * (x / 31.0), 0, 1).astype(np.float32)
    path = tmp_path / "scale_slices_x.png"
    plots.plot_scale_slices(path, data=data, scale=scale, min_vis_scale=0.2, title="slices")
    _check_png(path)


def test_scale_slices_shape_mismatch(tmp_path):
    with pytest.raises(ValueError, match="one shape"):
        plots.plot_scale_slices(tmp_path / "s.png", data=np.zeros((4, 4, 4)), scale=np.zeros((4, 4, 5)))


def test_missing_matplotlib_message(tmp_path, monkeypatch):
    # the plots are drawn with Pillow, which comes with matplotlib: without it, the same advice
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(OccupyError, match=r"--plot needs matplotlib: pip install matplotlib"):
        plots.plot_modification(tmp_path / "m.png", used={"amplify": 2.0})
    assert list(tmp_path.iterdir()) == []


def test_pictures_png_from_run_pictures(tmp_path):
    from occupy.outputs.figures import run_pictures

    z, y, x = np.mgrid[:24, :28, :32]
    blob = np.exp(-((z - 6) ** 2 + (y - 20) ** 2 + (x - 22) ** 2) / 20.0).astype(np.float32)
    scale = np.clip(blob * 2, 0, 1).astype(np.float32)
    pictures = run_pictures(blob, scale, {}, voxel_size=1.5, lowpass=6.0, solvent_edge=0.1, min_vis_scale=0.2,
                            slices="com,x:3", tile_zyx=(6.0, 20.0, 22.0), browser=False)
    assert [(p.plane.axis, p.plane.index, p.plane.why) for p in pictures.planes] == [
        ("z", 6, "centre of mass"), ("y", 20, "centre of mass"), ("x", 22, "centre of mass"), ("x", 3, "chosen")]
    # Å, x across and y up: voxel i centred at i x 1.5 Å, so the picture reaches half a voxel beyond
    assert pictures.planes[0].extent_A == (-0.75, 31.5 * 1.5, -0.75, 27.5 * 1.5)
    path = tmp_path / "scale_slices_x.png"
    plots.plot_pictures(path, pictures, min_vis_scale=0.2, title="local scale (occ mode): x")
    _check_png(path)
