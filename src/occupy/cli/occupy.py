"""The ``occupy`` command: a thin layer over ``occupy.run``."""
from __future__ import annotations

import shlex
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from ..errors import OccupyWarning
from .common import click_params, command_options, panels, run_main, run_options
from .ui import Stream

__all__ = ["MACOS_APP_DIRS", "build_command", "find_chimerax", "main"]

PROGRAM = "occupy"


def build_command(show_all: bool = False, rich: bool = True) -> click.Command:
    """Build the ``occupy`` click command.

    Parameters
    ----------
    show_all : bool, optional
        Show every option with its longer help (what ``--help-all`` prints).
    rich : bool, optional
        A rich-click command, for help with panels; False gives a plain click command
        with the same options (parsing only, without loading rich).

    Returns
    -------
    click.Command
        The command; its callback is ``execute``.
    """
    options = command_options(PROGRAM)
    params = click_params(options, show_all=show_all)
    params.append(click.Option(["--help-all"], is_flag=True, expose_value=False, is_eager=True,
                               callback=_help_all, help="Show every option with longer explanations."))
    params.append(click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True,
                               callback=_print_version, help="Print the version and exit."))
    kw = dict(
        name=PROGRAM, callback=execute, params=params,
        help="Estimate the local scale (relative occupancy/resolution) of a cryo-EM map, and optionally "
             "amplify or attenuate partial occupancy while a fitted solvent model keeps noise in check.\n\n"
             "Examples: occupy -i map.mrc | occupy -i map.mrc --amplify --gamma 4 | occupy --demo",
        epilog=("Exit status: 0 success, 2 usage error (bad option or value), 1 any other failure, "
                "128+N when stopped by signal N (130 Ctrl-C, 143 SIGTERM)."
                if show_all else "Use --help-all for every option with longer explanations."),
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
    if not rich:
        return click.Command(**kw)
    import rich_click
    return rich_click.RichCommand(**kw, panels=panels(options, show_all))


def _help_all(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    full = build_command(show_all=True)
    click.echo(full.get_help(full.context_class(full, info_name=ctx.info_name)))
    ctx.exit(0)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from .._version import __version__
    click.echo(f"occupy {__version__}")
    if ctx.params.get("verbose") or "-v" in sys.argv or "--verbose" in sys.argv:
        from ..threads import effective_threads, has_openmp
        click.echo(f"OpenMP: {'yes' if has_openmp() else 'NO - kernels run single-threaded'}; "
                   f"threads by default: {effective_threads()}")
    ctx.exit(0)


def _input_path(kw: dict[str, Any], out_dir: Path, err: Stream):
    """The map to run on (written, for --demo; downloaded, for --emdb) and the demo, if any."""
    sources = [name for name in ("input_map", "emdb", "demo") if kw.get(name)]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of -i/--input-map MAP, --emdb ID or --demo"
                               if sources else "no input: give -i/--input-map MAP, --emdb ID or --demo")
    if kw["demo"]:
        from ..demo import write_demo_map
        demo, path = write_demo_map(out_dir, seed=kw["seed"])
        err.print(f"demo map written to {path}")
        return path, demo
    if kw["emdb"]:
        from ..emdb import fetch_emdb
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", OccupyWarning)
            path = fetch_emdb(kw["emdb"], out_dir, progress=not kw["quiet"])
        for w in caught:
            err.print(f"warning: {w.message}", markup=False)
        return path, None
    return Path(kw["input_map"]), None


def execute(**kw: Any) -> None:
    """Run one ``occupy`` invocation from its parsed options (the click callback).

    Checks every option before any work, runs ``occupy.run`` and prints the
    warnings, a summary and, with ``--demo``, the table of true against estimated scale.

    Parameters
    ----------
    **kw : Any
        The parsed values by parameter name.

    Raises
    ------
    OptionError
        For a bad option value or combination.
    click.UsageError
        Unless exactly one of ``--input-map``, ``--emdb`` and ``--demo`` is given.
    OccupyError
        When the run fails.
    """
    from ..options import RunOptions
    options = run_options(kw)
    RunOptions.from_kwargs(**options).validate()      # every value checked before any work
    quiet, verbose = kw["quiet"], kw["verbose"]
    err = Stream(stderr=True, quiet=quiet)
    out = Stream(stderr=options.get("json") == "-", quiet=quiet)    # with --json -, stdout carries the JSON alone
    input_path, demo = _input_path(kw, Path(kw["output_dir"]), err)
    options["command_line"] = "occupy " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    options["keep_arrays"] = demo is not None

    from ..pipeline import run
    with err.status("occupy: starting") as update_status, warnings.catch_warnings():
        warnings.simplefilter("ignore", OccupyWarning)  # shown below, each once

        def progress(stage: str) -> None:
            update_status(f"occupy: {stage}")
            if verbose:
                err.print(f"  stage: {stage}")

        result = run(input_path, progress=progress, **options)
    try:
        _report(result, err, out, verbose, demo)
    except OSError as exc:          # the outputs are published: the run stands, its report is lost
        _say_unprinted(exc)
    if kw["show_chimerax"]:
        _show_chimerax(err, result)


def _report(result, err: Stream, out: Stream, verbose: bool, demo) -> None:
    """Print the warnings, the log (``--verbose``), the summary and the demo's table."""
    _print_warnings(result.warnings, err)
    if verbose:
        err.print(result.output_paths["log"].read_text(), markup=False)
    _print_result(out, result)
    if demo is not None:
        _demo_table(out, demo, result)
    out.file.flush()


def _say_unprinted(exc: OSError) -> None:
    """Say on stderr (if it can be written) that the report could not be printed."""
    try:
        print(f"warning: the outputs are written, but the report could not be printed: "
              f"{exc.strerror or exc}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _print_warnings(messages: list[str], err: Stream) -> None:
    """Each warning on a line; the poor solvent model's in a red panel whose text wraps at any width
    (the console's soft wrap, which leaves long lines to the terminal, would cut a panel's lines)."""
    from ..pipeline import BAD_MODEL_MESSAGE
    for msg in messages:
        if msg.startswith(BAD_MODEL_MESSAGE):
            from rich.panel import Panel
            from rich.text import Text
            err.show(Panel(Text(msg, no_wrap=False, overflow="fold"), title="WARNING", border_style="bold red",
                           style="bold"))
        else:
            err.print(f"warning: {msg}", markup=False)


def _print_result(out: Stream, r) -> None:
    out.print(f"[bold]{r.input_path.name}[/]: {r.scale_mode} scale, s_full = {r.s_full:.4g}, "
              f"solvent edge = {r.solvent_edge:.4g}, tau = {r.tau:.4g}, n_v = {r.n_v}, "
              f"{sum(r.timings.values()):.2f} s")
    for p in r.output_paths.values():
        out.print(f"  wrote {p}", markup=False)


def _demo_table(out: Stream, demo, r) -> None:
    """True occupancy against the estimated scale (and modified maps) per demo domain."""
    from rich.table import Table

    from ..demo import domain_table
    modified = {k: v for k, v in r.arrays.items() if k in ("amplify", "attenuate", "sigmoid", "exclude_solvent")}
    ideal = {"amplify": lambda o: o ** (1 / r.gamma), "attenuate": lambda o: o ** r.gamma}
    caption = "rel. = scale relative to domain 1"
    if modified:
        caption += "; modified maps: domain mean density relative to domain 1's"
    if r.gamma is not None and any(name in ideal for name in modified):
        caption += f"; ideal = occ^(1/g) (amplify) or occ^g (attenuate), g = {r.gamma:g}"
    if r.scale_mode == "res":
        caption += "; add --occupancy for the occupancy-like scale (occ mode)"
    else:
        caption += (f"; occ filter: Gaussian, sigma {r.occ_sigma:g} Å" if r.occ_sigma is not None
                    else "; occ filter: hard lowpass (the original's)")
    t = Table(title=f"demo: true occupancy vs estimated {r.scale_mode} scale (median per domain)",
              caption=caption)
    for name in ("domain", "true occ", "scale", "rel."):
        t.add_column(name, justify="left" if name == "domain" else "right")
    for name in modified:
        t.add_column(name, justify="right")
        if name in ideal:
            t.add_column("ideal", justify="right")
    rows = domain_table(demo, r.arrays["scale"], modified)
    for row in rows:
        cells = [str(row["domain"]), f"{row['true']:.2f}", f"{row['scale']:.2f}",
                 f"{row['scale'] / rows[0]['scale']:.2f}"]
        for name in modified:
            cells.append(f"{row[name]:.2f}")
            if name in ideal:
                cells.append(f"{ideal[name](row['true']):.2f}")
        t.add_row(*cells)
    out.show(t)


# Where ChimeraX lives on macOS when it is not on PATH (application bundles).
MACOS_APP_DIRS = (Path("/Applications"), Path.home() / "Applications")


def find_chimerax(environ: dict[str, str] | None = None,
                  app_dirs: tuple[Path, ...] = MACOS_APP_DIRS) -> str | None:
    """Locate the ChimeraX executable.

    Parameters
    ----------
    environ : dict of str to str, optional
        The environment (default ``os.environ``): ``OCCUPY_CHIMERAX``, then ``CHIMERAX``,
        name the executable; then ``chimerax``/``ChimeraX`` on ``PATH``.
    app_dirs : tuple of pathlib.Path, optional
        Directories searched last for macOS bundles ``ChimeraX*.app/Contents/MacOS/ChimeraX``
        (the newest version first).

    Returns
    -------
    str or None
        The executable, or None if there is none.
    """
    import os
    import shutil
    environ = os.environ if environ is None else environ
    for var in ("OCCUPY_CHIMERAX", "CHIMERAX"):
        if environ.get(var):
            return environ[var]
    path = environ.get("PATH")
    found = shutil.which("chimerax", path=path) or shutil.which("ChimeraX", path=path)
    if found:
        return found
    bundles = sorted((b for d in app_dirs if d.is_dir() for b in d.glob("ChimeraX*.app")), reverse=True)
    exes = [b / "Contents" / "MacOS" / "ChimeraX" for b in bundles]
    return next((str(e) for e in exes if e.is_file()), None)


def _show_chimerax(err: Stream, r) -> None:
    import subprocess
    script = r.output_paths.get("chimerax")
    if script is None:
        err.print("--show-chimerax: no ChimeraX script was written (--no-chimerax)")
        return
    exe = find_chimerax()
    if not exe:
        err.print(f"ChimeraX not found (install it, or set OCCUPY_CHIMERAX=/path/to/ChimeraX); open the "
                  f"results with: chimerax {shlex.quote(str(script))}", markup=False)
        return
    # the script's paths are relative to its directory: start there, with the script's absolute path
    subprocess.Popen([exe, str(script.resolve())], cwd=script.parent, start_new_session=True)
    err.print(f"started {exe} {script}", markup=False)


def main(argv: list[str] | None = None) -> None:
    """Run the ``occupy`` command (console-script entry point).

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Raises
    ------
    SystemExit
        Always: 0 on success, 2 on usage errors, 1 on any other failure, 130 on Ctrl-C.
        As the console script (``argv`` None) the process ends with that status at once,
        without the interpreter's teardown.
    """
    run_main(build_command, argv, PROGRAM, exit_fast=argv is None)


if __name__ == "__main__":  # pragma: no cover
    main()
