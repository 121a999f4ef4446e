"""The CCP-EM pipeliner (Doppio) jobs, end to end with the real ccpem-pipeliner from PyPI.

A new project in a temporary directory; each job made from the pipeliner's own default
job.star (``pipeliner --default_jobstar``) with its input set, run headless with
``pipeliner --run_job``; then the pipeline file, the job directories and the results
display files (``pipeliner.regenerate_results``) are read back. The job options, their
translation into ``occupy-relion`` arguments and their checks need no pipeliner.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import gemmi
import numpy as np
import pytest
from helpers import cli_env, console_script, one_error, write_demo_map

from occupy.ccpem.joboptions import check_job_values, job_option_specs, relion_arguments
from occupy.constants import GAMMA_MAX, MAX_KERNEL_SIZE
from occupy.demo import write_demo_classification
from occupy.options import option_table
from occupy.relion.args import PROGRAM, parse_relion_args
from occupy.relion.nodes import NODE_LABELS

MAP_JOB, CLASS_JOB = "occupy.map_analysis", "occupy.map_analysis.class3d"
BOX, CLASS_BOX = 40, 32
ENDED = ("PIPELINER_JOB_EXIT_SUCCESS", "PIPELINER_JOB_EXIT_FAILED", "PIPELINER_JOB_EXIT_ABORTED")
NO_PIPELINER = "ccpem-pipeliner is not installed (pip install '.[test]' or '.[ccpem]')"


# ---------------------------------------------------------------- options, without the pipeliner

def test_job_options_are_the_relion_options_as_declared() -> None:
    specs = {s.name: s for s in job_option_specs()}
    offered = {o.name for o in option_table() if PROGRAM in o.front_ends}
    assert set(specs) == offered - {"threads"}           # threads: the pipeliner's "Number of threads"
    for spec in specs.values():
        opt = spec.option
        assert spec.default == opt.default and opt.help in spec.help and opt.details in spec.help
    gamma, kernel, max_box = specs["gamma"], specs["kernel_size"], specs["max_box"]
    assert (gamma.widget, gamma.hard_min, gamma.hard_max, gamma.group) == ("float", 1.0, GAMMA_MAX, "Modification")
    assert (kernel.widget, kernel.hard_min, kernel.hard_max) == ("int", 3, MAX_KERNEL_SIZE)
    assert max_box.hard_min is None and max_box.default == 0         # 0 means off: no bound refuses it
    assert specs["scale_mode"].choices == ("auto", "occ", "res") and specs["scale_mode"].widget == "choice"
    assert specs["solvent_def"].widget == "file" and specs["lowpass"].label == "Lowpass (Å)"
    assert specs["exclude_solvent"].widget == "bool" and "--exclude-solvent" in specs["exclude_solvent"].help


def test_job_values_become_the_same_occupy_relion_options() -> None:
    values = {"amplify": True, "gamma": 4.0, "exclude_solvent": True, "scale_mode": "res", "chimerax": False,
              "kernel_size": 7, "occ_filter": "lowpass", "solvent_def": "mask.mrc", "tau": None, "lowpass": "",
              "seed": 0, "plot": False}
    args = relion_arguments(values)
    _, _, parsed = parse_relion_args(["--o", "job/", "--in_3dref", "m.mrc", *args])
    assert parsed == {"amplify": True, "gamma": 4.0, "exclude_solvent": True, "scale_mode": "res",
                      "chimerax": False, "kernel_size": 7, "occ_filter": "lowpass", "solvent_def": "mask.mrc"}
    assert relion_arguments({name: s.default for name, s in {s.name: s for s in job_option_specs()}.items()}) == []


def test_job_values_are_checked_as_every_front_end_checks_them() -> None:
    assert check_job_values({"lowpass": 0.0, "kernel_size": 6, "max_box": 0}) == [
        ("lowpass", "--lowpass must be positive, got 0.0"), ("kernel_size", "--kernel-size must be odd, got 6")]
    assert check_job_values({"sigmoid": 2.0})[0][1].startswith("--sigmoid G needs --pivot P")
    assert check_job_values({"sigmoid": 2.0, "pivot": 0.5, "solvent_def": "not/there.mrc"}) == []


def test_import_occupy_imports_no_pipeliner() -> None:
    code = ("import sys, occupy, occupy.ccpem, occupy.ccpem.joboptions, occupy.ccpem.results; "
            "occupy.run; print(sorted(m for m in sys.modules if m.split('.')[0] == 'pipeliner'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


# ---------------------------------------------------------------- a pipeliner project

def _pipeliner(project: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the ``pipeliner`` command in the project, with its settings kept in the project."""
    env = cli_env({"XDG_CONFIG_HOME": str(project / ".config")})
    return subprocess.run([console_script("pipeliner"), *args], cwd=project, capture_output=True, text=True,
                          env=env, timeout=120)


