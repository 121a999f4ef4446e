"""Seeded phantoms with known truth: maps whose occupancy and blur are known voxel by voxel.

Four families, each a function ``(seed, box=128, voxel_size=1.0) -> Phantom`` and an
entry of :data:`FAMILIES`:

- ``"occupancy"``: four random-atom domains at occupancies 1, 0.75, 0.5, 0.25, all
  blurred alike (Gaussian σ 1.6 voxels);
- ``"blur"``: four domains at full occupancy, blurred by σ 1.0, 1.6, 2.2, 2.8 voxels;
- ``"both"``: a 2×2 design, occupancy {1, 0.5} × blur σ {1.0, 2.8} voxels, so that low
  occupancy comes both sharp and blurred (correlated and anti-correlated pairs in every
  map); the seed shuffles which domain gets which pair;
- ``"model"``: an atomic model (haemoglobin, 5me2.pdb, by default) turned into density
  with gemmi, each chain at its own occupancy and B-factor.

The random-atom domains are balls of radius ``box/8`` centred ``0.22 box`` from the box
centre towards the corners of a tetrahedron: well apart (≥ 0.1 box between balls), and
all inside the box's inscribed sphere, of which they fill under 8 %, so the solvent
there is plentiful. All four hold the same random atoms (one draw per seed), so they
differ only by the occupancy and blur under test. Every map is scaled so that its strongest domain's 99.5th
percentile of noise-free density is 1, and gets white Gaussian noise of SD ``noise``
(default 0.04, i.e. 4 % of that peak). The seed draws the atoms (the model's
orientation), the pairings and the noise; the same seed gives the same bytes (with one
NumPy on one machine: the FFTs are not promised bit-equal across builds).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["FAMILIES", "MODEL_PDB", "NOISE", "Phantom", "blur_phantom", "both_phantom", "model_phantom",
           "occupancy_phantom"]

NOISE = 0.04                # noise SD, relative to the strongest domain's peak (99.5th percentile)
MODEL_PDB = "5me2.pdb"      # the model family's default model, looked up in $OCCUPY_TEST_DATA
ATOMS_PER_VOXEL = 0.08      # random atoms per voxel of a domain's ball
CORE_FRACTION = 0.65        # random-atom cores: within this fraction of the domain's radius
CORE_DEPTH_A = 3.0          # model cores: at least this far (Å) from solvent and other chains
LABEL_RADIUS_A = 3.0        # model labels: voxels within this distance (Å) of a chain's atoms
SHELL = (2.0, 6.0)          # the shell: solvent this many voxels (min, max) from every domain
MODEL_OCCUPANCIES = (1.0, 1.0, 0.7, 0.4)   # per chain, shuffled by the seed
MODEL_B = (20.0, 50.0, 85.0, 120.0)        # per chain (Å²), shuffled by the seed independently


@dataclass(frozen=True, eq=False)
class Phantom:
    """A noisy map with its truth, as the family functions return it.

    Arrays are cubes indexed ``[z, y, x]``; the fields are the constructor's parameters.

    Parameters
    ----------
    data : numpy.ndarray
        The noisy map (float32): ``clean`` plus white Gaussian noise of SD ``noise_sigma``.
    clean : numpy.ndarray
        The noise-free map (float32), scaled so that the strongest domain's 99.5th
        percentile is 1.
    voxel_size : float
        Voxel size in Å.
    labels : numpy.ndarray
        uint8: 0 in solvent, ``d + 1`` in domain (or chain) ``d``.
    occupancies : tuple of float
        True occupancy of each domain.
    blur_A : tuple of float
        Gaussian σ (Å) each domain's atoms were blurred by (for the model family, the
        B-factor's ``sqrt(B / 8π²)``, on top of the atoms' own scattering shape).
    core : numpy.ndarray
        bool: voxels deep inside a domain and above its noise-free median density there,
        where an estimate should meet the truth.
    shell : numpy.ndarray
        bool: solvent voxels 2 to 6 voxels from the nearest labelled voxel, where a scale
        spilling out of the domains shows.
    noise_sigma : float
        SD of the noise in ``data``.
    family : str
        The family's name (a key of :data:`FAMILIES`).
    seed : int
        The seed it was made from.

    Examples
    --------
    >>> ph = occupancy_phantom(0, box=32)
    >>> ph.data.shape, ph.data.dtype, ph.occupancies
    ((32, 32, 32), dtype('float32'), (1.0, 0.75, 0.5, 0.25))
    """

    data: np.ndarray
    clean: np.ndarray
    voxel_size: float
    labels: np.ndarray
    occupancies: tuple[float, ...]
    blur_A: tuple[float, ...]
    core: np.ndarray
    shell: np.ndarray
    noise_sigma: float
    family: str
    seed: int

    def truth(self) -> np.ndarray:
        """The true occupancy of every voxel: its domain's, 0 in solvent.

        Returns
        -------
        numpy.ndarray
            float32, the shape of ``data``.

        Examples
        --------
        >>> ph = occupancy_phantom(0, box=32)
        >>> truth = ph.truth()
        >>> float(truth[ph.labels == 2].min()), float(truth[ph.labels == 0].max())
        (0.75, 0.0)
        """
        return np.array((0.0, *self.occupancies), np.float32)[self.labels]


def occupancy_phantom(seed: int, box: int = 128, voxel_size: float = 1.0, *, noise: float = NOISE) -> Phantom:
    """Four random-atom domains at occupancies 1, 0.75, 0.5 and 0.25, blurred alike (σ 1.6 voxels).

    Parameters
    ----------
    seed : int
        Seed of the atoms and the noise.
    box : int
        Cube side in voxels (at least 32).
    voxel_size : float
        Voxel size in Å (the blur is in voxels, whatever the voxel size).
    noise : float
        Noise SD relative to the strongest domain's peak.

    Returns
    -------
    Phantom
        The noisy map and its truth.

    Examples
    --------
    >>> ph = occupancy_phantom(1, box=32)
    >>> ph.family, ph.blur_A
    ('occupancy', (1.6, 1.6, 1.6, 1.6))
    """
    return _atom_phantom("occupancy", seed, box, voxel_size, (1.0, 0.75, 0.5, 0.25), (1.6,) * 4, noise)


def blur_phantom(seed: int, box: int = 128, voxel_size: float = 1.0, *, noise: float = NOISE) -> Phantom:
    """Four random-atom domains at full occupancy, blurred by σ 1.0, 1.6, 2.2 and 2.8 voxels.

    Parameters
    ----------
    seed : int
        Seed of the atoms and the noise.
    box : int
        Cube side in voxels (at least 32).
    voxel_size : float
        Voxel size in Å; ``blur_A`` is σ times it.
    noise : float
        Noise SD relative to the strongest (sharpest) domain's peak.

    Returns
    -------
    Phantom
        The noisy map and its truth.

    Examples
    --------
    >>> ph = blur_phantom(1, box=32, voxel_size=2.0)
    >>> ph.occupancies, ph.blur_A
    ((1.0, 1.0, 1.0, 1.0), (2.0, 3.2, 4.4, 5.6))
    """
    return _atom_phantom("blur", seed, box, voxel_size, (1.0,) * 4, (1.0, 1.6, 2.2, 2.8), noise)


def both_phantom(seed: int, box: int = 128, voxel_size: float = 1.0, *, noise: float = NOISE) -> Phantom:
    """Occupancy and blur together: {1, 0.5} × σ {1.0, 2.8} voxels, the four pairs in a seeded order.

    Every map holds a low-occupancy domain that is sharp and one that is blurred, and
    a full one of each, so a scale that follows blur as well as occupancy shows in both
    :func:`~occupy.phantom_metrics.blur_invariance` and the ranking of the domains. The
    seed shuffles which domain (position) gets which pair.

    Parameters
    ----------
    seed : int
        Seed of the pairing, the atoms and the noise.
    box : int
        Cube side in voxels (at least 32).
    voxel_size : float
        Voxel size in Å; ``blur_A`` is σ times it.
    noise : float
        Noise SD relative to the strongest domain's peak.

    Returns
    -------
    Phantom
        The noisy map and its truth.

    Examples
    --------
    >>> ph = both_phantom(3, box=32)
    >>> sorted(zip(ph.occupancies, ph.blur_A))
    [(0.5, 1.0), (0.5, 2.8), (1.0, 1.0), (1.0, 2.8)]
    """
    pairs = [(1.0, 1.0), (1.0, 2.8), (0.5, 1.0), (0.5, 2.8)]
    order = np.random.default_rng([seed, 1]).permutation(4)   # its own stream: the atoms use `seed`
    occ, sigma = zip(*(pairs[i] for i in order))
    return _atom_phantom("both", seed, box, voxel_size, occ, sigma, noise)


def model_phantom(seed: int, box: int = 128, voxel_size: float = 1.0, *, pdb_path: str | os.PathLike | None = None,
                  noise: float = NOISE) -> Phantom:
    """An atomic model as density (gemmi), each chain at its own occupancy and B-factor.

    The model is rotated at random (seeded) about its centroid, which goes to the box
    centre. Chain ``d`` (in file order) gets occupancy and B from ``MODEL_OCCUPANCIES``
    and ``MODEL_B``, each shuffled by the seed; the density is gemmi's
    ``DensityCalculatorE`` (electron scattering factors) sampled on the box's grid.
    A voxel is labelled with the chain of its nearest atom within 3 Å; the core is what
    lies at least 3 Å inside a chain's label (from solvent and other chains) and above the
    chain's noise-free median there.

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
    import gemmi
    rng = np.random.default_rng(seed)
    n, vs = _check_box(box, voxel_size)
    path = _model_path(pdb_path)
    st = gemmi.read_structure(str(path))
    st.remove_hydrogens()
    st.remove_empty_chains()
    model = st[0]
    chains = [list(ch) for ch in model]
    if not 1 <= len(chains) <= 255:
        raise ValueError(f"{path}: {len(chains)} chains (1 to 255 can be labelled)")
    occ = tuple(float(o) for o in rng.permutation(np.resize(MODEL_OCCUPANCIES, len(chains))))
    bfac = rng.permutation(np.resize(MODEL_B, len(chains)))
    atoms = [[a for res in ch for a in res] for ch in chains]
    xyz = np.array([a.pos.tolist() for ch in atoms for a in ch])
    centroid = xyz.mean(axis=0)
    xyz = (xyz - centroid) @ _random_rotation(rng).T + (n - 1) / 2 * vs
    reach = np.linalg.norm(xyz - (n - 1) / 2 * vs, axis=1).max() + LABEL_RADIUS_A
    if reach > n / 2 * vs:
        raise ValueError(f"{path.name} does not fit in a box of {n} voxels of {vs:g} Å "
                         f"(its labels need a sphere of diameter {2 * reach:.0f} Å)")
    chain_of = np.repeat(np.arange(len(atoms)), [len(ch) for ch in atoms])
    for a, p, d in zip((a for ch in atoms for a in ch), xyz, chain_of):
        a.pos, a.occ, a.b_iso, a.aniso = gemmi.Position(*p), occ[d], float(bfac[d]), gemmi.SMat33f(0, 0, 0, 0, 0, 0)
    st.cell = gemmi.UnitCell(n * vs, n * vs, n * vs, 90, 90, 90)
    st.spacegroup_hm = "P 1"
    calc = gemmi.DensityCalculatorE()
    calc.set_grid_cell_and_spacegroup(st)
    calc.grid.set_size(n, n, n)                          # spacing: the voxel size
    calc.add_model_density_to_grid(model)
    clean = np.array(calc.grid.array, dtype=np.float64).transpose(2, 1, 0)     # gemmi's [x,y,z] -> [z,y,x]
    labels = _label_atoms(n, xyz[:, ::-1] / vs, chain_of, LABEL_RADIUS_A / vs)
    depth = int(np.ceil(CORE_DEPTH_A / vs))
    core = np.zeros((n, n, n), bool)
    for d in range(len(atoms)):
        box_d = _bbox(labels == d + 1, depth)
        deep = (labels[box_d] == d + 1) & (_distance_to(labels[box_d] != d + 1, depth) >= CORE_DEPTH_A / vs)
        core[box_d] |= _above_median(clean[box_d], deep)
    sigma_a = tuple(float(np.sqrt(b / (8 * np.pi ** 2))) for b in bfac)
    return _finish("model", seed, rng, clean, vs, labels, occ, sigma_a, core, noise)


