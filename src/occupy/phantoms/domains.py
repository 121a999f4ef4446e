"""Random-atom phantoms: four domains holding the same atoms, at known occupancy and blur."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import (ATOMS_PER_VOXEL, CORE_FRACTION, NOISE, Phantom, _above_median, _block, _check_box, _finish,
                   gaussian_blur)

__all__ = ["blur_phantom", "both_phantom", "occupancy_phantom"]

_TETRAHEDRON = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float) / np.sqrt(3)


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
        clean[block] += occ * gaussian_blur(points.astype(np.float64), sigma)
    core = np.zeros((n, n, n), bool)
    for block, dist in blocks:
        core[block] |= _above_median(clean[block], dist <= CORE_FRACTION * radius)
    return _finish(family, seed, rng, clean, vs, labels, tuple(float(o) for o in occupancies),
                   tuple(float(s) * vs for s in sigmas), core, noise)
