"""What a run will do, decided from its options before any work: scale mode, gamma, advice.

The advice (a default gamma, options that nothing in the run uses, thread counts that
will not be used as given) is warned once and kept with the run's other warnings.
"""
from __future__ import annotations

from .constants import GAMMA_DEFAULT, OCC_FILTERS
from .errors import warn
from .options import RunOptions
from .threads import thread_advice

__all__ = ["resolve_options"]


def resolve_options(opts: RunOptions, warnings: list[str]) -> tuple[str, float | None]:
    """Decide the scale mode and gamma a run uses.

    Parameters
    ----------
    opts : RunOptions
        The run's options.
    warnings : list of str
        Advice (default gamma, options ignored, thread counts) is appended here and warned.

    Returns
    -------
    tuple of (str, float or None)
        ``occ``/``res`` (``auto``: occ when modifying) and gamma (2 if amplifying/attenuating without it).
    """
    gamma = opts.gamma
    if (opts.amplify or opts.attenuate) and gamma is None:
        gamma = GAMMA_DEFAULT
        warn(f"no --gamma given with --amplify/--attenuate: using --gamma {GAMMA_DEFAULT:g}", warnings)
    for name, suffix in _ignored_options(opts):
        warn(f"{name} has no effect without a modification (--amplify/--attenuate/--sigmoid{suffix}); "
             "ignored", warnings)
    advice = thread_advice(opts.threads)
    if advice:
        warn(advice, warnings)
    mode = opts.scale_mode
    if mode == "auto":
        mode = "occ" if opts.modifying else "res"
    if mode == "res" and opts.occ_filter != OCC_FILTERS[0]:
        warn(f"--occ-filter {opts.occ_filter} has no effect on the res-mode scale (of the raw map); add "
             "--occupancy for the occ-mode scale", warnings)
    return mode, gamma


def _ignored_options(opts: RunOptions) -> list[tuple[str, str]]:
    """Options given that nothing in this run uses: (flag, what else would use it)."""
    flatten = opts.modifying or opts.exclude_solvent
    return [(name, suffix) for name, used, needed, suffix in (
        ("--gamma", opts.gamma is not None, opts.amplify or opts.attenuate, ""),
        ("--pivot", opts.pivot is not None, opts.sigmoid is not None, ""),
        ("--lowpass-output", opts.lowpass_output is not None, opts.modifying, ""),
        ("--hist-match", opts.hist_match, opts.modifying, ""),
        ("--hedge-confidence", opts.hedge_confidence is not None, flatten, "/--exclude-solvent"),
    ) if used and not needed]
