"""Map reading/writing: real maps against PROVENANCE.md, header round trips, bad inputs."""
from __future__ import annotations

import os

import mrcfile
import numpy as np
import pytest
from helpers import write_mrc

from occupy import OccupyError, read_map, write_map
from occupy.outputs.outputset import OutputSet

# file, shape (file order), voxel size, axis order, nstart  -- from ../shared/data/PROVENANCE.md
PROVENANCE = [
    ("emd_3488.mrc", (100, 100, 100), 1.05, (1, 2, 3), (0, 0, 0)),
    ("emd_3488_contour_mask.mrc", (100, 91, 91), 1.05, (1, 2, 3), (0, 0, 0)),
    ("emd_5168.map", (100, 100, 100), 1.742, (1, 2, 3), (-50, -50, -50)),
    ("emd_1997.map", (100, 100, 100), 2.02, (1, 2, 3), (-50, -50, -50)),
    ("emd_21457_seg_nstart.mrc", (47, 40, 48), 1.05, (1, 2, 3), (155, 220, 195)),
]


@pytest.mark.parametrize("name,shape,voxel,axes,nstart", PROVENANCE)
def test_real_maps_match_provenance(test_data, name, shape, voxel, axes, nstart):
    m = read_map(test_data / name)
    assert m.shape == shape
    assert m.data.dtype == np.float32
    assert m.voxel_size == pytest.approx(voxel, abs=1e-3)
    assert m.axis_order == axes
    assert m.nstart == nstart
    with mrcfile.open(test_data / name, permissive=True) as mrc:
        np.testing.assert_array_equal(m.data, np.asarray(mrc.data, dtype=np.float32))


@pytest.mark.parametrize("name", ["emd_5168.map", "emd_21457_seg_nstart.mrc"])
def test_round_trip_preserves_header(test_data, tmp_path, name):
    m = read_map(test_data / name)
    out = write_map(tmp_path / "copy.mrc", m.data * 2, like=m, label="occupy test: doubled")
    assert mrcfile.validate(str(out), print_file=open(os.devnull, "w"))
    back = read_map(out)
    np.testing.assert_array_equal(back.data, m.data * 2)
    assert back.voxel_size == pytest.approx(m.voxel_size, rel=1e-6)
    assert back.origin == m.origin and back.nstart == m.nstart
    assert back.axis_order == m.axis_order
    assert back.cell == pytest.approx(m.cell)
    assert back.labels[-1] == "occupy test: doubled"
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*"))


def test_axis_order_honoured_and_preserved(tmp_path):
    rng = np.random.default_rng(0)
    zyx = rng.random((4, 5, 6), dtype=np.float32)  # canonical [z, y, x]
    # File stored with MAPC=3 (columns are Z), MAPR=2, MAPS=1 (sections are X): file array is [x, y, z].
    src = write_mrc(tmp_path / "swapped.mrc", np.ascontiguousarray(zyx.transpose(2, 1, 0)), mapc=3, mapr=2, maps=1)
    m = read_map(src)
    assert m.axis_order == (3, 2, 1)
    np.testing.assert_array_equal(m.data, zyx)
    out = write_map(tmp_path / "out.mrc", m.data, like=m)
    with mrcfile.open(out) as mrc:
        assert (int(mrc.header.mapc), int(mrc.header.mapr), int(mrc.header.maps)) == (3, 2, 1)
        np.testing.assert_array_equal(mrc.data, zyx.transpose(2, 1, 0))


@pytest.mark.parametrize("dtype", [np.float16, np.int8, np.int16, np.uint16, np.float32])
def test_accepted_data_modes(tmp_path, dtype):
    data = (np.arange(4 * 5 * 6).reshape(4, 5, 6) % 50).astype(dtype)
    m = read_map(write_mrc(tmp_path / "m.mrc", data))
    assert m.data.dtype == np.float32
    np.testing.assert_array_equal(m.data, data.astype(np.float32))


