"""occupy against real RELION (Debian's relion 3.1): a real 3-D classification, run as RELION runs an
External job, and every output read back with RELION's own programs.

The classification is made once per session (tests/relion_classification.py: ``relion_project`` and
``relion_refine``, K=2, 48³ at 4.2 Å, about 10 s). Without RELION the tests skip, saying so; under
CI=true a missing RELION is a failure (.ci/run installs it where it can).
"""
from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import relion_classification as rc
from helpers import cli_env, console_script, run_cli

import occupy
from occupy.stages.sample import inscribed_sphere
from occupy.stages.solvent import fit_solvent, flattened_fraction, flattening_warning

# RELION 3.1's node types (src/pipeline_jobs.h): NODE_3DREF, NODE_RESMAP; 99 is none of its types
MAP_TYPE, IMAGE3D_TYPE, TABLE_TYPE = "6", "12", "99"


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> tuple[Path, str]:
    """A RELION project holding a real K=2 classification (``Class3D/job001``) and an empty pipeline."""
    missing = rc.missing_programs()
    if missing:
        reason = (f"RELION is not installed ({', '.join(missing)} not on PATH; Debian/Ubuntu: "
                  "apt-get install relion)")
        if _ci():
            pytest.fail(f"{reason}: under CI=true the real-RELION tests must run")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("relion")
    model = rc.build_classification(root)
    rc.new_pipeline(root)
    return root, str(model.relative_to(root))


