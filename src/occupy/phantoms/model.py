"""The realistic phantom: an atomic model as density (gemmi), each chain at its own occupancy and B-factor."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .base import (CORE_DEPTH_A, LABEL_RADIUS_A, MODEL_B, MODEL_OCCUPANCIES, MODEL_PDB, NOISE, Phantom,
                   _above_median, _bbox, _check_box, _distance_to, _finish)

__all__ = ["model_phantom"]


def _placed(xyz: np.ndarray, rng: np.random.Generator, n: int, vs: float, name: str) -> np.ndarray:
    """Atom positions (Å) turned at random about their centroid, put at the box centre; ValueError
    if the atoms with their label radius do not fit in the box's inscribed sphere."""
    xyz = (xyz - xyz.mean(axis=0)) @ _random_rotation(rng).T + (n - 1) / 2 * vs
    reach = np.linalg.norm(xyz - (n - 1) / 2 * vs, axis=1).max() + LABEL_RADIUS_A
    if reach > n / 2 * vs:
        raise ValueError(f"{name} does not fit in a box of {n} voxels of {vs:g} Å "
                         f"(its labels need a sphere of diameter {2 * reach:.0f} Å)")
    return xyz


def model_phantom(seed: int, box: int = 128, voxel_size: float = 1.0, *, pdb_path: str | os.PathLike | None = None,
                  noise: float = NOISE) -> Phantom:
    """An atomic model as density (gemmi), each chain at its own occupancy and B-factor.

    The model is turned at random (seeded) about its centroid, put at the box centre, and
    made density by gemmi's ``DensityCalculatorE``; chain ``d`` gets occupancy and B from
    ``MODEL_OCCUPANCIES`` and ``MODEL_B``, each shuffled by the seed. Labels: the chain of
    the nearest atom within 3 Å; cores: 3 Å inside a label and above its median.

    Parameters
    ----------
    seed : int
        Seed of the orientation, the occupancies and B-factors, and the noise.
    box : int
        Cube side in voxels: the model, with 3 Å around its atoms, must fit in the
        box's inscribed sphere (haemoglobin: ``box * voxel_size`` ≥ 78 Å).
    voxel_size : float
        Voxel size in Å.
    pdb_path : str or os.PathLike, optional
        The model (PDB or mmCIF, at most 255 chains); default ``MODEL_PDB`` in the folder
        ``$OCCUPY_TEST_DATA`` names.
    noise : float
        Noise SD relative to the strongest chain's peak.

    Returns
    -------
    Phantom
        The noisy map and its truth.

    Raises
    ------
    FileNotFoundError
        If there is no model file.
    ValueError
        If the model does not fit in the box.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> atoms = [f"ATOM  {k + 1:5d}  CA  GLY {c}   1    {3.0 * k:8.3f}{0:8.3f}{0:8.3f}  1.00 20.00           C"
    ...          for k, c in enumerate("ABCD")]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "four.pdb"
    >>> _ = path.write_text("\\n".join(atoms) + "\\nEND\\n")
    >>> ph = model_phantom(0, box=32, pdb_path=path)
    >>> ph.family, sorted(ph.occupancies), int(ph.labels.max())
    ('model', [0.4, 0.7, 1.0, 1.0], 4)
    """
    rng = np.random.default_rng(seed)
    n, vs = _check_box(box, voxel_size)
    path = _model_path(pdb_path)
    st, atoms = _read_model(path)
    occ = tuple(float(o) for o in rng.permutation(np.resize(MODEL_OCCUPANCIES, len(atoms))))
    bfac = rng.permutation(np.resize(MODEL_B, len(atoms)))
    xyz = _placed(np.array([a.pos.tolist() for ch in atoms for a in ch]), rng, n, vs, path.name)
    chain_of = np.repeat(np.arange(len(atoms)), [len(ch) for ch in atoms])
    clean = _density(st, atoms, xyz, chain_of, occ, bfac, n, vs)
    labels = _label_atoms(n, xyz[:, ::-1] / vs, chain_of, LABEL_RADIUS_A / vs)
    sigma_a = tuple(float(np.sqrt(b / (8 * np.pi ** 2))) for b in bfac)
    return _finish("model", seed, rng, clean, vs, labels, occ, sigma_a, _cores(clean, labels, len(atoms), vs),
                   noise)