def _assert_error(path, match, tmp_path=None, **kw):
    with pytest.raises(OccupyError, match=match):
        read_map(path, **kw)


def test_missing_file(tmp_path):
    _assert_error(tmp_path / "nope.mrc", "not found")


def test_not_a_map(tmp_path):
    p = tmp_path / "text.mrc"
    p.write_text("this is not a map\n" * 200)
    _assert_error(p, "not a readable MRC/CCP4 map|unsupported MRC data mode|not a valid")


def test_truncated_map(tmp_path):
    p = write_mrc(tmp_path / "t.mrc", np.random.default_rng(1).random((10, 10, 10), dtype=np.float32))
    raw = p.read_bytes()
    p.write_bytes(raw[: len(raw) - 500])
    _assert_error(p, "truncated")


def test_2d_image_and_stack(tmp_path):
    image = np.ones((1, 8, 8), np.float32) * np.arange(8, dtype=np.float32)
    _assert_error(write_mrc(tmp_path / "img.mrc", image), "2-D image")
    stack = np.random.default_rng(2).random((3, 8, 8), dtype=np.float32)
    for name in ("stack.mrcs", "stack.mrc"):
        with mrcfile.new(tmp_path / name) as mrc:
            mrc.set_data(stack)
            mrc.set_image_stack()
        _assert_error(tmp_path / name, "image stack")


def test_nan_inf_constant(tmp_path):
    d = np.random.default_rng(3).random((6, 6, 6), dtype=np.float32)
    d[1, 2, 3] = np.nan
    d[0, 0, 0] = np.inf
    _assert_error(write_mrc(tmp_path / "nan.mrc", d), "2 NaN/Inf")
    _assert_error(write_mrc(tmp_path / "c.mrc", np.full((6, 6, 6), 3.0, np.float32)), "constant")


def test_voxel_size_missing_and_override(tmp_path):
    p = write_mrc(tmp_path / "v0.mrc", np.random.default_rng(4).random((6, 6, 6), dtype=np.float32), voxel=0.0)
    _assert_error(p, "voxel size .* missing or non-positive.*--pixel-size")
    assert read_map(p, pixel_size=1.3).voxel_size == pytest.approx(1.3)


def test_anisotropic_voxels_warn(tmp_path):
    p = write_mrc(tmp_path / "a.mrc", np.random.default_rng(5).random((6, 6, 6), dtype=np.float32),
                  voxel=(1.0, 1.2, 1.0))
    with pytest.warns(UserWarning, match="anisotropic"):
        m = read_map(p)
    assert m.voxel_size == pytest.approx(1.0)
    assert any("anisotropic" in w for w in m.warnings)


def test_old_header_read_permissively_with_warning(tmp_path):
    p = write_mrc(tmp_path / "old.map", np.random.default_rng(6).random((6, 6, 6), dtype=np.float32))
    raw = bytearray(p.read_bytes())
    raw[208:212] = b"\x00\x00\x00\x00"  # old CCP4 files have no 'MAP ' identifier
    p.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="permissive|MAP"):
        m = read_map(p)
    assert m.shape == (6, 6, 6)


def test_write_is_atomic_on_failure(tmp_path):
    with pytest.raises(ValueError):
        write_map(tmp_path / "bad.mrc", np.zeros((4, 4), np.float32))
    assert list(tmp_path.iterdir()) == []


