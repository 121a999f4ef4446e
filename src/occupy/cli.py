"""``occupy`` command line: a thin layer over :func:`occupy.run`."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import rich_click as click
from rich.console import Console
from rich.panel import Panel

from .cli_options import OPTIONS, PANELS
from .errors import OccupyError, OccupyWarning

__all__ = ["main", "build_command"]

_RUN_KEYS = {"resolution", "lowpass", "solvent_def", "pixel_size", "amplify", "attenuate", "gamma",
             "exclude_solvent", "sigmoid", "pivot", "hedge_confidence", "scale_limit", "lowpass_output",
             "hist_match", "omit_confidence", "seed", "tau", "kernel_size", "kernel_radius", "tile_size",
             "s0", "max_box", "output_dir", "plot", "chimerax", "min_vis_scale", "save_all_maps", "threads"}


def _version() -> str:
    from . import __version__
    return __version__


def build_command(show_all: bool = False) -> click.Command:
    """The click command; ``show_all`` shows every option with its long help (``--help-all``)."""
    params: list[click.Parameter] = []
    for spec in OPTIONS:
        text = f"{spec.short} {spec.long}".strip() if show_all else spec.short
        params.append(click.Option(list(spec.decls), help=text, hidden=not (show_all or spec.everyday),
                                   **spec.kwargs))
    params.append(click.Option(["--help-all"], is_flag=True, expose_value=False, is_eager=True,
                               callback=_help_all, help="Show every option with longer explanations."))
    params.append(click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True,
                               callback=_print_version, help="Print the version and exit."))
    panels = [click.RichOptionPanel(name=p, options=[s.dest for s in OPTIONS
                                                     if s.panel == p and (show_all or s.everyday)])
              for p in PANELS]
    cmd = click.RichCommand(
        name="occupy", callback=_run_command, params=params,
        help="Estimate the local scale (relative occupancy/resolution) of a cryo-EM map, and optionally "
             "amplify or attenuate partial occupancy while a fitted solvent model keeps noise in check.\n\n"
             "Examples: occupy -i map.mrc | occupy -i map.mrc --amplify --gamma 4 | occupy --demo",
        epilog="Use --help-all for every option with longer explanations.",
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
        panels=panels)
    return cmd


def _help_all(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    full = build_command(show_all=True)
    full_ctx = full.context_class(full, info_name=ctx.info_name)
    click.echo(full.get_help(full_ctx))
    ctx.exit(0)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"occupy {_version()}")
    if ctx.params.get("verbose") or "-v" in sys.argv or "--verbose" in sys.argv:
        from ._ext._openmp import has_openmp
        from ._threads import effective_threads
        click.echo(f"OpenMP: {'yes' if has_openmp() else 'NO - kernels run single-threaded'}; "
                   f"threads by default: {effective_threads()}")
    ctx.exit(0)


def _run_command(**kw: Any) -> None:
    from .cli_run import execute
    execute(kw)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: exit 0 on success, 1 on failure, 2 on usage errors."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    cmd = build_command()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OccupyWarning)  # shown by the CLI its own way
            cmd.main(args=args, prog_name="occupy", standalone_mode=False)
    except click.exceptions.Exit as e:
        raise SystemExit(e.exit_code)
    except click.exceptions.Abort:
        err.print("error: aborted")
        raise SystemExit(1)
    except click.UsageError as e:
        err.print(f"error: {e.format_message()}  (see occupy --help)", markup=False)
        raise SystemExit(2)
    except OccupyError as e:
        if verbose:
            err.print_exception()
        err.print(f"error: {e}", markup=False)
        raise SystemExit(1)
    except KeyboardInterrupt:
        err.print("error: interrupted")
        raise SystemExit(130)
    except Exception as e:  # noqa: BLE001 - last resort: one line, traceback only when asked
        if verbose:
            err.print_exception()
        err.print(f"error: unexpected {type(e).__name__}: {e}" +
                  ("" if verbose else "  (run with --verbose for details)"), markup=False)
        raise SystemExit(1)
    raise SystemExit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
