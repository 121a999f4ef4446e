"""How an option is declared, spelled and checked: ``Option``, ``Switch``, ``check_value``.

The declarations themselves are the fields of ``occupy.options.RunOptions`` (and, for
what only a command line has, ``occupy.cli.common.COMMAND_OPTIONS``).
"""
from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass
from typing import Any

from .errors import OptionError

__all__ = ["FRONT_ENDS", "PANELS", "Option", "Switch", "check_value", "resolve_switches", "set_flag_value"]

PANELS = ("Input", "Modification", "Estimation", "Output", "Run")
FRONT_ENDS = frozenset({"occupy", "occupy-batch", "occupy-relion"})
_UNSET: Any = object()


@dataclass(frozen=True)
class Switch:
    """A flag that sets its option to one value (``--raw-scale`` sets ``scale_mode='res'``).

    Parameters
    ----------
    flags : tuple of str
        Command-line spellings, e.g. ``("--lp-scale", "--occupancy")``.
    value : object
        The value the option gets when the flag is given.
    help : str
        One line for ``--help``.
    details : str
        More for ``--help-all`` and the documentation.
    aliases : tuple of str
        Other accepted spellings, not shown in the option column (``--raw_scale``).
    """

    flags: tuple[str, ...]
    value: Any
    help: str
    details: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        """Identifier of the flag's parsed value, made from the first spelling.

        Returns
        -------
        str
            ``"--raw-scale"`` gives ``"raw_scale"``.
        """
        return self.flags[0].lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Option:
    """How one setting is spelled, parsed, checked and explained.

    Parameters
    ----------
    flags : tuple of str
        Command-line spellings, e.g. ``("-g", "--gamma")``; a boolean option may have an
        ``"--on/--off"`` pair. Empty for options spelled only through ``switches``.
    kind : type
        ``float``, ``int``, ``str`` or ``bool``: how text is parsed.
    panel : str
        Help panel, one of ``PANELS``.
    help : str
        One line for ``--help``.
    details : str
        More for ``--help-all`` and the documentation.
    everyday : bool
        Shown by ``--help`` (otherwise only by ``--help-all``).
    metavar : str, optional
        Placeholder of the value in help texts.
    low, high : float, optional
        Accepted range (None: unbounded on that side).
    low_open, high_open : bool
        Exclude the bound itself from the range.
    odd : bool
        Only odd integers are accepted.
    off : object, optional
        One value accepted outside the range, meaning "off" (``--max-box 0``).
    choices : tuple, optional
        The accepted values (for options without a range).
    hint : str
        Appended to the message about a value below the range or with a refused suffix.
    refuse_suffixes : tuple of str
        Text values ending in one of these (case-insensitive) are refused (``-o out.mrc``).
    must_exist : bool
        A text value names a file that must exist (``--solvent-def MASK``).
    new_file : bool
        A text value names a file to write, in an existing directory, or is ``-``
        (standard output): ``--json PATH|-``.
    switches : tuple of Switch
        Flags that each set the option to one value.
    aliases : tuple of str
        Other accepted spellings of the first long flag, not shown in the option column
        (``--solvent-definition`` for ``--solvent-def``; the original program's forms).
    value_sets : str
        For a boolean flag that may be followed by a number: the option that number sets
        (``--amplify 4`` sets ``gamma``, as the original program's ``--amplify G`` did).
    front_ends : frozenset of str
        Programs that offer the option (``FRONT_ENDS``); the API takes every option.
    name : str
        The ``RunOptions`` field (filled in by ``option_table``).
    default : object
        The field's default (filled in by ``option_table``).
    """

    flags: tuple[str, ...]
    kind: type
    panel: str
    help: str
    details: str = ""
    everyday: bool = False
    metavar: str | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    odd: bool = False
    off: Any = _UNSET
    choices: tuple = ()
    hint: str = ""
    refuse_suffixes: tuple[str, ...] = ()
    must_exist: bool = False
    new_file: bool = False
    switches: tuple[Switch, ...] = ()
    aliases: tuple[str, ...] = ()
    value_sets: str = ""
    front_ends: frozenset = FRONT_ENDS
    name: str = ""
    default: Any = None

    @property
    def flag(self) -> str:
        """The long spelling used in messages.

        Returns
        -------
        str
            The first long flag (``--gamma``), else the first flag of each switch joined
            by ``/``, else ``--<name>``.
        """
        longs = [f.split("/")[0] for f in self.flags if f.startswith("--")]
        if longs:
            return longs[0]
        return "/".join(s.flags[0] for s in self.switches) or f"--{self.name.replace('_', '-')}"

    @property
    def rule(self) -> str:
        """The accepted values in words, as messages show them.

        Returns
        -------
        str
            E.g. ``in (0, 1]``, ``between 3 and 31``, ``>= 1``, ``one of auto, occ, res``.
        """
        low, high = self.low, self.high
        if low is not None and high is not None:
            if self.kind is int and not (self.low_open or self.high_open):
                return f"between {low:g} and {high:g}"
            return f"in {'(' if self.low_open else '['}{low:g}, {high:g}{')' if self.high_open else ']'}"
        if low is not None:
            if self.off is not _UNSET:
                return f"{self.off!r} (off) or at least {low:g}"
            if low == 0 and self.low_open:
                return "positive"
            return f"at least {low:g}" if self.kind is int else f"{'>' if self.low_open else '>='} {low:g}"
        if high is not None:
            return f"{'<' if self.high_open else '<='} {high:g}"
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        return "valid"