def test_output_set_all_or_nothing(tmp_path):
    data = np.random.default_rng(7).random((4, 4, 4), dtype=np.float32)
    with pytest.raises(RuntimeError):
        with OutputSet(tmp_path) as out:
            out.write_map("a.mrc", data)
            out.write_text("b.txt", "x")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with OutputSet(tmp_path) as out:
        out.write_map("a.mrc", data)
        out.write_text("b.txt", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mrc", "b.txt"]
    assert (tmp_path / "b.txt").stat().st_mode & 0o777 == 0o644


def test_header_stats_match_mrcfile_and_ignore_threads(tmp_path, monkeypatch):
    """Our one-pass header statistics: mrcfile's definitions (rms = std), any thread count."""
    from occupy.header_stats import header_statistics
    from occupy.stats import value_range
    rng = np.random.default_rng(5)
    data = (rng.standard_normal((37, 60, 71)) * 3 + 100).astype(np.float32)   # several stat blocks
    flat = data.reshape(-1)
    results = {t: header_statistics(data, t) for t in (1, 2, 4)}
    assert results[1] == results[2] == results[4]
    lo, hi, mean, std = results[1]
    assert (lo, hi) == (float(data.min()), float(data.max()))
    assert mean == pytest.approx(float(data.mean(dtype=np.float64)), rel=1e-12)
    assert std == pytest.approx(float(data.std(dtype=np.float64)), rel=1e-9)
    assert value_range(flat, 3) == (lo, hi)
    ours = tmp_path / "ours.mrc"
    write_map(ours, data)
    ref = tmp_path / "ref.mrc"
    with mrcfile.new(ref) as mrc:
        mrc.set_data(data)
        mrc.update_header_stats()
        want = mrc.header.copy()
    with mrcfile.open(ours) as mrc:
        h = mrc.header
        assert (h.dmin, h.dmax) == (want.dmin, want.dmax)
        np.testing.assert_allclose([h.dmean, h.rms], [want.dmean, want.rms], rtol=1e-6)
    assert mrcfile.validate(str(ours), print_file=open(os.devnull, "w"))
    for t in ("1", "3"):
        monkeypatch.setenv("OMP_NUM_THREADS", t)
        again = tmp_path / f"t{t}.mrc"
        write_map(again, data)
        assert again.read_bytes() == ours.read_bytes()


def test_axis_order_output_keeps_voxel_size_and_sampling(tmp_path):
    rng = np.random.default_rng(8)
    zyx = rng.random((10, 9, 8), dtype=np.float32)  # z=10, y=9, x=8
    src = tmp_path / "axes321.mrc"
    with mrcfile.new(src) as mrc:
        mrc.set_data(np.ascontiguousarray(zyx.transpose(2, 1, 0)))  # file sections along X
        h = mrc.header
        h.mapc, h.mapr, h.maps = 3, 2, 1
        h.mx, h.my, h.mz = 8, 9, 10  # samples along X, Y, Z
        h.cella = (8 * 1.05, 9 * 1.05, 10 * 1.05)
    m = read_map(src)
    assert m.voxel_size_xyz == pytest.approx((1.05, 1.05, 1.05))
    out = write_map(tmp_path / "out.mrc", m.data, like=m)
    back = read_map(out)
    assert back.voxel_size_xyz == pytest.approx((1.05, 1.05, 1.05)) and not back.warnings
    with mrcfile.open(out) as mrc:
        assert (int(mrc.header.mx), int(mrc.header.my), int(mrc.header.mz)) == (8, 9, 10)


def test_pixel_size_override_reaches_outputs(tmp_path):
    p = write_mrc(tmp_path / "v0.mrc", np.random.default_rng(9).random((6, 7, 8), dtype=np.float32), voxel=0.0)
    m = read_map(p, pixel_size=1.3)
    back = read_map(write_map(tmp_path / "o.mrc", m.data, like=m))
    assert back.voxel_size_xyz == pytest.approx((1.3, 1.3, 1.3))


def test_output_set_commit_failure_leaves_nothing(tmp_path):
    data = np.zeros((4, 4, 4), np.float32) + np.arange(4, dtype=np.float32)
    out = OutputSet(tmp_path)
    out.write_map("a.mrc", data)
    out.write_text("b.txt", "x")
    (tmp_path / "b.txt").mkdir()  # appears between staging and commit
    with pytest.raises(OccupyError, match="directory of that name exists"):
        out.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt"]


def _with_origin(path, origin=(12.5, -3.25, 7.0), nstart=(3, -4, 5)):
    data = np.random.default_rng(8).random((20, 22, 24), dtype=np.float32)
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(data)
        mrc.voxel_size = 1.3
        mrc.header.origin = origin
        mrc.header.nxstart, mrc.header.nystart, mrc.header.nzstart = nstart
    return path


def test_non_zero_origin_survives_write_map(tmp_path):
    m = read_map(_with_origin(tmp_path / "o.mrc"))
    assert m.origin == (12.5, -3.25, 7.0) and m.nstart == (3, -4, 5)
    out = write_map(tmp_path / "copy.mrc", m.data * 2, like=m)
    with mrcfile.open(out) as mrc:
        assert tuple(float(v) for v in mrc.header.origin.tolist()) == (12.5, -3.25, 7.0)
        assert (int(mrc.header.nxstart), int(mrc.header.nystart), int(mrc.header.nzstart)) == (3, -4, 5)


def test_non_zero_origin_survives_a_run(tmp_path):
    import occupy
    src = _with_origin(tmp_path / "o.mrc")
    r = occupy.run(src, output_dir=tmp_path / "out", amplify=True, gamma=3, save_all_maps=True, chimerax=False)
    maps = [p for p in r.output_paths.values() if p.suffix == ".mrc"]
    assert len(maps) == 5
    for path in maps:
        with mrcfile.open(path) as mrc:
            assert tuple(float(v) for v in mrc.header.origin.tolist()) == (12.5, -3.25, 7.0), path.name
            assert (int(mrc.header.nxstart), int(mrc.header.nystart), int(mrc.header.nzstart)) == (3, -4, 5)


def test_failure_mid_write_leaves_no_file_and_the_old_one_intact(tmp_path, monkeypatch):
    """write_map writes to a temporary name: a failure after data went to disk removes it,
    and a file already at the final name keeps its bytes."""
    from occupy.io import mrcwrite
    data = np.random.default_rng(9).random((8, 9, 10), dtype=np.float32)
    target = tmp_path / "out.mrc"
    write_map(target, data)
    old = target.read_bytes()
    written = []

    def fail_after_data(mrc):   # runs once the data are set, before the file is closed
        written.extend(tmp_path.glob(".out.mrc.*.part"))       # the staged file exists at this point
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mrcwrite._StreamWriter, "update_header_stats", fail_after_data)
    with pytest.raises(OccupyError, match="cannot write .*out.mrc: No space left on device"):
        write_map(target, data * 3)
    assert len(written) == 1, "the failure was not injected while the staged file existed"
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mrc"]


