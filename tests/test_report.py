"""``--report``: a self-contained HTML page per run and per classification, and the pictures in it."""
from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import occupy
from occupy.outputs.figures import OVERLAY_PALETTE, overlay_indices, run_pictures
from occupy.outputs.pngs import VIRIDIS, encode_png

from helpers import one_error, run_cli, write_demo_map


class _Page(HTMLParser):
    """Every tag's attributes, the table rows' cells and the text of a page."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _decode_png(raw: bytes) -> tuple[int, int, int, np.ndarray, bytes | None, bytes | None]:
    """Width, height, colour type, pixel rows (filter 0 only), PLTE and tRNS of a PNG, read by hand."""
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, {}, b""
    while pos < len(raw):
        length, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        body = raw[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", raw[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + body)
        idat += body if kind == b"IDAT" else b""
        chunks[kind] = body
        pos += 12 + length
    width, height, depth, ctype = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert depth == 8
    channels = 3 if ctype == 2 else 1
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + width * channels)
    assert (rows[:, 0] == 0).all()
    pixels = rows[:, 1:].reshape(height, width, channels) if channels == 3 else rows[:, 1:]
    return width, height, ctype, pixels, chunks.get(b"PLTE"), chunks.get(b"tRNS")


def _uri_png(uri: str):
    assert uri.startswith("data:image/png;base64,")
    return _decode_png(base64.b64decode(uri.split(",", 1)[1]))


def test_png_encoder_known_pixels():
    grey = np.array([[0, 10, 255], [7, 128, 3]], dtype=np.uint8)
    w, h, ctype, pixels, plte, trns = _decode_png(encode_png(grey))
    assert (w, h, ctype, plte, trns) == (3, 2, 0, None, None)
    assert (pixels == grey).all()
    rgb = np.arange(2 * 2 * 3, dtype=np.uint8).reshape(2, 2, 3)
    assert (_decode_png(encode_png(rgb))[3] == rgb).all()
    w, h, ctype, pixels, plte, trns = _decode_png(encode_png(grey % 4, palette=VIRIDIS[:4], transparent=0))
    assert ctype == 3 and plte == VIRIDIS[:4].tobytes() and trns == b"\x00"
    assert (pixels == grey % 4).all()


def _off_centre_map(path: Path, box: int = 32, centre=(8, 20, 23)) -> Path:
    """A blob far from the box centre, in Gaussian noise, 2 Å voxels."""
    z, y, x = np.mgrid[:box, :box, :box]
    blob = np.exp(-((z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2) / (2 * 2.5 ** 2))
    noise = np.random.default_rng(3).normal(0, 0.03, blob.shape)
    return occupy.write_map(path, (blob + noise).astype(np.float32), voxel_size=2.0)


def test_overlay_from_lowpassed_map_has_no_speckle():
    z, y, x = np.mgrid[:32, :32, :32]
    blob = np.exp(-((z - 8) ** 2 + (y - 16) ** 2 + (x - 16) ** 2) / 18.0)
    data = (blob + np.random.default_rng(0).normal(0, 0.15, blob.shape)).astype(np.float32)
    scale = np.full(data.shape, 0.6, dtype=np.float32)
    pics = run_pictures(data, scale, {}, voxel_size=2.0, lowpass=8.0, solvent_edge=0.2, min_vis_scale=0.2,
                        slices="z:8,z:28", browser=False)
    through, solvent = (overlay_indices(p) for p in pics.planes)
    assert (data[28] > 0.2).sum() > 50          # the raw map's noise passes the threshold in solvent ...
    assert (solvent >= 128).sum() == 0         # ... the lowpassed map's does not: no speckle
    assert (through >= 128).sum() > 20         # the blob is coloured
    assert tuple(OVERLAY_PALETTE[through[through >= 128][0]]) in {tuple(c) for c in VIRIDIS}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> tuple[Path, dict, Path]:
    """One CLI run with --report (and one without), its JSON numbers and the report."""
    d = tmp_path_factory.mktemp("report")
    path = _off_centre_map(d / "offc.mrc")
    plain = run_cli("occupy", "-i", str(path), "-o", str(d / "plain"), "--amplify", "--gamma", "3")
    assert plain.returncode == 0, plain.stderr
    done = run_cli("occupy", "-i", str(path), "-o", str(d / "out"), "--amplify", "--gamma", "3", "--report",
                   "--lowpass", "8", "--resolution", "6", "--json", str(d / "run.json"))
    assert done.returncode == 0, done.stderr
    return d, json.loads((d / "run.json").read_text()), d / "out" / "report_offc.html"


def test_report_only_with_the_option(run_dir):
    d, _, report = run_dir
    assert report.is_file()
    assert not list((d / "plain").glob("*.html"))
    assert "report_offc.html" in (d / "out" / "log_offc.txt").read_text()


def test_report_is_self_contained(run_dir):
    page = _Page(run_dir[2].read_text(encoding="utf-8"))
    refs = [(tag, k, v) for tag, attrs in page.tags for k, v in attrs.items() if k in ("src", "href")]
    assert refs, "the report has no pictures"
    for tag, key, value in refs:
        assert value.startswith("data:image/png;base64,"), (tag, key, value[:60])
    assert not [t for t, a in page.tags if t == "link" or (t == "script" and "src" in a)]
    for _tag, _key, value in refs:
        _uri_png(value)                           # each decodes


def test_report_numbers_mode_warnings(run_dir):
    _, numbers, report = run_dir
    page = _Page(report.read_text(encoding="utf-8"))
    cells = {row[0]: row[1] for row in page.rows if len(row) == 2}
    assert float(cells["s_full (map value)"]) == pytest.approx(numbers["s_full"], rel=1e-5)
    assert float(cells["solvent mean (map value)"]) == pytest.approx(numbers["solvent_mean"], rel=1e-5, abs=1e-9)
    assert float(cells["solvent width, sigma (map value)"]) == pytest.approx(numbers["solvent_width"], rel=1e-5)
    assert cells["scale mode"] == "occ"
    text = "".join(page.text)
    assert "occupy report: offc (occ mode)" in text
    assert numbers["warnings"], "the run was meant to warn"
    for w in numbers["warnings"]:
        assert w in text
    assert text.count("What it means:") == len(numbers["warnings"])
    assert "x (Å)" in text and "z (Å)" in text
    assert "occupy -i" in text and "--report" in text            # the command line


def test_slices_pass_through_off_centre_density(run_dir):
    page = _Page(run_dir[2].read_text(encoding="utf-8"))
    rows = [a for t, a in page.tags if t == "div" and "data-axis" in a]
    com = {a["data-axis"]: int(a["data-index"]) for a in rows[:3]}
    assert com == pytest.approx({"z": 8, "y": 20, "x": 23}, abs=1)
    first_input = next(a["href"] for t, a in page.tags if t == "image")
    _, _, _, pixels, _, _ = _uri_png(first_input)
    assert pixels.max() > 200 and np.median(pixels) < 140    # the blob, bright on darker solvent


def test_chosen_slice_and_bad_spec(tmp_path):
    path = _off_centre_map(tmp_path / "m.mrc")
    done = run_cli("occupy", "-i", str(path), "-o", str(tmp_path / "o"), "--report", "--slices", "x:3,centre")
    assert done.returncode == 0, done.stderr
    page = _Page((tmp_path / "o" / "report_m.html").read_text(encoding="utf-8"))
    shown = [(a["data-axis"], int(a["data-index"])) for t, a in page.tags if t == "div" and "data-axis" in a]
    assert shown == [("x", 3), ("z", 16), ("y", 16), ("x", 16)]
    for spec, needle in (("q:3", "--slices: cannot read 'q:3'"), ("z:99", "--slices z:99 is outside the box")):
        bad = run_cli("occupy", "-i", str(path), "-o", str(tmp_path / "bad"), "--report", "--slices", spec)
        assert bad.returncode == 2, bad.stderr
        assert needle in one_error(bad.stderr, needle)
        assert not (tmp_path / "bad").exists() or not list((tmp_path / "bad").iterdir())


def test_classification_report_table(tmp_path):
    from occupy.demo import write_demo_classification
    source = write_demo_classification(tmp_path / "proj", n_classes=3, box=32)
    result = occupy.run_classes(source, output_dir=tmp_path / "out", report=True)
    report = result.output_paths["report"]
    page = _Page(report.read_text(encoding="utf-8"))
    header, *rows = [r for r in page.rows if len(r) > 5]
    assert len(rows) == 3
    for row, outcome in zip(rows, result.outcomes):
        cells = dict(zip(header, row))
        assert int(cells["class"]) == outcome.class_map.number
        assert float(cells["s_full"]) == pytest.approx(outcome.s_full, rel=1e-5)
        assert float(cells["solvent width"]) == pytest.approx(outcome.solvent_width, rel=1e-5)
        assert (tmp_path / "out" / cells["report"]).is_file()       # the class's own page
    thumbs = [a["src"] for t, a in page.tags if t == "img"]
    assert len(thumbs) == 6                                        # map and scale per class
    assert all(v.startswith("data:") for t, a in page.tags for k, v in a.items() if k == "src")


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _dom(browser: str, page: Path) -> str:
    """The page's DOM after its scripts ran, from headless Chromium."""
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
                           "--dump-dom", page.resolve().as_uri()], capture_output=True, text=True,
                          timeout=120).stdout