def _job_star(project: Path, job_type: str, name: str, **values: str) -> str:
    """The pipeliner's default job.star of ``job_type`` with ``values`` set, written as ``name``."""
    default = project / f"{job_type.replace('.', '_')}_job.star"
    if not default.is_file():
        done = _pipeliner(project, "--default_jobstar", job_type)
        assert done.returncode == 0, done.stderr
    doc = gemmi.cif.read_file(str(default))
    table = doc.find_block("joboptions_values").find(["_rlnJobOptionVariable", "_rlnJobOptionValue"])
    for row in table:
        if row.str(0) in values:
            row[1] = gemmi.cif.quote(values.pop(row.str(0)))
    assert not values, f"no such job options: {values}"
    doc.write_file(str(project / name))
    return name


def _run(project: Path, job_star: str) -> Path:
    """``pipeliner --run_job``: the job directory it made."""
    done = _pipeliner(project, "--run_job", job_star)
    assert done.returncode == 0, done.stdout + done.stderr
    return project / next(w for w in done.stdout.split() if w.startswith("Occupy/job"))


def _wait(job_dir: Path, timeout: float = 60) -> str:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        ended = [m for m in ENDED if (job_dir / m).is_file()]
        if ended:
            return ended[0]
        time.sleep(0.2)
    raise AssertionError(f"{job_dir} did not finish in {timeout} s: {(job_dir / 'run.out').read_text()}")


def _pipeline(project: Path) -> dict[str, list[list[str]]]:
    """default_pipeline.star: block name -> rows (as text)."""
    tables = {}
    for block in gemmi.cif.read_file(str(project / "default_pipeline.star")):
        loops = [item.loop for item in block if item.loop is not None]
        if loops:
            tables[block.name] = [[gemmi.cif.as_string(v) for v in row] for row in block.find(list(loops[0].tags))]
    return tables


def _displays(job_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(job_dir.glob(".results_display*.json"))]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> dict:
    """A pipeliner project in which a map job, a classification job and a job on a text file have run."""
    if importlib.util.find_spec("pipeliner") is None:
        pytest.skip(NO_PIPELINER)         # a failure under CI=true (conftest): CI installs '.[test]'
    if sys.platform == "win32":
        pytest.skip("the CCP-EM pipeliner runs on Linux and macOS only")
    root = tmp_path_factory.mktemp("pipeliner")
    assert _pipeliner(root, "--new_project").returncode == 0
    write_demo_map(root / "map.mrc", box=BOX, seed=2)
    write_demo_classification(root, n_classes=3, box=CLASS_BOX, empty=(3,), seed=5)
    optimiser = "Class3D/job001/run_it025_optimiser.star"
    (root / optimiser).write_text("data_optimiser_general\n_rlnModelStarFile Class3D/job001/run_it025_model.star\n")
    (root / "notes.txt").write_text("not a map\n")
    stars = {"map": _job_star(root, MAP_JOB, "map_job.star", input_map="map.mrc", amplify="Yes", gamma="4",
                              plot="Yes"),
             "classes": _job_star(root, CLASS_JOB, "class_job.star", input_classification=optimiser,
                                  nr_threads="2"),
             "bad": _job_star(root, MAP_JOB, "bad_job.star", input_map="notes.txt")}
    jobs = {key: _run(root, star) for key, star in stars.items()}
    ended = {key: _wait(job) for key, job in jobs.items()}
    # what Doppio does next: mark the finished jobs in the pipeline, make their results display files
    names = [f"{job.relative_to(root).as_posix()}/" for job in jobs.values()]
    then = ("import sys\nfrom pipeliner.project_graph import ProjectGraph\n"
            "from pipeliner.scripts.regenerate_results import main\n"
            "with ProjectGraph(read_only=False) as pipeline:\n    pipeline.check_process_completion()\n"
            "main(['--jobs', *sys.argv[1:]])\n")
    done = subprocess.run([sys.executable, "-c", then, *names], cwd=root, capture_output=True, text=True,
                          env=cli_env({"XDG_CONFIG_HOME": str(root / ".config")}), timeout=120)
    assert done.returncode == 0, done.stderr
    return {"root": root, "jobs": jobs, "ended": ended, "optimiser": optimiser}


def _job(project: dict, key: str) -> tuple[Path, str]:
    job = project["jobs"][key]
    return job, f"{job.relative_to(project['root']).as_posix()}/"


def test_both_job_types_are_registered_and_available(project: dict) -> None:
    done = _pipeliner(project["root"], "--available_jobs", "occupy")
    available = done.stdout.split("Unavailable jobs")[0]
    assert MAP_JOB in available.split() and CLASS_JOB in available.split(), done.stdout