def test_values_checked_chunk_by_chunk_while_read(tmp_path, monkeypatch):
    """The read checks each chunk as it arrives: NaN/Inf anywhere are found, the range is the map's."""
    from occupy.io import mrcdata
    monkeypatch.setattr(mrcdata, "READ_CHUNK", 4096)           # many chunks, the last one short
    data = np.random.default_rng(5).normal(size=(17, 19, 23)).astype(np.float32)
    write_map(tmp_path / "ok.mrc", data, voxel_size=1.0)
    m = read_map(tmp_path / "ok.mrc")
    assert m.value_range == (float(data.min()), float(data.max())) and np.array_equal(m.data, data)
    data.reshape(-1)[-3] = np.inf
    data.reshape(-1)[5000] = np.nan
    write_map(tmp_path / "bad.mrc", data, voxel_size=1.0)
    with pytest.raises(OccupyError, match=r"map contains 2 NaN/Inf values"):
        read_map(tmp_path / "bad.mrc")


def _reader_threads() -> list:
    import threading
    return [t for t in threading.enumerate() if t.name == "occupy-read"]


def test_read_error_in_the_reading_thread_is_raised_and_it_stops(tmp_path, monkeypatch):
    """Chunks are read in a helper thread: its failure reaches the caller as one OccupyError."""
    from occupy.io import mrcdata
    monkeypatch.setattr(mrcdata, "READ_CHUNK", 4096)
    write_map(tmp_path / "m.mrc", np.ones((17, 19, 23), dtype=np.float32), voxel_size=1.0)
    real_fill, calls = mrcdata._fill, []

    def failing_fill(p, fh, buf, start, stop):
        calls.append(start)
        if len(calls) == 3:
            raise OSError(5, "Input/output error")
        real_fill(p, fh, buf, start, stop)

    monkeypatch.setattr(mrcdata, "_fill", failing_fill)
    with pytest.raises(OccupyError, match="Input/output error"):
        read_map(tmp_path / "m.mrc")
    assert len(calls) == 3 and not _reader_threads()


