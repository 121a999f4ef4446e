"""``occupy-relion``: run occupy as a RELION 4/5 External job.

RELION calls ``occupy-relion --o External/jobNNN/ --in_3dref MAP [--in_mask MASK]
[--j N] [--<param> <value> ...]`` from the project directory.  The outputs go into
the job directory together with ``RELION_OUTPUT_NODES.star`` and one exit marker:
``RELION_JOB_EXIT_SUCCESS``, ``RELION_JOB_EXIT_FAILURE`` or
``RELION_JOB_EXIT_ABORTED`` (when ``RELION_JOB_ABORT_NOW`` appears).  See docs/relion.md.
"""
from __future__ import annotations

import os
import shlex
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

from .errors import OccupyWarning, OptionError
from .io.files import write_text_atomic
from .options import option_table
from .optionspec import Option, resolve_switches
from .termination import handle_signals

__all__ = ["check_star_name", "main", "output_nodes_star", "parse_relion_args"]

PROGRAM = "occupy-relion"

EXIT_SUCCESS = "RELION_JOB_EXIT_SUCCESS"
EXIT_FAILURE = "RELION_JOB_EXIT_FAILURE"
EXIT_ABORTED = "RELION_JOB_EXIT_ABORTED"
ABORT_NOW = "RELION_JOB_ABORT_NOW"
NODES_FILE = "RELION_OUTPUT_NODES.star"
MAP_LABEL = "DensityMap.mrc"

# RELION's own arguments that occupy does not use
_IGNORED = {"pipeline_control", "verbose"}
# RELION inputs occupy cannot take
_WRONG_INPUTS = {"in_mov": "movies", "in_mic": "micrographs", "in_part": "particles",
                 "in_coords": "coordinates"}
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


class JobAborted(Exception):
    """Raised between pipeline stages when RELION asked the job to stop."""


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
        Job directory, input map and ``occupy.run`` keywords (typed, not yet range-checked).

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
    for key, value in _split(argv):
        _assign(key, value, table, own, options, switches)
    if "o" not in own:
        raise OptionError("missing --o JOBDIR (RELION passes the job directory)")
    if "in_3dref" not in own:
        raise OptionError("missing --in_3dref MAP: give the map as 'Input 3D reference'")
    for opt in option_table():
        if opt.name in switches:
            options[opt.name] = resolve_switches(opt, switches[opt.name])
    return Path(own["o"]), Path(own["in_3dref"]), options


def _assign(key: str, value: str, table: dict, own: dict, options: dict, switches: dict) -> None:
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
                options[opt.value_sets] = float(value)
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


def check_star_name(path: str | os.PathLike, what: str) -> None:
    """Refuse a name that cannot be written into RELION's STAR files, before any work.

    STAR values are separated by white space and may be quoted, but have no escapes: a
    quote character or a control character in a name cannot be written safely.

    Parameters
    ----------
    path : str or os.PathLike
        The job directory or the input map.
    what : str
        How the message names it.

    Raises
    ------
    OptionError
        Saying what is wrong.
    """
    text = os.fspath(path)
    if any(ord(c) < 32 or ord(c) == 127 for c in text) or '"' in text or "'" in text:
        raise OptionError(f"cannot use the {what} {text!r} in RELION's STAR files: it contains a quote or a "
                          "control character; rename it")


def _node_name(path: Path) -> str:
    """Path as RELION wants it: relative to the project directory (the cwd) when inside it."""
    rel = os.path.relpath(os.path.abspath(path))
    return str(path if rel.startswith("..") else Path(rel)).replace(os.sep, "/")


def output_nodes_star(maps: list[Path]) -> str:
    """Text of ``RELION_OUTPUT_NODES.star`` listing maps as density maps.

    Parameters
    ----------
    maps : list of pathlib.Path
        The maps; each is written relative to the current (project) directory when inside
        it, and quoted when it contains white space.

    Returns
    -------
    str
        The STAR text: a ``data_output_nodes`` loop, every map labelled ``DensityMap.mrc``.

    Examples
    --------
    >>> from pathlib import Path
    >>> print(output_nodes_star([Path("External/job005/ampl_4.0_map.mrc")]).strip())
    # version 30001
    <BLANKLINE>
    data_output_nodes
    <BLANKLINE>
    loop_
    _rlnPipeLineNodeName #1
    _rlnPipeLineNodeTypeLabel #2
    External/job005/ampl_4.0_map.mrc DensityMap.mrc
    """
    lines = ["", "# version 30001", "", "data_output_nodes", "", "loop_",
             "_rlnPipeLineNodeName #1", "_rlnPipeLineNodeTypeLabel #2"]
    for p in maps:
        name = _node_name(p)
        if any(c.isspace() for c in name):
            name = f'"{name}"'
        lines.append(f"{name} {MAP_LABEL}")
    return "\n".join(lines) + "\n \n"


def _touch(job_dir: Path, marker: str) -> None:
    try:
        (job_dir / marker).touch()
    except OSError as exc:
        print(f"error: cannot write {job_dir / marker}: {exc.strerror}", file=sys.stderr, flush=True)


