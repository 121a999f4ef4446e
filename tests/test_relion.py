"""occupy-relion run the way RELION 4/5 runs an External job: from the project directory."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import log_value, one_error, read_star, run_cli, write_demo_map

import occupy
from occupy import relion


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A RELION project directory with a map and a fresh External/job001/."""
    write_demo_map(tmp_path / "map.mrc", box=48, seed=3)
    (tmp_path / "External" / "job001").mkdir(parents=True)
    return tmp_path


def job_files(project: Path, job: str = "job001") -> set[str]:
    """Names of the files in the project's External job directory ``job``."""
    return {p.name for p in (project / "External" / job).iterdir()}


def relion_main(*args: str) -> int:
    """Exit status of occupy-relion run in this process (so tests can patch it) with ``args``."""
    with pytest.raises(SystemExit) as exit_info:
        relion.main(list(args))
    return exit_info.value.code


def test_masks_are_mask_nodes(project: Path) -> None:
    """The masks from the scale are RELION 3-D masks (RELION 3.1: NODE_MASK 7), on the map's box."""
    proc = run_cli("occupy-relion", "--o", "External/job003/", "--in_3dref", "map.mrc", "--j", "1",
                   "--save_solvent_def", "true", "--subtraction_mask", "true", cwd=project)
    assert proc.returncode == 0, proc.stderr
    rows = read_star(project / "External" / "job003" / "RELION_OUTPUT_NODES.star")["output_nodes"]
    nodes = {r["rlnPipeLineNodeName"]: (r["rlnPipeLineNodeTypeLabel"], r["rlnPipeLineNodeType"]) for r in rows}
    assert nodes["External/job003/solventDef_map.mrc"] == ("Mask3D.mrc.occupy.solventdef", "7")
    assert nodes["External/job003/subtractionMask_map.mrc"] == ("Mask3D.mrc.occupy.subtraction", "7")
    shape = occupy.read_map(project / "map.mrc").shape
    assert occupy.read_map(project / "External" / "job003" / "subtractionMask_map.mrc").shape == shape


def test_external_job_success(project: Path) -> None:
    proc = run_cli("occupy-relion", "--o", "External/job001/", "--in_3dref", "map.mrc", "--j", "1",
                   "--amplify", "true", "--gamma", "4", cwd=project)
    assert proc.returncode == 0, proc.stderr
    job = project / "External" / "job001"
    files = job_files(project)
    assert {"scale_occ_map.mrc", "ampl_4.0_map.mrc", "log_map.txt", "chimX_map.cxc", "occupy_summary.star",
            "occupy_summary.csv", "RELION_OUTPUT_NODES.star", "RELION_JOB_EXIT_SUCCESS"} == files
    assert not files & {"RELION_JOB_EXIT_FAILURE", "RELION_JOB_EXIT_ABORTED"}
    assert not [f for f in files if f.startswith(".")], "temporary files left behind"

    blocks = read_star(job / "RELION_OUTPUT_NODES.star")
    assert list(blocks) == ["output_nodes"]
    rows = blocks["output_nodes"]
    assert {tuple(sorted(r)) for r in rows} == {("rlnPipeLineNodeName", "rlnPipeLineNodeType",
                                                 "rlnPipeLineNodeTypeLabel")}
    # RELION 3.1 reads the integer (3.1.3 src/pipeline_jobs.h: NODE_3DREF 6, NODE_RESMAP 12; 99 none of its types)
    assert {r["rlnPipeLineNodeName"]: r["rlnPipeLineNodeType"] for r in rows} == {
        "External/job001/scale_occ_map.mrc": "12", "External/job001/ampl_4.0_map.mrc": "6",
        "External/job001/occupy_summary.star": "99"}
    labels = {r["rlnPipeLineNodeName"]: r["rlnPipeLineNodeTypeLabel"] for r in rows}
    # RELION 4/5 node types (src/pipeline_jobs.h): the scale is an Image3D like RELION's local-resolution
    # map, so RELION does not offer it as a 3-D reference; the modified map is a DensityMap
    assert labels == {"External/job001/scale_occ_map.mrc": "Image3D.mrc.occupy.localscale",
                      "External/job001/ampl_4.0_map.mrc": "DensityMap.mrc",
                      "External/job001/occupy_summary.star": "ProcessData.star.occupy.summary"}
    assert all((project / name).is_file() for name in labels)
    summary = read_star(job / "occupy_summary.star")["occupy_summary"]
    assert len(summary) == 1 and summary[0]["rlnReferenceImage"] == "map.mrc"
    assert summary[0]["occupyStatus"] == "ok" and "rlnClassNumber" not in summary[0]

    # RELION shows run.out: plain progress lines, no terminal control codes
    assert "\x1b" not in proc.stdout
    assert "scale" in proc.stdout and "s_full" in proc.stdout
    # same bits as the API with the same options
    api = occupy.run(project / "map.mrc", output_dir=str(project / "api"), amplify=True, gamma=4, threads=1)
    for role in ("scale", "amplify"):
        a = occupy.read_map(api.output_paths[role]).data
        b = occupy.read_map(job / api.output_paths[role].name).data
        np.testing.assert_array_equal(a, b)


