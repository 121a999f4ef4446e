"""Hostile inputs, made in the tests (no large files committed): message, exit status, no leftovers, memory."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import mrc_header, occupy_peak, one_error, write_demo_map

import occupy
from occupy.errors import OccupyError, OptionError

HOSTILE_FILES = {
    "huge extended header": (lambda: mrc_header(10, 10, 10, nsymbt=2_000_000_000) + bytes(4000), "truncated map"),
    "huge dimensions": (lambda: mrc_header(100_000, 100_000, 100_000) + bytes(4000), "truncated map"),
    "big-endian lie": (lambda: mrc_header(2000, 2000, 2000, order=">") + bytes(4000), "truncated map"),
    "text": (lambda: b"this is not a map\n" * 300, "not a readable MRC/CCP4 map"),
    "pdb": (lambda: b"".join(f"ATOM  {i:5d}  CA  ALA A{i:4d}      11.104  13.207   2.100  1.00 20.00\n".encode()
                             for i in range(1, 2000)), "not a readable MRC/CCP4 map"),
    "html": (lambda: b"<html><body>503 Service Unavailable</body></html>\n" * 100, "not a readable MRC/CCP4 map"),
    "short": (lambda: b"MAP " * 10, "less than a header"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_lying_or_foreign_files_are_refused_fast_and_small(tmp_path, name) -> None:
    make, message = HOSTILE_FILES[name]
    (tmp_path / "input.mrc").write_bytes(make())
    code, err, peak, seconds = occupy_peak("-i", "input.mrc", "-o", "out", cwd=tmp_path)
    assert code == 1
    one_error(err, message)
    assert peak < 150, f"{peak} MB for a {name} file"        # the interpreter with NumPy is ~80 MB
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.mrc"]
    assert seconds < 10


def test_reading_a_lying_header_allocates_nothing(tmp_path) -> None:
    import resource
    p = tmp_path / "lie.mrc"
    p.write_bytes(mrc_header(10, 10, 10, nsymbt=2_000_000_000) + bytes(4000))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(OccupyError, match="truncated map: file has 5024 bytes, header promises 2000005024"):
        occupy.read_map(p)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000   # kB


@pytest.fixture()
def small_map(tmp_path) -> Path:
    return write_demo_map(tmp_path / "m.mrc", box=32, seed=2)


@pytest.mark.parametrize("args, message", [
    (["-j", "100000"], "--threads 100000 is more than"),
    (["-j", "10000"], "--threads 10000 is more than"),
])
def test_absurd_thread_counts_are_clamped(small_map, args, message) -> None:
    code, err, _, seconds = occupy_peak("-i", small_map.name, "-o", "o", *args, cwd=small_map.parent)
    assert code == 0, err
    assert err.count(message) == 1 and seconds < 20


@pytest.mark.parametrize("value, message", [
    ("100000", "OMP_NUM_THREADS=100000 is more than"),
    ("garbage", "OMP_NUM_THREADS='garbage' is not a positive integer: ignored"),
    ("0", "OMP_NUM_THREADS='0' is not a positive integer: ignored"),
])
def test_bad_omp_num_threads_is_put_in_order(small_map, value, message) -> None:
    code, err, _, _ = occupy_peak("-i", small_map.name, "-o", "o", cwd=small_map.parent, env={"OMP_NUM_THREADS": value})
    assert code == 0, err
    assert err.count(message) == 1
    assert "libgomp" not in err and "OMP:" not in err           # the runtime never saw it


@pytest.mark.parametrize("name, message", [
    ("evil\nrunscript x.py.mrc", "control character"),
    ("tab\there.mrc", "control character"),
    ("both'\"quotes.mrc", "both quote characters"),
])
def test_unsafe_names_are_refused_before_any_work(small_map, name, message) -> None:
    (small_map.parent / name).write_bytes(small_map.read_bytes())
    before = sorted(p.name for p in small_map.parent.iterdir())
    code, err, _, _ = occupy_peak("-i", name, cwd=small_map.parent)
    assert code == 2
    one_error(err, message)
    assert sorted(p.name for p in small_map.parent.iterdir()) == before
    code, err, _, _ = occupy_peak("-i", name, "--no-chimerax", "-o", "ok", cwd=small_map.parent)
    assert code == 0, err                                         # no script: nothing unsafe is written


@pytest.mark.parametrize("args, message", [
    (["--amplify", "--gamma", "1e300"], "--gamma must be in [1, 1000], got 1e+300"),
    (["--amplify", "--gamma", "inf"], "--gamma must be a finite number, got inf"),
    (["--amplify", "--gamma", "nan"], "--gamma must be a finite number, got nan"),
    (["--pixel-size", "inf"], "--pixel-size must be a finite number, got inf"),
    (["--lowpass", "-inf"], "--lowpass must be a finite number"),
    (["--solvent-def", "missing.mrc"], "--solvent-def mask not found: missing.mrc"),
    (["--seed", "-1"], "--seed must be at least 0, got -1"),
    (["--max-box", "8"], "--max-box must be 0 (off) or at least 16, got 8"),
    (["--tile-size", "0"], "--tile-size must be at least 1, got 0"),
])
def test_every_option_value_is_a_usage_error(small_map, args, message) -> None:
    code, err, _, _ = occupy_peak("-i", small_map.name, "-o", "out", *args, cwd=small_map.parent)
    assert code == 2
    one_error(err, message)
    assert not (small_map.parent / "out").exists()


def test_data_errors_exit_1(tmp_path) -> None:
    code, err, _, _ = occupy_peak("-i", "nothere.mrc", cwd=tmp_path)
    assert code == 1 and "input map not found" in err


BAD_ARRAYS = {
    "NaN": (lambda a: np.where(a > 0.99, np.nan, a), "map contains"),
    "Inf": (lambda a: np.where(a > 0.99, np.inf, a), "NaN/Inf values"),
    "complex": (lambda a: a.astype(np.complex64), "complex"),
    "empty": (lambda a: a[:0], "empty"),
    "constant": (lambda a: np.full_like(a, 0.5), "constant (every voxel is 0.5)"),
}


@pytest.mark.parametrize("kind", sorted(BAD_ARRAYS))
def test_api_refuses_bad_arrays(kind) -> None:
    good = np.random.default_rng(0).random((24, 24, 24), dtype=np.float32)
    make, message = BAD_ARRAYS[kind]
    bad = make(good)
    calls = {
        "estimate_scale": lambda: occupy.estimate_scale(bad, 1.0),
        "fit_solvent": lambda: occupy.fit_solvent(bad),
        "confidence": lambda: occupy.confidence(bad, occupy.fit_solvent(good)),
        "modify": lambda: occupy.modify(bad, good[: bad.shape[0]] if bad.size else bad.real, None,
                                        mode="amplify", gamma=2),
    }
    if kind != "constant":       # a constant array is a valid input of the kernels
        calls.update({
            "maximum_filter_ball": lambda: occupy.maximum_filter_ball(bad, 1.0),
            "tile_search": lambda: occupy.tile_search(bad, 0.9),
            "lowpass_filter": lambda: occupy.lowpass_filter(bad, 1.0, 8.0),
        })
    for name, call in calls.items():
        with pytest.raises(OccupyError, match="(?i)" + message.split(" (")[0]):
            call()
    with pytest.raises(OccupyError) as info:
        occupy.estimate_scale(bad, 1.0)
    assert not isinstance(info.value, OptionError)


def test_api_nan_count_is_the_cli_wording(tmp_path) -> None:
    good = np.random.default_rng(1).random((16, 16, 16), dtype=np.float32)
    good[1, 2, 3] = np.nan
    good[4, 5, 6] = -np.inf
    with pytest.raises(OccupyError, match="^map contains 2 NaN/Inf values$"):
        occupy.estimate_scale(good, 1.0)


def test_failed_run_removes_every_directory_level_it_created(small_map) -> None:
    (small_map.parent / "keep").mkdir()
    code, err, _, _ = occupy_peak("-i", small_map.name, "-o", "keep/a/b/c", "--tile-size", "500",
                                  cwd=small_map.parent)
    assert code == 1 and "larger than the box" in err
    assert sorted(p.name for p in (small_map.parent / "keep").iterdir()) == []