def _abort_check(job_dir: Path) -> Callable[[], None]:
    def check() -> None:
        if (job_dir / ABORT_NOW).exists():
            raise JobAborted()
    return check


def _say(message: str) -> None:
    print(message, flush=True)


def _run_job(job_dir: Path, ref: Path, options: dict[str, Any], command_line: str) -> None:
    from .pipeline import run

    def progress(stage: str) -> None:
        _say(f" occupy: {stage} ...")

    check_star_name(job_dir, "job directory")
    check_star_name(ref, "input map")
    _say(f" occupy-relion: {ref} -> {job_dir}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OccupyWarning)
        result = run(ref, output_dir=str(job_dir), progress=progress, check_abort=_abort_check(job_dir),
                     command_line=command_line, **options)
    try:            # the outputs count only with their nodes file: a failure or signal here removes them
        for msg in result.warnings:
            _say(f" WARNING: {msg}")
        maps = [p for p in result.output_paths.values() if Path(p).suffix == ".mrc"]
        write_text_atomic(job_dir / NODES_FILE, output_nodes_star(maps))
    except BaseException:
        for path in result.output_paths.values():
            Path(path).unlink(missing_ok=True)
        raise
    _say(f" occupy: {result.scale_mode} scale, s_full = {result.s_full:.4g}, "
         f"solvent edge = {result.solvent_edge:.4g}, tau = {result.tau:.4g}")
    for p in result.output_paths.values():
        _say(f" wrote {_node_name(Path(p))}")


USAGE = """usage: occupy-relion --o JOBDIR/ --in_3dref MAP [--in_mask MASK] [--j THREADS] [--NAME VALUE ...]

RELION 4/5 External job running occupy on MAP. Outputs, RELION_OUTPUT_NODES.star and the
RELION_JOB_EXIT_* marker go into JOBDIR. --in_mask is used as --solvent-def; any occupy
option is passed as --name value (e.g. --amplify true --gamma 4 --exclude-solvent yes).
Creating JOBDIR/RELION_JOB_ABORT_NOW stops the job between stages. See docs/relion.md."""


def main(argv: list[str] | None = None) -> None:
    """Run ``occupy-relion``: one RELION External job, ending with its exit marker.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``); see ``parse_relion_args``.

    Raises
    ------
    SystemExit
        Always: 0 on success or ``--help``, 1 on failure (``error: ...`` on stderr),
        2 when aborted via ``RELION_JOB_ABORT_NOW`` or without arguments, 128 + N when
        stopped by signal N. Exactly one ``RELION_JOB_EXIT_*`` marker is left in every case.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        if args:
            print(USAGE)
            raise SystemExit(0)
        print(f"{USAGE}\nerror: no arguments (RELION passes --o and --in_3dref)", file=sys.stderr)
        raise SystemExit(2)
    job_dir = _job_dir_hint(args)
    _clear_markers(job_dir)
    with handle_signals() as guard:
        try:
            job_dir, ref, options = parse_relion_args(args)
            _abort_check(job_dir)()
            _run_job(job_dir, ref, options, "occupy-relion " + " ".join(shlex.quote(a) for a in args))
            guard.hold()                     # done: a signal now cannot undo the outputs
            _touch(job_dir, EXIT_SUCCESS)
            code = 0
        except JobAborted:
            guard.hold()
            (job_dir / ABORT_NOW).unlink(missing_ok=True)
            _say(" occupy: aborted on request (RELION_JOB_ABORT_NOW); nothing was written")
            _touch(job_dir, EXIT_ABORTED)
            code = 2
        except BaseException as exc:  # noqa: BLE001 - any failure or signal must leave RELION's marker
            guard.hold()
            code = _fail(job_dir, exc)
    raise SystemExit(code)


def _clear_markers(job_dir: Path | None) -> None:
    """Create the job directory if needed and remove the markers of an earlier run."""
    if job_dir is None:
        return
    try:
        job_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    for marker in (EXIT_SUCCESS, EXIT_FAILURE, EXIT_ABORTED):
        (job_dir / marker).unlink(missing_ok=True)


def _fail(job_dir: Path | None, exc: BaseException) -> int:
    """Report a failure or signal, leave the FAILURE marker; the exit status (1, or 128 + N)."""
    from .cli.common import describe_failure
    status, msg = describe_failure(exc, PROGRAM, verbose_hint=False)
    print(f"error: {msg}", file=sys.stderr, flush=True)
    if job_dir is not None:
        (job_dir / NODES_FILE).unlink(missing_ok=True)
        _touch(job_dir, EXIT_FAILURE)
    return status if status >= 128 else 1      # RELION reads the marker; 2 means aborted


def _job_dir_hint(args: list[str]) -> Path | None:
    """The --o directory, found even when the rest of the arguments are bad."""
    for i, a in enumerate(args):
        if a == "--o" and i + 1 < len(args) and not args[i + 1].startswith("--"):
            return Path(args[i + 1])
        if a.startswith("--o="):
            return Path(a[4:])
    return None


if __name__ == "__main__":  # pragma: no cover
    main()