def test_mask_and_option_spellings(project: Path) -> None:
    demo = occupy.read_map(project / "map.mrc")
    mask = (np.abs(demo.data) > np.percentile(np.abs(demo.data), 70)).astype(np.float32)
    occupy.write_map(project / "mask.mrc", mask, like=demo)
    proc = run_cli("occupy-relion", "--o", "External/job001/", "--in_3dref", "map.mrc", "--in_mask", "mask.mrc",
                   "--exclude_solvent", "yes", "--attenuate", "True", "--gamma", "2", "--lowpass", "9",
                   "--no-chimerax", "true", "--j", "1", cwd=project)
    assert proc.returncode == 0, proc.stderr
    files = job_files(project)
    assert "attn_2.0_solExcl_map.mrc" in files
    assert "chimX_map.cxc" not in files
    log = project / "External" / "job001" / "log_map.txt"
    assert log_value(log, "lowpass (A)") == "9"
    assert "threads" in log.read_text() and "--in_mask mask.mrc" in log.read_text()


def test_missing_input_fails(project: Path) -> None:
    proc = run_cli("occupy-relion", "--o", "External/job001/", "--in_3dref", "nothere.mrc", "--j", "1", cwd=project)
    assert proc.returncode == 1
    files = job_files(project)
    assert "RELION_JOB_EXIT_FAILURE" in files
    assert not files & {"RELION_JOB_EXIT_SUCCESS", "RELION_OUTPUT_NODES.star"}
    assert not [f for f in files if f.endswith(".mrc")]
    one_error(proc.stderr, "nothere.mrc")


def test_unknown_parameter_fails_naming_it(project: Path) -> None:
    proc = run_cli("occupy-relion", "--o", "External/job001/", "--in_3dref", "map.mrc", "--gamma", "4",
                   "--frobnicate", "7", cwd=project)
    assert proc.returncode == 1
    assert "--frobnicate" in proc.stderr and "unknown parameter" in proc.stderr
    assert "RELION_JOB_EXIT_FAILURE" in job_files(project)
    assert not [f for f in job_files(project) if f.endswith(".mrc")]


