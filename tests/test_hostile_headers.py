"""Hostile headers and value ranges (issue 23), made in the tests: the real ``occupy`` reads what it can (labels
in any encoding, a stack of one volume, a narrow range far from 0, a header without sampling given
``--pixel-size``) and refuses the rest with one line, exit 1, leaving nothing behind."""
from __future__ import annotations

import warnings
from pathlib import Path

import mrcfile
import numpy as np
import pytest
from helpers import occupy_peak, one_error, write_mrc

import occupy
from occupy.errors import OccupyError


@pytest.fixture(scope="module")
def demo() -> np.ndarray:
    """The demo map's data, ``[z, y, x]`` float32 (a 32-voxel box)."""
    return occupy.make_demo_map(box=32, seed=2).data


def _run(folder: Path, *args: str) -> tuple[int, str]:
    code, err, _, _ = occupy_peak(*args, cwd=folder)
    return code, err


def _refused(folder: Path, name: str, message: str, *args: str) -> str:
    """Run ``occupy`` on ``name`` in ``folder``: exit 1, one error line with ``message``, nothing left behind."""
    code, err = _run(folder, "-i", name, "-o", "out", *args)
    assert code == 1, err
    assert "Warning" not in err, err
    assert sorted(p.name for p in folder.iterdir()) == [name]
    return one_error(err, message)


def _labels(path: Path) -> list[str]:
    with mrcfile.open(path) as mrc:
        return [bytes(lab).decode("ascii").rstrip() for lab in mrc.header.label[: int(mrc.header.nlabl)]]


LABELS = {      # label bytes in the input -> as read_map gives it, as the outputs carry it
    "tab": (b"refined\tmap", "refined\tmap", "refined map"),
    "utf-8": ("3.2 \u00c5 map".encode(), "3.2 \u00c5 map", "3.2 A map"),
    "latin-1": ("3.2 \u00c5 map".encode("latin-1"), "3.2 \u00c5 map", "3.2 A map"),
}


@pytest.mark.parametrize("kind", sorted(LABELS))
def test_labels_in_any_encoding_are_read_and_written_as_ascii(tmp_path, demo, kind) -> None:
    raw, read, written = LABELS[kind]
    path = write_mrc(tmp_path / "in.mrc", demo)
    with mrcfile.open(path, "r+") as mrc:
        mrc.header.label[0] = raw
        mrc.header.nlabl = 1
    assert occupy.read_map(path).labels == [read]
    code, err = _run(tmp_path, "-i", "in.mrc", "-o", "out", "--save-all-maps", "--no-chimerax")
    assert code == 0, err
    outputs = sorted((tmp_path / "out").glob("*.mrc"))
    assert len(outputs) == 3
    for out in outputs:
        labels = _labels(out)
        assert labels[0] == written and labels[1].startswith("occupy "), labels
        assert all(lab.isprintable() for lab in labels)


def test_a_stack_of_volumes_is_refused_and_a_stack_of_one_is_a_map(tmp_path, demo) -> None:
    (tmp_path / "three").mkdir()
    write_mrc(tmp_path / "three" / "stack.mrc", np.concatenate([demo] * 3), ispg=401, mz=32)
    message = _refused(tmp_path / "three", "stack.mrc", "stack.mrc: this is a stack of 3 volumes of 32x32x32")
    assert "mrcfile.read(path)[i]" in message                          # how to take one out
    write_mrc(tmp_path / "one.mrc", demo, ispg=401, mz=32)              # MRC2014: NZ = 1 volume x MZ
    code, err = _run(tmp_path, "-i", "one.mrc", "-o", "out", "--no-chimerax")
    assert code == 0, err
    with mrcfile.open(tmp_path / "out" / "scale_res_one.mrc") as mrc:
        assert mrc.data.shape == demo.shape


@pytest.mark.parametrize("keep, size", [((slice(None), slice(None), slice(0, 1)), "1x32x32"),
                                        ((slice(None), slice(0, 1), slice(None)), "32x1x32")])
def test_one_voxel_thick_along_x_or_y_is_a_2d_image(tmp_path, demo, keep, size) -> None:
    write_mrc(tmp_path / "thin.mrc", np.ascontiguousarray(demo[keep]))
    _refused(tmp_path, "thin.mrc", f"thin.mrc: this is a 2-D image ({size} voxels), occupy needs a 3-D map")


NARROW = {      # a map whose range holds fewer than 1000 float32 steps: NumPy's "Too many bins for data range"
    "plus 1e6": lambda d: d + np.float32(1e6),
    "1 + 1e-7 x map": lambda d: (1 + d.astype(np.float64) * 1e-7).astype(np.float32),
}