def test_interrupted_check_stops_the_reading_thread(tmp_path, monkeypatch):
    """A signal while chunks are checked (here KeyboardInterrupt) leaves no reading thread behind."""
    from occupy.io import mrcdata
    monkeypatch.setattr(mrcdata, "READ_CHUNK", 4096)
    write_map(tmp_path / "m.mrc", np.ones((40, 40, 40), dtype=np.float32), voxel_size=1.0)
    real_range, checked = mrcdata._chunk_range, []

    def interrupted(buf, start, stop, threads=None):
        checked.append(start)
        if len(checked) == 2:
            raise KeyboardInterrupt
        return real_range(buf, start, stop, threads)

    monkeypatch.setattr(mrcdata, "_chunk_range", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_map(tmp_path / "m.mrc")
    assert checked == [0, 4096] and not _reader_threads()


def test_a_map_written_in_pieces_has_the_bytes_of_the_whole(tmp_path) -> None:
    """write_mrc_blocks (the modified maps, never whole in memory) writes write_mrc's bytes: data, header
    statistics merged from the pieces, the input's header facts and our label; a stale longer file at
    the path is cut to size."""
    from occupy.constants import BLOCK_VOXELS
    from occupy.io.mrcwrite import write_mrc as write_whole, write_mrc_blocks
    rng = np.random.default_rng(5)
    arr = (rng.standard_normal((131, 128, 127)) * 3 + 1).astype(np.float32)     # 2.03 blocks
    like = read_map(write_mrc(tmp_path / "in.mrc", arr, voxel=(1.1, 1.1, 1.1), origin=(3.0, -2.0, 7.5),
                              nxstart=4, nystart=-5, nzstart=6))
    write_whole(tmp_path / "whole.mrc", arr, like, "occupy test: amplify")
    (tmp_path / "pieces.mrc").write_bytes(b"x" * (arr.nbytes + 9999))

    def fill(write) -> None:
        flat = arr.reshape(-1)
        for a in range(0, flat.size, BLOCK_VOXELS):
            write(flat[a:a + BLOCK_VOXELS].copy())
    for threads in (1, 3):
        write_mrc_blocks(tmp_path / "pieces.mrc", arr.shape, fill, like, "occupy test: amplify", threads)
        assert (tmp_path / "pieces.mrc").read_bytes() == (tmp_path / "whole.mrc").read_bytes()


def test_pieces_must_make_the_map(tmp_path) -> None:
    from occupy.io.mrcwrite import PieceStatistics, write_mrc_blocks
    with pytest.raises(ValueError, match=r"pieces of 5 voxels for a map of \(2, 2, 2\)"):
        write_mrc_blocks(tmp_path / "m.mrc", (2, 2, 2), lambda w: w(np.zeros(5, np.float32)), None, None)
    stats = PieceStatistics()
    stats.add(np.zeros(5, np.float32))
    with pytest.raises(ValueError, match="only the last piece may end inside a block"):
        stats.add(np.zeros(5, np.float32))
    like = read_map(write_mrc(tmp_path / "zyx.mrc", np.arange(24, dtype=np.float32).reshape(2, 3, 4),
                              mapc=3, mapr=2, maps=1))
    with pytest.raises(ValueError, match="keeps the array's axis order"):
        write_mrc_blocks(tmp_path / "m.mrc", like.shape, lambda w: None, like, None)
