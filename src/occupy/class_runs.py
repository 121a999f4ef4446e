"""Every class of a RELION classification in one process: ``occupy.run_classes``.

The classes run side by side in threads (the kernels and FFTs release the GIL), each
with its share of the thread budget, and their outputs form one transaction with the
run's summary table and its ChimeraX script: all appear, or none.
"""
from __future__ import annotations

import os
import threading
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable

from .io.classification import Classification, ClassMap, read_classification
from .io.header import check_map_file
from .constants import MIN_VIS_SCALE
from .errors import OccupyError, OccupyWarning
from .inputs import check_stems
from .io.files import output_directory
from .outputs.outputset import OutputSet
from .options import RunOptions
from .outputs.chimerax import TiledMap, tiled_script
from .outputs.class_report import CLASSES_REPORT, stage_many_report
from .outputs.summary_table import stage_summary
from .pipeline import run_outcome
from .results import ClassesReport, MapOutcome
from .threads import effective_threads

__all__ = ["CLASSES_SCRIPT", "plan_threads", "run_classes", "stage_classes"]

CLASSES_SCRIPT = "chimX_classes.cxc"
# voxels processed at once when classes run side by side: 8 maps of 256^3 (about 1.1 GiB at 2.2x the map)
CONCURRENT_VOXELS = 8 * 256 ** 3


class _Cancelled(BaseException):
    """Stops a class's run at its next stage: another class failed, or the run was stopped."""


