"""A seeded synthetic map with domains at known occupancies, for ``--demo`` and accuracy tests."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .phantoms.base import gaussian_blur

__all__ = ["DEMO_FILE", "DEMO_OCCUPANCIES", "DemoMap", "domain_table", "make_demo_map",
           "write_demo_classification", "write_demo_map"]

DEMO_OCCUPANCIES = (1.0, 0.7, 0.4, 0.2)
DEMO_FILE = "occupy_demo.mrc"


@dataclass
class DemoMap:
    """Synthetic map with ground truth, as ``make_demo_map`` returns it.

    All arrays are ``box``³, indexed ``[z, y, x]``; the fields are the constructor's
    parameters.

    Parameters
    ----------
    data : numpy.ndarray
        The noisy map (float32).
    voxel_size : float
        Voxel size in Å.
    occupancies : tuple of float
        True occupancy of each domain.
    labels : numpy.ndarray
        Domain labels (uint8): 0 in solvent, ``d + 1`` inside domain ``d``'s sphere.
    core : numpy.ndarray
        Mask (bool) of the voxels well inside a domain (within 3/4 of its radius) and
        above its noise-free median density there, where estimates meet the truth.
    clean : numpy.ndarray
        The noise-free map (float32), scaled so that its 99.5th percentile in domain 1 is 1.
    noise_sigma : float
        Standard deviation of the Gaussian noise added to ``clean``.
    """

    data: np.ndarray
    voxel_size: float
    occupancies: tuple[float, ...]
    labels: np.ndarray
    core: np.ndarray
    clean: np.ndarray
    noise_sigma: float


def make_demo_map(box: int = 96, voxel_size: float = 1.5, occupancies=DEMO_OCCUPANCIES,
                  seed: int = 0, noise: float = 0.04) -> DemoMap:
    """Build a seeded map of globular domains of random 'atoms' at known occupancies.

    Parameters
    ----------
    box : int
        Cube side in voxels; each domain is a sphere of radius ``box/7``.
    voxel_size : float
        Voxel size in Å; the atoms (point masses) are blurred to 6 Å FWHM.
    occupancies : sequence of float
        Factor multiplying each domain's density; at most 8 (else ValueError).
    seed : int
        Seed of the atom positions and the noise.
    noise : float
        Gaussian noise SD everywhere (the solvent), relative to domain 1's peak density.

    Returns
    -------
    DemoMap

    Examples
    --------
    >>> make_demo_map(box=32, occupancies=(1.0, 0.5)).data.shape
    (32, 32, 32)
    """
    rng = np.random.default_rng(seed)
    n = int(box)
    radius = n / 7.0
    centres = _domain_centres(n, len(occupancies))
    points, labels = _atoms(n, radius, centres, occupancies, rng)
    clean = gaussian_blur(points, 5.0 / (2.355 * voxel_size) * 1.2).astype(np.float32)
    clean /= float(np.percentile(clean[labels == 1], 99.5))
    data = clean + rng.normal(0.0, noise, size=clean.shape).astype(np.float32)
    return DemoMap(data=data.astype(np.float32), voxel_size=float(voxel_size),
                   occupancies=tuple(float(o) for o in occupancies), labels=labels,
                   core=_cores(clean, centres, 0.75 * radius), clean=clean, noise_sigma=float(noise))


def _domain_centres(n: int, count: int) -> np.ndarray:
    """Centres of ``count`` domains, 0.2 box from the box centre along fixed directions."""
    directions = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1],
                           [1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0]], float)
    if count > len(directions):
        raise ValueError("at most 8 domains")
    directions /= np.linalg.norm(directions, axis=1)[:, None]
    return (n - 1) / 2.0 + n * 0.2 * directions[:count]


def _ball(n: int, centre: np.ndarray, radius: float) -> np.ndarray:
    zz, yy, xx = np.ogrid[:n, :n, :n]
    return (zz - centre[0]) ** 2 + (yy - centre[1]) ** 2 + (xx - centre[2]) ** 2 <= radius ** 2


def _atoms(n: int, radius: float, centres: np.ndarray, occupancies, rng) -> tuple[np.ndarray, np.ndarray]:
    """Point masses of weight ``occupancy`` scattered uniformly in each domain's ball, and the labels."""
    labels = np.zeros((n, n, n), np.uint8)
    points = np.zeros((n, n, n), np.float64)
    atoms_per_voxel = 0.08
    for d, (c, occ) in enumerate(zip(centres, occupancies)):
        inside = _ball(n, c, radius)
        labels[inside] = d + 1
        n_atoms = int(atoms_per_voxel * inside.sum())
        pos = rng.normal(size=(n_atoms, 3))
        pos /= np.linalg.norm(pos, axis=1)[:, None]
        pos *= radius * rng.random(n_atoms)[:, None] ** (1 / 3)
        idx = np.clip(np.rint(pos + c), 0, n - 1).astype(int)
        np.add.at(points, (idx[:, 0], idx[:, 1], idx[:, 2]), occ)
    return points, labels


