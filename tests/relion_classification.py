"""A real RELION 3-D classification made with RELION's own programs, and RELION's readers of our outputs.

:func:`build_classification` projects two states of a demo map (all four domains; domains 3 and 4
removed) with ``relion_project``, adds white noise, and classifies the particles with
``relion_refine`` (K=2, no CTF), as ``Class3D/job001/`` of a RELION project. :func:`external_job`
runs a program as RELION 3.1's pipeliner runs an External job. :func:`image_stats` and
:func:`printtable` read files back with ``relion_image_handler --stats`` and
``relion_star_printtable``.

Imported as ``from relion_classification import ...`` by tests/test_relion_real.py.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

import occupy
from occupy.demo import make_demo_map

__all__ = ["CLASS_JOB", "PROGRAMS", "STATES", "build_classification", "external_job", "image_stats",
           "missing_programs", "new_pipeline", "printtable", "relion"]

PROGRAMS = ("relion_project", "relion_star_handler", "relion_refine", "relion_pipeliner", "relion_image_handler",
            "relion_star_printtable")
CLASS_JOB = "Class3D/job001"
STATES = ((1.0, 1.0, 1.0, 1.0), (1.0, 1.0, 0.0, 0.0))    # domain occupancies of the two states


def missing_programs() -> list[str]:
    """The RELION programs of ``PROGRAMS`` not on ``PATH``."""
    return [p for p in PROGRAMS if shutil.which(p) is None]


def relion(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
           ) -> subprocess.CompletedProcess:
    """Run a RELION program in ``cwd``; a failure raises, showing its output."""
    r = subprocess.run(list(args), check=False, cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(args)} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def _angles_star(path: Path, count: int, box: int, voxel_size: float, rng: np.random.Generator) -> None:
    """Uniformly distributed orientations (and an optics table without CTF) for relion_project --ang."""
    rot, psi = rng.uniform(0, 360, count), rng.uniform(0, 360, count)
    tilt = np.degrees(np.arccos(rng.uniform(-1, 1, count)))
    lines = ["data_optics", "loop_", "_rlnOpticsGroup", "_rlnOpticsGroupName", "_rlnImagePixelSize",
             "_rlnImageSize", "_rlnImageDimensionality", "_rlnVoltage", "_rlnSphericalAberration",
             "_rlnAmplitudeContrast", f"1 optics1 {voxel_size} {box} 2 300 2.7 0.1", "",
             "data_particles", "loop_", "_rlnAngleRot", "_rlnAngleTilt", "_rlnAnglePsi", "_rlnOriginXAngst",
             "_rlnOriginYAngst", "_rlnOpticsGroup"]
    lines += [f"{r:.3f} {t:.3f} {p:.3f} 0 0 1" for r, t, p in zip(rot, tilt, psi)]
    path.write_text("\n".join(lines) + "\n")


def build_classification(root: Path, *, box: int = 48, voxel_size: float = 4.2, per_state: int = 150,
                         noise: float = 1.0, iterations: int = 8, seed: int = 3) -> Path:
    """Make ``CLASS_JOB`` in the project ``root``: a K=2 classification of two states' particles.

    The states' maps are ``Truth/state1.mrc`` and ``Truth/state2.mrc`` (demo domains, ``STATES``);
    the reference is their average, lowpassed by ``relion_refine --ini_high 30``.

    Returns
    -------
    pathlib.Path
        The last iteration's ``run_itNNN_model.star``.
    """
    truth = root / "Truth"
    truth.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    maps = []
    for k, occupancies in enumerate(STATES, start=1):
        demo = make_demo_map(box=box, voxel_size=voxel_size, occupancies=occupancies, seed=seed, noise=0.0)
        maps.append(demo.data)
        occupy.write_map(truth / f"state{k}.mrc", demo.data, voxel_size=voxel_size)
        _angles_star(truth / f"angles{k}.star", per_state, box, voxel_size, rng)
        relion("relion_project", "--i", f"Truth/state{k}.mrc", "--o", f"Truth/particles{k}", "--ang",
               f"Truth/angles{k}.star", "--angpix", str(voxel_size), "--add_noise", "--white_noise", str(noise),
               cwd=root)
    occupy.write_map(truth / "average.mrc", (maps[0] + maps[1]) / 2, voxel_size=voxel_size)
    relion("relion_star_handler", "--combine", "--i", "Truth/particles1.star Truth/particles2.star", "--o",
           "Truth/particles.star", cwd=root)
    (root / CLASS_JOB).mkdir(parents=True)
    relion("relion_refine", "--i", "Truth/particles.star", "--o", f"{CLASS_JOB}/run", "--ref", "Truth/average.mrc",
           "--ini_high", "30", "--K", "2", "--iter", str(iterations), "--tau2_fudge", "4",
           "--particle_diameter", str(0.9 * box * voxel_size), "--flatten_solvent", "--zero_mask",
           "--oversampling", "1", "--healpix_order", "1", "--offset_range", "2", "--offset_step", "2",
           "--sym", "C1", "--pad", "1", "--j", "2", "--random_seed", "1", "--dont_check_norm", cwd=root)
    return root / CLASS_JOB / f"run_it{iterations:03d}_model.star"


def new_pipeline(root: Path) -> None:
    """An empty RELION 3.1 pipeline (``default_pipeline.star``) in the project ``root``."""
    (root / "default_pipeline.star").write_text("data_pipeline_general\n\n_rlnPipeLineJobCounter 2\n")


def external_job(root: Path, executable: str, in_3dref: str, params: dict[str, str], threads: int = 2,
                 env: dict[str, str] | None = None) -> str:
    """Add an External job to the pipeline and run it with ``relion_pipeliner``, as RELION 3.1 does.

    Returns
    -------
    str
        The job's directory, e.g. ``External/job002/``.
    """
    options = {"fn_exe": executable, "in_3dref": in_3dref, "nr_threads": str(threads)}
    for i, (label, value) in enumerate(params.items(), start=1):
        options[f"param{i}_label"], options[f"param{i}_value"] = label, value
    counter = int(re.search(r"_rlnPipeLineJobCounter\s+(\d+)", (root / "default_pipeline.star").read_text())[1])
    job = f"External/job{counter:03d}/"
    relion("relion_pipeliner", "--addJob", "External", "--addJobOptions",
           ";".join(f"{k} == {v}" for k, v in options.items()), cwd=root, env=env)
    relion("relion_pipeliner", "--RunJobs", job, "--sec_wait_after", "0", cwd=root, env=env)
    return job


def image_stats(path: str, cwd: Path) -> dict[str, float]:
    """``relion_image_handler --i PATH --stats``: avg, stddev, minval, maxval, angpix and the size."""
    line = relion("relion_image_handler", "--i", path, "--stats", cwd=cwd).stdout.strip().splitlines()[-1]
    stats = {k: float(v) for k, v in re.findall(r"(avg|stddev|minval|maxval|angpix)\s*=\s*([-+0-9.eE]+)", line)}
    size = re.search(r"= (\d+) x (\d+) x (\d+) x (\d+)", line)
    stats["size"] = tuple(int(v) for v in size.groups())
    return stats


def printtable(star: str, block: str, *labels: str, cwd: Path) -> list[list[str]]:
    """``relion_star_printtable STAR BLOCK LABEL...``: the printed rows, split at white space as RELION does."""
    out = relion("relion_star_printtable", star, block, *labels, cwd=cwd).stdout
    return [line.split() for line in out.splitlines() if line.strip()]