def plan_threads(n_maps: int, voxels: int, threads: int, jobs: int | None = None) -> tuple[int, int]:
    """Split a thread budget between maps run side by side.

    Small maps scale better side by side (one thread each) than one at a time on all
    threads; memory bounds how many run at once (``CONCURRENT_VOXELS`` in total).

    Parameters
    ----------
    n_maps : int
        Maps to run.
    voxels : int
        Voxels of the largest map.
    threads : int
        The budget.
    jobs : int, optional
        Maps at once, instead of the choice made here.

    Returns
    -------
    tuple of (int, int)
        Maps at once and threads per map.

    Examples
    --------
    >>> plan_threads(10, 128 ** 3, 8), plan_threads(10, 512 ** 3, 8), plan_threads(3, 128 ** 3, 8)
    ((8, 1), (1, 8), (3, 2))
    """
    if jobs is None:
        jobs = min(n_maps, threads, max(1, CONCURRENT_VOXELS // max(1, voxels)))
    jobs = max(1, min(jobs, n_maps))
    return jobs, max(1, threads // jobs)


def _voxels(path: Path) -> int:
    """Voxel count from the header (the map is read later, and checked then)."""
    try:
        h = check_map_file(path)
        return h.nx * h.ny * h.nz
    except (OSError, OccupyError, ValueError):
        return 1


def _class_options(options: dict[str, Any], out: OutputSet, threads: int, check: Callable[[], None]) -> dict:
    return {**options, "output_dir": str(out.directory), "chimerax": False, "json": None, "threads": threads,
            "check_abort": check, "output_set": out, "progress": None}


def _run_class(c: ClassMap, options: dict[str, Any]) -> MapOutcome:
    """One class through ``occupy.run``; a failure is reported in the outcome, a cancel raised."""
    if c.empty:
        return MapOutcome(c.path, ok=True, class_map=c, skipped="empty class (distribution 0)")
    return run_outcome(c.path, class_map=c, **options)


def class_failure(outcome: MapOutcome) -> OccupyError:
    """The error that stops a classification run for a failed class, naming the class.

    Parameters
    ----------
    outcome : MapOutcome
        The failed class's outcome.

    Returns
    -------
    OccupyError
        ``class N (MAP): <why>``.
    """
    c = outcome.class_map
    return OccupyError(f"class {c.number} ({c.reference}): {outcome.error}")


def _watchdog(stop: threading.Event, user_check: Callable[[], None] | None, aborted: list[BaseException]
              ) -> Callable[[], None]:
    """The check between a class's stages: stop when asked, or when the caller's own check raises."""
    def check() -> None:
        if stop.is_set():
            raise _Cancelled()
        if user_check is not None:
            try:
                user_check()
            except BaseException as exc:  # noqa: BLE001 - e.g. a RELION abort, re-raised by the caller
                aborted.append(exc)
                stop.set()
                raise _Cancelled() from None
    return check


def _run_all(classes: list[ClassMap], options: dict[str, Any], jobs: int, keep_going: bool,
             on_done: Callable[[MapOutcome], None], stop: threading.Event,
             aborted: list[BaseException]) -> list[MapOutcome]:
    """Run the classes ``jobs`` at a time; stop them all at a failure (unless ``keep_going``) or a signal."""
    by_number: dict[int, MapOutcome] = {}
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="occupy-class")
    try:
        pending: set[Future] = {pool.submit(_run_class, c, options) for c in classes}
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for fut in done:
                if fut.exception() is not None:        # cancelled: the reason is in `aborted` or elsewhere
                    continue
                outcome = fut.result()
                by_number[outcome.class_map.number] = outcome
                on_done(outcome)
                if not outcome.ok and not keep_going:
                    raise class_failure(outcome)
            if aborted:
                raise aborted[0]
    finally:
        stop.set()              # also on a signal: the classes still running stop at their next stage
        pool.shutdown(wait=True, cancel_futures=True)
    return [by_number[c.number] for c in classes]


def stage_classes(classification: Classification, out: OutputSet, *, jobs: int | None = None,
                  keep_going: bool = False, on_done: Callable[[MapOutcome], None] | None = None,
                  **options: Any) -> ClassesReport:
    """Run every class and stage all outputs in ``out``, which the caller commits.

    Parameters
    ----------
    classification : Classification
        The classes.
    out : OutputSet
        The transaction the classes' outputs, the summary and the script are staged in.
    jobs : int, optional
        Classes at once (default: ``plan_threads``).
    keep_going : bool, optional
        Run the other classes when one fails (default: stop and raise).
    on_done : callable, optional
        Called with each class's outcome, in the calling thread.
    **options : Any
        ``occupy.run`` options for every class (``threads`` is the budget for all).

    Returns
    -------
    ClassesReport
        Outcomes in class order; ``output_paths`` of the run's own files.

    Raises
    ------
    OccupyError
        Naming the class, when one fails and not ``keep_going``.
    """
    classes = classification.classes
    check_stems([c.path for c in classes])
    budget = effective_threads(options.pop("threads", None))
    jobs, per_class = plan_threads(len(classes), max(_voxels(c.path) for c in classes), budget, jobs)
    stop, aborted = threading.Event(), []
    class_options = _class_options(options, out, per_class, _watchdog(stop, options.get("check_abort"), aborted))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OccupyWarning)         # kept in each outcome
        outcomes = _run_all(classes, class_options, jobs, keep_going, on_done or (lambda _o: None), stop, aborted)
    report = ClassesReport(outcomes, time.perf_counter() - t0, jobs=jobs, threads_per_job=per_class,
                           backend="threads", classification=classification)
    report.output_paths = stage_summary(out, outcomes)
    if options.get("report"):
        many = stage_many_report(out, outcomes, CLASSES_REPORT, staged=True, lowpass=options.get("lowpass"),
                                 pixel_size=options.get("pixel_size"),
                                 min_vis_scale=options.get("min_vis_scale") or MIN_VIS_SCALE)
        report.output_paths.update({"report": many} if many else {})
    if options.get("chimerax", True) and any(o.output_paths for o in outcomes):
        report.output_paths["chimerax"] = out.write_text(CLASSES_SCRIPT, classes_script(
            out.directory, outcomes, options.get("min_vis_scale")))
    return report


def classes_script(directory: Path, outcomes: list[MapOutcome], min_vis_scale: float | None) -> str:
    """The ChimeraX script showing every finished class side by side, each coloured by its scale.

    Parameters
    ----------
    directory : pathlib.Path
        Where the script goes.
    outcomes : list of MapOutcome
        The classes; those without outputs (failed, skipped) are left out.
    min_vis_scale : float, optional
        Bottom of the colour key (default ``MIN_VIS_SCALE``).

    Returns
    -------
    str
        The script (see ``occupy.outputs.chimerax.tiled_script``).
    """
    kinds = ("amplify", "attenuate", "sigmoid", "exclude_solvent")
    maps = []
    for o in outcomes:
        if not o.output_paths:
            continue
        c = o.class_map
        name = f"class {c.number}" if c else o.input_path.name
        if c and c.distribution is not None:
            name += f" ({100 * c.distribution:.0f}%)"
        maps.append(TiledMap(name, o.input_path, o.output_paths["scale"], o.map_threshold, o.scale_threshold,
                             [o.output_paths[k] for k in kinds if k in o.output_paths]))
    return tiled_script(script_dir=directory, maps=maps,
                        min_vis_scale=MIN_VIS_SCALE if min_vis_scale is None else min_vis_scale)


def run_classes(source: str | os.PathLike, *, output_dir: str | os.PathLike = ".",
                project_dir: str | os.PathLike | None = None, jobs: int | None = None, keep_going: bool = False,
                on_done: Callable[[MapOutcome], None] | None = None, **options: Any) -> ClassesReport:
    """Run occupy on every 3-D class of a RELION classification, in this process.

    Parameters
    ----------
    source : str or os.PathLike
        A ``*_model.star`` (Class3D, InitialModel, MultiBody), its ``*_optimiser.star``,
        or a job directory (its last iteration).
    output_dir : str or os.PathLike, optional
        Where the outputs go (created if missing).
    project_dir : str or os.PathLike, optional
        The RELION project directory (default: found from the job directory).
    jobs : int, optional
        Classes run at once; default from the thread budget and the box (``plan_threads``).
    keep_going : bool, optional
        Run the other classes when one fails; by default a failure stops the run and
        nothing is written.
    on_done : callable, optional
        Called with each class's ``MapOutcome`` as it finishes.
    **options : Any
        ``occupy.run`` options for every class; ``threads`` is the budget of the whole run.

    Returns
    -------
    ClassesReport
        Outcomes in class order (empty classes are skipped), the wall time, and the
        run's own files: ``occupy_summary.star``/``.csv`` and ``chimX_classes.cxc``.

    Raises
    ------
    OccupyError
        For an unusable classification, or (not ``keep_going``) a failed class, named;
        then no output of any class is left.
    OptionError
        For a bad option value.
    """
    RunOptions.from_kwargs(**options).validate()
    classification = read_classification(source, project_dir)
    with output_directory(output_dir) as out_dir:
        with OutputSet(out_dir, before_commit=options.get("check_abort")) as out:
            report = stage_classes(classification, out, jobs=jobs, keep_going=keep_going, on_done=on_done,
                                   **options)
    return report