FAMILIES: dict[str, Callable[..., Phantom]] = {
    "occupancy": occupancy_phantom, "blur": blur_phantom, "both": both_phantom, "model": model_phantom}
"""The families by name; each is called as ``FAMILIES[name](seed, box, voxel_size)``."""


# ---------------------------------------------------------------- random-atom domains

_TETRAHEDRON = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float) / np.sqrt(3)


def _check_box(box: int, voxel_size: float) -> tuple[int, float]:
    if int(box) != box or box < 32:
        raise ValueError(f"box must be an integer of at least 32 voxels, not {box!r}")
    if not voxel_size > 0:
        raise ValueError(f"voxel_size must be positive, not {voxel_size!r}")
    return int(box), float(voxel_size)


def _atom_phantom(family: str, seed: int, box: int, voxel_size: float, occupancies: Sequence[float],
                  sigmas: Sequence[float], noise: float) -> Phantom:
    """Domain ``d``: the seed's random atoms in a ball, weight ``occupancies[d]``, blurred by ``sigmas[d]`` voxels.

    Every domain holds the same atoms (one draw per seed, placed about whole-voxel centres),
    so domains differ only by occupancy and blur: what a metric sees is what those do, not
    the chance that one ball drew 5% more atoms into its core than another.
    """
    n, vs = _check_box(box, voxel_size)
    rng = np.random.default_rng(seed)
    radius = n / 8.0
    centres = np.rint((n - 1) / 2.0 + 0.22 * n * _TETRAHEDRON)
    count = int(ATOMS_PER_VOXEL * 4.0 / 3.0 * np.pi * radius ** 3)
    direction = rng.normal(size=(count, 3))
    direction /= np.linalg.norm(direction, axis=1)[:, None]
    offsets = np.rint(direction * radius * rng.random(count)[:, None] ** (1 / 3)).astype(np.intp)  # uniform in the ball
    labels = np.zeros((n, n, n), np.uint8)
    clean = np.zeros((n, n, n), np.float64)
    blocks = [_block(n, c, radius + 5 * sigma + 1) for c, sigma in zip(centres, sigmas)]
    for d, ((block, dist), c, occ, sigma) in enumerate(zip(blocks, centres, occupancies, sigmas)):
        labels[block][dist <= radius] = d + 1
        idx = np.clip(c.astype(np.intp) + offsets, 0, n - 1) - [s.start for s in block]
        points = np.bincount(np.ravel_multi_index(idx.T, dist.shape), minlength=dist.size).reshape(dist.shape)
        clean[block] += occ * _gaussian_blur(points.astype(np.float64), sigma)
    core = np.zeros((n, n, n), bool)
    for block, dist in blocks:
        core[block] |= _above_median(clean[block], dist <= CORE_FRACTION * radius)
    return _finish(family, seed, rng, clean, vs, labels, tuple(float(o) for o in occupancies),
                   tuple(float(s) * vs for s in sigmas), core, noise)


