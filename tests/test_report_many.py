"""The report of many maps (``report_batch.html``, ``report_classes.html``): a map whose pictures cannot be made,
or a report that cannot be made at all, never costs the batch its summary table; links survive any file name;
each map's pictures use its own run's lowpass."""
from __future__ import annotations

import warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import mrcfile
import numpy as np
import pytest

import occupy
from occupy.batch import run_batch
from occupy.errors import OccupyError, OccupyWarning
from occupy.outputs import class_report

from helpers import run_cli, write_demo_map, write_mrc


class _Page(HTMLParser):
    """The link targets, image sources and text of a page."""

    def __init__(self, text: str):
        super().__init__()
        self.hrefs: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "img":
            self.images.append(a.get("alt", ""))

    def handle_data(self, data):
        self.text.append(data)


def test_batch_report_reads_maps_with_the_pixel_size(tmp_path) -> None:
    """A map with no voxel size in its header runs with --pixel-size, and so is it read for the report."""
    write_demo_map(tmp_path / "a.mrc", box=32, seed=1)
    write_mrc(tmp_path / "novox.mrc", occupy.make_demo_map(box=32, seed=2).data, voxel=0.0)
    r = run_cli("occupy-batch", "a.mrc", "novox.mrc", "-o", "ob", "--pixel-size", "1.5", "--report", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for name in ("occupy_summary.star", "occupy_summary.csv", "report_batch.html"):
        assert (tmp_path / "ob" / name).is_file(), name
    page = _Page((tmp_path / "ob" / "report_batch.html").read_text(encoding="utf-8"))
    assert page.images == ["map", "scale"] * 2                     # both maps have their pictures
    assert "no pictures" not in "".join(page.text)


def test_a_map_whose_pictures_fail_gets_the_reason_in_its_row(tmp_path) -> None:
    """The first map is spoilt after its run: its row says why, the other map keeps its pictures."""
    maps = [write_demo_map(tmp_path / f"m{i}.mrc", box=32, seed=i) for i in (1, 2)]

    def spoil(outcome) -> None:
        if outcome.input_path.name == "m1.mrc":
            maps[0].write_bytes(maps[0].read_bytes()[:2000])        # truncated: no longer a map

    result = run_batch([str(p) for p in maps], jobs=1, output_dir=str(tmp_path / "out"), report=True,
                       on_done=spoil)
    assert all(o.ok for o in result.outcomes)
    assert {"summary_star", "summary_csv", "report"} <= set(result.output_paths)
    assert result.output_paths["summary_csv"].is_file()
    page = _Page(result.output_paths["report"].read_text(encoding="utf-8"))
    assert page.images == ["map", "scale"]                          # m2's pictures only
    reason = [t for t in page.text if t.startswith("no pictures: ")]
    assert len(reason) == 1 and "m1.mrc" in reason[0], page.text


@pytest.mark.parametrize("error", [OccupyError("cannot draw"), OSError("disk gone"), ValueError("bad value")])
def test_the_summary_is_written_when_the_batch_report_fails(tmp_path, monkeypatch, error) -> None:
    def fail(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(class_report, "many_maps_report", fail)
    maps = [write_demo_map(tmp_path / f"m{i}.mrc", box=32, seed=i) for i in (1, 2)]
    with pytest.warns(OccupyWarning, match=f"report_batch.html was not written: {error}"):
        result = run_batch([str(p) for p in maps], jobs=1, output_dir=str(tmp_path / "out"), report=True)
    assert "report" not in result.output_paths
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name.startswith("occupy_summary")) == [
        "occupy_summary.csv", "occupy_summary.star"]
    assert not (tmp_path / "out" / "report_batch.html").exists()


def test_the_classification_is_kept_when_its_report_fails(tmp_path, monkeypatch) -> None:
    from occupy.demo import write_demo_classification

    def fail(*_args, **_kwargs):
        raise OccupyError("cannot draw")

    monkeypatch.setattr(class_report, "many_maps_report", fail)
    source = write_demo_classification(tmp_path / "proj", n_classes=2, box=32)
    with pytest.warns(OccupyWarning, match="report_classes.html was not written"):
        result = occupy.run_classes(source, output_dir=tmp_path / "out", report=True, threads=1)
    assert result.output_paths["summary_star"].is_file() and "report" not in result.output_paths
    assert all(o.output_paths["scale"].is_file() for o in result.outcomes)


def test_report_links_survive_any_file_name(tmp_path) -> None:
    """``#``, ``?``, ``%`` and a space in a map's name: every link of the batch report opens its file."""
    odd = write_demo_map(tmp_path / "a#1 50%?.mrc", box=32, seed=1)
    result = run_batch([str(odd)], output_dir=str(tmp_path / "out"), report=True)
    page = _Page(result.output_paths["report"].read_text(encoding="utf-8"))
    links = [h for h in page.hrefs if h.endswith(".html")]
    assert len(links) == 2                                          # the table's and the row's
    for href in links:
        assert not set("#? ") & set(href), href                     # nothing a browser would cut the link at
        assert (tmp_path / "out" / unquote(href)).is_file(), href


def test_pictures_use_each_runs_lowpass(tmp_path, monkeypatch) -> None:
    """Without --lowpass a run's lowpass is its resolution: the report's pictures use it, not 8 Å."""
    seen = []
    draw = class_report.run_pictures

    def record(*args, **kwargs):
        seen.append(kwargs["lowpass"])
        return draw(*args, **kwargs)

    monkeypatch.setattr(class_report, "run_pictures", record)
    maps = [write_demo_map(tmp_path / "m.mrc", box=32, seed=1)]
    result = run_batch([str(p) for p in maps], output_dir=str(tmp_path / "out"), report=True, resolution=12.0)
    assert [o.lowpass for o in result.outcomes] == [12.0]
    assert seen == [12.0]
    header = (tmp_path / "out" / "occupy_summary.csv").read_text().splitlines()[0]
    assert "lowpass" not in header                                  # not a column of the summary