@pytest.mark.parametrize("kind", sorted(NARROW))
def test_a_narrow_range_far_from_zero_gets_its_1000_bins(tmp_path, demo, kind) -> None:
    data = NARROW[kind](demo)
    solvent = occupy.fit_solvent(data)                      # the inscribed sphere's histogram
    curve = occupy.confidence_curve(data, solvent)          # the whole map's
    for edges in (solvent.bin_edges, curve.bin_edges):
        assert edges.size == 1001 and (np.diff(edges) > 0).all()
    write_mrc(tmp_path / "narrow.mrc", data)
    write_mrc(tmp_path / "mask.mrc", (demo > 0.5 * demo.max()).astype(np.float32))
    code, err = _run(tmp_path, "-i", "narrow.mrc", "-o", "out", "--solvent-def", "mask.mrc", "--amplify", "2")
    assert code == 0, err
    assert "Warning" not in err and "error" not in err, err
    with mrcfile.open(tmp_path / "out" / "ampl_2.0_narrow.mrc") as mrc:
        assert np.isfinite(mrc.data).all()


def test_a_header_without_sampling_takes_the_pixel_size_given(tmp_path, demo) -> None:
    box = np.ascontiguousarray(demo[:, :30, :28])           # [z, y, x]: 28 x 30 x 32 voxels
    write_mrc(tmp_path / "in.mrc", box, mx=0, my=0, mz=0, cella=(0, 0, 0))
    code, err = _run(tmp_path, "-i", "in.mrc", "-o", "none")
    assert code == 1 and "give it with --pixel-size" in err
    code, err = _run(tmp_path, "-i", "in.mrc", "-o", "out", "--pixel-size", "1.25", "--save-all-maps", "--amplify", "2")
    assert code == 0, err
    assert "warning" not in err, err
    outputs = sorted((tmp_path / "out").glob("*.mrc"))
    assert len(outputs) == 5
    for out in outputs:
        with mrcfile.open(out) as mrc:
            h = mrc.header
            assert tuple(mrc.voxel_size.item()) == (1.25, 1.25, 1.25)
            assert (int(h.mx), int(h.my), int(h.mz)) == (28, 30, 32)
            assert tuple(h.cella.item()) == (35.0, 37.5, 40.0)


def test_the_sampling_made_up_follows_the_axis_order(tmp_path, demo) -> None:
    box = np.ascontiguousarray(demo[:, :30, :28])           # [z, y, x]; the file's columns are Z
    write_mrc(tmp_path / "in.mrc", np.ascontiguousarray(box.transpose(2, 1, 0)), mapc=3, mapr=2, maps=1,
              mx=0, my=0, mz=0, cella=(0, 0, 0))
    m = occupy.read_map(tmp_path / "in.mrc", pixel_size=1.25)
    assert m.shape == box.shape and m.sampling == (28, 30, 32)
    with mrcfile.open(occupy.write_map(tmp_path / "out.mrc", m.data, like=m)) as mrc:
        assert tuple(mrc.voxel_size.item()) == (1.25, 1.25, 1.25)
        assert tuple(mrc.header.cella.item()) == (35.0, 37.5, 40.0)


def _write_huge(path: Path, demo: np.ndarray, peak: float) -> None:
    """The demo map scaled to values up to ``peak`` in magnitude (mrcfile's header statistics overflow)."""
    with np.errstate(over="ignore", invalid="ignore"):
        write_mrc(path, demo / np.abs(demo).max() * np.float32(peak))


@pytest.mark.parametrize("peak", [3.4e38, -3.4e38, 1e36])
def test_values_that_overflow_float32_sums_are_named(tmp_path, demo, peak) -> None:
    _write_huge(tmp_path / "huge.mrc", demo, peak)
    message = _refused(tmp_path, "huge.mrc", f"map values up to {abs(peak):.2g} in magnitude overflow")
    assert "rescale the map" in message and "lowpassed map" not in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # no RuntimeWarning on the way
        with pytest.raises(OccupyError, match="map values up to"):
            occupy.lowpass_filter(demo * np.float32(1e37), 1.0, 8.0)


def test_huge_values_without_a_transform_are_processed_quietly(tmp_path, demo) -> None:
    _write_huge(tmp_path / "huge.mrc", demo, 3.4e38)
    code, err = _run(tmp_path, "-i", "huge.mrc", "-o", "out", "--lowpass", "1.5", "--no-chimerax")
    assert code == 0, err
    assert "Warning" not in err, err                        # the histograms' span is made in float64
