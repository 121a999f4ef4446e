"""Signals at known points of real runs (fault injection, see tests/faults/sitecustomize.py).

Each case starts a front end as a subprocess that pauses at a chosen point, signals it
there, and checks the exit status, the one error line, the RELION markers, and that no
staged file, created directory or process is left behind.
"""
from __future__ import annotations

import gzip
import http.server
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import cli_env, console_script, http_server, one_error, run_cli, write_demo_map

import occupy

psutil = pytest.importorskip("psutil")

FAULTS = Path(__file__).parent / "faults"
SIGNALS = {"SIGTERM": 143, "SIGINT": 130, "SIGHUP": 129}


@pytest.fixture(scope="module")
def maps(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("maps")
    for i, name in enumerate(("a", "b", "c")):
        write_demo_map(d / f"{name}.mrc", box=48, seed=20 + i)
    return d


class Paused:
    """A front end started with fault injection, stopped at ``point``."""

    def __init__(self, args: list[str], cwd: Path, point: str, *, expect_ready: int = 1, env: dict | None = None):
        self.ready = cwd / ".ready"
        self.ready.mkdir(exist_ok=True)
        e = cli_env({"PYTHONPATH": str(FAULTS), "OCCUPY_TEST_PAUSE_AT": point, "OCCUPY_TEST_READY": str(self.ready),
                     **(env or {})}, threads=1)
        self.proc = subprocess.Popen([console_script(args[0]), *args[1:]], cwd=cwd, env=e, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(self.paused_pids()) < expect_ready:
            if self.proc.poll() is not None:
                raise AssertionError(f"ended before pausing at {point}: {self.proc.communicate()}")
            assert time.monotonic() < deadline, f"never paused at {point}"
            time.sleep(0.05)

    def paused_pids(self) -> list[int]:
        return [int(p.name.split("-")[1]) for p in self.ready.glob("ready-*")]

    def family(self) -> list:
        parent = psutil.Process(self.proc.pid)
        return [parent, *parent.children(recursive=True)]

    def signal(self, name: str) -> tuple[int, str, str, float]:
        t0 = time.monotonic()
        self.proc.send_signal(getattr(signal, name))
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, out, err, time.monotonic() - t0

    def resume(self) -> tuple[int, str, str]:
        for pid in self.paused_pids():
            (self.ready / f"continue-{pid}").touch()
        out, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, out, err


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".ready" not in p.parts)


@pytest.mark.parametrize("point", ["stage:lowpass", "write:2", "commit:2"])
@pytest.mark.parametrize("sig", sorted(SIGNALS))
def test_occupy_stopped_anywhere_leaves_nothing(maps, tmp_path, point, sig) -> None:
    (tmp_path / "a.mrc").write_bytes((maps / "a.mrc").read_bytes())
    before = _tree(tmp_path)
    run = Paused(["occupy", "-i", "a.mrc", "--amplify", "-o", "out/nested"], tmp_path, point)
    code, _, err, _ = run.signal(sig)
    assert code == SIGNALS[sig]
    one_error(err, f"stopped by {sig}")
    assert _tree(tmp_path) == before          # no staged file, no out/ or out/nested/


def test_commit_interrupted_restores_the_previous_outputs(maps, tmp_path) -> None:
    (tmp_path / "a.mrc").write_bytes((maps / "a.mrc").read_bytes())
    first = run_cli("occupy", "-i", "a.mrc", "--amplify", "--gamma", "3", "-q", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    old = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    run = Paused(["occupy", "-i", "a.mrc", "--amplify", "--gamma", "3", "--seed", "1", "-q"], tmp_path, "commit:2")
    code, _, err, _ = run.signal("SIGTERM")
    assert code == 143
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == old


def _relion_project(maps: Path, root: Path) -> Path:
    (root / "External" / "job007").mkdir(parents=True)
    (root / "map.mrc").write_bytes((maps / "b.mrc").read_bytes())
    return root / "External" / "job007"


RELION = ["occupy-relion", "--o", "External/job007/", "--in_3dref", "map.mrc", "--j", "1", "--amplify", "true"]


@pytest.mark.parametrize("point", ["stage:solvent model", "write:1", "commit:1", "nodes"])
def test_relion_signal_leaves_exactly_the_failure_marker(maps, tmp_path, point) -> None:
    job = _relion_project(maps, tmp_path)
    run = Paused(RELION, tmp_path, point)
    code, _, err, _ = run.signal("SIGTERM")
    assert code == 143
    one_error(err, "stopped by SIGTERM")
    assert sorted(p.name for p in job.iterdir()) == ["RELION_JOB_EXIT_FAILURE"]


def test_relion_classification_signal_stops_every_class(tmp_path) -> None:
    from occupy.demo import write_demo_classification
    write_demo_classification(tmp_path, n_classes=5, box=64, seed=4)
    job = tmp_path / "External" / "job008"
    job.mkdir(parents=True)
    run = Paused(["occupy-relion", "--o", "External/job008/", "--in_3dref", "Class3D/job001", "--j", "2",
                  "--amplify", "true"], tmp_path, "class:1", env={"OMP_NUM_THREADS": "2"})
    code, out, err, seconds = run.signal("SIGTERM")
    assert code == 143 and seconds < 5, (code, seconds, err)
    one_error(err, "stopped by SIGTERM")
    assert " class " in out                              # the first class had finished
    assert sorted(p.name for p in job.iterdir()) == ["RELION_JOB_EXIT_FAILURE"]


def test_relion_abort_is_honoured_up_to_the_commit(maps, tmp_path) -> None:
    job = _relion_project(maps, tmp_path)
    run = Paused(RELION, tmp_path, "write:3")          # every map staged, not yet committed
    (job / "RELION_JOB_ABORT_NOW").touch()
    code, out, _ = run.resume()
    assert code == 2 and "aborted on request" in out
    assert sorted(p.name for p in job.iterdir()) == ["RELION_JOB_EXIT_ABORTED"]


def test_relion_rejects_a_bare_output_option(maps, tmp_path) -> None:
    _relion_project(maps, tmp_path)
    r = run_cli("occupy-relion", "--o", "--in_3dref", "map.mrc", cwd=tmp_path)
    assert r.returncode == 1 and "--o needs a value" in r.stderr
    assert not (tmp_path / "true").exists() and not (tmp_path / "--in_3dref").exists()


def test_batch_signal_stops_every_worker_within_5_s(maps, tmp_path) -> None:
    run = Paused(["occupy-batch", str(maps / "*.mrc"), "--jobs", "2", "-j", "2", "-o", "out", "-q"], tmp_path,
                 "write:1", expect_ready=2)
    family = run.family()
    assert len(family) >= 3                               # main, forkserver, two workers
    code, _, err, seconds = run.signal("SIGTERM")
    assert code == 143 and seconds < 5, (code, seconds, err)
    one_error(err, "stopped by SIGTERM")
    gone, alive = psutil.wait_procs(family, timeout=5 - min(seconds, 4.5))
    assert not alive, [p.info if hasattr(p, "info") else p for p in alive]
    assert not (tmp_path / "out").exists()                # staged files removed, then the empty directory


class _Drip(http.server.BaseHTTPRequestHandler):
    """Sends a gzipped map slowly, so the download can be signalled half-way."""

    payload = b""

    def do_GET(self):  # noqa: N802 - http.server API
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.payload)))
        self.end_headers()
        for i in range(0, len(self.payload), 4096):
            self.wfile.write(self.payload[i:i + 4096])
            self.wfile.flush()
            time.sleep(0.01)

    def log_message(self, *args):
        pass


def test_emdb_download_signalled_leaves_nothing(maps, tmp_path) -> None:
    _Drip.payload = gzip.compress((maps / "c.mrc").read_bytes())
    with http_server(_Drip) as httpd:
        run = Paused(["occupy", "--emdb", "1234", "-o", "dl"], tmp_path, "download:100000",
                     env={"OCCUPY_EMDB_URL": httpd.base})
        code, _, err, _ = run.signal("SIGINT")
    assert code == 130
    one_error(err, "stopped by SIGINT")
    assert _tree(tmp_path) == []


def test_api_run_interrupted_leaves_nothing(maps, tmp_path) -> None:
    def interrupt(stage: str) -> None:
        if stage == "write outputs":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        occupy.run(maps / "a.mrc", output_dir=tmp_path / "x" / "y", amplify=True, progress=interrupt)
    assert list(tmp_path.iterdir()) == []