@pytest.mark.parametrize("args, message", [
    (["--gamma", "four"], "expected a number"),
    (["--amplify", "maybe"], "true/false"),
    (["--in_parts", "particles.star"], "particles"),
    (["--in_mask", "nomask.mrc"], "nomask.mrc"),
    (["--lp-scale", "true", "--raw-scale", "true"], "contradict"),
])
def test_bad_values_fail(project: Path, args: list[str], message: str, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    assert relion_main("--o", "External/job001/", "--in_3dref", "map.mrc", *args) == 1
    assert message in capsys.readouterr().err
    assert "RELION_JOB_EXIT_FAILURE" in job_files(project)


def test_abort_before_start(project: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    job = project / "External" / "job001"
    (job / "RELION_JOB_ABORT_NOW").touch()
    assert relion_main("--o", "External/job001/", "--in_3dref", "map.mrc", "--j", "1") == 2
    assert job_files(project) == {"RELION_JOB_EXIT_ABORTED"}
    assert "abort" in capsys.readouterr().out


def test_abort_during_run_leaves_no_maps(project: Path, monkeypatch) -> None:
    """RELION_JOB_ABORT_NOW appearing mid-run stops at the next stage with nothing written."""
    monkeypatch.chdir(project)
    job = project / "External" / "job001"
    real_say = relion.job._say

    def say(message: str) -> None:
        real_say(message)
        if "solvent model" in message:  # RELION's abort button, pressed mid-run
            (job / "RELION_JOB_ABORT_NOW").touch()

    monkeypatch.setattr(relion.job, "_say", say)
    assert relion_main("--o", "External/job001/", "--in_3dref", "map.mrc", "--j", "1", "--amplify", "yes") == 2
    assert job_files(project) == {"RELION_JOB_EXIT_ABORTED"}


def test_rerun_clears_old_markers(project: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    job = project / "External" / "job001"
    (job / "RELION_JOB_EXIT_FAILURE").touch()
    assert relion_main("--o", "External/job001/", "--in_3dref", "map.mrc", "--j", "1") == 0
    files = job_files(project)
    assert "RELION_JOB_EXIT_SUCCESS" in files and "RELION_JOB_EXIT_FAILURE" not in files
    rows = read_star(job / "RELION_OUTPUT_NODES.star")["output_nodes"]
    assert [r["rlnPipeLineNodeName"] for r in rows] == ["External/job001/scale_res_map.mrc",
                                                        "External/job001/occupy_summary.star"]


def test_help_and_no_arguments(capsys):
    assert relion_main("--help") == 0 and "--in_3dref" in capsys.readouterr().out
    assert relion_main() == 2
    one_error(capsys.readouterr().err, "no arguments")


# ---------------------------------------------------------------- a classification as one External job

@pytest.fixture()
def class3d(tmp_path: Path) -> Path:
    """A RELION project with Class3D/job001 (4 classes of 40^3, class 3 empty) and External/job020/."""
    from occupy.demo import write_demo_classification
    write_demo_classification(tmp_path, n_classes=4, box=40, empty=(3,), seed=2)
    (tmp_path / "External" / "job020").mkdir(parents=True)
    return tmp_path


CLASS_JOB = ["--o", "External/job020/", "--in_3dref", "Class3D/job001/", "--j", "2"]


def test_classification_job(class3d: Path) -> None:
    proc = run_cli("occupy-relion", *CLASS_JOB, "--amplify", "true", "--gamma", "4", "--plot", "true", cwd=class3d)
    assert proc.returncode == 0, proc.stderr
    job = class3d / "External" / "job020"
    stems = [f"run_it025_class{k:03d}" for k in (1, 2, 4)]
    per_class = {f"{pre}{s}{ext}" for s in stems for pre, ext in (
        ("scale_occ_", ".mrc"), ("ampl_4.0_", ".mrc"), ("log_", ".txt"), ("solModel_", ".png"),
        ("modification_", ".png"), ("scale_slices_", ".png"))}
    assert {p.name for p in job.iterdir()} == per_class | {
        "occupy_summary.star", "occupy_summary.csv", "chimX_classes.cxc", "logfile.pdf",
        "RELION_OUTPUT_NODES.star", "RELION_JOB_EXIT_SUCCESS"}
    nodes = {r["rlnPipeLineNodeName"]: r["rlnPipeLineNodeTypeLabel"]
             for r in read_star(job / "RELION_OUTPUT_NODES.star")["output_nodes"]}
    expected = {f"External/job020/scale_occ_{s}.mrc": "Image3D.mrc.occupy.localscale" for s in stems}
    expected |= {f"External/job020/ampl_4.0_{s}.mrc": "DensityMap.mrc" for s in stems}
    expected |= {"External/job020/occupy_summary.star": "ProcessData.star.occupy.summary",
                 "External/job020/logfile.pdf": "LogFile.pdf.occupy"}
    assert nodes == expected
    assert (job / "logfile.pdf").read_bytes().count(b"/Type /Page\n") + \
        (job / "logfile.pdf").read_bytes().count(b"/Type /Page ") == 10     # the summary, then 3 plots x 3 classes
    summary = read_star(job / "occupy_summary.star")["occupy_summary"]
    assert [r["rlnClassNumber"] for r in summary] == ["1", "2", "3", "4"]
    assert summary[2]["occupyStatus"] == "skipped: empty class (distribution 0)"
    out = proc.stdout
    assert " occupy: 4 classes in Class3D/job001/run_it025_model.star" in out
    assert " class 3: skipped: empty class (distribution 0)" in out and "\x1b" not in out


def test_classification_job_with_a_bad_class_fails_naming_it(class3d: Path) -> None:
    bad = class3d / "Class3D/job001/run_it025_class002.mrc"
    bad.write_bytes(bad.read_bytes()[:3000])
    proc = run_cli("occupy-relion", *CLASS_JOB, "--amplify", "true", cwd=class3d)
    assert proc.returncode == 1
    assert job_files(class3d, "job020") == {"RELION_JOB_EXIT_FAILURE"}
    error = one_error(proc.stderr, "truncated map")
    assert error.startswith("error: class 2 (Class3D/job001/run_it025_class002.mrc): ")


def test_classification_job_refuses_2d_classes(class3d: Path) -> None:
    model = class3d / "Class2D" / "job004" / "run_it025_model.star"
    model.parent.mkdir(parents=True)
    model.write_text("data_model_general\n_rlnReferenceDimensionality 2\n\ndata_model_classes\nloop_\n"
                     "_rlnReferenceImage #1\n_rlnClassDistribution #2\n"
                     "000001@Class2D/job004/run_it025_classes.mrcs 0.5\n")
    proc = run_cli("occupy-relion", "--o", "External/job020/", "--in_3dref", str(model.relative_to(class3d)),
                   cwd=class3d)
    assert proc.returncode == 1
    assert "is a 2-D classification (class averages such as 000001@Class2D/job004/run_it025_classes.mrcs); " \
           "occupy needs 3-D maps" in proc.stderr
    assert job_files(class3d, "job020") == {"RELION_JOB_EXIT_FAILURE"}


def test_classification_job_abort_between_classes(class3d: Path, monkeypatch) -> None:
    monkeypatch.chdir(class3d)
    job = class3d / "External" / "job020"
    real = relion.job._report_class

    def report(outcome) -> None:          # RELION's abort button, pressed when the first class is done
        real(outcome)
        (job / "RELION_JOB_ABORT_NOW").touch()

    monkeypatch.setattr(relion.job, "_report_class", report)
    assert relion_main(*CLASS_JOB[:-2], "--j", "1") == 2
    assert job_files(class3d, "job020") == {"RELION_JOB_EXIT_ABORTED"}
