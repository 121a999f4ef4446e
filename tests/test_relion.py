"""occupy-relion run the way RELION 4/5 runs an External job: from the project directory."""
from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import occupy
from occupy import relion
from occupy.io import MapData

SCRIPT = Path(sys.executable).parent / "occupy-relion"


def parse_star(text: str) -> dict[str, list[dict[str, str]]]:
    """Minimal STAR reader: data blocks holding one loop each (enough for output-node files)."""
    blocks: dict[str, list[dict[str, str]]] = {}
    block = None
    labels: list[str] = []
    in_loop = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if raw.lstrip().startswith("_") else raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("data_"):
            block, labels, in_loop = line[5:], [], False
            blocks[block] = []
        elif line == "loop_":
            in_loop, labels = True, []
        elif line.startswith("_"):
            assert in_loop, f"label outside a loop: {line}"
            labels.append(line.split()[0][1:])
        else:
            assert block is not None and labels, f"row outside a loop: {line}"
            values = shlex.split(line)
            assert len(values) == len(labels), f"row {line!r} does not match labels {labels}"
            blocks[block].append(dict(zip(labels, values)))
    return blocks


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A RELION project directory with a map and a fresh External/job001/."""
    demo = occupy.make_demo_map(box=48, seed=3)
    occupy.write_map(tmp_path / "map.mrc", demo.data, like=MapData(data=demo.data, voxel_size=demo.voxel_size,
                                             voxel_size_xyz=(demo.voxel_size,) * 3))
    (tmp_path / "External" / "job001").mkdir(parents=True)
    return tmp_path


def relion_call(project: Path, *args: str) -> subprocess.CompletedProcess:
    assert SCRIPT.exists(), f"console script not installed next to {sys.executable}"
    return subprocess.run([str(SCRIPT), *args], cwd=project, capture_output=True, text=True, timeout=120)


def job_files(project: Path) -> set[str]:
    return {p.name for p in (project / "External" / "job001").iterdir()}


def test_external_job_success(project: Path) -> None:
    proc = relion_call(project, "--o", "External/job001/", "--in_3dref", "map.mrc", "--j", "1",
                       "--amplify", "true", "--gamma", "4")
    assert proc.returncode == 0, proc.stderr
    job = project / "External" / "job001"
    files = job_files(project)
    assert {"scale_occ_map.mrc", "ampl_4.0_map.mrc", "log_map.txt", "chimX_map.cxc",
            "RELION_OUTPUT_NODES.star", "RELION_JOB_EXIT_SUCCESS"} <= files
    assert not files & {"RELION_JOB_EXIT_FAILURE", "RELION_JOB_EXIT_ABORTED"}
    assert not [f for f in files if f.startswith(".")], "temporary files left behind"

    blocks = parse_star((job / "RELION_OUTPUT_NODES.star").read_text())
    assert list(blocks) == ["output_nodes"]
    rows = blocks["output_nodes"]
    assert {tuple(sorted(r)) for r in rows} == {("rlnPipeLineNodeName", "rlnPipeLineNodeTypeLabel")}
    names = {r["rlnPipeLineNodeName"] for r in rows}
    assert names == {"External/job001/scale_occ_map.mrc", "External/job001/ampl_4.0_map.mrc"}
    for r in rows:
        assert r["rlnPipeLineNodeTypeLabel"] == "DensityMap.mrc"
        assert (project / r["rlnPipeLineNodeName"]).is_file()

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
    proc = relion_call(project, "--o", "External/job001/", "--in_3dref", "map.mrc", "--in_mask", "mask.mrc",
                       "--exclude_solvent", "yes", "--attenuate", "True", "--gamma", "2", "--lowpass", "9",
                       "--no-chimerax", "true", "--j", "1")
    assert proc.returncode == 0, proc.stderr
    files = job_files(project)
    assert "attn_2.0_solExcl_map.mrc" in files
    assert "chimX_map.cxc" not in files
    log = (project / "External" / "job001" / "log_map.txt").read_text()
    lowpass_line = next(ln for ln in log.splitlines() if ln.strip().startswith("lowpass (A)"))
    assert lowpass_line.split()[-1] == "9"
    assert "threads" in log and "--in_mask mask.mrc" in log


def test_missing_input_fails(project: Path) -> None:
    proc = relion_call(project, "--o", "External/job001/", "--in_3dref", "nothere.mrc", "--j", "1")
    assert proc.returncode == 1
    files = job_files(project)
    assert "RELION_JOB_EXIT_FAILURE" in files
    assert not files & {"RELION_JOB_EXIT_SUCCESS", "RELION_OUTPUT_NODES.star"}
    assert not [f for f in files if f.endswith(".mrc")]
    err_lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert len(err_lines) == 1 and "nothere.mrc" in err_lines[0]
    assert "Traceback" not in proc.stderr


def test_unknown_parameter_fails_naming_it(project: Path) -> None:
    proc = relion_call(project, "--o", "External/job001/", "--in_3dref", "map.mrc", "--gamma", "4",
                       "--frobnicate", "7")
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
    with pytest.raises(SystemExit) as exit_info:
        relion.main(["--o", "External/job001/", "--in_3dref", "map.mrc", *args])
    assert exit_info.value.code == 1
    assert message in capsys.readouterr().err
    assert "RELION_JOB_EXIT_FAILURE" in job_files(project)


def test_abort_before_start(project: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    job = project / "External" / "job001"
    (job / "RELION_JOB_ABORT_NOW").touch()
    with pytest.raises(SystemExit) as exit_info:
        relion.main(["--o", "External/job001/", "--in_3dref", "map.mrc", "--j", "1"])
    assert exit_info.value.code == 2
    assert job_files(project) == {"RELION_JOB_EXIT_ABORTED"}
    assert "abort" in capsys.readouterr().out


def test_abort_during_run_leaves_no_maps(project: Path, monkeypatch) -> None:
    """RELION_JOB_ABORT_NOW appearing mid-run stops at the next stage with nothing written."""
    monkeypatch.chdir(project)
    job = project / "External" / "job001"
    real_say = relion._say

    def say(message: str) -> None:
        real_say(message)
        if "solvent model" in message:  # RELION's abort button, pressed mid-run
            (job / "RELION_JOB_ABORT_NOW").touch()

    monkeypatch.setattr(relion, "_say", say)
    with pytest.raises(SystemExit) as exit_info:
        relion.main(["--o", "External/job001/", "--in_3dref", "map.mrc", "--j", "1", "--amplify", "yes"])
    assert exit_info.value.code == 2
    assert job_files(project) == {"RELION_JOB_EXIT_ABORTED"}


def test_rerun_clears_old_markers(project: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    job = project / "External" / "job001"
    (job / "RELION_JOB_EXIT_FAILURE").touch()
    with pytest.raises(SystemExit) as exit_info:
        relion.main(["--o", "External/job001/", "--in_3dref", "map.mrc", "--j", "1"])
    assert exit_info.value.code == 0
    files = job_files(project)
    assert "RELION_JOB_EXIT_SUCCESS" in files and "RELION_JOB_EXIT_FAILURE" not in files
    rows = parse_star((job / "RELION_OUTPUT_NODES.star").read_text())["output_nodes"]
    assert [r["rlnPipeLineNodeName"] for r in rows] == ["External/job001/scale_res_map.mrc"]


def test_help_and_no_arguments(capsys):
    from occupy import relion

    with pytest.raises(SystemExit) as e:
        relion.main(["--help"])
    assert e.value.code == 0 and "--in_3dref" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        relion.main([])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("error: ") == 1
