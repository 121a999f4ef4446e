"""What the command-line programs share: options built from the declarations, one error handler.

Every program's options come from ``occupy.options`` (the run's settings) and from
``COMMAND_OPTIONS`` here (what only a command line has: where the input comes
from, how much to print). ``run_main`` is the one place that turns an outcome into
an exit status and an ``error: ...`` line.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable, NoReturn

import click

from ..options import option_table
from ..process import return_freed_memory
from ..optionspec import FRONT_ENDS, PANELS, Option, resolve_switches, set_flag_value
from ..termination import Terminated, failure_status, handle_signals
from .spellings import canonical_args
from .ui import wants_help

__all__ = ["COMMAND_OPTIONS", "click_params", "command_options", "describe_failure", "panels",
           "report_failure", "run_main", "run_options"]

_IN, _MOD, _EST, _OUT, _RUN = PANELS


def _command(name: str, *flags: str, kind: type, panel: str, help: str, details: str = "",
             everyday: bool = True, metavar: str | None = None, aliases: tuple[str, ...] = (),
             front_ends=frozenset({"occupy"})) -> Option:
    return Option(flags=flags, kind=kind, panel=panel, help=help, details=details, everyday=everyday,
                  metavar=metavar, aliases=aliases, front_ends=front_ends, name=name,
                  default=False if kind is bool else None)


COMMAND_OPTIONS: tuple[Option, ...] = (
    _command("input_map", "-i", "--input-map", kind=str, panel=_IN, metavar="MAP",
             help="Input map (MRC/CCP4).",
             details="The cryo-EM map to analyse, not solvent-flattened or masked if you can help it: the "
                     "solvent model needs some solvent. Any box shape; float16/int8/int16/uint16/float32."),
    _command("emdb", "--emdb", kind=str, panel=_IN, metavar="ID", aliases=("--emdb-id",),
             help="Download EMDB entry ID and use it as input.",
             details="Fetches emd_<ID>.map.gz from the EMDB archive (mirror: OCCUPY_EMDB_URL), unpacks it to "
                     "emd_<ID>.map in the output directory and reuses that file on later runs."),
    _command("show_chimerax", "--show-chimerax", kind=bool, panel=_OUT,
             help="Open the results in ChimeraX.",
             details="Starts ChimeraX on the script: $OCCUPY_CHIMERAX or $CHIMERAX if set, else chimerax on "
                     "PATH, else a ChimeraX*.app bundle in /Applications or ~/Applications."),
    _command("quiet", "-q", "--quiet", kind=bool, panel=_RUN, help="Print nothing but errors.",
             front_ends=frozenset({"occupy", "occupy-batch"})),
    _command("verbose", "-v", "--verbose", kind=bool, panel=_RUN,
             help="Print parameters and the log; tracebacks on error.",
             front_ends=frozenset({"occupy", "occupy-batch"})),
    _command("demo", "--demo", kind=bool, panel=_RUN,
             help="Run on a built-in synthetic map with known occupancies.",
             details="Writes occupy_demo.mrc and runs the pipeline with the other options given, then "
                     "compares estimated and true occupancy per domain."),
)


def command_options(program: str) -> list[Option]:
    """List the options a program offers, grouped by panel.

    Within the input panel the command's own options (input sources) come first; in the
    other panels the run's options come first.

    Parameters
    ----------
    program : str
        One of ``occupy.optionspec.FRONT_ENDS``.

    Returns
    -------
    list of Option
        In ``occupy.optionspec.PANELS`` order.
    """
    if program not in FRONT_ENDS:
        raise ValueError(f"unknown program {program!r}; one of {sorted(FRONT_ENDS)}")
    own = [o for o in COMMAND_OPTIONS if program in o.front_ends]
    run = [o for o in option_table() if program in o.front_ends]
    ordered = []
    for panel in PANELS:
        first, last = ([o for o in own if o.panel == panel], []) if panel == _IN else \
            ([], [o for o in own if o.panel == panel])
        ordered += first + [o for o in run if o.panel == panel] + last
    return ordered


# the value of a flag that may take a number (--amplify [G]) when it is given without one
FLAG_ONLY = -1.0


def _help(text: str, details: str, show_all: bool, aliases: tuple[str, ...] = ()) -> str:
    if not show_all:
        return text
    also = f" (Also {', '.join(aliases)}.)" if aliases else ""
    return f"{text} {details}".strip() + also


def click_params(options: list[Option], *, show_all: bool = True,
                 extra_help: dict[str, str] | None = None) -> list[click.Option]:
    """Make the click options of declared options (and of their switches).

    Parameters
    ----------
    options : list of Option
        The declarations, e.g. from ``command_options``.
    show_all : bool, optional
        Show every option with its longer help; if False, hide all but the everyday ones
        and give the one-line help only.
    extra_help : dict of str to str, optional
        Option name -> text appended to its help.

    Returns
    -------
    list of click.Option
        One per flag declaration and one per switch, in order.
    """
    params: list[click.Option] = []
    for opt in options:
        hidden = not (show_all or opt.everyday)
        extra = (extra_help or {}).get(opt.name, "")
        for switch in opt.switches:
            params.append(click.Option([*switch.flags, switch.dest], is_flag=True, hidden=hidden,
                                       help=_help(switch.help + extra, switch.details, show_all, switch.aliases)))
        if not opt.flags:
            continue
        kw: dict[str, Any] = {"help": _help(opt.help + extra, opt.details, show_all, opt.aliases), "hidden": hidden}
        if opt.value_sets:   # --amplify, or --amplify G (the original's form)
            kw.update(type=float, is_flag=False, flag_value=FLAG_ONLY, default=None, metavar="[G]")
        elif opt.kind is bool:
            kw["default"] = opt.default
            if "/" not in opt.flags[0]:
                kw["is_flag"] = True
        else:
            kw.update(type=opt.kind, default=opt.default, metavar=opt.metavar)
            if opt.default is not None and opt.name != "output_dir":
                kw["show_default"] = True
        params.append(click.Option([*opt.flags, opt.name], **kw))
    return params


def panel_names(options: list[Option], show_all: bool) -> dict[str, list[str]]:
    """List the parameter names shown in each help panel.

    Parameters
    ----------
    options : list of Option
        The declarations.
    show_all : bool
        Include the options that are not everyday ones.

    Returns
    -------
    dict of str to list of str
        Panel -> parameter names, for rich-click's option panels.
    """
    names: dict[str, list[str]] = {panel: [] for panel in PANELS}
    for opt in options:
        if show_all or opt.everyday:
            names[opt.panel] += [s.dest for s in opt.switches] + ([opt.name] if opt.flags else [])
    return names


def panels(options: list[Option], show_all: bool) -> list:
    """Make the rich-click help panels (loading rich-click).

    Parameters
    ----------
    options : list of Option
        The declarations.
    show_all : bool
        Include the options that are not everyday ones.

    Returns
    -------
    list of rich_click.RichOptionPanel
        In ``occupy.optionspec.PANELS`` order.
    """
    import rich_click
    return [rich_click.RichOptionPanel(name=panel, options=names)
            for panel, names in panel_names(options, show_all).items()]


def run_options(kw: dict[str, Any]) -> dict[str, Any]:
    """Pick the ``occupy.options.RunOptions`` keywords out of parsed click values.

    Parameters
    ----------
    kw : dict of str to object
        The values click parsed, by parameter name.

    Returns
    -------
    dict of str to object
        Run options: switch flags become their option's value (``--raw-scale`` ->
        ``scale_mode='res'``); command-only values are left out.

    Raises
    ------
    OptionError
        When contradicting switches were given.
    """
    out: dict[str, Any] = {}
    for opt in option_table():
        if opt.switches:
            out[opt.name] = resolve_switches(opt, {s.value: kw.get(s.dest, False) for s in opt.switches})
        elif opt.name in kw:
            out[opt.name] = kw[opt.name]
    for opt in option_table():
        if opt.value_sets and opt.name in out:
            _flag_with_value(opt, out[opt.name], out)
    return out


def _flag_with_value(opt: Option, value: Any, out: dict[str, Any]) -> None:
    """``--amplify`` -> amplify=True; ``--amplify G`` -> also gamma=G (which must agree with --gamma)."""
    out[opt.name] = value is not None and value is not False
    if value is None or value is False or value is True or value == FLAG_ONLY:
        return
    set_flag_value(opt, value, out)


def describe_failure(exc: BaseException, prog: str, verbose: bool = False,
                     verbose_hint: bool = True) -> tuple[int, str]:
    """Give the exit status and one-line message for an exception that ended a program.

    Parameters
    ----------
    exc : BaseException
        The exception.
    prog : str
        The program's name, for the ``--help`` pointer of usage errors.
    verbose : bool, optional
        ``--verbose`` was given (no pointer to it is added).
    verbose_hint : bool, optional
        Point unexpected errors to ``--verbose``.

    Returns
    -------
    tuple of (int, str)
        2 for usage errors (unknown option, malformed or out-of-range value,
        contradictory options: ``OptionError`` and click's usage errors); 128 + N when
        stopped by signal N (``Terminated``; 130 for Ctrl-C); 1 for any other failure
        (``OccupyError`` says what; anything else is "unexpected"); and the message.

    Examples
    --------
    >>> from occupy.errors import OptionError
    >>> describe_failure(OptionError("--gamma must be >= 1, got 0.5"), "occupy")
    (2, '--gamma must be >= 1, got 0.5')
    >>> describe_failure(ValueError("boom"), "occupy")
    (1, 'unexpected ValueError: boom  (run with --verbose for details)')
    """
    if isinstance(exc, click.exceptions.Abort):
        return 130, "interrupted"
    if isinstance(exc, click.UsageError):
        return 2, f"{exc.format_message()}  (see {prog} --help)"
    return failure_status(exc, verbose_hint and not verbose)


def report_failure(exc: BaseException, prog: str, verbose: bool = False) -> tuple[int, str]:
    """Print ``error: <message>`` on stderr for an exception; call it inside the ``except`` block.

    Under ``--verbose`` the traceback is printed first (not for usage errors or Ctrl-C).

    Parameters
    ----------
    exc : BaseException
        The exception.
    prog : str
        The program's name.
    verbose : bool, optional
        ``--verbose`` was given.

    Returns
    -------
    tuple of (int, str)
        ``describe_failure``'s exit status and message.
    """
    status, message = describe_failure(exc, prog, verbose)
    if verbose and not isinstance(exc, (click.UsageError, click.exceptions.Abort, KeyboardInterrupt, Terminated)):
        from rich.console import Console
        Console(stderr=True, highlight=False, soft_wrap=True).print_exception()
    print(f"error: {message}", file=sys.stderr, flush=True)
    return status, message


def standard_streams_ready() -> None:
    """Make the standard streams safe to use whatever the process was given.

    A closed descriptor 0, 1 or 2 (``>&-``) gets ``/dev/null`` (so no file the run opens
    takes its number and receives what is printed), and printing replaces what the
    stream's encoding cannot hold (an ASCII-only terminal, a file name that is not
    UTF-8) with escapes instead of failing.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            spare = os.open(os.devnull, os.O_RDWR)
            if spare != fd:
                os.dup2(spare, fd)
                os.close(spare)
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
        elif hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def run_main(command: Callable[..., click.Command], argv: list[str] | None, prog: str,
             exit_fast: bool = False) -> NoReturn:
    """Run a click command as a console script.

    Parameters
    ----------
    command : callable
        Builds the click command; called with ``rich=True`` (a rich-click command) only
        when help is asked for, so that a run does not load rich.
    argv : list of str or None
        The arguments; None for ``sys.argv[1:]``.
    prog : str
        The program's name.
    exit_fast : bool, optional
        End the process with ``os._exit`` once the output streams are flushed, skipping
        the interpreter's teardown (garbage collection and module clean-up after a run,
        which has nothing left to clean: its files are committed or removed).
        Only for a whole process (the console script), never when embedded.

    Raises
    ------
    SystemExit
        Always (unless ``exit_fast``): 0 on success (and ``--help``), else as
        ``describe_failure`` says, after one ``error: ...`` line.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    status = 0
    if argv is None:
        standard_streams_ready()        # the console script: a whole process of ours
        return_freed_memory()           # (occupy.process)
    try:
        with handle_signals():
            command(rich=wants_help(args) or not args).main(args=canonical_args(args, command_options(prog)),
                                                           prog_name=prog, standalone_mode=False)
    except click.exceptions.Exit as e:
        status = e.exit_code
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException as exc:  # noqa: BLE001 - every failure leaves as one line and a status
        status, _ = report_failure(exc, prog, verbose="-v" in args or "--verbose" in args)
    if exit_fast:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(status)
    raise SystemExit(status)