def test_reports_run_in_headless_chromium(run_dir, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed, and CI=true: the report's JavaScript must be tested")
        pytest.skip("chromium not installed (apt-get install chromium): the slider's JavaScript is not tested")
    dom = _dom(browser, run_dir[2])
    assert 'data-browser="drawn z' in dom, dom[-2000:]          # the slice browser decoded and drew a slice
    assert "slice browser ready" in dom
    from occupy.demo import write_demo_classification
    result = occupy.run_classes(write_demo_classification(tmp_path / "proj", n_classes=2, box=32),
                                output_dir=tmp_path / "out", report=True)
    assert 'data-sortable="ready"' in _dom(browser, result.output_paths["report"])   # the table's sorting


def test_batch_report_and_pdf_summary_lines(tmp_path):
    from occupy.batch import run_batch
    from occupy.outputs.summary_page import summary_lines
    maps = [write_demo_map(tmp_path / f"m{i}.mrc", box=32, seed=i) for i in (1, 2)]
    result = run_batch([str(p) for p in maps], output_dir=str(tmp_path / "out"), report=True, lowpass=8.0,
                       resolution=6.0)
    page = _Page(result.output_paths["report"].read_text(encoding="utf-8"))
    header, *rows = [r for r in page.rows if len(r) > 5]
    assert [dict(zip(header, r))["map"] for r in rows] == ["m1.mrc", "m2.mrc"]
    assert [float(dict(zip(header, r))["s_full"]) for r in rows] == pytest.approx(
        [o.s_full for o in result.outcomes], rel=1e-5)
    lines = summary_lines(result.outcomes, "occupy-relion: Class3D/job001")
    assert lines[0] == "occupy-relion: Class3D/job001"
    assert sum(line.startswith("m1.mrc") or line.startswith("m2.mrc") for line in lines) == 2
    warning = result.outcomes[0].warnings[0]
    assert "both --lowpass" in warning and any("m1.mrc: both --lowpass" in line for line in lines)
