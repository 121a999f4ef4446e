"""``occupy-relion``: run occupy as a RELION (3.1, 4, 5) External job.

RELION calls ``occupy-relion --o External/jobNNN/ --in_3dref INPUT [--in_mask MASK]
[--j N] [--<param> <value> ...]`` from the project directory. INPUT is a map, or a
classification (a ``*_model.star`` or a job directory): then every 3-D class runs, in
this process. The outputs go into the job directory together with the summary table,
``RELION_OUTPUT_NODES.star`` and one exit marker: ``RELION_JOB_EXIT_SUCCESS``,
``RELION_JOB_EXIT_FAILURE`` or ``RELION_JOB_EXIT_ABORTED`` (when ``RELION_JOB_ABORT_NOW``
appears). All outputs, the nodes file included, are one transaction. See docs/relion.md.
"""
from __future__ import annotations

import shlex
import time
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

from ..errors import OccupyWarning
from ..outputs.outputset import OutputSet
from ..results import MapOutcome
from ..process import return_freed_memory
from ..termination import failure_status, handle_signals
from .args import parse_relion_args
from .nodes import (
    NODES_FILE,
    PLOTS_PDF,
    check_star_name,
    node_name,
    output_nodes,
    output_nodes_star,
    plots_pdf,
)

__all__ = ["main"]

EXIT_SUCCESS = "RELION_JOB_EXIT_SUCCESS"
EXIT_FAILURE = "RELION_JOB_EXIT_FAILURE"
EXIT_ABORTED = "RELION_JOB_EXIT_ABORTED"
ABORT_NOW = "RELION_JOB_ABORT_NOW"
_PLOTS = ("plot_solvent", "plot_modification", "plot_slices")


class JobAborted(Exception):
    """Raised between pipeline stages when RELION asked the job to stop."""


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
    sys.stdout.write(message + "\n")          # one write: lines from several classes do not mix
    sys.stdout.flush()


def _run_map(ref: Path, out: OutputSet, options: dict[str, Any]) -> tuple[list[MapOutcome], dict[str, Path]]:
    """One map: its outputs and summary staged in ``out``."""
    from ..outputs.summary_table import stage_summary
    from ..pipeline import run
    from ..results import outcome_from_result
    t0 = time.perf_counter()
    result = run(ref, output_dir=str(out.directory), output_set=out,
                 progress=lambda stage: _say(f" occupy: {stage} ..."), **options)
    outcome = outcome_from_result(ref, result, time.perf_counter() - t0)
    _say(f" occupy: {result.scale_mode} scale, s_full = {result.s_full:.4g}, "
         f"solvent edge = {result.solvent_edge:.4g}, tau = {result.tau:.4g}")
    return [outcome], stage_summary(out, [outcome])


def _report_class(o: MapOutcome) -> None:
    c = o.class_map
    if o.skipped or not o.ok:
        _say(f" class {c.number}: {o.status}")
        return
    partial = "-" if o.partial_fraction != o.partial_fraction else f"{100 * o.partial_fraction:.0f}%"
    _say(f" class {c.number}: s_full = {o.s_full:.4g}, partial occupancy {partial}, {o.seconds:.2f} s")


def _run_classification(ref: Path, out: OutputSet, options: dict[str, Any]
                        ) -> tuple[list[MapOutcome], dict[str, Path]]:
    """Every class: outputs, summary and tiled script staged in ``out``; a failed class fails the job."""
    from ..class_runs import stage_classes
    from ..io.classification import read_classification
    classification = read_classification(ref)
    _say(f" occupy: {len(classification.classes)} classes in {node_name(classification.model_path)}")
    report = stage_classes(classification, out, on_done=_report_class, **options)
    _say(f" occupy: {len(report.outcomes)} classes in {report.seconds:.2f} s ({report.jobs} at once, "
         f"{report.threads_per_job} thread(s) each)")
    return report.outcomes, report.output_paths


def stage_nodes(out: OutputSet, nodes: list[tuple[str, str]]) -> Path:
    """Stage ``RELION_OUTPUT_NODES.star``: the last file of the job's transaction.

    Parameters
    ----------
    out : OutputSet
        The job's outputs.
    nodes : list of (str, str)
        Node names and type labels.

    Returns
    -------
    pathlib.Path
        The nodes file's final path.
    """
    return out.write_text(NODES_FILE, output_nodes_star(nodes))


def _stage_plots_pdf(out: OutputSet, outcomes: list[MapOutcome]) -> dict[str, Path]:
    """Gather every plot of the run into one PDF (RELION shows it as the job's log file), after a first
    page with every map's numbers and warnings."""
    from ..outputs.summary_page import summary_figure
    pngs = [out.staged_path(o.output_paths[role]) for o in outcomes for role in _PLOTS if role in o.output_paths]
    if not pngs:
        return {}
    path = out.stage(PLOTS_PDF)
    plots_pdf(pngs, path, first_page=summary_figure(outcomes, title=f"occupy-relion: {out.directory}"))
    return {"plots_pdf": out.directory / PLOTS_PDF}


def _run_job(job_dir: Path, ref: Path, options: dict[str, Any], command_line: str) -> None:
    from ..io.classification import is_classification
    check_star_name(job_dir, "job directory")
    check_star_name(ref, "input")
    _say(f" occupy-relion: {ref} -> {job_dir}")
    options = {**options, "check_abort": _abort_check(job_dir), "command_line": command_line}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OccupyWarning)
        with OutputSet(job_dir, before_commit=options["check_abort"]) as out:
            stage = _run_classification if is_classification(ref) else _run_map
            outcomes, own = stage(ref, out, options)
            own.update(_stage_plots_pdf(out, outcomes))
            outputs = [(role, p) for o in outcomes for role, p in o.output_paths.items()] + list(own.items())
            stage_nodes(out, output_nodes(outputs))
    for o in outcomes:
        for msg in o.warnings:
            _say(f" WARNING: {msg}" if o.class_map is None else f" WARNING: class {o.class_map.number}: {msg}")
    for _, p in outputs:
        _say(f" wrote {node_name(p)}")


USAGE = """usage: occupy-relion --o JOBDIR/ --in_3dref INPUT [--in_mask MASK] [--j THREADS] [--NAME VALUE ...]

RELION (3.1, 4, 5) External job running occupy on INPUT: a map, or a 3-D classification (its
run_itNNN_model.star or job directory: every class, in one process). Outputs, the summary
table, RELION_OUTPUT_NODES.star and the RELION_JOB_EXIT_* marker go into JOBDIR. --in_mask
is used as --solvent-def; any occupy option is passed as --name value (e.g. --amplify true
--gamma 4 --exclude-solvent yes). Creating JOBDIR/RELION_JOB_ABORT_NOW stops the job
between stages. See docs/relion.md."""


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
    if argv is None:
        return_freed_memory()           # the console script: a whole process of ours (occupy.process)
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
    status, msg = failure_status(exc, verbose_hint=False)
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