def _block(n: int, centre: np.ndarray, half: float) -> tuple[tuple[slice, ...], np.ndarray]:
    """A sub-box around ``centre``, inside the box, and each voxel's distance to ``centre``."""
    side = min(n, 8 * int(np.ceil((2 * half + 1) / 8)))     # a multiple of 8: a quick FFT
    lo = np.clip(np.rint(centre).astype(int) - side // 2, 0, n - side)
    z, y, x = (np.arange(a, a + side) - c for a, c in zip(lo, centre))
    dist = np.sqrt(z[:, None, None] ** 2 + y[None, :, None] ** 2 + x[None, None, :] ** 2)
    return tuple(slice(a, a + side) for a in lo), dist


def _gaussian_blur(vol: np.ndarray, sigma: float) -> np.ndarray:
    """Periodic Gaussian blur of σ voxels, by FFT."""
    freqs = [np.fft.fftfreq(k) for k in vol.shape[:2]] + [np.fft.rfftfreq(vol.shape[2])]
    fz, fy, fx = np.meshgrid(*freqs, indexing="ij", sparse=True)
    transfer = np.exp(-2.0 * (np.pi * sigma) ** 2 * (fz ** 2 + fy ** 2 + fx ** 2))
    return np.fft.irfftn(np.fft.rfftn(vol) * transfer, s=vol.shape, axes=(0, 1, 2))


# ---------------------------------------------------------------- shared steps

def _finish(family: str, seed: int, rng: np.random.Generator, clean: np.ndarray, vs: float, labels: np.ndarray,
            occupancies: tuple[float, ...], blur_a: tuple[float, ...], core: np.ndarray, noise: float) -> Phantom:
    """Scale to the strongest domain's peak, add the noise, find the shell."""
    peak = max(np.percentile(clean[labels == d + 1], 99.5) for d in range(len(occupancies)) if (labels == d + 1).any())
    clean = (clean / peak).astype(np.float32)
    data = clean + np.float32(noise) * rng.standard_normal(clean.shape, dtype=np.float32)
    lo, hi = SHELL
    near = _bbox(labels > 0, int(hi))
    dist = _distance_to(labels[near] > 0, int(hi))
    shell = np.zeros(labels.shape, bool)
    shell[near] = (dist >= lo) & (dist <= hi)
    return Phantom(data=data, clean=clean, voxel_size=vs, labels=labels, occupancies=occupancies,
                   blur_A=blur_a, core=core, shell=shell, noise_sigma=float(noise), family=family, seed=int(seed))


def _above_median(clean: np.ndarray, deep: np.ndarray) -> np.ndarray:
    """``deep`` where ``clean`` is above its median over ``deep`` (nothing if ``deep`` is empty)."""
    return deep & (clean > np.median(clean[deep])) if deep.any() else deep


def _bbox(mask: np.ndarray, margin: int) -> tuple[slice, ...]:
    """Slices of the bounding box of ``mask`` grown by ``margin`` voxels (clipped to the array)."""
    spans = []
    for axis in range(mask.ndim):
        hit = np.flatnonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))
        lo, hi = (hit[0], hit[-1] + 1) if hit.size else (0, 0)
        spans.append(slice(max(0, lo - margin), min(mask.shape[axis], hi + margin)))
    return tuple(spans)


def _distance_to(mask: np.ndarray, cap: int) -> np.ndarray:
    """Euclidean distance (voxels) from each voxel to the nearest voxel of ``mask``; inf beyond ``cap``.

    A separable squared-distance transform whose 1-D passes look at most ``cap`` voxels
    away: exact up to ``cap``, since no axis of a path that short is longer.
    """
    big = np.float32(3 * (cap + 1) ** 2 + 1)
    f = np.where(mask, np.float32(0), big)
    tmp = np.empty_like(f)
    for axis in range(3):
        g = np.moveaxis(f, axis, 0)
        out = g.copy()
        t = np.moveaxis(tmp, axis, 0)
        for s in range(1, min(cap, g.shape[0] - 1) + 1):
            np.add(g[s:], np.float32(s * s), out=t[s:])
            np.minimum(out[:-s], t[s:], out=out[:-s])
            np.add(g[:-s], np.float32(s * s), out=t[:-s])
            np.minimum(out[s:], t[:-s], out=out[s:])
        f = np.moveaxis(out, 0, axis)
    dist = np.sqrt(f)
    dist[f > cap * cap] = np.inf
    return dist


# ---------------------------------------------------------------- the model family

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
