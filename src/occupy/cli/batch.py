"""The ``occupy-batch`` command: many maps through ``occupy.batch.run_batch``."""
from __future__ import annotations

import shlex
import sys
import warnings
from typing import Any

import click

from ..errors import OccupyError, OccupyWarning
from .common import click_params, command_options, run_main, run_options

__all__ = ["build_command", "main"]

PROGRAM = "occupy-batch"


def build_command(rich: bool = True) -> click.Command:
    """Build the ``occupy-batch`` click command: the run options of ``occupy``, plus the batch's own.

    Parameters
    ----------
    rich : bool, optional
        A rich-click command (for help); False gives a plain click command with the same options.

    Returns
    -------
    click.Command
        The command; its callback is ``execute``.
    """
    params: list = [click.Argument(["inputs"], nargs=-1, required=True, metavar="MAPS...|MODEL.star|JOBDIR")]
    params += click_params(command_options(PROGRAM),
                           extra_help={"threads": " Total for the batch; split between --jobs."})
    params.append(click.Option(["--jobs", "jobs"], type=click.IntRange(min=1), default=None,
                               help="Maps processed at once: local processes (default 1); for a classification, "
                                    "classes at once in this process (default: from --threads and the box)."))
    params.append(click.Option(["--dask-scheduler", "dask_scheduler"], metavar="ADDRESS",
                               help="Run on this Dask scheduler (tcp://host:8786) instead of locally."))
    kw = dict(
        name=PROGRAM, callback=execute, params=params,
        help="Run occupy on many maps (globs, paths, or .txt lists of paths) with the same options, or on "
             "every 3-D class of a RELION classification (its run_itNNN_model.star or job directory, given "
             "alone; run from the RELION project directory). All outputs go to --output-dir with a summary "
             "table (occupy_summary.star and .csv); maps with the same file stem are refused, and globs leave out "
             "occupy's own outputs (name one to run it). Exit status 1 if any map failed.",
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
    if not rich:
        return click.Command(**kw)
    import rich_click
    return rich_click.RichCommand(**kw)


def execute(**kw: Any) -> None:
    """Run one ``occupy-batch`` invocation from its parsed options (the click callback).

    Runs ``occupy.batch.run_batch`` with a progress bar and prints a table of the maps, after
    a ``warning:`` line for each of its warnings (globs that matched occupy's own outputs).

    Parameters
    ----------
    **kw : Any
        The parsed values by parameter name.

    Raises
    ------
    OccupyError
        When any map failed (naming each), or the inputs are unusable.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..batch import run_batch
    from ..inputs import batch_maps
    from ..io.classification import is_classification
    from ..results import MapOutcome
    options = run_options(kw)
    options["command_line"] = "occupy-batch " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    err = Console(stderr=True, highlight=False, soft_wrap=True, quiet=kw["quiet"])
    out = Console(highlight=False, soft_wrap=True, quiet=kw["quiet"])
    single = len(kw["inputs"]) == 1 and is_classification(kw["inputs"][0])
    total = None if single else len(batch_maps(kw["inputs"]).paths)
    bar = Progress(TextColumn("occupy-batch"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}"), console=err, disable=kw["quiet"], transient=True)
    with bar, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OccupyWarning)
        task = bar.add_task("", total=total)

        def on_done(o: MapOutcome) -> None:
            bar.update(task, advance=1, description=f"{o.input_path.name}: {o.status.split(':')[0]}")

        report = run_batch(list(kw["inputs"]), jobs=kw["jobs"], dask_scheduler=kw["dask_scheduler"],
                           on_done=on_done, **options)
    for w in caught:
        if issubclass(w.category, OccupyWarning):
            err.print(f"warning: {w.message}", markup=False)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    _print_outcome_table(out, report)
    for path in report.output_paths.values():
        out.print(f"wrote {path}", markup=False)
    if report.failed:
        lines = "; ".join(f"{_one_line(str(o.input_path))} ({_one_line(o.error or '')})" for o in report.failed)
        raise OccupyError(f"{len(report.failed)} of {len(report.outcomes)} maps failed: {lines}")


def _print_outcome_table(out, report) -> None:
    from rich.table import Table
    classes = any(o.class_map is not None for o in report.outcomes)
    t = Table(caption="share: class distribution; partial: non-solvent voxels with scale < 0.5" if classes else
              "partial: non-solvent voxels with scale < 0.5",
              title=f"occupy-batch: {len(report.succeeded)}/{len(report.outcomes)} maps ok in "
                    f"{report.seconds:.1f} s ({report.backend}, {report.jobs} at once, "
                    f"{report.threads_per_job or 'auto'} thread(s) each)")
    columns = [("class", "right"), ("share", "right")] if classes else []
    columns += [("map", "left"), ("s_full", "right"), ("partial", "right"), ("warn.", "right"),
                ("s", "right"), ("status", "left")]
    for name, justify in columns:
        t.add_column(name, justify=justify, overflow="fold", no_wrap=name not in ("map", "status"))
    for o in report.outcomes:
        c = o.class_map
        cells = [str(c.number), _percent(c.distribution)] if classes else []
        cells += [o.input_path.name if c else str(o.input_path), "-" if o.s_full is None else f"{o.s_full:.4g}",
                  _percent(o.partial_fraction), str(len(o.warnings)), f"{o.seconds:.2f}",
                  o.status if o.ok else f"FAILED: {o.error}"]
        t.add_row(*cells)
    out.print(t)


def _percent(value: float | None) -> str:
    return "-" if value is None or value != value else f"{100 * value:.0f}%"


def main(argv: list[str] | None = None) -> None:
    """Run the ``occupy-batch`` command (console-script entry point).

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Raises
    ------
    SystemExit
        Always: 0 if every map succeeded, 1 if any failed, 2 on usage errors, 130 on Ctrl-C.
    """
    run_main(build_command, argv, PROGRAM)


if __name__ == "__main__":  # pragma: no cover
    main()


def _one_line(text: str) -> str:
    """``text`` with control characters (a newline in a file name) escaped, so the error stays one line."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
