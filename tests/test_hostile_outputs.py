"""Hostile outputs, streams and names (issue 23): special files, links, closed or full streams,
names at the limits, what a killed run leaves, and small API and option cases.

Each case checks the message, the exit status and what is left behind.
"""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import console_script, http_server, occupy_peak, one_error, run_cli, write_demo_map

import occupy
from occupy.errors import OccupyError

OUTPUTS = ["chimX_m.cxc", "log_m.txt", "scale_res_m.mrc"]


@pytest.fixture()
def small_map(tmp_path) -> Path:
    return write_demo_map(tmp_path / "m.mrc", box=32, seed=2)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _shell(command: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``command`` in sh with the console script as $OCCUPY (for redirections a list cannot say)."""
    return subprocess.run(["sh", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "2", "OCCUPY": console_script("occupy"),
                               **(env or {})})


# ---------------------------------------------------------------- 1. outputs that are not regular files

def test_json_into_a_fifo_is_written_not_replaced(small_map) -> None:
    fifo = small_map.parent / "row.json"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, err, _, _ = occupy_peak("-i", "m.mrc", "-o", "out", "--json", "row.json", cwd=small_map.parent)
    reader.join(10)
    assert code == 0, err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)                # still the FIFO
    assert b'"map": "m.mrc"' in got[0]
    assert _names(small_map.parent / "out") == OUTPUTS


def test_json_through_a_link_replaces_its_target_and_keeps_the_link(small_map) -> None:
    other = small_map.parent / "elsewhere"
    other.mkdir()
    (other / "row.json").write_text("old")
    (small_map.parent / "row.json").symlink_to(other / "row.json")
    code, err, _, _ = occupy_peak("-i", "m.mrc", "-o", "out", "--json", "row.json", cwd=small_map.parent)
    assert code == 0, err
    assert (small_map.parent / "row.json").is_symlink()
    assert '"s_full"' in (other / "row.json").read_text()
    assert _names(other) == ["row.json"]                        # nothing staged is left beside the target


def test_an_output_name_that_is_a_link_keeps_the_link(small_map) -> None:
    out, other = small_map.parent / "out", small_map.parent / "store"
    out.mkdir()
    other.mkdir()
    (other / "kept.txt").write_text("old log")
    (out / "log_m.txt").symlink_to(other / "kept.txt")
    code, err, _, _ = occupy_peak("-i", "m.mrc", "-o", "out", cwd=small_map.parent)
    assert code == 0, err
    assert (out / "log_m.txt").is_symlink() and "s_full" in (other / "kept.txt").read_text()


def test_json_to_a_full_device_fails_and_publishes_nothing(small_map) -> None:
    link = small_map.parent / "full.json"
    link.symlink_to("/dev/full")
    code, err, _, _ = occupy_peak("-i", "m.mrc", "-o", "out", "--json", "full.json", cwd=small_map.parent)
    assert code == 1
    one_error(err, "full.json: No space left on device")
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/full").st_mode)
    assert not (small_map.parent / "out").exists()


def test_json_to_standard_output_through_proc(small_map) -> None:
    if not Path("/proc/self/fd/1").exists():
        pytest.skip("no /proc/self/fd on this system")
    r = run_cli("occupy", "-i", "m.mrc", "-o", "out", "--json", "/proc/self/fd/1", "-q", cwd=small_map.parent)
    assert r.returncode == 0, r.stderr
    assert r.stdout.lstrip().startswith("{") and '"map": "m.mrc"' in r.stdout
    assert _names(small_map.parent / "out") == OUTPUTS


# ---------------------------------------------------------------- 4. streams

@pytest.mark.parametrize("redirect", [">&-", "2>&-", ">&- 2>&-"])
def test_closed_standard_streams_do_not_stop_a_run(small_map, redirect) -> None:
    r = _shell(f'"$OCCUPY" -i m.mrc -o out {redirect}', small_map.parent)
    assert r.returncode == 0, r.stderr
    assert _names(small_map.parent / "out") == OUTPUTS
    log = (small_map.parent / "out" / "log_m.txt").read_text()
    assert "wrote" not in log and "s_full" in log                # nothing printed landed in an output


def test_a_full_standard_output_loses_the_report_not_the_run(small_map) -> None:
    r = _shell('"$OCCUPY" -i m.mrc -o out > /dev/full', small_map.parent)
    assert r.returncode == 0
    assert r.stderr.count("warning: the outputs are written, but the report could not be printed: "
                          "No space left on device") == 1 and "Traceback" not in r.stderr
    assert _names(small_map.parent / "out") == OUTPUTS


def test_json_on_a_full_standard_output_publishes_nothing(small_map) -> None:
    r = _shell('"$OCCUPY" -i m.mrc -o out --json - > /dev/full', small_map.parent)
    assert r.returncode == 1
    one_error(r.stderr, "cannot write to standard output: No space left on device")
    assert not (small_map.parent / "out").exists()


def test_json_on_standard_output_is_the_row_alone(small_map) -> None:
    r = run_cli("occupy", "-i", "m.mrc", "-o", "out", "--json", "-", cwd=small_map.parent)
    assert r.returncode == 0, r.stderr
    import json
    row = json.loads(r.stdout)
    assert row["map"] == "m.mrc" and row["status"] == "ok"


def test_an_ascii_only_terminal_gets_escapes(small_map) -> None:
    name = "caf\u00e9.mrc"
    (small_map.parent / name).write_bytes(small_map.read_bytes())
    env = {"PYTHONIOENCODING": "ascii", "LC_ALL": "C"}
    r = run_cli("occupy", "-i", name, "-o", "out", cwd=small_map.parent, env=env)
    assert r.returncode == 0, r.stderr
    assert "caf\\xe9.mrc" in r.stdout and (small_map.parent / "out" / "log_caf\u00e9.txt").exists()
    r = run_cli("occupy", "-i", name, "-o", "bad", "--solvent-def", "m.mrc", "--pixel-size", "-1",
                cwd=small_map.parent, env=env)
    assert r.returncode == 2
    one_error(r.stderr, "--pixel-size must be positive")


def test_a_name_that_is_not_utf8(small_map) -> None:
    folder = os.fsencode(small_map.parent)
    bad = b"bad\xff.mrc"
    with open(os.path.join(folder, bad), "wb") as fh:
        fh.write(small_map.read_bytes())
    argv = [console_script("occupy"), b"-i", bad, b"-o", b"out"]
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    r = subprocess.run(argv, cwd=folder, capture_output=True, timeout=120, env=env)
    assert r.returncode == 2
    one_error(r.stderr.decode("utf-8", "replace"), "is not valid UTF-8, so the ChimeraX script cannot name it")
    assert not (small_map.parent / "out").exists()
    r = subprocess.run(argv + [b"--no-chimerax"], cwd=folder, capture_output=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(os.path.join(folder, b"out"))) == [b"log_bad\xff.txt", b"scale_res_bad\xff.mrc"]
    assert bad in open(os.path.join(folder, b"out", b"log_bad\xff.txt"), "rb").read()


# ---------------------------------------------------------------- 4. names and inputs at the limits

def test_a_stem_that_just_fits_is_written(small_map) -> None:
    name = "a" * 241 + ".mrc"                                   # scale_res_<stem>.mrc is 255 bytes
    (small_map.parent / name).write_bytes(small_map.read_bytes())
    code, err, _, _ = occupy_peak("-i", name, "-o", "out", "--no-chimerax", cwd=small_map.parent)
    assert code == 0, err
    assert len(_names(small_map.parent / "out")) == 2 and not any(n.startswith(".") for n in
                                                                  _names(small_map.parent / "out"))


def test_a_stem_too_long_for_its_outputs_is_refused_before_work(small_map) -> None:
    name = "b" * 236 + ".mrc"                                   # ampl_2.0_solExcl_<stem>.mrc: 257 bytes
    (small_map.parent / name).write_bytes(small_map.read_bytes())
    code, err, _, _ = occupy_peak("-i", name, "-o", "out", "--amplify", "--exclude-solvent", cwd=small_map.parent)
    assert code == 1
    line = one_error(err, "the input's name is too long for its output names: ampl_2.0_sol...bbbb.mrc would "
                          "be 257 bytes")
    assert "more than the 255 a file name may have here" in line and len(line) < 300
    assert not (small_map.parent / "out").exists()


@pytest.mark.parametrize("case, message", [
    ("long name", "cannot open input map "),
    ("long path", "cannot open input map "),
    ("link loop", "Too many levels of symbolic links"),
    ("fifo", "input map is not a regular file (a FIFO): "),
    ("device", "input map is not a regular file (a character device): /dev/null"),
    ("proc mem", "cannot read input map /proc/self/mem: Input/output error"),
])
def test_inputs_that_are_no_files_are_refused(tmp_path, case, message) -> None:
    arg = {"long name": "c" * 300 + ".mrc", "long path": "/".join(["d" * 200] * 25) + "/m.mrc",
           "link loop": "loop1", "fifo": "in.fifo", "device": "/dev/null", "proc mem": "/proc/self/mem"}[case]
    if case == "link loop":
        os.symlink("loop2", tmp_path / "loop1")
        os.symlink("loop1", tmp_path / "loop2")
    if case == "fifo":
        os.mkfifo(tmp_path / "in.fifo")                         # no writer: opening it would wait forever
    if case == "proc mem" and not Path("/proc/self/mem").exists():
        pytest.skip("no /proc on this system")
    before = _names(tmp_path)
    code, err, peak, seconds = occupy_peak("-i", arg, "-o", "out", "--no-chimerax", cwd=tmp_path)
    assert code == 1
    one_error(err, message)
    assert "unexpected" not in err and seconds < 20 and peak < 150
    assert _names(tmp_path) == before


# ---------------------------------------------------------------- 5. what killed runs leave

def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_staging_files_of_dead_owners_are_removed(small_map) -> None:
    from occupy.io.staging import _host_tag
    out = small_map.parent / "out"
    out.mkdir()
    host, dead = _host_tag(), _dead_pid()
    other = "f" * len(host) if host != "f" * len(host) else "e" * len(host)   # another machine or container
    files = {
        "stale": f".scale_res_m.mrc.{host}{dead}.abcd1234.part",
        "live owner": f".scale_res_m.mrc.{host}{os.getppid()}.abcd1234.part",
        "other host": f".scale_res_m.mrc.{other}{dead}.abcd1234.part",
        "set aside, final there": f".kept.txt.{host}{dead}.abcd1234.prev",
        "set aside, final gone": f".lost.txt.{host}{dead}.abcd1234.prev",
        "user's": ".notes.part",
    }
    old = time.time() - 60
    for name in files.values():
        (out / name).write_bytes(b"x" * 100)
        os.utime(out / name, (old, old))
    (out / "kept.txt").write_text("new")
    fresh = out / f".chimX_m.cxc.{host}{dead}.fresh123.part"      # made just now: its owner may be starting
    fresh.write_bytes(b"x")
    code, err, _, _ = occupy_peak("-i", "m.mrc", "-o", "out", cwd=small_map.parent)
    assert code == 0, err
    left = set(_names(out))
    assert not {files[k] for k in ("stale", "set aside, final there", "set aside, final gone")} & left
    assert {files[k] for k in ("live owner", "other host", "user's")} <= left
    assert (out / "kept.txt").read_text() == "new"                      # the newer file stays
    assert (out / "lost.txt").read_bytes() == b"x" * 100                # the only copy is put back
    assert fresh.name in left
    assert set(OUTPUTS) <= left


def test_a_killed_commit_never_leaves_a_final_name_empty(small_map) -> None:
    """The old output is set aside as a second link: killed between that and the rename, the old file is
    still under its name; the next run removes the extra link."""
    out = small_map.parent / "out"
    code, err, _, _ = occupy_peak("-i", "m.mrc", "-o", "out", cwd=small_map.parent)
    assert code == 0, err
    before = (out / "log_m.txt").read_bytes()
    script = ("import os, sys; from occupy.outputs import outputset; from occupy.outputs.outputset import OutputSet\n"
              "outputset.publish = lambda *a: os._exit(9)\n"
              "with OutputSet(sys.argv[1]) as o:\n    o.write_text('log_m.txt', 'NEW')\n")
    r = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, timeout=60)
    assert r.returncode == 9
    assert (out / "log_m.txt").read_bytes() == before                   # never empty, never half-new
    assert any(n.endswith(".prev") for n in _names(out))
    time.sleep(2.1)
    code, err, _, _ = occupy_peak("-i", "m.mrc", "-o", "out", cwd=small_map.parent)
    assert code == 0, err
    assert not [n for n in _names(out) if n.startswith(".")]


def test_json_into_a_file_standard_output_is_redirected_to_is_appended(small_map) -> None:
    """``--json /dev/stdout >> job.log``: the JSON is appended through the stream; the log is not replaced."""
    log = small_map.parent / "job.log"
    log.write_text("PREVIOUS\n")
    inode = log.stat().st_ino
    if not Path("/proc/self/fd/1").exists():
        pytest.skip("no /proc/self/fd on this system")
    # /proc/self/fd/1 is what /dev/stdout links to; a regression renames over it (refused by /proc) rather
    # than over the machine's /dev/stdout link, which a root test run would replace
    r = _shell('"$OCCUPY" -i m.mrc -o out --json /proc/self/fd/1 -q >> job.log', small_map.parent)
    assert r.returncode == 0, r.stderr
    assert log.stat().st_ino == inode
    text = log.read_text()
    assert text.startswith("PREVIOUS\n{") and '"map": "m.mrc"' in text


def test_an_output_fifo_without_a_reader_fails_at_once(small_map) -> None:
    os.mkfifo(small_map.parent / "row.json")
    code, err, _, seconds = occupy_peak("-i", "m.mrc", "-o", "out", "--json", "row.json", cwd=small_map.parent)
    assert code == 1 and seconds < 30
    one_error(err, "row.json: no process is reading from the FIFO")
    assert not (small_map.parent / "out").exists()


def test_a_run_after_sigkilled_runs_leaves_the_folder_clean(tmp_path) -> None:
    write_demo_map(tmp_path / "big.mrc", box=160, seed=3)
    out = tmp_path / "out"
    for attempt in range(3):
        p = subprocess.Popen([console_script("occupy"), "-i", "big.mrc", "-o", "out", "--amplify",
                              "--attenuate", "-q"], cwd=tmp_path, env={**os.environ, "OMP_NUM_THREADS": "1"})
        deadline = time.monotonic() + 60
        while not any(out.glob(".*.part")) and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        p.send_signal(signal.SIGKILL)
        p.wait()
    staged = list(out.glob(".*.part"))
    assert staged, "no run was caught while it staged its outputs"
    time.sleep(2.1)                                              # older than the creation window
    code, err, _, _ = occupy_peak("-i", "big.mrc", "-o", "out", "--no-chimerax", cwd=tmp_path)
    assert code == 0, err
    assert not [n for n in _names(out) if n.startswith(".")]


# ---------------------------------------------------------------- 7. small ones

def test_solvent_def_that_is_a_directory(small_map) -> None:
    code, err, _, _ = occupy_peak("-i", "m.mrc", "-o", "out", "--solvent-def", ".", cwd=small_map.parent)
    assert code == 2
    one_error(err, "--solvent-def mask is a directory, not a file: .")
    assert not (small_map.parent / "out").exists()


def test_mask_on_another_grid_is_refused(small_map) -> None:
    m = occupy.read_map(small_map)
    inside = (m.data > np.median(m.data)).astype(np.float32)
    occupy.write_map(small_map.parent / "mask2.mrc", inside, voxel_size=2 * m.voxel_size)
    occupy.write_map(small_map.parent / "mask1.mrc", inside, voxel_size=m.voxel_size)
    code, err, _, _ = occupy_peak("-i", "m.mrc", "-o", "out", "--solvent-def", "mask2.mrc", cwd=small_map.parent)
    assert code == 1
    one_error(err, f"--solvent-def mask mask2.mrc has voxel size {2 * m.voxel_size:g} Å, the input map "
                   f"{m.voxel_size:g} Å")
    assert not (small_map.parent / "out").exists()
    code, err, _, _ = occupy_peak("-i", "m.mrc", "-o", "out", "--solvent-def", "mask1.mrc", cwd=small_map.parent)
    assert code == 0, err


def test_api_voxel_size_as_text_and_bytes_paths(small_map) -> None:
    a = np.random.default_rng(0).random((24, 24, 24), dtype=np.float32)
    with pytest.raises(OccupyError, match="voxel size must be a positive finite number of Å, got '1.5'"):
        occupy.estimate_scale(a, "1.5")
    r = occupy.run(os.fsencode(small_map), output_dir=small_map.parent / "out")
    assert r.s_full > 0 and _names(small_map.parent / "out") == OUTPUTS
    assert occupy.read_map(os.fsencode(small_map)).shape == (32, 32, 32)


def test_emdb_redirect_loop_is_one_line(tmp_path) -> None:
    import http.server

    class Loop(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            self.send_response(302)
            self.send_header("Location", self.path)
            self.end_headers()

        def log_message(self, *args):
            pass

    with http_server(Loop) as server:
        r = run_cli("occupy", "--emdb", "1234", "-o", "out", cwd=tmp_path, env={"OCCUPY_EMDB_URL": server.base})
    assert r.returncode == 1
    one_error(r.stderr, "the server's redirects (HTTP 302) never reach the file (a loop, or too many)")
    assert len(r.stderr.strip().splitlines()) == 1 and _names(tmp_path) == []


def test_an_output_read_on_standard_input_is_replaced_as_any_other(small_map) -> None:
    """Only standard output and error are written through: a run whose stdin reads one of its outputs
    (``< out/log_m.txt``) replaces that file as usual."""
    code, err, _, _ = occupy_peak("-i", "m.mrc", "-o", "out", cwd=small_map.parent)
    assert code == 0, err
    r = _shell('"$OCCUPY" -i m.mrc -o out -q < out/log_m.txt', small_map.parent)
    assert r.returncode == 0, r.stderr
    assert _names(small_map.parent / "out") == OUTPUTS
