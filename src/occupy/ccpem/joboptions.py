"""The pipeliner job's options, generated from occupy's one declaration of options.

Every option ``occupy-relion`` takes (the ``occupy.options.RunOptions`` fields it is
offered to) becomes a job option of the same name, help, range and default, in a group
named after its help panel. Threads come from the pipeliner's own "Number of threads".
``relion_arguments`` turns the job's values back into ``occupy-relion`` arguments, and
``check_job_values`` checks them with ``occupy.options.check_option``, the validation
every front end uses. Nothing here imports the pipeliner.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import OptionError
from ..options import ANGSTROM, RunOptions, check_option, option_table
from ..optionspec import Option
from ..relion.args import PROGRAM

__all__ = ["JobOptionSpec", "check_job_values", "job_option_specs", "relion_arguments"]

# options the pipeliner itself provides, in its Running tab
_FROM_PIPELINER = frozenset({"threads"})
# help panel -> pipeliner job option group ("Main" is shown first, with the input)
_GROUPS = {"Input": "Main"}


@dataclass(frozen=True)
class JobOptionSpec:
    """One pipeliner job option, as generated from an occupy option.

    Parameters
    ----------
    name : str
        The ``RunOptions`` field, also the job option's key in ``job.star``.
    widget : str
        ``"float"``, ``"int"``, ``"bool"``, ``"choice"``, ``"file"`` (an input node) or ``"text"``.
    label : str
        What the GUI shows, e.g. ``"Lowpass (Å)"``.
    help : str
        The option's help, its longer explanation, accepted values and command-line spelling.
    default : object
        The option's default (None: left blank).
    group : str
        The job option group: ``"Main"`` for input options, else the help panel.
    hard_min, hard_max : float or int, optional
        Bounds the pipeliner enforces; open bounds and odd sizes are checked by
        ``check_job_values``.
    choices : tuple of str
        The accepted values of a ``"choice"`` option.
    option : Option
        The declaration it comes from.
    """

    name: str
    widget: str
    label: str
    help: str
    default: Any
    group: str
    hard_min: float | int | None
    hard_max: float | int | None
    choices: tuple[str, ...]
    option: Option


def _widget(opt: Option) -> str:
    if opt.choices:
        return "choice"
    if opt.kind is str:
        return "file" if opt.must_exist else "text"
    return {bool: "bool", int: "int", float: "float"}[opt.kind]


def _label(opt: Option) -> str:
    words = opt.name.replace("_", " ")
    return words[0].upper() + words[1:] + (f" ({ANGSTROM})" if opt.metavar == ANGSTROM else "")


def _spellings(opt: Option) -> str:
    longs = [f.split("/")[0] for f in opt.flags if f.startswith("--")]
    return ", ".join(longs + [s.flags[0] for s in opt.switches])


def _help(opt: Option) -> str:
    parts = [opt.help, opt.details]
    if opt.rule != "valid" and opt.kind is not bool:
        parts.append(f"Accepted: {opt.rule}.")
    parts.append(f"Command line: {_spellings(opt)}.")
    return " ".join(p.strip() for p in parts if p.strip())


def _bounds(opt: Option) -> tuple[Any, Any]:
    """The range's ends, except one that would refuse the default (``--max-box 0`` means off)."""
    below = opt.default is not None and opt.low is not None and opt.default < opt.low
    cast = int if opt.kind is int else float
    low = None if opt.low is None or below else cast(opt.low)
    return low, None if opt.high is None else cast(opt.high)


def job_option_specs() -> list[JobOptionSpec]:
    """Give the job options of occupy's pipeliner jobs, in declaration order.

    Returns
    -------
    list of JobOptionSpec
        One per option of ``occupy-relion`` (``occupy.relion.args.PROGRAM``), but the
        thread count, which the pipeliner provides.

    Examples
    --------
    >>> gamma = next(s for s in job_option_specs() if s.name == "gamma")
    >>> gamma.widget, gamma.label, gamma.hard_min, gamma.group
    ('float', 'Gamma', 1.0, 'Modification')
    """
    specs = []
    for opt in option_table():
        if PROGRAM not in opt.front_ends or opt.name in _FROM_PIPELINER:
            continue
        low, high = _bounds(opt) if opt.kind in (int, float) else (None, None)
        specs.append(JobOptionSpec(
            name=opt.name, widget=_widget(opt), label=_label(opt), help=_help(opt), default=opt.default,
            group=_GROUPS.get(opt.panel, opt.panel), hard_min=low, hard_max=high,
            choices=tuple(str(c) for c in opt.choices), option=opt))
    return specs


def _given(spec: JobOptionSpec, values: Mapping[str, Any]) -> bool:
    value = values.get(spec.name)
    return value is not None and value != "" and value != spec.default


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def relion_arguments(values: Mapping[str, Any]) -> list[str]:
    """Turn job option values into ``occupy-relion`` parameters.

    Parameters
    ----------
    values : mapping of str to object
        Job option key -> value as the pipeliner holds it (float, int, bool, str; None
        or ``""`` when blank). Keys that are no occupy option are ignored.

    Returns
    -------
    list of str
        ``--name value`` pairs of every value that differs from its default, in
        declaration order; a switch-only option as its switch (``--raw-scale true``).

    Examples
    --------
    >>> relion_arguments({"amplify": True, "gamma": 4.0, "scale_mode": "res", "chimerax": True, "tau": None})
    ['--amplify', 'true', '--gamma', '4.0', '--raw-scale', 'true']
    """
    args: list[str] = []
    for spec in job_option_specs():
        if not _given(spec, values):
            continue
        value, opt = values[spec.name], spec.option
        longs = [f.split("/")[0] for f in opt.flags if f.startswith("--")]
        if longs:
            args += [longs[0], _text(value)]
        else:
            switch = next(s for s in opt.switches if s.value == value)
            args += [switch.flags[0], "true"]
    return args


def check_job_values(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Check job option values as every front end checks them.

    Input files are left to the pipeliner, which checks that they exist when the job
    runs (a job may be scheduled before the job that writes its input has run).

    Parameters
    ----------
    values : mapping of str to object
        Job option key -> value (None or ``""`` when blank).

    Returns
    -------
    list of (str, str)
        (option name, message) per bad value; then, if every value is good, ("",
        message) for a bad combination (``--sigmoid`` without ``--pivot``). Empty when
        all is well.

    Examples
    --------
    >>> check_job_values({"kernel_size": 6, "gamma": 2.0})
    [('kernel_size', '--kernel-size must be odd, got 6')]
    >>> check_job_values({"sigmoid": 3.0})
    [('', '--sigmoid G needs --pivot P (the scale it leaves unchanged, 0 < P < 1)')]
    """
    problems: list[tuple[str, str]] = []
    given = {}
    for spec in job_option_specs():
        value = values.get(spec.name)
        if value is None or value == "" or spec.widget == "file":
            continue
        try:
            given[spec.name] = check_option(spec.name, value)
        except OptionError as exc:
            problems.append((spec.name, str(exc)))
    if not problems:
        try:
            RunOptions.from_kwargs(**given).validate()
        except OptionError as exc:
            problems.append(("", str(exc)))
    return problems
