"""Classifications: reading RELION model files, every class in one run, the summary table."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import gemmi
import numpy as np
import pytest
from helpers import one_error, read_star, run_cli, write_demo_map

import occupy
from occupy.class_runs import plan_threads
from occupy.io.classification import find_model_star, read_classification
from occupy.demo import write_demo_classification
from occupy.errors import OccupyError
from occupy.outputs.summary_table import SUMMARY_FIELDS

BOX = 48


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A RELION project with Class3D/job001: 4 classes of 48^3, class 3 empty (distribution 0)."""
    root = tmp_path_factory.mktemp("project")
    write_demo_classification(root, n_classes=4, box=BOX, empty=(3,), seed=5)
    return root


# ---------------------------------------------------------------- reading classifications

def test_read_classification_from_model_job_dir_and_optimiser(project: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    model = project / "Class3D" / "job001" / "run_it025_model.star"
    c = read_classification(model)
    assert [k.number for k in c.classes] == [1, 2, 3, 4]
    assert [k.reference for k in c.classes] == [f"Class3D/job001/run_it025_class{i:03d}.mrc" for i in range(1, 5)]
    assert all(k.path.is_file() for k in c.classes) and c.project_dir.resolve() == project.resolve()
    assert c.classes[2].empty and c.classes[2].distribution == 0.0
    assert sum(k.distribution for k in c.classes) == pytest.approx(1.0, abs=1e-5)
    assert all(6 <= k.resolution <= 12 for k in c.classes if not k.empty)
    assert read_classification(project / "Class3D" / "job001").model_path == model
    (project / "Class3D" / "job001" / "run_it025_optimiser.star").write_text("data_optimiser_general\n_rlnX 1\n")
    assert read_classification(project / "Class3D" / "job001" / "run_it025_optimiser.star").model_path == model


def test_project_dir_is_the_job_grandparent_from_anywhere(project: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    c = read_classification(project / "Class3D" / "job001")
    assert c.project_dir.resolve() == project.resolve()
    assert c.classes[0].path.resolve() == (project / "Class3D/job001/run_it025_class001.mrc").resolve()


def test_job_dir_picks_the_last_iteration(tmp_path: Path) -> None:
    job = tmp_path / "Class3D" / "job002"
    job.mkdir(parents=True)
    for name in ("run_it009_model.star", "run_it010_model.star", "run_it011_half1_model.star", "notes.star"):
        (job / name).write_text("data_x\n")
    assert find_model_star(job).name == "run_it010_model.star"
    (job / "run_ct10_it012_model.star").write_text("data_x\n")
    assert find_model_star(job).name == "run_ct10_it012_model.star"
    (job / "run_model.star").write_text("data_x\n")      # a finished refinement / MultiBody job
    assert find_model_star(job).name == "run_model.star"
    with pytest.raises(OccupyError, match=r"has no \*_itNNN_model.star or run_model.star: give a Class3D"):
        find_model_star(tmp_path)


def _model(tmp_path: Path, text: str) -> Path:
    job = tmp_path / "Class2D" / "job003"
    job.mkdir(parents=True, exist_ok=True)
    (job / "run_it025_model.star").write_text(text)
    return job / "run_it025_model.star"


@pytest.mark.parametrize("text, message", [
    ("data_model_general\n_rlnReferenceDimensionality 2\ndata_model_classes\nloop_\n_rlnReferenceImage #1\n"
     "000001@Class2D/job003/run_it025_classes.mrcs\n", r"is a 2-D classification \(class averages such as "
     r"000001@Class2D/job003/run_it025_classes.mrcs\); occupy needs 3-D maps"),
    ("data_model_general\n_rlnReferenceDimensionality 3\n", r"has no data_model_classes table"),
    ("data_model_classes\nloop_\n_rlnClassDistribution\n0.5\n", r"lists no class maps|has no data_model_classes"),
    ("this is not STAR\n", r"is not a readable STAR file"),
    ("data_model_classes\nloop_\n_rlnReferenceImage\n_rlnClassDistribution\nClass2D/job003/a.mrc\n",
     r"is not a readable STAR file \(.*[Ww]rong number of values"),
])
def test_unusable_model_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(OccupyError, match=message):
        read_classification(_model(tmp_path, text))


def test_missing_class_map_names_the_class(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_demo_classification(tmp_path, n_classes=3, box=32, job="Class3D/job004")
    (tmp_path / "Class3D/job004/run_it025_class002.mrc").unlink()
    with pytest.raises(OccupyError, match=r"^class 2: map Class3D/job004/run_it025_class002.mrc \(named in "
                                          r".*\) not found in .*; run from the RELION project directory$"):
        read_classification(tmp_path / "Class3D/job004")


def test_multibody_bodies_table(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    job = tmp_path / "MultiBody" / "job009"
    job.mkdir(parents=True)
    for k in (1, 2):
        write_demo_map(job / f"run_body{k:03d}.mrc", box=32)
    (job / "run_model.star").write_text(
        "data_model_general\n_rlnReferenceDimensionality 3\n_rlnNrBodies 2\n\ndata_model_bodies\nloop_\n"
        "_rlnReferenceImage #1\n_rlnClassDistribution #2\n_rlnEstimatedResolution #3\n"
        "MultiBody/job009/run_body001.mrc 1.000000 4.2\nMultiBody/job009/run_body002.mrc 1.000000 5.1\n")
    c = read_classification(job)
    assert c.table == "model_bodies" and [k.resolution for k in c.classes] == [4.2, 5.1]


# ---------------------------------------------------------------- running every class

def test_plan_threads_splits_the_budget() -> None:
    assert plan_threads(10, 128 ** 3, 2) == (2, 1)       # small maps: side by side, one thread each
    assert plan_threads(1, 128 ** 3, 8) == (1, 8)
    assert plan_threads(4, 512 ** 3, 8) == (1, 8)        # big maps: memory bounds the concurrency
    assert plan_threads(4, 360 ** 3, 8) == (2, 4)
    assert plan_threads(10, 128 ** 3, 8, jobs=3) == (3, 2)
    assert plan_threads(2, 128 ** 3, 8, jobs=5) == (2, 4)


def test_run_classes_outputs_equal_single_runs(project: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    done = []
    report = occupy.run_classes("Class3D/job001", output_dir=tmp_path / "out", amplify=True, gamma=3,
                                threads=2, on_done=done.append)
    assert report.jobs == 2 and report.threads_per_job == 1 and report.backend == "threads"
    assert sorted(o.class_map.number for o in done) == [1, 2, 3, 4]
    assert [o.status for o in report.outcomes] == ["ok", "ok", "skipped: empty class (distribution 0)", "ok"]
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted([f"{kind}_run_it025_class{k:03d}{ext}" for k in (1, 2, 4)
                            for kind, ext in (("scale_occ", ".mrc"), ("ampl_3.0", ".mrc"), ("log", ".txt"))]
                           + ["chimX_classes.cxc", "occupy_summary.csv", "occupy_summary.star"])
    for o in report.outcomes:        # side by side, one thread each: the same bits as a lone run
        if o.ok and not o.skipped:
            alone = occupy.run(o.input_path, output_dir=tmp_path / "alone", amplify=True, gamma=3, threads=2,
                               chimerax=False)
            for role in ("scale", "amplify"):
                np.testing.assert_array_equal(occupy.read_map(o.output_paths[role]).data,
                                              occupy.read_map(alone.output_paths[role]).data)
            assert o.s_full == alone.s_full and o.partial_fraction == alone.partial_fraction


def test_summary_tables_agree(project: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    report = occupy.run_classes("Class3D/job001/run_it025_model.star", output_dir=tmp_path, threads=1)
    rows = read_star(report.output_paths["summary_star"])["occupy_summary"]
    assert list(rows[0]) == [label[1:] for label in SUMMARY_FIELDS.values()]
    table = list(csv.DictReader(io.StringIO(report.output_paths["summary_csv"].read_text())))
    assert list(table[0]) == list(SUMMARY_FIELDS)
    classes = read_classification("Class3D/job001").classes
    for star, row, o, c in zip(rows, table, report.outcomes, classes):
        assert int(star["rlnClassNumber"]) == int(row["class"]) == c.number
        assert star["rlnReferenceImage"] == row["map"] == c.reference
        assert float(star["rlnClassDistribution"]) == pytest.approx(c.distribution, rel=1e-5)
        assert float(row["estimated_resolution"]) == pytest.approx(c.resolution, rel=1e-5)
        if o.skipped:
            assert star["occupyStatus"] == row["status"] == "skipped: empty class (distribution 0)"
            assert star["occupyFullScale"] == "nan" and row["s_full"] == ""
            continue
        assert float(star["occupyFullScale"]) == pytest.approx(o.s_full, rel=1e-5)
        assert float(row["partial_fraction"]) == pytest.approx(o.partial_fraction, rel=1e-5)
        assert 0 < o.partial_fraction < 1 and float(row["solvent_width"]) > 0
        assert Path(star["occupyScaleMap"]).name == f"scale_res_run_it025_class{c.number:03d}.mrc"


def test_tiled_chimerax_script(project: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    report = occupy.run_classes("Class3D/job001", output_dir=tmp_path, attenuate=True, threads=1)
    lines = report.output_paths["chimerax"].read_text().splitlines()
    # three finished classes: maps #1-3, scales #4-6, attenuated maps #7-9
    opened = [ln for ln in lines if ln.startswith("open ")]
    assert [ln.rsplit(" ", 1)[1] for ln in opened] == [str(i) for i in (1, 4, 7, 2, 5, 8, 3, 6, 9)]
    assert opened[0].endswith('Class3D/job001/run_it025_class001.mrc" format mrc id 1')
    assert 'rename #3 "class 4 (' in "\n".join(lines)
    # placed by the script (no `tile`, which needs a GUI): 2 per row, 1.1 x the 48 x 1.5 Å = 72 Å box apart,
    # each class with its scale and attenuated map, before anything is coloured
    moves = ["move 79.20,0.00,0 models #2,5,8", "move 0.00,-79.20,0 models #3,6,9"]
    assert [ln for ln in lines if ln.startswith(("move ", "tile", "view position"))] == moves
    assert lines.index(moves[-1]) < lines.index("scale_color #1 #4")
    assert sum(ln.startswith("key ") for ln in lines) == 1
    assert "alias occupy_level volume #1-3,7-9 level $1" in lines
    assert {"scale_color #7 #4", "scale_color #9 #6"} <= set(lines) and lines[-2] == "hide #4-9 models"
    assert lines[-1] == "view pad 0.26"


def _corrupt(project: Path, tmp_path: Path) -> Path:
    """A copy of the project whose class 2 map is cut short."""
    root = tmp_path / "proj"
    write_demo_classification(root, n_classes=4, box=BOX, seed=5)
    bad = root / "Class3D/job001/run_it025_class002.mrc"
    bad.write_bytes(bad.read_bytes()[:5000])
    return root


def test_failing_class_stops_the_run_and_leaves_nothing(project: Path, tmp_path: Path, monkeypatch) -> None:
    root = _corrupt(project, tmp_path)
    monkeypatch.chdir(root)
    with pytest.raises(OccupyError, match=r"^class 2 \(Class3D/job001/run_it025_class002.mrc\): .*truncated map"):
        occupy.run_classes("Class3D/job001", output_dir="External/job005", threads=2)
    assert not (root / "External").exists()


def test_keep_going_runs_the_others(project: Path, tmp_path: Path, monkeypatch) -> None:
    root = _corrupt(project, tmp_path)
    monkeypatch.chdir(root)
    report = occupy.run_classes("Class3D/job001", output_dir="out", threads=2, keep_going=True)
    assert [o.ok for o in report.outcomes] == [True, False, True, True]
    assert "truncated map" in report.failed[0].error
    files = {p.name for p in (root / "out").iterdir()}
    assert not [f for f in files if "class002" in f] and "scale_res_run_it025_class004.mrc" in files
    rows = read_star(root / "out" / "occupy_summary.star")["occupy_summary"]
    assert rows[1]["occupyStatus"].startswith("failed: ") and rows[1]["occupyScaleMap"] == "None"


def test_classification_through_run_batch(project: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    report = occupy.run_batch(["Class3D/job001"], output_dir=str(tmp_path), threads=1)
    assert isinstance(report, occupy.ClassesReport) and len(report.outcomes) == 4
    with pytest.raises(OccupyError, match="alone, not with other inputs"):
        occupy.run_batch(["Class3D/job001", "x.mrc"], output_dir=str(tmp_path))
    with pytest.raises(OccupyError, match="runs in one process: drop --dask-scheduler"):
        occupy.run_batch(["Class3D/job001"], dask_scheduler="tcp://127.0.0.1:1")


def test_occupy_batch_cli_on_a_job_directory(project: Path, tmp_path: Path) -> None:
    r = run_cli("occupy-batch", "Class3D/job001/", "-o", str(tmp_path), "-j", "2", cwd=project)
    assert r.returncode == 0, r.stderr
    assert "4/4 maps ok" in r.stdout and "skipped" in r.stdout and f"wrote {tmp_path}/occupy_summary.star" in r.stdout
    assert len(read_star(tmp_path / "occupy_summary.star")["occupy_summary"]) == 4


# ---------------------------------------------------------------- one map: --json, plain batches

def test_json_on_stdout_and_in_a_file(project: Path, tmp_path: Path) -> None:
    m = project / "Class3D/job001/run_it025_class001.mrc"
    r = run_cli("occupy", "-i", str(m), "--json", "-", "-o", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    row = json.loads(r.stdout)                      # stdout carries the JSON alone
    assert list(row) == list(SUMMARY_FIELDS) and row["class"] is None and row["status"] == "ok"
    assert row["map"] == str(m) and 0 < row["partial_fraction"] < 1 and row["warnings"] == []
    assert "wrote" in r.stderr
    r = run_cli("occupy", "-i", str(m), "--json", str(tmp_path / "r.json"), "-o", str(tmp_path / "b"), "-q")
    assert r.returncode == 0 and r.stdout == ""
    saved = json.loads((tmp_path / "r.json").read_text())
    assert {k: v for k, v in saved.items() if k != "seconds"} == {
        **{k: v for k, v in row.items() if k != "seconds"}, "scale_map": str(tmp_path / "b" / "scale_res_run_it025_class001.mrc")}


def test_json_into_a_missing_directory_is_a_usage_error(project: Path, tmp_path: Path) -> None:
    m = project / "Class3D/job001/run_it025_class001.mrc"
    r = run_cli("occupy", "-i", str(m), "--json", "nodir/r.json", "-o", "out", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == f"error: --json nodir/r.json: directory {tmp_path}/nodir does not exist"
    assert list(tmp_path.iterdir()) == []


def test_plain_batch_writes_the_summary(project: Path, tmp_path: Path) -> None:
    maps = [project / f"Class3D/job001/run_it025_class00{k}.mrc" for k in (1, 2)]
    report = occupy.run_batch(maps, output_dir=str(tmp_path), threads=1)
    table = list(csv.DictReader(io.StringIO((tmp_path / "occupy_summary.csv").read_text())))
    assert [row["map"] for row in table] == [str(m) for m in maps]
    assert all(row["class"] == "" and row["status"] == "ok" for row in table)
    rows = read_star(tmp_path / "occupy_summary.star")["occupy_summary"]
    assert "rlnClassNumber" not in rows[0] and float(rows[0]["occupyFullScale"]) == pytest.approx(
        report.outcomes[0].s_full, rel=1e-5)


# ---------------------------------------------------------------- pieces

@pytest.mark.parametrize("shape", [(31, 40, 17), (64, 64, 64)])
def test_partial_fraction_counts_exactly(shape) -> None:
    from occupy.regions import partial_fraction
    rng = np.random.default_rng(1)
    lp, scale = (rng.random(shape, dtype=np.float32) for _ in range(2))
    solid = lp > 0.3
    expected = np.count_nonzero(solid & (scale < 0.5)) / np.count_nonzero(solid)
    for threads in (1, 2, 3):
        assert partial_fraction(lp, scale, 0.3, threads=threads) == expected
    assert partial_fraction(lp.astype(np.float64), scale, 0.3) == expected        # NumPy path
    assert np.isnan(partial_fraction(lp, scale, 2.0))                             # no voxel above the edge


@pytest.mark.parametrize("name", ["External/job005/a b.mrc", "it's.mrc", '"x".mrc', "_x", "#x", "data_x",
                                  "loop_", "", "x;y", "[a]", "tab\there"])
def test_star_values_read_back_with_gemmi(name: str) -> None:
    from occupy.io.star import StarTable, star_text
    text = star_text([StarTable("t", ["_rlnA", "_rlnB"], [[name, 1.5]])])
    row = gemmi.cif.read_string(text).find_block("t").find(["_rlnA", "_rlnB"])[0]
    assert gemmi.cif.as_string(row[0]) == " ".join(name.replace('"', "'").split())
    assert row[1] == "1.5"


def test_occupy_points_a_classification_to_batch_and_relion(project: Path, tmp_path: Path) -> None:
    for given in ("Class3D/job001", "Class3D/job001/run_it025_model.star"):
        r = run_cli("occupy", "-i", given, "-o", str(tmp_path / "out"), cwd=project)
        assert r.returncode == 1
        one_error(r.stderr, "runs with occupy-batch or occupy-relion")
        assert not (tmp_path / "out").exists()
