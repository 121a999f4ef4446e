"""What each warning of a run means and what to try (the wording of docs/troubleshooting.md)."""
from __future__ import annotations

import re

__all__ = ["advice_for"]

# (pattern of the warning, what it means, what to try)
_ADVICE: tuple[tuple[str, str, str], ...] = (
    (r"solvent model looks poor",
     "Most bins of the lowpassed map's histogram have low confidence of not being solvent. Modification is "
     "applied only where the solvent model is confident, so weak components may be left unchanged, or noise "
     "near the solvent may be amplified.",
     "Look at the solvent model below: the fit should hug the left (solvent) peak and the confidence should "
     "rise to 1 before the density you want to change. If not, give a rough mask of the molecule with "
     "--solvent-def mask.mrc, or hedge with --hedge-confidence 10."),
    (r"voxels are exactly",
     "The map was solvent-flattened or masked: the solvent is not Gaussian, so the fitted solvent model is too "
     "narrow, its mean wrong, and the scale may follow the mask's edge.",
     "Use the map from before masking/post-processing if you can; occupy is meant for unmasked maps."),
    (r"small kernel|fills only part of the",
     "The kernel holds few voxels (n_v), so tau is low and much of the map reaches scale 1.",
     "Raise --kernel-size (5 or 7, n_v about 30 to 120) or --lowpass rather than --tau."),
    (r"both --lowpass .* and --resolution",
     "Only the larger (coarser) of the two is used as the lowpass.", "Give one of them."),
    (r"no --gamma given",
     "Amplification or attenuation used the default strength.",
     "Give --gamma G: 2 to 5 is typical for --amplify, 2 to 3 for --attenuate."),
    (r"has no effect",
     "An option was given that this run does not use.", "Leave it out, or add the option it needs."),
    (r"anisotropic voxels",
     "The X voxel size is used for all axes.", "Resample the map if the difference matters."),
    (r"--threads .* is more than|OMP_NUM_THREADS",
     "Fewer threads are used than asked for.", "Nothing to do."),
)


def advice_for(warning: str) -> tuple[str, str]:
    """What a warning means and what to try.

    Parameters
    ----------
    warning : str
        A warning of the run, as in the log.

    Returns
    -------
    (str, str)
        Meaning and what to try; generic text for a warning not known here.

    Examples
    --------
    >>> advice_for("anisotropic voxels (1, 1.1, 1); using the X size")[1]
    'Resample the map if the difference matters.'
    """
    for pattern, meaning, action in _ADVICE:
        if re.search(pattern, warning):
            return meaning, action
    return ("See docs/troubleshooting.md for this message.", "Check the log for the numbers it refers to.")
