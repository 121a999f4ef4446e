"""A seeded synthetic map with domains at known occupancies, for ``--demo`` and accuracy tests."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DEMO_FILE", "DEMO_OCCUPANCIES", "DemoMap", "domain_table", "make_demo_map", "write_demo_map"]

DEMO_OCCUPANCIES = (1.0, 0.7, 0.4, 0.2)
DEMO_FILE = "occupy_demo.mrc"


@dataclass
class DemoMap:
    """Synthetic map with ground truth.

    ``labels`` is 0 in solvent and ``d + 1`` inside domain ``d``'s sphere; ``core``
    marks the voxels well inside a domain and above its noise-free median density.
    """

    data: np.ndarray
    voxel_size: float
    occupancies: tuple[float, ...]
    labels: np.ndarray
    core: np.ndarray
    clean: np.ndarray
    noise_sigma: float


def _gaussian_blur(vol: np.ndarray, sigma_vox: float) -> np.ndarray:
    freqs = [np.fft.fftfreq(n) for n in vol.shape[:2]] + [np.fft.rfftfreq(vol.shape[2])]
    fz, fy, fx = np.meshgrid(*freqs, indexing="ij", sparse=True)
    transfer = np.exp(-2.0 * (np.pi * sigma_vox) ** 2 * (fz ** 2 + fy ** 2 + fx ** 2))
    return np.fft.irfftn(np.fft.rfftn(vol) * transfer, s=vol.shape, axes=(0, 1, 2)).astype(np.float32)


def make_demo_map(box: int = 96, voxel_size: float = 1.5, occupancies=DEMO_OCCUPANCIES,
                  seed: int = 0, noise: float = 0.04) -> DemoMap:
    """Build a map of ``len(occupancies)`` globular domains of random 'atoms'.

    Each domain is a sphere of radius ``box/7`` filled with point masses blurred to
    about 5 Å, multiplied by its occupancy; Gaussian noise of ``noise`` times the
    full domain's peak density is added everywhere (the solvent).
    """
    rng = np.random.default_rng(seed)
    n = int(box)
    radius = n / 7.0
    centre = (n - 1) / 2.0
    offset = n * 0.2
    directions = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1],
                           [1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0]], float)
    if len(occupancies) > len(directions):
        raise ValueError("at most 8 domains")
    directions /= np.linalg.norm(directions, axis=1)[:, None]
    zz, yy, xx = np.ogrid[:n, :n, :n]
    labels = np.zeros((n, n, n), np.uint8)
    points = np.zeros((n, n, n), np.float64)
    atoms_per_voxel = 0.08
    for d, occ in enumerate(occupancies):
        c = centre + offset * directions[d]
        inside = (zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2 <= radius ** 2
        labels[inside] = d + 1
        n_atoms = int(atoms_per_voxel * inside.sum())
        pos = rng.normal(size=(n_atoms, 3))
        pos /= np.linalg.norm(pos, axis=1)[:, None]
        pos *= radius * rng.random(n_atoms)[:, None] ** (1 / 3)
        idx = np.clip(np.rint(pos + c), 0, n - 1).astype(int)
        np.add.at(points, (idx[:, 0], idx[:, 1], idx[:, 2]), occ)
    clean = _gaussian_blur(points, sigma_vox=5.0 / (2.355 * voxel_size) * 1.2)
    peak = float(np.percentile(clean[labels == 1], 99.5))
    clean /= peak
    data = clean + rng.normal(0.0, noise, size=clean.shape).astype(np.float32)
    core = np.zeros_like(labels, dtype=bool)
    for d in range(len(occupancies)):
        c = centre + offset * directions[d]
        deep = (zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2 <= (0.75 * radius) ** 2
        core |= deep & (clean > np.median(clean[deep]))
    return DemoMap(data=data.astype(np.float32), voxel_size=float(voxel_size),
                   occupancies=tuple(float(o) for o in occupancies), labels=labels, core=core,
                   clean=clean, noise_sigma=float(noise))


def domain_table(demo: DemoMap, scale: np.ndarray, modified: dict[str, np.ndarray] | None = None
                 ) -> list[dict[str, float]]:
    """Per domain: true occupancy, median estimated scale in its core and, for each
    modified map, its apparent occupancy (core mean relative to the full domain's)."""
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

    Returns
    -------
    (DemoMap, Path)
        The map with its ground truth, and the file written.
    """
    from .io.files import prepare_output_dir
    from .io.maps import write_map
    prepare_output_dir(directory)
    demo = make_demo_map(seed=seed)
    path = Path(directory) / DEMO_FILE
    write_map(path, demo.data, voxel_size=demo.voxel_size,
              label="occupy demo: synthetic domains at occupancy " + "/".join(f"{o:g}" for o in demo.occupancies))
    return demo, path