@pytest.fixture(scope="session")
def job(project) -> tuple[Path, str, str]:
    """``occupy-relion --amplify true`` on the classification, run by ``relion_pipeliner`` (no gamma: every
    class warns that gamma 2 is used, a warning in words, as most are)."""
    root, model = project
    env = cli_env({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    job_dir = rc.external_job(root, console_script("occupy-relion"), model, {"amplify": "true"},
                              env=env)
    return root, model, job_dir


def _labels(star: Path) -> list[str]:
    return [line.split()[0] for line in star.read_text().splitlines() if line.startswith("_")]


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def _stats_match(root: Path, name: str) -> None:
    """``relion_image_handler --stats`` of a map equals occupy's reading of it."""
    seen = rc.image_stats(name, root)
    m = occupy.read_map(root / name)
    data = m.data.astype(np.float64)
    assert seen["size"] == (*m.shape[::-1], 1)
    assert seen["angpix"] == pytest.approx(m.voxel_size, rel=1e-6)
    for key, value in (("avg", data.mean()), ("stddev", data.std()), ("minval", data.min()),
                       ("maxval", data.max())):
        assert seen[key] == pytest.approx(value, rel=2e-5, abs=1e-6), (name, key)


def test_relion31_runs_the_job_and_types_its_nodes(job) -> None:
    root, model, job_dir = job
    files = {p.name for p in (root / job_dir).iterdir()}
    assert "RELION_JOB_EXIT_SUCCESS" in files and "RELION_JOB_EXIT_FAILURE" not in files
    status = rc.printtable("default_pipeline.star", "data_pipeline_processes", "rlnPipeLineProcessName",
                           "rlnPipeLineProcessStatus", cwd=root)
    assert status == [[job_dir, "2"]]                                 # PROC_FINISHED_SUCCESS
    nodes = dict(map(tuple, rc.printtable("default_pipeline.star", "data_pipeline_nodes", "rlnPipeLineNodeName",
                                          "rlnPipeLineNodeType", cwd=root)))
    stems = [f"run_it008_class00{k}" for k in (1, 2)]
    expected = {model: MAP_TYPE, f"{job_dir}occupy_summary.star": TABLE_TYPE}
    expected |= {f"{job_dir}scale_occ_{s}.mrc": IMAGE3D_TYPE for s in stems}
    expected |= {f"{job_dir}ampl_2.0_{s}.mrc": MAP_TYPE for s in stems}
    assert nodes == expected
    for name, kind in nodes.items():           # where RELION 3.1's file browsers look for inputs of a type
        assert (root / ".Nodes" / kind / name).exists(), name
    for name in nodes:
        if name.endswith(".mrc"):
            _stats_match(root, name)


def test_summary_columns_as_relion_prints_them(job) -> None:
    root, model, job_dir = job
    star = f"{job_dir}occupy_summary.star"
    labels = _labels(root / star)
    assert labels[-1] == "_occupyStatus"                             # the only free text, last
    rows = rc.printtable(star, "data_occupy_summary", *labels, cwd=root)
    table = _csv(root / job_dir / "occupy_summary.csv")
    assert len(rows) == len(table) == 2
    model_rows = rc.printtable(model, "data_model_classes", "rlnReferenceImage", "rlnClassDistribution", cwd=root)
    for printed, row, (reference, distribution) in zip(rows, table, model_rows):
        assert len(printed) == len(labels), printed
        value = dict(zip(labels, printed))
        assert value["_rlnReferenceImage"] == row["map"] == reference
        assert float(value["_rlnClassDistribution"]) == pytest.approx(float(distribution), abs=1e-6)
        assert float(value["_occupyFullScale"]) == pytest.approx(float(row["s_full"]), rel=1e-5)
        assert value["_occupyScaleMap"] == row["scale_map"]
        assert value["_occupyStatus"] == row["status"] == "ok"
        # the CSV keeps every warning's text; the STAR file one code per warning
        texts = [w for w in row["warnings"].split("; ") if w]
        codes = value["_occupyWarnings"].split(",") if value["_occupyWarnings"] != "-" else []
        assert len(codes) == len(texts) and "default_gamma" in codes and "other" not in codes


def test_relion_maps_are_not_taken_for_masked_ones(job) -> None:
    """RELION zeroes the box outside its reconstruction sphere; the solvent model never looks there."""
    root, _, job_dir = job
    class_map = occupy.read_map(root / "Class3D/job001/run_it008_class001.mrc").data
    sphere = inscribed_sphere(class_map.shape)
    assert np.mean(class_map[~sphere] == 0) > 0.5 and np.mean(class_map[sphere] == 0) < 0.01
    run_out = (root / job_dir / "run.out").read_text()
    assert "solvent-flattened or masked" not in run_out
    for row in _csv(root / job_dir / "occupy_summary.csv"):
        assert "masked" not in row["warnings"]


def test_occupy_batch_on_the_classification(job) -> None:
    """occupy-batch on the job directory: the same maps as the External job, read back by RELION."""
    root, _, job_dir = job
    r = run_cli("occupy-batch", "Class3D/job001/", "-o", "Batch", "-j", "2", "--amplify", cwd=root)
    assert r.returncode == 0, r.stderr
    assert "solvent-flattened or masked" not in r.stdout + r.stderr
    star = "Batch/occupy_summary.star"
    labels = _labels(root / star)
    rows = rc.printtable(star, "data_occupy_summary", *labels, cwd=root)
    assert [len(row) for row in rows] == [len(labels)] * 2
    for printed in rows:
        value = dict(zip(labels, printed))
        codes = value["_occupyWarnings"].split(",")
        assert value["_occupyStatus"] == "ok" and "default_gamma" in codes and "masked_map" not in codes
        scale = value["_occupyScaleMap"]
        _stats_match(root, scale)
        np.testing.assert_array_equal(occupy.read_map(root / scale).data,
                                      occupy.read_map(root / job_dir / Path(scale).name).data)


def test_flat_voxel_test_looks_where_the_solvent_model_looks(test_data) -> None:
    """Zeros outside the inscribed sphere (RELION's corners) do not warn; a masked map (EMD-3488) still does."""
    demo = occupy.make_demo_map(box=40, seed=2)
    corners = np.where(inscribed_sphere(demo.data.shape), demo.data, np.float32(0))
    assert flattened_fraction(corners)[0] > 0.4 and flattened_fraction(corners, sphere=True)[0] < 0.01
    assert flattening_warning(corners, fit_solvent(corners)) is None
    masked = occupy.read_map(test_data / "emd_3488.mrc").data
    message = flattening_warning(masked, fit_solvent(masked))
    assert message.startswith("71% of the voxels are exactly 0 (45% of the inscribed sphere the solvent model "
                              "samples): the map looks solvent-flattened or masked")


def test_default_kernel_on_coarse_classes(project) -> None:
    """At 4.2 Å voxels the res-mode kernel is 3 voxels (n_v = 19), one resolution element: it separates the
    domains a class has from those it lacks, and it does not warn (a larger kernel does not separate better)."""
    root, _ = project
    r = run_cli("occupy-batch", "Class3D/job001/", "-o", "Res", "-j", "2", cwd=root)
    assert r.returncode == 0, r.stderr
    assert "small kernel" not in r.stdout + r.stderr
    labels = _labels(root / "Res/occupy_summary.star")
    states = [occupy.read_map(root / f"Truth/state{k}.mrc").data.ravel() for k in (1, 2)]
    domains = occupy.make_demo_map(box=48, voxel_size=4.2, seed=3, noise=0.0)     # the states' domains
    lacking = []
    for printed in rc.printtable("Res/occupy_summary.star", "data_occupy_summary", *labels, cwd=root):
        value = dict(zip(labels, printed))
        assert "small_kernel" not in value["_occupyWarnings"]
        scale, class_map = (occupy.read_map(root / value[k]) for k in ("_occupyScaleMap", "_rlnReferenceImage"))
        assert (scale.shape, scale.voxel_size) == ((48, 48, 48), pytest.approx(4.2))
        cc = [np.corrcoef(class_map.data.ravel(), state)[0, 1] for state in states]
        if cc[1] > cc[0]:                                   # the class of the state without domains 3, 4
            lacking.append(scale.data)
    assert len(lacking) == 1
    present = lacking[0][domains.core & (domains.labels > 0) & (domains.labels <= 2)]
    absent = lacking[0][domains.core & (domains.labels >= 3)]
    assert present.min() > absent.max()
