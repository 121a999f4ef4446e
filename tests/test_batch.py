"""Batch runs: local process pool, Dask, failures, name clashes; same bits as single runs."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import one_error, run_cli

import occupy
from occupy.batch import run_batch
from occupy.inputs import expand_inputs
from occupy.results import BatchReport
from occupy.errors import OccupyError
from occupy.io import MapData

OPTIONS = {"amplify": True, "gamma": 3.0}
STEMS = ("alpha", "beta", "gamma")


@pytest.fixture(scope="module")
def maps(tmp_path_factory) -> Path:
    """Three small maps with different content, one broken file, and single-run references."""
    d = tmp_path_factory.mktemp("batch_maps")
    for i, stem in enumerate(STEMS):
        demo = occupy.make_demo_map(box=40, seed=10 + i, occupancies=(1.0, 0.6, 0.3)[: 3 - i % 2])
        occupy.write_map(d / f"{stem}.mrc", demo.data,
                         like=MapData(data=demo.data, voxel_size=1.6, voxel_size_xyz=(1.6,) * 3))
    (d / "broken.mrc").write_bytes(b"this is not a map" * 100)
    for stem in STEMS:
        occupy.run(d / f"{stem}.mrc", output_dir=str(d / "single"), threads=1, **OPTIONS)
    return d


def _check_against_single(maps: Path, out: Path) -> None:
    for stem in STEMS:
        for name in (f"scale_occ_{stem}.mrc", f"ampl_3.0_{stem}.mrc"):
            ref = occupy.read_map(maps / "single" / name).data
            got = occupy.read_map(out / name).data
            np.testing.assert_array_equal(got, ref, err_msg=name)
    # different maps really gave different results (no mix-up between workers)
    scales = [occupy.read_map(out / f"scale_occ_{s}.mrc").data for s in STEMS]
    assert not np.array_equal(scales[0], scales[1]) and not np.array_equal(scales[1], scales[2])


def _check_report(report: BatchReport, maps: Path) -> None:
    assert [o.input_path.name for o in report.outcomes] == ["alpha.mrc", "beta.mrc", "gamma.mrc", "broken.mrc"]
    assert [o.ok for o in report.outcomes] == [True, True, True, False]
    assert len(report.failed) == 1 and "broken.mrc" in report.failed[0].error
    for o in report.succeeded:
        single = occupy.read_map(maps / "single" / f"scale_occ_{o.input_path.stem}.mrc")
        assert o.s_full is not None and o.solvent_edge is not None
        assert o.output_paths["scale"].name == f"scale_occ_{o.input_path.stem}.mrc"
        assert single.shape == (40, 40, 40)


def _inputs(maps: Path) -> list[Path]:
    return [maps / f"{s}.mrc" for s in STEMS] + [maps / "broken.mrc"]


def test_cli_local_pool(maps: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("occupy-batch", *map(str, _inputs(maps)), "--jobs", "2", "-j", "2", "-o", str(out), "--amplify",
                   "--gamma", "3")
    assert proc.returncode == 1, proc.stderr
    # summary table: every map, the failure with its reason
    for stem in STEMS:
        assert f"{stem}.mrc" in proc.stdout
    assert "FAILED" in proc.stdout and "broken.mrc" in proc.stdout
    assert "broken.mrc" in one_error(proc.stderr, "1 of 4 maps failed")
    _check_against_single(maps, out)
    assert not list(out.glob("*broken*"))


def test_cli_all_ok_and_quiet(maps: Path, tmp_path: Path) -> None:
    listing = tmp_path / "maps.txt"
    listing.write_text(f"# two maps\n{maps / 'alpha.mrc'}\n\n{maps / 'beta.mrc'}\n")
    proc = run_cli("occupy-batch", str(listing), "-o", str(tmp_path / "o"), "-q", "-j", "1")
    assert proc.returncode == 0, proc.stderr
    # --quiet: no table, no progress (an editable install may still print its rebuild line)
    assert "alpha" not in proc.stdout and "s_full" not in proc.stdout and "occupy-batch" not in proc.stdout
    assert proc.stderr.strip() == "" or "occupy-batch" not in proc.stderr
    assert (tmp_path / "o" / "scale_res_alpha.mrc").exists() and (tmp_path / "o" / "scale_res_beta.mrc").exists()


def test_usage_error_exit_2(maps: Path) -> None:
    proc = run_cli("occupy-batch", str(maps / "alpha.mrc"), "--jobs", "0")
    assert proc.returncode == 2 and "error:" in proc.stderr


def test_serial_api_and_on_done(maps: Path, tmp_path: Path) -> None:
    seen: list[str] = []
    report = run_batch(_inputs(maps), jobs=1, threads_per_job=1, output_dir=str(tmp_path),
                       on_done=lambda o: seen.append(o.input_path.name), **OPTIONS)
    _check_report(report, maps)
    assert sorted(seen) == sorted(o.input_path.name for o in report.outcomes)
    _check_against_single(maps, tmp_path)


def test_expand_inputs(maps: Path, tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"{maps / 'gamma.mrc'}  # comment\n{maps / 'alpha.mrc'}\n")
    got = expand_inputs([str(maps / "*a.mrc"), str(listing)])
    assert [p.name for p in got] == ["alpha.mrc", "beta.mrc", "gamma.mrc"]  # listed twice, kept once
    with pytest.raises(OccupyError, match="no files match"):
        expand_inputs([str(maps / "zzz*.mrc")])


def test_same_stem_refused(maps: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "alpha.map").write_bytes((maps / "alpha.mrc").read_bytes())
    with pytest.raises(OccupyError, match="same name.*alpha"):
        run_batch([maps / "alpha.mrc", other / "alpha.map"], output_dir=str(tmp_path / "o"))
    assert not (tmp_path / "o").exists()


def test_bad_options_fail_before_running(maps: Path, tmp_path: Path) -> None:
    with pytest.raises(OccupyError, match="gamma"):
        run_batch([maps / "alpha.mrc"], gamma=0.5, amplify=True, output_dir=str(tmp_path))
    with pytest.raises(TypeError, match="frobnicate"):
        run_batch([maps / "alpha.mrc"], frobnicate=1, output_dir=str(tmp_path))


def test_dask_cluster(maps: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        report = run_batch(_inputs(maps), dask_scheduler=cluster.scheduler_address, threads_per_job=1,
                           output_dir=str(tmp_path), **OPTIONS)
    assert report.backend == "dask"
    _check_report(report, maps)
    _check_against_single(maps, tmp_path)