def _check_new_file(opt: Option, value: str) -> None:
    if os.path.isdir(value):
        raise OptionError(f"{opt.flag} {value}: is a directory; give a file name")
    parent = os.path.dirname(os.path.abspath(value))
    if not os.path.isdir(parent):
        raise OptionError(f"{opt.flag} {value}: directory {parent} does not exist")


def _missing_file(opt: Option, value: str) -> None:
    what = (opt.metavar or "file").lower()
    if os.path.isdir(value):
        raise OptionError(f"{opt.flag} {what} is a directory, not a file: {value}")
    if os.path.lexists(value) and not os.path.exists(value):
        raise OptionError(f"{opt.flag} {what} is a broken link: {value}")
    if os.path.exists(value):
        raise OptionError(f"{opt.flag} {what} is not a regular file: {value}")
    raise OptionError(f"{opt.flag} {what} not found: {value}")


def check_value(opt: Option, value: Any) -> Any:
    """Validate a value against an option's declaration; return it unchanged.

    Parameters
    ----------
    opt : Option
        The declaration (kind, range, choices).
    value : object
        The value; ``None`` is accepted where the default is ``None``.

    Returns
    -------
    object
        ``value`` itself.

    Raises
    ------
    OptionError
        With the message every front end shows, e.g. ``--tau must be in (0, 1], got 1.5``.
    """
    if value is None and opt.default is None:
        return value
    if opt.kind in (int, float):
        _check_number(opt, value)
    elif opt.kind is bool and not isinstance(value, bool):
        raise OptionError(f"{opt.flag} must be true or false, got {value!r}")
    elif opt.kind is str and not isinstance(value, (str, os.PathLike)):
        raise OptionError(f"{opt.flag} must be text or a path, got {value!r}")
    elif opt.kind is str and opt.must_exist and not os.path.isfile(value):
        _missing_file(opt, os.fspath(value))
    elif opt.kind is str and str(value).lower().endswith(opt.refuse_suffixes):
        raise OptionError(f"{opt.flag} {str(value)!r} ends in a map extension: {opt.hint}")
    elif opt.kind is str and opt.new_file and os.fspath(value) != "-":
        _check_new_file(opt, os.fspath(value))
    if opt.choices and value not in opt.choices:
        raise OptionError(f"{opt.flag} must be {opt.rule}, got {value!r}")
    return value


def _check_number(opt: Option, value: Any) -> None:
    def bad(rule: str, hint: str = "") -> OptionError:
        return OptionError(f"{opt.flag} must be {rule}, got {value!r}" + (f"; {hint}" if hint else ""))

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise bad("a number")
    if not math.isfinite(float(value)):
        raise bad("a finite number")
    if opt.kind is int and int(value) != value:
        raise bad("an integer")
    if opt.off is not _UNSET and value == opt.off:
        return
    if opt.odd and int(value) % 2 == 0:
        raise bad("odd")
    below = opt.low is not None and (value <= opt.low if opt.low_open else value < opt.low)
    above = opt.high is not None and (value >= opt.high if opt.high_open else value > opt.high)
    if below or above:
        raise bad(opt.rule, opt.hint if below else "")


def resolve_switches(opt: Option, given: dict[Any, bool]) -> Any:
    """Find the value an option's switches set.

    Parameters
    ----------
    opt : Option
        An option with ``Option.switches``.
    given : dict
        Switch value -> whether its flag was given.

    Returns
    -------
    object
        The value of the switch given, or the option's default when none was.

    Raises
    ------
    OptionError
        When switches of different values were given (``--lp-scale`` with ``--raw-scale``).
    """
    chosen = [s for s in opt.switches if given.get(s.value)]
    if len({s.value for s in chosen}) > 1:
        raise OptionError(" and ".join("/".join(s.flags) for s in chosen) + " contradict each other")
    return chosen[0].value if chosen else opt.default


def set_flag_value(opt: Option, value: float, options: dict[str, Any]) -> None:
    """Set the value that a flag given with one (``--amplify 4``) sets for ``opt.value_sets``.

    Parameters
    ----------
    opt : Option
        An option with ``Option.value_sets`` (``amplify`` sets ``gamma``).
    value : float
        The value given after its flag.
    options : dict
        The options so far (name -> value); gets ``opt.value_sets``.

    Raises
    ------
    OptionError
        When ``options`` already holds a different value for it (``--amplify 4 --gamma 3``,
        or ``--amplify 4 --attenuate 3``).
    """
    given = options.get(opt.value_sets)
    if given is not None and given != value:
        raise OptionError(f"{opt.flag} {value:g} and --{opt.value_sets.replace('_', '-')} {given:g} disagree; "
                          "give the value once")
    options[opt.value_sets] = value