def _read_model(path: Path):
    """The structure (no hydrogens, no empty chains) and its atoms, chain by chain."""
    import gemmi
    st = gemmi.read_structure(str(path))
    st.remove_hydrogens()
    st.remove_empty_chains()
    atoms = [[a for res in ch for a in res] for ch in st[0]]
    if not 1 <= len(atoms) <= 255:
        raise ValueError(f"{path}: {len(atoms)} chains (1 to 255 can be labelled)")
    return st, atoms


def _density(st, atoms, xyz: np.ndarray, chain_of: np.ndarray, occ, bfac, n: int, vs: float) -> np.ndarray:
    """gemmi's electron-scattering density of the moved model, chain ``d`` at ``occ[d]`` and ``bfac[d]``, [z, y, x]."""
    import gemmi
    for a, p, d in zip((a for ch in atoms for a in ch), xyz, chain_of):
        a.pos, a.occ, a.b_iso, a.aniso = gemmi.Position(*p), occ[d], float(bfac[d]), gemmi.SMat33f(0, 0, 0, 0, 0, 0)
    st.cell = gemmi.UnitCell(n * vs, n * vs, n * vs, 90, 90, 90)
    st.spacegroup_hm = "P 1"
    calc = gemmi.DensityCalculatorE()
    calc.set_grid_cell_and_spacegroup(st)
    calc.grid.set_size(n, n, n)                          # spacing: the voxel size
    calc.add_model_density_to_grid(st[0])
    return np.array(calc.grid.array, dtype=np.float64).transpose(2, 1, 0)     # gemmi's [x,y,z] -> [z,y,x]


def _cores(clean: np.ndarray, labels: np.ndarray, n_chains: int, vs: float) -> np.ndarray:
    """Each chain's voxels at least ``CORE_DEPTH_A`` inside its label and above its median there."""
    depth = int(np.ceil(CORE_DEPTH_A / vs))
    core = np.zeros(labels.shape, bool)
    for d in range(n_chains):
        box_d = _bbox(labels == d + 1, depth)
        deep = (labels[box_d] == d + 1) & (_distance_to(labels[box_d] != d + 1, depth) >= CORE_DEPTH_A / vs)
        core[box_d] |= _above_median(clean[box_d], deep)
    return core


def _model_path(pdb_path: str | os.PathLike | None) -> Path:
    if pdb_path is None:
        folder = os.environ.get("OCCUPY_TEST_DATA")
        if not folder:
            raise FileNotFoundError(f"no pdb_path given and OCCUPY_TEST_DATA (the folder of {MODEL_PDB}) is not set")
        pdb_path = Path(folder) / MODEL_PDB
    path = Path(pdb_path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file {path}")
    return path


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A rotation matrix drawn uniformly (a normalised Gaussian quaternion)."""
    w, x, y, z = (q := rng.normal(size=4)) / np.linalg.norm(q)
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def _label_atoms(n: int, zyx: np.ndarray, chain_of: np.ndarray, radius: float) -> np.ndarray:
    """Each voxel within ``radius`` (voxels) of an atom gets ``1 +`` the chain of its nearest atom."""
    k = int(np.ceil(radius))
    offsets = np.stack(np.meshgrid(*[np.arange(-k, k + 1)] * 3, indexing="ij"), -1).reshape(-1, 3)
    voxels = np.rint(zyx).astype(np.intp)[:, None, :] + offsets[None]           # atoms x offsets x 3
    d2 = ((voxels - zyx[:, None, :]) ** 2).sum(-1)
    keep = (d2 <= radius * radius) & ((voxels >= 0) & (voxels < n)).all(-1)
    flat = np.ravel_multi_index(tuple(voxels[keep].T), (n, n, n))
    chain = np.broadcast_to(chain_of[:, None], d2.shape)[keep]
    order = np.lexsort((d2[keep], flat))                 # by voxel, nearest atom first
    first = order[np.r_[True, flat[order][1:] != flat[order][:-1]]]
    labels = np.zeros(n ** 3, np.uint8)
    labels[flat[first]] = chain[first] + 1
    return labels.reshape(n, n, n)
