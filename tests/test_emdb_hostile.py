"""``--emdb`` against a hostile or broken server: only a map of its header's size is ever kept."""
from __future__ import annotations

import gzip
import http.server
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers import http_server, mrc_header, run_cli

import occupy
from occupy.emdb import fetch_emdb
from occupy.errors import OccupyError


class _Server(http.server.BaseHTTPRequestHandler):
    """Serves ``payloads[entry]``; entries listed in ``drip`` are sent a byte every 0.2 s."""

    payloads: dict[str, bytes] = {}
    drip: set[str] = set()
    requests = 0

    def do_GET(self):  # noqa: N802 - http.server API
        type(self).requests += 1
        entry = self.path.rsplit("emd_", 1)[-1].split(".")[0]
        body = self.payloads.get(entry)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if entry in self.drip:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.2)
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    with http_server(_Server) as httpd:
        yield httpd


def _map_bytes(box: int, tmp: Path, seed: int = 0) -> bytes:
    data = np.random.default_rng(seed).normal(size=(box, box, box)).astype(np.float32)
    occupy.write_map(tmp / f"src{box}.mrc", data, voxel_size=1.2)
    return (tmp / f"src{box}.mrc").read_bytes()


def _bomb(header: bytes, unpacked_mb: int) -> bytes:
    """A gzip stream of ``header`` followed by ``unpacked_mb`` MB of zeros (compresses ~1000x)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [comp.compress(header)]
    zeros = bytes(1 << 20)
    parts += [comp.compress(zeros) for _ in range(unpacked_mb)]
    parts.append(comp.flush())
    return b"".join(parts)


def _empty(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


@pytest.fixture()
def payloads(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("payloads")
    big = _map_bytes(80, tmp)                                  # 2 MB: more than one 1 MiB read chunk
    good_gz = gzip.compress(big)
    corrupt_crc = bytearray(good_gz)
    corrupt_crc[-8] ^= 0xFF                                    # the gzip trailer's CRC32
    table = {
        "1001": gzip.compress(b"<html><body>503 Service Unavailable</body></html>\n" * 50),
        "1002": gzip.compress(big[:-4096]),                   # a complete gzip of an incomplete map
        "1003": _bomb(mrc_header(16, 16, 16), 64),                   # valid 16^3 header, then 64 MB of zeros
        "1004": _bomb(b"", 64),                               # all zeros: no header at all
        "1005": good_gz[: len(good_gz) * 3 // 4],             # transfer cut short (> 1 MiB in)
        "1006": bytes(corrupt_crc),
        "1007": good_gz,
        "1008": good_gz,                                      # dripped
    }
    _Server.payloads, _Server.drip = table, {"1008"}
    return big


@pytest.mark.parametrize("entry, message", [
    ("1001", "is not an MRC map (no map header in its first 1024 bytes"),
    ("1002", "is corrupt or incomplete (unpacked to 2044928 bytes, its header declares 2049024)"),   # 80^3
    ("1003", "unpacks to more than the 17408 bytes its header declares; stopped"),
    ("1004", "is not an MRC map"),
    ("1005", "is corrupt or incomplete (Compressed file ended before the end-of-stream marker was reached)"),
    ("1006", "is corrupt or incomplete (CRC check failed"),
])
def test_only_a_map_of_its_declared_size_is_kept(server, payloads, tmp_path, entry, message) -> None:
    t0 = time.monotonic()
    with pytest.raises(OccupyError) as info:
        fetch_emdb(entry, tmp_path / "dl", base_url=server.base, timeout=10)
    assert message in str(info.value)
    assert _empty(tmp_path)                                    # no file, no .part, no created directory
    assert time.monotonic() - t0 < 5


def test_stalled_transfer_fails_within_its_window(server, payloads, tmp_path) -> None:
    t0 = time.monotonic()
    with pytest.raises(OccupyError, match=r"stalled: \d+ bytes in \d+ s \(limit OCCUPY_EMDB_TIMEOUT=1 s\)"):
        fetch_emdb("1008", tmp_path, base_url=server.base, timeout=1)
    assert time.monotonic() - t0 < 4
    assert _empty(tmp_path)


def test_timeout_setting_from_the_environment(monkeypatch) -> None:
    from occupy.emdb import download_timeout
    monkeypatch.setenv("OCCUPY_EMDB_TIMEOUT", "7.5")
    assert download_timeout() == 7.5
    monkeypatch.setenv("OCCUPY_EMDB_TIMEOUT", "-1")
    with pytest.raises(OccupyError, match="OCCUPY_EMDB_TIMEOUT must be a positive number"):
        download_timeout()
    monkeypatch.delenv("OCCUPY_EMDB_TIMEOUT")
    assert download_timeout() == 60


def test_invalid_cached_file_is_fetched_again(server, payloads, tmp_path) -> None:
    cached = tmp_path / "emd_1007.map"
    cached.write_bytes(payloads[:5000])                        # an earlier, broken download
    before = _Server.requests
    with pytest.warns(UserWarning, match="emd_1007.map is not a valid map .*truncated.*downloading it again"):
        out = fetch_emdb("1007", tmp_path, base_url=server.base)
    assert out.read_bytes() == payloads and _Server.requests == before + 1
    fetch_emdb("1007", tmp_path, base_url=server.base)         # now valid: reused
    assert _Server.requests == before + 1


def test_directory_in_the_way(server, payloads, tmp_path) -> None:
    (tmp_path / "emd_1007.map").mkdir()
    with pytest.raises(OccupyError, match="a directory of that name exists"):
        fetch_emdb("1007", tmp_path, base_url=server.base)


def test_cli_reports_a_refetch_as_one_warning(server, payloads, tmp_path) -> None:
    (tmp_path / "emd_1007.map").write_bytes(b"junk" * 100)
    r = run_cli("occupy", "--emdb", "1007", "--no-chimerax", cwd=tmp_path, env={"OCCUPY_EMDB_URL": server.base})
    assert r.returncode == 0, r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("warning: ")]
    assert len([w for w in warnings if "downloading it again" in w]) == 1
