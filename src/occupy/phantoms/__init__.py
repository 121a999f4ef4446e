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

from collections.abc import Callable

from .base import MODEL_B, MODEL_OCCUPANCIES, MODEL_PDB, NOISE, Phantom
from .domains import blur_phantom, both_phantom, occupancy_phantom
from .model import model_phantom

__all__ = ["FAMILIES", "MODEL_B", "MODEL_OCCUPANCIES", "MODEL_PDB", "NOISE", "Phantom", "blur_phantom", "both_phantom", "model_phantom",
           "occupancy_phantom"]

FAMILIES: dict[str, Callable[..., Phantom]] = {
    "occupancy": occupancy_phantom, "blur": blur_phantom, "both": both_phantom, "model": model_phantom}
"""The families by name; each is called as ``FAMILIES[name](seed, box, voxel_size)``."""