def test_map_job_finishes_with_our_nodes_and_types(project: dict) -> None:
    job, name = _job(project, "map")
    assert project["ended"]["map"] == "PIPELINER_JOB_EXIT_SUCCESS", (job / "run.err").read_text()
    pipeline = _pipeline(project["root"])
    assert [name, "None", MAP_JOB, "Succeeded"] in pipeline["pipeline_processes"]
    nodes = dict(map(tuple, pipeline["pipeline_nodes"]))
    ours = {f"{name}scale_occ_map.mrc": NODE_LABELS["scale"], f"{name}ampl_4.0_map.mrc": NODE_LABELS["amplify"],
            f"{name}occupy_summary.star": NODE_LABELS["summary_star"], f"{name}logfile.pdf": NODE_LABELS["plots_pdf"]}
    assert {n: nodes.get(n) for n in ours} == ours
    outputs = {row[1] for row in pipeline["pipeline_output_edges"] if row[0] == name}
    assert outputs == set(ours) and all((project["root"] / n).is_file() for n in outputs)
    assert ["map.mrc", name] in pipeline["pipeline_input_edges"] and nodes["map.mrc"] == "DensityMap.mrc"
    command = (job / "note.txt").read_text()
    assert "occupy-relion --o Occupy/" in command and "--amplify true --gamma 4.0 --plot true --j 1" in command


def test_classification_job_runs_every_class(project: dict) -> None:
    job, name = _job(project, "classes")
    assert project["ended"]["classes"] == "PIPELINER_JOB_EXIT_SUCCESS", (job / "run.err").read_text()
    pipeline = _pipeline(project["root"])
    assert [name, "None", CLASS_JOB, "Succeeded"] in pipeline["pipeline_processes"]
    nodes = dict(map(tuple, pipeline["pipeline_nodes"]))
    scales = sorted(n for n, label in nodes.items() if n.startswith(name) and label == NODE_LABELS["scale"])
    assert scales == [f"{name}scale_res_run_it025_class00{k}.mrc" for k in (1, 2)]      # class 3 is empty
    assert nodes[project["optimiser"]] == "OptimiserData.star.relion"
    assert [project["optimiser"], name] in pipeline["pipeline_input_edges"]
    assert "--j 2" in (job / "note.txt").read_text()


def test_results_display_shows_table_slices_and_histograms(project: dict) -> None:
    shown = {}
    for key in ("map", "classes"):
        job, _ = _job(project, key)
        displays = _displays(job)
        shown[key] = {d["dobj_type"] for d in displays}
        table = next(d for d in displays if d["dobj_type"] == "table")
        rows = [dict(zip(table["headers"], row)) for row in table["table_data"]]
        assert [r["status"].split(":")[0] for r in rows] == (["ok"] if key == "map" else ["ok", "ok", "skipped"])
        assert all(float(r["s_full"]) > 0 for r in rows if r["status"] == "ok")
        montage = next(d for d in displays if d["dobj_type"] == "montage")
        assert len(montage["labels"]) == 6 * len([r for r in rows if r["status"] == "ok"])   # xy/xz/yz of map, scale
        assert all((project["root"] / d["image_path"]).is_file() for d in displays if d["dobj_type"] == "image")
        box = BOX if key == "map" else CLASS_BOX
        for hist in (d for d in displays if d["dobj_type"] == "histogram"):
            assert sum(hist["bins"]) == box ** 3 and len(hist["bin_edges"]) == len(hist["bins"]) + 1
        scale = next(d for d in displays if d["title"].startswith("Local scale"))
        assert scale["bin_edges"][0] == 0.0 and scale["bin_edges"][-1] == 1.0
    assert shown["map"] == shown["classes"] == {"table", "montage", "image", "histogram"}
    titles = [d["title"] for d in _displays(_job(project, "map")[0])]
    assert any(t.startswith("Solvent model: map.mrc") for t in titles)        # the run's own plot (plot Yes)


def test_bad_input_fails_the_job_with_our_one_line_message(project: dict) -> None:
    job, name = _job(project, "bad")
    assert project["ended"]["bad"] == "PIPELINER_JOB_EXIT_FAILED"
    assert [name, "None", MAP_JOB, "Failed"] in _pipeline(project["root"])["pipeline_processes"]
    line = one_error((job / "run.err").read_text(), "notes.txt: not a readable MRC/CCP4 map")
    assert (job / "run.err").read_text() == line + "\n"
    assert not list(job.glob("*.mrc")) and not (job / "RELION_OUTPUT_NODES.star").exists()
    assert [(d["dobj_type"], d["display_data"]) for d in _displays(job)] == [("text", line)]


def test_bad_option_value_is_refused_before_the_job_is_made(project: dict) -> None:
    root = project["root"]
    before = sorted(p.name for p in (root / "Occupy").iterdir())
    star = _job_star(root, MAP_JOB, "bad_option.star", input_map="map.mrc", kernel_size="6", gamma="0.5")
    done = _pipeliner(root, "--run_job", star)
    assert done.returncode != 0
    assert 'job option "Kernel size": --kernel-size must be odd, got 6' in done.stderr
    assert 'job option "Gamma": Value cannot be less than 1.0' in done.stderr
    assert done.stderr.count("--gamma must be") == 0          # one message per bad value
    assert sorted(p.name for p in (root / "Occupy").iterdir()) == before