def _cores(clean: np.ndarray, centres: np.ndarray, radius: float) -> np.ndarray:
    """Voxels deep inside a domain and above its noise-free median density."""
    core = np.zeros(clean.shape, dtype=bool)
    for c in centres:
        deep = _ball(clean.shape[0], c, radius)
        core |= deep & (clean > np.median(clean[deep]))
    return core


def domain_table(demo: DemoMap, scale: np.ndarray, modified: dict[str, np.ndarray] | None = None
                 ) -> list[dict[str, float]]:
    """Compare an estimated scale (and modified maps) with the truth, domain by domain.

    Parameters
    ----------
    demo : DemoMap
        The synthetic map and its truth.
    scale : numpy.ndarray
        The scale estimated for ``demo.data`` (same shape).
    modified : dict of str to numpy.ndarray, optional
        Modified maps by name (e.g. ``"amplified"``).

    Returns
    -------
    list of dict
        One row per domain: ``domain`` (1, 2, ...), ``true`` occupancy, median ``scale``
        in its core, and the apparent occupancy (core mean relative to domain 1's) of
        the ``input`` map and of each modified map, under its name.

    Examples
    --------
    >>> import numpy as np
    >>> demo = make_demo_map(box=32, occupancies=(1.0, 0.5))
    >>> rows = domain_table(demo, np.ones_like(demo.data))
    >>> [(r["domain"], r["true"], r["scale"], r["input"]) for r in rows][0]
    (1, 1.0, 1.0, 1.0)
    """
    rows = []
    ref_mean = {name: float(arr[(demo.labels == 1) & demo.core].mean())
                for name, arr in (modified or {}).items()}
    base_full = float(demo.data[(demo.labels == 1) & demo.core].mean())
    for d, occ in enumerate(demo.occupancies):
        sel = (demo.labels == d + 1) & demo.core
        row = {"domain": d + 1, "true": occ, "scale": float(np.median(scale[sel])),
               "input": float(demo.data[sel].mean()) / base_full}
        for name, arr in (modified or {}).items():
            row[name] = float(arr[sel].mean()) / ref_mean[name]
        rows.append(row)
    return rows


def write_demo_map(directory: str | os.PathLike, seed: int = 0) -> tuple[DemoMap, Path]:
    """Make the demo map and write it as ``occupy_demo.mrc`` in ``directory`` (created if needed).

    The map is ``make_demo_map``'s default: 96³ voxels of 1.5 Å, four domains at
    occupancies 1, 0.7, 0.4 and 0.2.

    Parameters
    ----------
    directory : str or path-like
        Where to write.
    seed : int
        Seed of the atoms and noise (default 0).

    Returns
    -------
    demo : DemoMap
        The map with its ground truth.
    path : pathlib.Path
        The file written.

    Raises
    ------
    OccupyError
        If the directory or the file cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> demo, path = write_demo_map(tempfile.mkdtemp())
    >>> path.name, demo.data.shape, demo.voxel_size
    ('occupy_demo.mrc', (96, 96, 96), 1.5)
    """
    from .io.files import prepare_output_dir
    from .io.maps import write_map
    prepare_output_dir(directory)
    demo = make_demo_map(seed=seed)
    path = Path(directory) / DEMO_FILE
    write_map(path, demo.data, voxel_size=demo.voxel_size,
              label="occupy demo: synthetic domains at occupancy " + "/".join(f"{o:g}" for o in demo.occupancies))
    return demo, path


