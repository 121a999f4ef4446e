"""What every phantom family shares: the ``Phantom`` record, its constants, and the steps that
finish a phantom (scaling, noise, shell) and measure its regions."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ATOMS_PER_VOXEL", "CORE_DEPTH_A", "CORE_FRACTION", "gaussian_blur", "LABEL_RADIUS_A", "MODEL_B",
           "MODEL_OCCUPANCIES", "MODEL_PDB", "NOISE", "Phantom", "SHELL"]

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
    >>> from occupy.phantoms import occupancy_phantom
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
        >>> from occupy.phantoms import occupancy_phantom
    >>> ph = occupancy_phantom(0, box=32)
        >>> truth = ph.truth()
        >>> float(truth[ph.labels == 2].min()), float(truth[ph.labels == 0].max())
        (0.75, 0.0)
        """
        return np.array((0.0, *self.occupancies), np.float32)[self.labels]


def _check_box(box: int, voxel_size: float) -> tuple[int, float]:
    if int(box) != box or box < 32:
        raise ValueError(f"box must be an integer of at least 32 voxels, not {box!r}")
    if not voxel_size > 0:
        raise ValueError(f"voxel_size must be positive, not {voxel_size!r}")
    return int(box), float(voxel_size)


def _block(n: int, centre: np.ndarray, half: float) -> tuple[tuple[slice, ...], np.ndarray]:
    """A sub-box around ``centre``, inside the box, and each voxel's distance to ``centre``."""
    side = min(n, 8 * int(np.ceil((2 * half + 1) / 8)))     # a multiple of 8: a quick FFT
    lo = np.clip(np.rint(centre).astype(int) - side // 2, 0, n - side)
    z, y, x = (np.arange(a, a + side) - c for a, c in zip(lo, centre))
    dist = np.sqrt(z[:, None, None] ** 2 + y[None, :, None] ** 2 + x[None, None, :] ** 2)
    return tuple(slice(a, a + side) for a in lo), dist


def gaussian_blur(vol: np.ndarray, sigma: float) -> np.ndarray:
    """Periodic Gaussian blur of σ voxels, by FFT (float64 NumPy: the phantoms' and the demo's truth).

    Parameters
    ----------
    vol : numpy.ndarray
        A 3-D array.
    sigma : float
        The Gaussian's standard deviation in voxels.

    Returns
    -------
    numpy.ndarray
        The blurred array, float64.
    """
    freqs = [np.fft.fftfreq(k) for k in vol.shape[:2]] + [np.fft.rfftfreq(vol.shape[2])]
    fz, fy, fx = np.meshgrid(*freqs, indexing="ij", sparse=True)
    transfer = np.exp(-2.0 * (np.pi * sigma) ** 2 * (fz ** 2 + fy ** 2 + fx ** 2))
    return np.fft.irfftn(np.fft.rfftn(vol) * transfer, s=vol.shape, axes=(0, 1, 2))


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
