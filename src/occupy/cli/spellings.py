"""Spellings a command line accepts beyond the declared flags, and the original program's options.

Users of the original OccuPy type its forms: ``--raw_scale``, ``--solvent-definition``,
``--emdb-id``, ``--amplify 4``. The declarations list such spellings as ``aliases``
(accepted, but kept out of the help's option column so that it stays readable at 80
columns); :func:`canonical_args` rewrites them to the declared spelling before parsing.
The original's options that occupy does not have get a usage error that says what to use
instead (:data:`ORIGINAL_ONLY`).
"""
from __future__ import annotations

from typing import Iterable

import click

from ..optionspec import Option

__all__ = ["ORIGINAL_ONLY", "alias_map", "canonical_args"]

# The original OccuPy's options that occupy does not have -> what to use instead.
ORIGINAL_ONLY = {
    "--nlrc": "occupy does not re-calibrate the noise level; the solvent model's confidence already keeps "
              "noise from being modified (see --hedge-confidence)",
    "--no-nlrc": "leave it out (occupy never re-calibrates the noise level)",
    "--target-mask": "occupy has no target-kernel estimate; the scale map covers every voxel, so read it "
                     "inside your region of interest (e.g. ChimeraX 'measure mapvalues' at that region's atoms)",
    "--output-map": "outputs are named after the input (scale_res_<stem>.mrc, ...); choose their directory "
                    "with -o/--output-dir DIR",
    "--keep-output-path": "give the input's directory with -o/--output-dir DIR",
    "--no-keep-output-path": "leave it out (outputs go to -o/--output-dir, default the current directory)",
    "--chimerax-silent": "the ChimeraX script is written by default (--no-chimerax to skip it); open it with "
                         "chimerax chimX_<stem>.cxc, or use --show-chimerax",
    "--no-chimerax-silent": "leave it out; --show-chimerax opens ChimeraX",
    "--S0": "use --s0 (lower case)",
    "--SW": "leave it out (the tile search is the default; --s0 replaces it)",
    "--no-plot": "leave it out (plots are written only with --plot)",
    "--no-save-all-maps": "leave it out (extra maps are written only with --save-all-maps)",
    "--no-hist-match": "leave it out (histogram matching happens only with --hist-match)",
    "--no-omit-confidence": "leave it out (confidence is used unless --omit-confidence)",
    "--no-show-chimerax": "leave it out (ChimeraX starts only with --show-chimerax)",
}


def alias_map(options: Iterable[Option]) -> dict[str, str]:
    """Every alias of ``options`` (and of their switches) -> the declared spelling it stands for.

    Parameters
    ----------
    options : iterable of Option
        The declarations a program offers.

    Returns
    -------
    dict of str to str
        E.g. ``{"--raw_scale": "--raw-scale", "--solvent-definition": "--solvent-def"}``.
    """
    out: dict[str, str] = {}
    for opt in options:
        longs = [f.split("/")[0] for f in opt.flags if f.startswith("--")]
        out.update({alias: longs[0] for alias in opt.aliases if longs})
        for switch in opt.switches:
            out.update({alias: switch.flags[0] for alias in switch.aliases})
    return out


def canonical_args(args: list[str], options: Iterable[Option]) -> list[str]:
    """Arguments with every alias replaced by its declared spelling (``--x=v`` too).

    Parameters
    ----------
    args : list of str
        The command line (without the program name).
    options : iterable of Option
        The declarations the program offers.

    Returns
    -------
    list of str
        The rewritten arguments; everything after ``--`` is left as it is.

    Raises
    ------
    click.UsageError
        For an option of the original program that occupy does not have, saying what to
        use instead.

    Examples
    --------
    >>> from occupy.cli.common import command_options
    >>> canonical_args(["-i", "m.mrc", "--raw_scale", "--solvent-definition=mask.mrc"], command_options("occupy"))
    ['-i', 'm.mrc', '--raw-scale', '--solvent-def=mask.mrc']
    """
    aliases = alias_map(options)
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        name, eq, value = arg.partition("=")
        if name in ORIGINAL_ONLY:
            raise click.UsageError(f"{name} is an option of the original OccuPy that occupy does not have: "
                                   f"{ORIGINAL_ONLY[name]}")
        out.append(aliases[name] + eq + value if name in aliases else arg)
    return out
