"""The fields of ``occupy.options.RunOptions`` for the map, its modification and the estimate.

``RunOptions`` derives from ``_MapOptions`` and adds the output and run settings, so that its
fields, and with them every front end's options, keep the order in which they are declared
here and there (input, modification, estimation, output, run). Each field is declared once,
with its ``occupy.optionspec.Option``; see ``RunOptions`` for what each one means.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .constants import (
    GAMMA_DEFAULT,
    GAMMA_MAX,
    MASK_INSIDE,
    MAX_BOX_MIN,
    MAX_KERNEL_SIZE,
    OCC_FILTERS,
    SCALE_LIMIT,
    PARTIAL_SCALE,
)
from .optionspec import PANELS, Option, Switch

__all__ = ["ANGSTROM", "SOFT_EDGE_DEFAULT", "SUBTRACT_BELOW_DEFAULT"]


def _option(default: Any, *flags: str, **spec: Any) -> Any:
    """A ``RunOptions`` field with its ``Option`` declaration."""
    return field(default=default, metadata={"option": Option(flags=tuple(flags), **spec)})


ANGSTROM = "Å"
SUBTRACT_BELOW_DEFAULT = PARTIAL_SCALE      # --subtract-scale-below when not given
SOFT_EDGE_DEFAULT = 6.0                     # --mask-soft-edge (Å) when not given
_IN, _MOD, _EST, _OUT, _RUN = PANELS


@dataclass
class _MapOptions:
    """The input, modification and estimation settings of ``RunOptions`` (documented there)."""

    # input
    resolution: float | None = _option(
        None, "-r", "--resolution", kind=float, panel=_IN, everyday=True, metavar=ANGSTROM, low=0, low_open=True,
        help="Nominal resolution (Å); sets the lowpass.",
        details="Used as the lowpass when --lowpass is not given. If both are given the larger (coarser) "
                "one is used.")
    lowpass: float | None = _option(
        None, "-lp", "--lowpass", kind=float, panel=_IN, everyday=True, metavar=ANGSTROM, low=0, low_open=True,
        help="Lowpass (Å) before solvent modelling / occ scale.",
        details="Default max(8 Å, 3 x voxel size). Sets the kernel size and radius too (k = lowpass/voxel, "
                "radius = lowpass/(2 voxel)). Larger values give smoother, more confident scale; use the worst "
                "resolution among the components whose occupancy you want.")
    solvent_def: str | None = _option(
        None, "--solvent-def", aliases=("--solvent-definition",), kind=str, must_exist=True, panel=_IN,
        everyday=True, metavar="MASK",
        help=f"Mask (>{MASK_INSIDE:g} = inside) helping to find solvent.",
        details="A rough mask of the molecule. Only used to pick the solvent sample for the solvent model "
                "(inside or outside, whichever is flatter); it does not limit where the map is modified. "
                "Must have the input's voxel size; a mask of another box is placed by the headers' origins, "
                "padded or cropped (with a warning). --save-solvent-def writes one from the scale.")
    pixel_size: float | None = _option(
        None, "--pixel-size", kind=float, panel=_IN, metavar=ANGSTROM, low=0, low_open=True,
        help="Voxel size (Å) if the header's is missing or wrong.",
        details="Overrides the voxel size in the header for the calculation and the outputs.")
    # modification
    amplify: bool = _option(
        False, "-am", "--amplify", kind=bool, panel=_MOD, everyday=True, value_sets="gamma",
        help="Amplify confident partial occupancy.",
        details="Scales each voxel by S^(1/gamma - 1), raising a component of scale S towards S^(1/gamma). "
                "Writes ampl_<gamma>_<stem>.mrc. Uses the occ-mode (lowpassed) scale. --amplify G (the original "
                "program's form) is --amplify --gamma G.")
    attenuate: bool = _option(
        False, "-at", "--attenuate", kind=bool, panel=_MOD, everyday=True, value_sets="gamma",
        help="Attenuate partial occupancy.",
        details="Scales each voxel by S^(gamma - 1), weakening low-scale components (detergent belts, "
                "flexible parts); fills what was removed with synthetic solvent noise. Writes "
                "attn_<gamma>_<stem>.mrc. --attenuate G is --attenuate --gamma G.")
    gamma: float | None = _option(
        None, "-g", "--gamma", kind=float, panel=_MOD, everyday=True, metavar="G", low=1, high=GAMMA_MAX,
        hint="values below 1 would swap amplification and attenuation - use the other option instead",
        help="Strength of amplify/attenuate (>= 1).",
        details=f"1 changes nothing; 2-5 is typical for amplification, 2-3 for attenuation; ~30 is the limit "
                f"(everything non-solvent full, or only full-scale parts kept). Default {GAMMA_DEFAULT:g}; "
                f"at most {GAMMA_MAX:g}.")
    exclude_solvent: bool = _option(
        False, kind=bool, panel=_MOD, everyday=True, help="Flatten solvent in the outputs.",
        switches=(Switch(("--exclude-solvent",), True, "Flatten solvent in the outputs.",
                         "Multiplies by the solvent confidence so solvent goes to zero. Alone, writes "
                         "solExcl_<stem>.mrc; with --amplify/--attenuate the modified maps get _solExcl."),
                  Switch(("--retain-solvent",), False, "Keep solvent as it is (the default).")))
    sigmoid: float | None = _option(
        None, "--sigmoid", kind=float, panel=_MOD, metavar="G", low=1, high=GAMMA_MAX,
        help="Sigmoid modification with this power.",
        details="Pushes scale above --pivot up and below it down with f(S) = 1/(1+(mu(1-S)/(S(1-mu)))^G); "
                "writes sigm_<G>-<P>_<stem>.mrc. Needs --pivot.")
    pivot: float | None = _option(
        None, "--pivot", kind=float, panel=_MOD, metavar="P", low=0, high=1, low_open=True, high_open=True,
        help="Fixed point of --sigmoid (0..1).",
        details="The scale value the sigmoid leaves unchanged.")
    hedge_confidence: float | None = _option(
        None, "--hedge-confidence", kind=float, panel=_MOD, metavar="P", low=1,
        help="Raise confidence to this power.",
        details="Values > 1 make the solvent confidence more conservative, e.g. 10 when amplification shows "
                "a sphere of noise around the molecule.")
    scale_limit: float = _option(
        SCALE_LIMIT, "--scale-limit", kind=float, panel=_MOD, low=0, high=1, high_open=True,
        help="Never modify where scale <= this.",
        details=f"Voxels at or below this scale are left as they are (default {SCALE_LIMIT:g}).")
    lowpass_output: float | None = _option(
        None, "--lowpass-output", kind=float, panel=_MOD, metavar=ANGSTROM, low=0, low_open=True,
        help="Lowpass (Å) the modified maps.",
        details="Optional hard lowpass of each modified map before the final clip.")
    hist_match: bool = _option(
        False, "--hist-match", kind=bool, panel=_MOD,
        help="Match output histogram to the input's.",
        details="Instead of clipping outputs to the input range, map their values onto the input's value "
                "distribution.")
    omit_confidence: bool = _option(
        False, "--omit-confidence", kind=bool, panel=_MOD,
        help="Ignore the solvent model (expert).",
        details="Uses confidence 1 everywhere: solvent noise will be amplified too.")
    seed: int = _option(
        0, "--seed", kind=int, panel=_MOD, low=0,
        help="Seed of the synthetic solvent noise.",
        details="Attenuation adds seeded noise; the same seed gives identical output bits.")
    # estimation
    tau: float | None = _option(
        None, "-t", "--tau", kind=float, panel=_EST, metavar="TAU", low=0, high=1, low_open=True,
        help="Percentile of the full-scale tile (0..1].",
        details="Default derived from n_v (x^n_v + x - 1 = 0). Lower values put more of the map at scale 1; "
                "prefer changing the kernel size.")
    kernel_size: int | None = _option(
        None, "-k", "--kernel-size", aliases=("--kernel",), kind=int, panel=_EST, metavar="K", low=3,
        high=MAX_KERNEL_SIZE, odd=True, help=f"Kernel box size (odd, 3..{MAX_KERNEL_SIZE}).",
        details="Default lowpass/voxel made odd and clipped to 3..9. Given without --kernel-radius, the radius "
                "is at least (K-1)/2, so a larger K samples more voxels (n_v) and raises tau. 5 or 7 is usually "
                "right (n_v 30-120).")
    kernel_radius: float | None = _option(
        None, "--kernel-radius", kind=float, panel=_EST, metavar="R", low=0, low_open=True,
        help="Kernel radius (voxels).",
        details="Default lowpass/(2 voxel), or (K-1)/2 if larger when --kernel-size K is given. Voxels of "
                "the k^3 box within this radius form the kernel.")
    tile_size: int | None = _option(
        None, "--tile-size", kind=int, panel=_EST, metavar="N", low=1,
        help="Side (voxels) of full-scale search tiles.",
        details="Default box/20 per axis (12 for a 240-259 box). Smaller tiles narrow what counts as full "
                "scale and stretch the scale range.")
    scale_mode: str = _option(
        "auto", kind=str, panel=_EST, choices=("auto", "occ", "res"),
        help="Scale mode: occ (smoothed map) or res (raw map); auto picks occ when modifying.",
        switches=(Switch(("--lp-scale",), "occ", "Estimate scale on the smoothed map (occ mode).",
                         "occ mode: removes most resolution effects so the scale approximates occupancy "
                         "(--occ-filter). "
                         "Default when modifying.", aliases=("--occupancy",)),
                  Switch(("--raw-scale",), "res", "Estimate scale on the raw map.",
                         "res mode: scale includes resolution effects. Default when only estimating.",
                         aliases=("--raw_scale",))))
    occ_filter: str = _option(
        OCC_FILTERS[0], "--occ-filter", kind=str, panel=_EST, choices=OCC_FILTERS, metavar="gaussian|lowpass",
        help="Filter before the occ-mode scale: gaussian (default) or lowpass (the original's).",
        details="gaussian: a Gaussian of sigma = 0.44 x the lowpass (3.5 Å for the default 8 Å, at least 1.5 "
                "voxels), with the kernel derived as for a lowpass of 3 sigma; the scale then follows occupancy "
                "much less than local resolution. lowpass: the hard spherical lowpass of the original OccuPy, "
                "exactly. Only occ mode uses it; the solvent model always uses the hard lowpass.")
    s0: bool = _option(
        False, "--s0", kind=bool, panel=_EST,
        help="Naive full scale: tau x map maximum.",
        details="Skips the tile search; writes scale_naive_<stem>.mrc.")
    max_box: int = _option(
        0, "--max-box", kind=int, panel=_EST, low=MAX_BOX_MIN, off=0,
        help="Downsample to this box first (0 = never).",
        details="Fourier-crops larger maps for speed; outputs are padded back to the input box.")
