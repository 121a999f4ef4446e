"""``--emdb`` downloads against a local HTTP server: success, reuse, and every failure."""
from __future__ import annotations

import gzip
import http.server
import os
import socket
from pathlib import Path

import mrcfile
import numpy as np
import pytest
from helpers import http_server, one_error, run_cli

from occupy.emdb import emdb_url, fetch_emdb, normalize_emdb_id
from occupy.errors import OccupyError

GOOD, TRUNCATED, CORRUPT, NOT_GZIP, SHORT_BODY = "1234", "2345", "3456", "4567", "5678"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the tree; counts requests; for SHORT_BODY promises the full length but sends half."""

    def do_GET(self):  # noqa: N802 - http.server API
        self.server.request_count += 1
        if f"EMD-{SHORT_BODY}/" in self.path:
            body = self.server.good_gz
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):  # keep test output quiet
        pass


def _put(root: Path, entry: str, payload: bytes) -> None:
    d = root / f"EMD-{entry}" / "map"
    d.mkdir(parents=True)
    (d / f"emd_{entry}.map.gz").write_bytes(payload)


@pytest.fixture(scope="module")
def source_map(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("src") / "source.mrc"
    rng = np.random.default_rng(7)
    with mrcfile.new(path) as mrc:
        mrc.set_data(rng.normal(size=(16, 16, 16)).astype(np.float32))
        mrc.voxel_size = 1.5
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory, source_map):
    root = tmp_path_factory.mktemp("emdb")
    good = gzip.compress(source_map.read_bytes())
    _put(root, GOOD, good)
    _put(root, TRUNCATED, good[: len(good) // 2])
    corrupt = bytearray(good)
    for i in range(len(corrupt) // 3, len(corrupt) // 3 + 64):
        corrupt[i] ^= 0xA5
    _put(root, CORRUPT, bytes(corrupt))
    _put(root, NOT_GZIP, b"<html><body>Service unavailable</body></html>\n" * 40)
    with http_server(lambda *a, **k: _Handler(*a, directory=str(root), **k)) as httpd:
        httpd.request_count = 0
        httpd.good_gz = good
        yield httpd


def _assert_empty(directory: Path) -> None:
    assert sorted(os.listdir(directory)) == [], "a failed download left files behind"


def test_success_then_reuse_without_request(server, source_map, tmp_path):
    before = server.request_count
    out = fetch_emdb(GOOD, tmp_path, base_url=server.base)
    assert out == tmp_path / f"emd_{GOOD}.map"
    assert server.request_count == before + 1
    assert out.read_bytes() == source_map.read_bytes()
    with mrcfile.open(out) as got, mrcfile.open(source_map) as want:
        np.testing.assert_array_equal(got.data, want.data)
        assert float(got.voxel_size.x) == pytest.approx(1.5)
    assert sorted(os.listdir(tmp_path)) == [out.name]  # no temp files left

    again = fetch_emdb(f"EMD-{GOOD}", tmp_path, base_url=server.base)
    assert again == out
    assert server.request_count == before + 1


def test_progress_bar_does_not_break_download(server, source_map, tmp_path, capsys):
    out = fetch_emdb(GOOD, tmp_path, base_url=server.base, progress=True)
    assert out.read_bytes() == source_map.read_bytes()
    assert capsys.readouterr().out == ""  # progress goes to stderr only


def test_missing_output_dir_is_created(server, tmp_path):
    out = fetch_emdb(GOOD, tmp_path / "a" / "b", base_url=server.base)
    assert out.is_file()


def test_404(server, tmp_path):
    with pytest.raises(OccupyError, match=r"EMDB entry 99999999 not found \(HTTP 404\) at http://127"):
        fetch_emdb("99999999", tmp_path, base_url=server.base)
    _assert_empty(tmp_path)


@pytest.mark.parametrize("entry", [TRUNCATED, CORRUPT, NOT_GZIP, SHORT_BODY])
def test_truncated_or_corrupt_download(server, tmp_path, entry):
    with pytest.raises(OccupyError, match="corrupt or incomplete"):
        fetch_emdb(entry, tmp_path, base_url=server.base)
    _assert_empty(tmp_path)


@pytest.mark.parametrize("bad", ["abc", "12a", "../1", "", "-5", "3061/../1", "EMD-", "1e3", "1234567890"])
def test_bad_id_rejected_before_any_request(server, tmp_path, bad):
    before = server.request_count
    with pytest.raises(OccupyError, match="invalid EMDB ID"):
        fetch_emdb(bad, tmp_path, base_url=server.base)
    assert server.request_count == before
    _assert_empty(tmp_path)


def test_id_forms():
    assert normalize_emdb_id(3061) == "3061"
    assert normalize_emdb_id(" EMD-3061 ") == "3061"
    assert normalize_emdb_id("emd_30185") == "30185"
    assert normalize_emdb_id("552") == "0552"


def test_server_down(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OccupyError, match=r"cannot reach http://127\.0\.0\.1:%d/" % port):
        fetch_emdb(GOOD, tmp_path, base_url=f"http://127.0.0.1:{port}")
    _assert_empty(tmp_path)


def test_timeout(tmp_path):
    # A listening socket that never answers: the request connects, then times out.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        with pytest.raises(OccupyError, match="timed out after 0.3 s"):
            fetch_emdb(GOOD, tmp_path, base_url=f"http://127.0.0.1:{s.getsockname()[1]}", timeout=0.3)
    _assert_empty(tmp_path)


def test_env_override_and_argument_precedence(server, tmp_path, monkeypatch):
    monkeypatch.setenv("OCCUPY_EMDB_URL", server.base + "/")
    assert emdb_url("3061") == f"{server.base}/EMD-3061/map/emd_3061.map.gz"
    assert emdb_url("3061", "https://mirror.example/x") == "https://mirror.example/x/EMD-3061/map/emd_3061.map.gz"
    before = server.request_count
    out = fetch_emdb(GOOD, tmp_path)
    assert out.is_file() and server.request_count == before + 1
    monkeypatch.delenv("OCCUPY_EMDB_URL")
    assert emdb_url("3061").startswith("https://ftp.ebi.ac.uk/pub/databases/emdb/structures/EMD-3061/")


def test_output_dir_unusable(server, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OccupyError, match="output directory"):
        fetch_emdb(GOOD, blocker / "sub", base_url=server.base)
    if os.geteuid() != 0:  # root ignores permission bits
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            with pytest.raises(OccupyError, match="not writable"):
                fetch_emdb(GOOD, ro, base_url=server.base)
            assert os.listdir(ro) == []
        finally:
            ro.chmod(0o700)


def test_malformed_base_url(tmp_path):
    with pytest.raises(OccupyError, match="unknown url type"):
        fetch_emdb(GOOD, tmp_path, base_url="ftp//no-scheme")
    _assert_empty(tmp_path)


def test_cli_emdb_seed_command(server, tmp_path):
    """`occupy --emdb ID` as in the seed README: download, then the default estimate."""
    env = {"OCCUPY_EMDB_URL": server.base}
    r = run_cli("occupy", "--emdb", GOOD, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(tmp_path)) == sorted([f"emd_{GOOD}.map", f"scale_res_emd_{GOOD}.mrc",
                                                   f"chimX_emd_{GOOD}.cxc", f"log_emd_{GOOD}.txt"])
    count = server.request_count
    r = run_cli("occupy", "--emdb", GOOD, "-q", cwd=tmp_path, env=env)
    assert r.returncode == 0 and server.request_count == count  # reused, no second download
    bad = tmp_path / "bad"
    bad.mkdir()
    r = run_cli("occupy", "--emdb", "999999", cwd=bad, env=env)
    assert r.returncode == 1
    one_error(r.stderr, "not found (HTTP 404)")
    _assert_empty(bad)
