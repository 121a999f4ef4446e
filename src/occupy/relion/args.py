"""RELION's ``--name value`` arguments of an External job, turned into ``occupy.run`` options.

Every occupy option is accepted under its long name (``--gamma 4``, ``--exclude-solvent
yes``; ``_`` or ``-``), with RELION's own ``--o``, ``--in_3dref``, ``--in_mask`` and ``--j``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import OptionError
from ..options import option_table
from ..optionspec import Option, resolve_switches, set_flag_value

__all__ = ["PROGRAM", "parse_relion_args"]

PROGRAM = "occupy-relion"

# RELION's own arguments that occupy does not use
_IGNORED = {"pipeline_control", "verbose"}
# RELION inputs occupy cannot take
_WRONG_INPUTS = {"in_mov": "movies", "in_mic": "micrographs", "in_part": "particles",
                 "in_coords": "coordinates"}
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def _parameter_table() -> dict[str, tuple[Option, Any]]:
    """RELION parameter name (``-`` separated) -> (option, value a true flag sets).

    The value is None for an option given its own value, the switch's value for a switch
    (``--raw-scale true``), and False for the negative spelling of a boolean
    (``--no-chimerax true``).
    """
    table: dict[str, tuple[Option, Any]] = {}
    for opt in option_table():
        if PROGRAM not in opt.front_ends:
            continue
        for decl in (*opt.flags, *opt.aliases):
            if decl.startswith("--"):
                for i, name in enumerate(decl.split("/")):
                    table[name.lstrip("-").replace("_", "-")] = (opt, False if i == 1 else None)
        for switch in opt.switches:
            for flag in (*switch.flags, *switch.aliases):
                table[flag.lstrip("-").replace("_", "-")] = (opt, switch)
    return table


def _convert(name: str, raw: str, kind: Any) -> Any:
    text = raw.strip()
    if kind is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise OptionError(f"parameter --{name}: expected true/false/yes/no, got {raw!r}")
    try:
        if kind is int:
            value = float(text)
            if value != int(value):
                raise ValueError
            return int(value)
        return kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number" if kind is float else "a value"
        raise OptionError(f"parameter --{name}: expected {what}, got {raw!r}") from None


def _split(argv: list[str]) -> list[tuple[str, str | None]]:
    """``--name value`` / ``--name=value`` / bare ``--flag`` (value None) pairs, in order."""
    pairs: list[tuple[str, str | None]] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--") or len(arg) == 2:
            raise OptionError(f"unexpected argument {arg!r}: parameters must be given as --name value")
        key, eq, value = arg[2:].partition("=")
        if eq:
            i += 1
        elif i + 1 < len(argv) and not (argv[i + 1].startswith("--") and len(argv[i + 1]) > 2):
            value = argv[i + 1]
            i += 2
        else:
            value = None    # a bare --flag (RELION never does this, people typing it do)
            i += 1
        pairs.append((key, value))
    return pairs


def parse_relion_args(argv: list[str]) -> tuple[Path, Path, dict[str, Any]]:
    """Parse RELION's ``--name value`` arguments into (job dir, input map, run options).

    Parameters
    ----------
    argv : list of str
        ``--o``, ``--in_3dref``, ``--in_mask``, ``--j`` and occupy options (booleans as yes/no).

    Returns
    -------
    tuple of (pathlib.Path, pathlib.Path, dict)
        Job directory, input (a map, or a classification's ``*_model.star`` or job
        directory) and ``occupy.run`` keywords (typed, not yet range-checked).

    Raises
    ------
    OptionError
        For an unknown parameter, a malformed value, or no ``--o`` or ``--in_3dref``.

    Examples
    --------
    >>> parse_relion_args(["--o", "job/", "--in_3dref", "m.mrc", "--amplify", "yes", "--gamma", "4"])[2]
    {'amplify': True, 'gamma': 4.0}
    """
    table = _parameter_table()
    own: dict[str, str] = {}
    options: dict[str, Any] = {}
    switches: dict[str, dict[Any, bool]] = {}
    flag_values: list[tuple[Option, float]] = []      # --amplify 4: checked against --gamma once all are read
    for key, value in _split(argv):
        _assign(key, value, table, own, options, switches, flag_values)
    for opt, value in flag_values:
        set_flag_value(opt, value, options)
    if "o" not in own:
        raise OptionError("missing --o JOBDIR (RELION passes the job directory)")
    if "in_3dref" not in own:
        raise OptionError("missing --in_3dref MAP: give the map (or a classification's model.star or job "
                          "directory) as 'Input 3D reference'")
    for opt in option_table():
        if opt.name in switches:
            options[opt.name] = resolve_switches(opt, switches[opt.name])
    return Path(own["o"]), Path(own["in_3dref"]), options


def _assign(key: str, value: str, table: dict, own: dict, options: dict, switches: dict,
            flag_values: list) -> None:
    """Put one ``--key value`` where it belongs: RELION's own, an occupy option, or a switch."""
    ukey = key.replace("-", "_")
    if value is None and ukey in ("o", "in_3dref", "in_mask", "j"):
        raise OptionError(f"--{key} needs a value (RELION passes --o JOBDIR --in_3dref MAP)")
    if ukey in ("o", "in_3dref"):
        own[ukey] = value
    elif ukey == "in_mask":
        options["solvent_def"] = value
    elif ukey == "j":
        options["threads"] = _convert("j", value, int)
    elif ukey in _IGNORED:
        pass
    elif any(ukey.startswith(p) for p in _WRONG_INPUTS):
        kind = next(v for p, v in _WRONG_INPUTS.items() if ukey.startswith(p))
        raise OptionError(f"--{key}: occupy does not take {kind}; give a map as 'Input 3D reference'")
    elif key.replace("_", "-") in table:
        opt, sets = table[key.replace("_", "-")]
        if value is None and opt.kind is not bool:
            raise OptionError(f"--{key} needs a value")
        value = "true" if value is None else value
        if opt.value_sets and sets is None and value.strip().lower() not in _TRUE | _FALSE:
            try:      # --amplify 4: the original program's form of --amplify --gamma 4
                flag_values.append((opt, float(value)))
            except ValueError:
                raise OptionError(f"parameter --{key}: expected true/false/yes/no or a number (its "
                                  f"--{opt.value_sets}), got {value!r}") from None
            options[opt.name] = True
        elif sets is None or sets is False:
            converted = _convert(key, value, opt.kind)
            options[opt.name] = (not converted) if sets is False else converted
        else:
            switches.setdefault(opt.name, {})[sets.value] = _convert(key, value, bool)
    else:
        raise OptionError(f"unknown parameter --{key} (use occupy option names, e.g. --gamma 4, "
                          "--amplify true, --exclude-solvent yes, --lowpass 6; see occupy --help-all)")
