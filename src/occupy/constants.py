"""Numbers that algorithm.md fixes, each named once; every use imports it from here.

Pure Python with no imports, so that the option table (and with it ``occupy --help``)
can use them without loading NumPy.
"""
from __future__ import annotations

__all__ = [
    "BLOCK_VOXELS",
    "CONTENT_FLOOR",
    "DEFAULT_KERNEL_MAX",
    "DEFAULT_KERNEL_MIN",
    "EDGE_LEVEL",
    "FLAT_FRACTION",
    "FLAT_SAMPLE",
    "GAMMA_DEFAULT",
    "GAMMA_MAX",
    "LOWPASS_FLOOR_A",
    "LOWPASS_VOXELS",
    "MAP_EXTENSIONS",
    "MASK_INSIDE",
    "MAX_BOX_MIN",
    "MAX_KERNEL_SIZE",
    "MIN_VIS_SCALE",
    "N_BINS",
    "OCC_FILTERS",
    "OCC_KERNEL_SIGMAS",
    "OCC_SIGMA_MIN_VOXELS",
    "OCC_SIGMA_PER_LOWPASS",
    "SCALE_LIMIT",
    "THREADS_PER_CPU_CAP",
    "TILES_PER_AXIS",
]

# Parameters (algorithm.md §12)
LOWPASS_FLOOR_A = 8.0      # default lowpass is max(LOWPASS_FLOOR_A, LOWPASS_VOXELS * voxel size)
LOWPASS_VOXELS = 3.0
DEFAULT_KERNEL_MIN = 3     # the derived kernel size is clipped to [min, max]
DEFAULT_KERNEL_MAX = 9
MAX_KERNEL_SIZE = 31       # largest --kernel-size (and ball kernel) accepted
MAX_BOX_MIN = 16           # --max-box is 0 (off) or at least this

# The occ-mode filter (algorithm.md §5.3): a Gaussian of sigma = max(OCC_SIGMA_PER_LOWPASS *
# lowpass, OCC_SIGMA_MIN_VOXELS * voxel size), band-limited at sigma / OCC_SIGMA_PER_LOWPASS,
# where its amplitude is exp(-2 pi^2 OCC_SIGMA_PER_LOWPASS^2) = 2.3%; the kernel is derived
# as for a lowpass of OCC_KERNEL_SIGMAS * sigma. "lowpass" is the original's hard lowpass.
OCC_FILTERS = ("gaussian", "lowpass")
OCC_SIGMA_PER_LOWPASS = 0.4375   # 3.5 Å for the default 8 Å
OCC_SIGMA_MIN_VOXELS = 1.5
OCC_KERNEL_SIGMAS = 3.0

# Tile search (algorithm.md §4)
TILES_PER_AXIS = 20

# Solvent model and confidence (algorithm.md §6, §7)
N_BINS = 1000              # histogram bins of the solvent sample and of the whole map
EDGE_LEVEL = 1e-9          # model value that marks the solvent edge
CONTENT_FLOOR = 0.01       # added to histogram heights in the raw confidence
MASK_INSIDE = 0.9          # --solvent-def values above this count as inside
FLAT_FRACTION = 0.2        # more voxels than this at one value: the input looks masked/flattened (warn)
FLAT_SAMPLE = 200_000      # voxels sampled (evenly strided) to find that value

# Modification (algorithm.md §8)
PARTIAL_SCALE = 0.5        # summaries: a non-solvent voxel with scale below this is partially occupied
SCALE_LIMIT = 0.05         # default --scale-limit: never modify where scale <= this
GAMMA_DEFAULT = 2.0        # gamma used when a modification is asked without --gamma
GAMMA_MAX = 1000.0         # largest --gamma (and --sigmoid power) accepted

# Visualisation (algorithm.md §9; usage.md)
MIN_VIS_SCALE = 0.2        # default --min-vis-scale

# Output names (usage.md): extensions stripped from an input's name to make the outputs' stem
MAP_EXTENSIONS = (".gz", ".mrc", ".map", ".ccp4", ".mrcs", ".rec")

# Threads: counts above this many per usable CPU are clamped (with one warning)
THREADS_PER_CPU_CAP = 4

# Memory: voxels per block of the blocked per-voxel passes (bounds temporaries to a few MB)
BLOCK_VOXELS = 1 << 20
