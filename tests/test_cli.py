"""The command line as a user types it: the seed README's commands, help, errors."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mrcfile
import numpy as np
import pytest
from helpers import one_error, run_cli, write_demo_map, write_mrc


@pytest.fixture()
def workdir(tmp_path, test_data):
    shutil.copy(test_data / "emd_5168.map", tmp_path / "map.mrc")
    return tmp_path


SEED_COMMANDS = [
    ([], ["scale_res_map.mrc", "chimX_map.cxc", "log_map.txt"]),
    (["--amplify", "--gamma", "4"], ["scale_occ_map.mrc", "ampl_4.0_map.mrc", "chimX_map.cxc", "log_map.txt"]),
    (["--exclude-solvent"], ["scale_res_map.mrc", "solExcl_map.mrc", "chimX_map.cxc", "log_map.txt"]),
    (["--exclude-solvent", "--attenuate", "--amplify", "--gamma", "4"],
     ["scale_occ_map.mrc", "ampl_4.0_solExcl_map.mrc", "attn_4.0_solExcl_map.mrc", "chimX_map.cxc",
      "log_map.txt"]),
]


@pytest.mark.parametrize("extra,expected", SEED_COMMANDS)
def test_seed_command_lines_write_exactly_the_listed_files(workdir, extra, expected):
    r = run_cli("occupy", "-i", "map.mrc", *extra, cwd=workdir)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in workdir.iterdir()) == sorted(["map.mrc", *expected])
    for name in expected:
        if name.endswith(".mrc"):
            assert mrcfile.validate(str(workdir / name), print_file=open(os.devnull, "w"))
            with mrcfile.open(workdir / name) as m, mrcfile.open(workdir / "map.mrc") as src:
                assert m.data.shape == src.data.shape
                assert m.voxel_size == src.voxel_size
                assert (m.header.nxstart, m.header.nystart, m.header.nzstart) == (-50, -50, -50)
    log = (workdir / "log_map.txt").read_text()
    for field in ("occupy version", "command line", "kernel size", "n_v", "tau", "s_full", "solvent edge",
                  "variability limit", "wall time"):
        assert field in log
    cxc = (workdir / "chimX_map.cxc").read_text()
    assert 'open "map.mrc"' in cxc and "alias scale_color" in cxc and "alias occupy_level" in cxc


def test_version_and_help(tmp_path):
    from occupy import __version__
    r = run_cli("occupy", "--version", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == f"occupy {__version__}"
    short = run_cli("occupy", "--help", cwd=tmp_path)
    full = run_cli("occupy", "--help-all", cwd=tmp_path)
    assert short.returncode == 0 and full.returncode == 0
    for opt in ("--input-map", "--amplify", "--gamma", "--exclude-solvent", "--emdb", "--demo", "--help-all"):
        assert opt in short.stdout
    for opt in ("--tau", "--tile-size", "--sigmoid", "--hedge-confidence", "--max-box", "--save-all-maps",
                "--kernel-radius", "--lp-scale", "--raw-scale", "--s0", "--min-vis-scale", "--seed"):
        assert opt not in short.stdout
        assert opt in full.stdout
    assert len(full.stdout) > 2 * len(short.stdout)
    assert list(tmp_path.iterdir()) == []


def test_output_dir_threads_quiet(workdir):
    r = run_cli("occupy", "-i", "map.mrc", "-o", "out dir", "-j", "1", "-q", cwd=workdir)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    out = workdir / "out dir"
    assert sorted(p.name for p in out.iterdir()) == ["chimX_map.cxc", "log_map.txt", "scale_res_map.mrc"]
    assert 'open "../map.mrc"' in (out / "chimX_map.cxc").read_text()


def test_thread_count_does_not_change_output(workdir):
    a = run_cli("occupy", "-i", "map.mrc", "-o", "a", "-j", "1", "-q", "--amplify", cwd=workdir)
    b = run_cli("occupy", "-i", "map.mrc", "-o", "b", "-j", "2", "-q", "--amplify", cwd=workdir)
    assert a.returncode == 0 and b.returncode == 0
    for name in ("scale_occ_map.mrc", "ampl_2.0_map.mrc"):
        assert (workdir / "a" / name).read_bytes() == (workdir / "b" / name).read_bytes()


def _bad(tmp_path: Path) -> Path:
    d = tmp_path / "bad"
    d.mkdir()
    return d


BAD_CASES = [
    # (name, args builder, expected message fragment, exit code)
    ("missing", lambda d, t: ["-i", "nope.mrc"], "not found", 1),
    ("not a map", lambda d, t: ["-i", str(_text(d))], "not a readable MRC", 1),
    ("truncated", lambda d, t: ["-i", str(_truncated(d))], "truncated", 1),
    ("2-D", lambda d, t: ["-i", str(write_mrc(d / "img.mrc", np.random.default_rng(0).random((1, 9, 9))))],
     "2-D image", 1),
    ("NaN", lambda d, t: ["-i", str(write_mrc(d / "nan.mrc", _with_nan()))], "NaN/Inf", 1),
    ("constant", lambda d, t: ["-i", str(write_mrc(d / "c.mrc", np.ones((9, 9, 9))))], "constant", 1),
    ("voxel 0", lambda d, t: ["-i", str(write_mrc(d / "v.mrc", np.random.default_rng(1).random((9, 9, 9)), 0.0))],
     "--pixel-size", 1),
    ("mask grid", lambda d, t: ["-i", str(t / "emd_3488.mrc"), "--solvent-def",
                                str(write_mrc(d / "g.mrc", np.ones((100, 100, 100)), 2.1))], "has voxel size 2.1", 1),
    ("mask zero", lambda d, t: ["-i", str(t / "emd_3488.mrc"), "--solvent-def",
                                str(write_mrc(d / "z.mrc", np.zeros((100, 100, 100)), 1.05))], "all zero", 1),
    ("gamma", lambda d, t: ["-i", str(t / "emd_3488.mrc"), "--amplify", "--gamma", "0.5"], "--gamma must be in [1, 1000]", 2),
    ("tau", lambda d, t: ["-i", str(t / "emd_3488.mrc"), "--tau", "1.5"], "--tau must be in (0, 1]", 2),
    ("even kernel", lambda d, t: ["-i", str(t / "emd_3488.mrc"), "--kernel-size", "6"], "must be odd", 2),
    ("huge kernel", lambda d, t: ["-i", str(t / "emd_3488.mrc"), "--kernel-size", "41"], "between 3 and 31", 2),
    ("tile", lambda d, t: ["-i", str(t / "emd_3488.mrc"), "--tile-size", "200"], "larger than the box", 1),
    ("out dir", lambda d, t: ["-i", str(t / "emd_3488.mrc"), "-o", str(_text(d) / "sub")], "output directory", 1),
    ("emdb id", lambda d, t: ["--emdb", "12ab"], "invalid EMDB ID", 1),
    ("no input", lambda d, t: [], "no input", 2),
    ("unknown option", lambda d, t: ["-i", "x.mrc", "--frobnicate"], "--frobnicate", 2),
    ("bad number", lambda d, t: ["-i", "x.mrc", "--gamma", "four"], "four", 2),
]


def _text(d: Path) -> Path:
    p = d / "notes.mrc"
    p.write_text("not a map\n" * 300)
    return p


def _truncated(d: Path) -> Path:
    p = write_mrc(d / "t.mrc", np.random.default_rng(2).random((12, 12, 12)))
    p.write_bytes(p.read_bytes()[:-1000])
    return p


def _with_nan():
    a = np.random.default_rng(3).random((9, 9, 9))
    a[4, 4, 4] = np.nan
    return a


@pytest.mark.parametrize("name,build,message,code", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_one_error_line_no_files(tmp_path, test_data, name, build, message, code):
    d = _bad(tmp_path)
    args = build(d, test_data)
    before = sorted(p.name for p in d.rglob("*"))
    r = run_cli("occupy", *args, cwd=d)
    assert r.returncode == code, (r.stdout, r.stderr)
    one_error(r.stderr, message)
    assert sorted(p.name for p in d.rglob("*")) == before


def test_verbose_error_shows_traceback(tmp_path):
    r = run_cli("occupy", "-i", "nope.mrc", "--verbose", cwd=tmp_path)
    assert r.returncode == 1
    assert "Traceback" in r.stderr and "error: input map not found" in r.stderr


def test_demo_runs_and_prints_table(tmp_path):
    r = run_cli("occupy", "--demo", "--amplify", "--gamma", "4", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "true occ" in r.stdout and "ideal" in r.stdout
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["occupy_demo.mrc", "scale_occ_occupy_demo.mrc", "ampl_4.0_occupy_demo.mrc",
                            "chimX_occupy_demo.cxc", "log_occupy_demo.txt"])


def test_output_name_clash_with_directory_leaves_nothing(workdir):
    (workdir / "log_map.txt").mkdir()
    r = run_cli("occupy", "-i", "map.mrc", cwd=workdir)
    assert r.returncode == 1
    one_error(r.stderr, "directory of that name exists")
    assert sorted(p.name for p in workdir.iterdir()) == ["log_map.txt", "map.mrc"]


def test_unwritable_output_dir_is_a_clear_error(workdir):
    r = run_cli("occupy", "-i", "map.mrc", "-o", "/proc/occupy-test-out", cwd=workdir)
    assert r.returncode == 1
    one_error(r.stderr, "output directory")
    assert "unexpected" not in r.stderr


def test_failed_run_removes_the_output_dir_it_created(workdir):
    r = run_cli("occupy", "-i", "map.mrc", "-o", "new_dir", "--tile-size", "500", cwd=workdir)
    assert r.returncode == 1 and "larger than the box" in r.stderr
    assert not (workdir / "new_dir").exists()


def test_ignored_options_warn_and_sigmoid_needs_pivot(workdir):
    r = run_cli("occupy", "-i", "map.mrc", "--gamma", "3", "--pivot", "0.5", cwd=workdir)
    assert r.returncode == 0
    assert "--gamma has no effect" in r.stderr and "--pivot has no effect" in r.stderr
    r = run_cli("occupy", "-i", "map.mrc", "--sigmoid", "4", "-o", "s", cwd=workdir)
    assert r.returncode == 2 and "needs --pivot" in r.stderr and not (workdir / "s").exists()


def test_chimerax_script_model_lists(workdir):
    r = run_cli("occupy", "-i", "map.mrc", "--amplify", "--attenuate", "-q", cwd=workdir)
    assert r.returncode == 0
    cxc = (workdir / "chimX_map.cxc").read_text()
    assert "alias occupy_level volume #1,3,4 level $1" in cxc
    assert "scale_color #3 #2" in cxc and "scale_color #4 #2" in cxc


def test_plain_and_rich_commands_parse_alike() -> None:
    """A run is parsed by a plain click command (rich loads only for --help): same values."""
    from occupy.cli import batch as batch_cli
    from occupy.cli import occupy as occupy_cli
    args = ["-i", "m.mrc", "--amplify", "--gamma", "3", "-k", "5", "--raw-scale", "--exclude-solvent", "-j", "2"]
    plain = occupy_cli.build_command(rich=False).make_context("occupy", list(args)).params
    rich = occupy_cli.build_command(rich=True).make_context("occupy", list(args)).params
    assert plain == rich and plain["gamma"] == 3.0
    b_args = ["a.mrc", "b.mrc", "--jobs", "2", "--attenuate"]
    assert batch_cli.build_command(rich=False).make_context("occupy-batch", list(b_args)).params == \
        batch_cli.build_command(rich=True).make_context("occupy-batch", list(b_args)).params


def test_a_run_does_not_load_rich(tmp_path) -> None:
    write_demo_map(tmp_path / "m.mrc", box=40)
    code = ("import sys; from occupy.cli.occupy import main\n"
            "try:\n    main(['-i', sys.argv[1] + '/m.mrc', '-o', sys.argv[1] + '/out', '--amplify'])\n"
            "except SystemExit as e:\n    assert e.code == 0\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'rich_click')))")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[-1] == "[]"                                    # output to a pipe: plain lines, no rich
    assert lines[0].startswith("m.mrc: occ scale, s_full = ") and "warning: no --gamma given" in r.stderr


def test_plain_output_drops_markup(capsys) -> None:
    from occupy.cli.ui import Stream
    Stream().print("[bold]map.mrc[/]: res scale [1]")
    Stream().print("[bold]kept[/]", markup=False)
    assert capsys.readouterr().out == "map.mrc: res scale [1]\n[bold]kept[/]\n"