def _model_star(job: str, iteration: int, refs: list[str], fractions: list[float], resolutions: list[float],
                voxel_size: float, box: int) -> str:
    """A model file laid out as RELION 4/5 writes one (tables, labels numbered, values right-aligned)."""
    general = [("_rlnReferenceDimensionality", "3"), ("_rlnDataDimensionality", "2"),
               ("_rlnOriginalImageSize", str(box)), ("_rlnCurrentResolution", f"{min(resolutions):.6f}"),
               ("_rlnCurrentImageSize", str(box // 2)), ("_rlnPaddingFactor", "2.000000"),
               ("_rlnPixelSize", f"{voxel_size:.6f}"), ("_rlnNrClasses", str(len(refs))),
               ("_rlnNrBodies", "1"), ("_rlnNrGroups", "1"), ("_rlnNrOpticsGroups", "1")]
    lines = ["", "# version 30001", "", "data_model_general", ""]
    lines += [f"{label:<40} {value:>12}" for label, value in general]
    lines += ["", "", "# version 30001", "", "data_model_classes", "", "loop_ "]
    columns = ("_rlnReferenceImage", "_rlnClassDistribution", "_rlnAccuracyRotations",
               "_rlnAccuracyTranslationsAngst", "_rlnEstimatedResolution", "_rlnOverallFourierCompleteness")
    lines += [f"{label} #{i} " for i, label in enumerate(columns, start=1)]
    for ref, frac, res in zip(refs, fractions, resolutions):
        empty = frac == 0
        lines.append(f"{ref} {frac:12.6f} {999 if empty else 2.5:12.6f} {999 if empty else 1.0:12.6f} "
                     f"{999 if empty else res:12.6f} {0 if empty else 0.99:12.6f} ")
    for k in range(1, len(refs) + 1):      # per-class spectra, as RELION writes after the classes table
        lines += ["", "", "# version 30001", "", f"data_model_class_{k}", "", "loop_ ",
                  "_rlnSpectralIndex #1 ", "_rlnResolution #2 ", "_rlnSsnrMap #3 "]
        lines += [f"{i:12d} {i / (box * voxel_size):12.6f} {1000.0 / (1 + i * i):12.6f} " for i in range(4)]
    return "\n".join(lines) + "\n \n"


def write_demo_classification(project_dir: str | os.PathLike, n_classes: int = 4, box: int = 64,
                              job: str = "Class3D/job001", iteration: int = 25, empty: tuple[int, ...] = (),
                              seed: int = 0) -> Path:
    """Write a RELION Class3D job of demo maps: class maps and ``run_itNNN_model.star``.

    Each class is a demo map (``make_demo_map``) with its own seed and domain occupancies;
    the model file names the maps relative to ``project_dir``, as RELION does.

    Parameters
    ----------
    project_dir : str or os.PathLike
        The RELION project directory (created if needed).
    n_classes : int
        Number of classes.
    box : int
        Box of the class maps (voxels).
    job : str
        The job directory, relative to the project.
    iteration : int
        The iteration the files are named after (``run_it025_...``).
    empty : tuple of int
        Class numbers with no particles (distribution 0; their maps are zero).
    seed : int
        Seed of the first class (the others follow).

    Returns
    -------
    pathlib.Path
        The model file.

    Examples
    --------
    >>> import tempfile
    >>> model = write_demo_classification(tempfile.mkdtemp(), n_classes=2, box=32)
    >>> model.relative_to(model.parents[2]).as_posix()
    'Class3D/job001/run_it025_model.star'
    """
    from .io.maps import write_map
    job_dir = Path(project_dir) / job
    job_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    refs, fractions, resolutions = [], [], []
    weights = rng.uniform(0.5, 1.5, n_classes) * [k + 1 not in empty for k in range(n_classes)]
    for k in range(n_classes):
        occupancies = (1.0, *np.round(rng.uniform(0.2, 1.0, 3), 2))
        demo = make_demo_map(box=box, occupancies=occupancies, seed=seed + k)
        ref = f"{job}/run_it{iteration:03d}_class{k + 1:03d}.mrc"
        data = np.zeros_like(demo.data) if k + 1 in empty else demo.data
        write_map(Path(project_dir) / ref, data, voxel_size=demo.voxel_size, label="occupy demo classification")
        refs.append(ref)
        fractions.append(float(weights[k] / weights.sum()))
        resolutions.append(float(np.round(rng.uniform(6.0, 12.0), 2)))
    model = job_dir / f"run_it{iteration:03d}_model.star"
    model.write_text(_model_star(job, iteration, refs, fractions, resolutions, demo.voxel_size, box))
    return model
