"""What runs return: ``RunResult`` (one map), ``MapOutcome`` (one map of many), ``BatchReport``.

Plain records, below the outputs that write them and the runs that fill them, so every
layer can name them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .io.classification import Classification, ClassMap

__all__ = ["BatchReport", "ClassesReport", "MapOutcome", "RunResult", "outcome_from_result"]


@dataclass
class RunResult:
    """What a run produced: output paths, the numbers that matter, warnings and timings.

    Made by ``run``; the fields are its constructor's parameters.

    Parameters
    ----------
    input_path : pathlib.Path
        The map that was processed.
    output_paths : dict of str to pathlib.Path
        Role -> file: ``scale``, ``amplify``, ``attenuate``, ``sigmoid``,
        ``exclude_solvent``, ``lowpass``, ``confidence``, ``modification``, ``chimerax``,
        ``json``, ``log``, ``plot_solvent``, ``plot_modification``, ``plot_slices``, ``report``,
        ``solvent_def``, ``subtraction_mask``.
    scale_mode : str
        ``"occ"`` or ``"res"``.
    kernel_size : int
        Kernel box size (voxels).
    kernel_radius : float
        Kernel radius (voxels).
    n_v : int
        Number of voxels in the kernel.
    tau : float
        Percentile of the full-scale tile used.
    lowpass : float
        Lowpass (Å).
    occ_sigma : float or None
        In occ mode with the Gaussian filter (``occ_filter="gaussian"``), its sigma in Å;
        None with the hard lowpass and in res mode.
    gamma : float or None
        The gamma used (2 when amplifying or attenuating without ``gamma``).
    s_full : float
        The full-scale reference.
    tile_center_A : tuple of float or None
        Centre (x, y, z, Å) of the tile that gave ``s_full``; None with ``s0``.
    solvent_mean, solvent_width, solvent_edge : float
        The solvent model: mean, width (sigma) and where solvent ends.
    partial_fraction : float
        Fraction of the non-solvent voxels (lowpassed map above ``solvent_edge``) with
        scale below 0.5: how much of the molecule is partially occupied (NaN if none).
    map_threshold, scale_threshold : float
        Suggested display levels of the map and of the scale.
    bad_solvent_model : bool
        More than half of the confidence curve's bins are at or below 0.5.
    warnings : list of str
        Every warning of the run (also issued as ``OccupyWarning``).
    timings : dict of str to float
        Wall time per stage, seconds.
    arrays : dict of str to numpy.ndarray
        With ``keep_arrays=True``: ``scale``, ``confidence`` and each modified map.
    """

    input_path: Path
    output_paths: dict[str, Path] = field(default_factory=dict)
    scale_mode: str = "res"
    kernel_size: int = 0
    kernel_radius: float = 0.0
    n_v: int = 0
    tau: float = 0.0
    lowpass: float = 0.0
    occ_sigma: float | None = None
    gamma: float | None = None
    s_full: float = 0.0
    tile_center_A: tuple[float, float, float] | None = None
    solvent_mean: float = 0.0
    solvent_width: float = 0.0
    solvent_edge: float = 0.0
    partial_fraction: float = float("nan")
    map_threshold: float = 0.0
    scale_threshold: float = 0.0
    bad_solvent_model: bool = False
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    arrays: dict[str, Any] = field(default_factory=dict)


@dataclass
class MapOutcome:
    """What happened to one map of a batch or classification.

    Made by ``occupy.batch.run_one`` (or ``outcome_from_result``); the fields are the
    constructor's parameters.

    Parameters
    ----------
    input_path : pathlib.Path
        The map, as given.
    ok : bool
        True if its run finished (or it was skipped on purpose).
    seconds : float
        Wall time of its run.
    s_full : float, optional
        The full-scale reference of the run (None on failure).
    solvent_edge, solvent_mean, solvent_width : float, optional
        The solvent model: where solvent ends, its mean and width, in map values.
    partial_fraction : float, optional
        Fraction of the non-solvent voxels with scale below 0.5.
    warnings : list of str
        The run's warnings (they are not issued again as ``OccupyWarning``).
    output_paths : dict of str to pathlib.Path
        Role -> file written, as in ``occupy.RunResult``.
    error : str, optional
        One line saying why the run failed (None on success).
    class_map : ClassMap, optional
        The class this map is, in a classification.
    skipped : str, optional
        Why the map was not run (an empty class); then ``ok`` is True and nothing is written.
    map_threshold, scale_threshold : float, optional
        Display levels of the map and of its scale (for a ChimeraX script).
    lowpass : float, optional
        The run's lowpass in Å (for the report's pictures; not a summary column).
    """

    input_path: Path
    ok: bool
    seconds: float = 0.0
    s_full: float | None = None
    solvent_edge: float | None = None
    solvent_mean: float | None = None
    solvent_width: float | None = None
    partial_fraction: float | None = None
    warnings: list[str] = field(default_factory=list)
    output_paths: dict[str, Path] = field(default_factory=dict)
    error: str | None = None
    class_map: ClassMap | None = None
    skipped: str | None = None
    map_threshold: float | None = None
    scale_threshold: float | None = None
    lowpass: float | None = None

    @property
    def status(self) -> str:
        """One word, or a line: ``ok``, ``skipped: <why>`` or ``failed: <error>``.

        Returns
        -------
        str
            The status, as the summary table shows it.
        """
        if not self.ok:
            return f"failed: {self.error}"
        return f"skipped: {self.skipped}" if self.skipped else "ok"


def outcome_from_result(path: str | Path, result: RunResult, seconds: float,
                        class_map: ClassMap | None = None) -> MapOutcome:
    """Summarise a finished run.

    Parameters
    ----------
    path : str or pathlib.Path
        The map, as given.
    result : RunResult
        What ``occupy.run`` returned.
    seconds : float
        Wall time of the run.
    class_map : ClassMap, optional
        The class the map is.

    Returns
    -------
    MapOutcome
        ``ok=True``, with the run's numbers, warnings and output paths.
    """
    return MapOutcome(Path(path), ok=True, seconds=seconds, s_full=result.s_full,
                      solvent_edge=result.solvent_edge, solvent_mean=result.solvent_mean,
                      solvent_width=result.solvent_width, partial_fraction=result.partial_fraction,
                      warnings=list(result.warnings), output_paths=dict(result.output_paths),
                      class_map=class_map, map_threshold=result.map_threshold,
                      scale_threshold=result.scale_threshold, lowpass=result.lowpass or None)


@dataclass
class BatchReport:
    """Outcomes in input order, and the wall time of the whole batch.

    Made by ``run_batch``; the fields are the constructor's parameters.

    Parameters
    ----------
    outcomes : list of MapOutcome
        One per map, in input order.
    seconds : float
        Wall time of the whole batch.
    jobs : int
        Maps run at once.
    threads_per_job : int, optional
        Threads given to each map (None: each worker's default).
    backend : str
        ``"local"`` (processes on this machine), ``"dask"``, or ``"threads"`` (in this
        process, for a classification).
    output_paths : dict of str to pathlib.Path
        The batch's own files, role -> path: ``summary_star``, ``summary_csv`` (and
        ``chimerax`` for a classification).
    """

    outcomes: list[MapOutcome]
    seconds: float
    jobs: int = 1
    threads_per_job: int | None = None
    backend: str = "local"
    output_paths: dict[str, Path] = field(default_factory=dict)

    @property
    def failed(self) -> list[MapOutcome]:
        """The outcomes of the maps that failed.

        Returns
        -------
        list of MapOutcome
            In input order; empty if every map succeeded.
        """
        return [o for o in self.outcomes if not o.ok]

    @property
    def succeeded(self) -> list[MapOutcome]:
        """The outcomes of the maps that succeeded.

        Returns
        -------
        list of MapOutcome
            In input order.
        """
        return [o for o in self.outcomes if o.ok]


@dataclass
class ClassesReport(BatchReport):
    """What ``run_classes`` did: the classes' outcomes and the run's own files.

    Made by ``run_classes`` and ``stage_classes``; the fields are the constructor's parameters.

    Parameters
    ----------
    outcomes : list of MapOutcome
        One per class, in class order.
    seconds : float
        Wall time of the classes' runs.
    jobs : int
        Classes run at once.
    threads_per_job : int, optional
        Threads given to each class.
    backend : str
        ``"threads"``: the classes ran in this process.
    output_paths : dict of str to pathlib.Path
        The run's own files: ``summary_star``, ``summary_csv`` and ``chimerax``.
    classification : Classification, optional
        The classification that was run.
    """

    classification: Classification | None = None
