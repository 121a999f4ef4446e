"""What happened to each map of a run, as one table: STAR, CSV, and JSON for one map.

The same fields everywhere (``SUMMARY_FIELDS``): ``occupy-batch`` and
``occupy.run_classes`` write ``occupy_summary.star`` and ``occupy_summary.csv``,
``occupy --json`` writes one map's row as a JSON object.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - types only
    from .classification import ClassMap
    from .outputs.outputset import OutputSet
    from .pipeline import RunResult

__all__ = ["SUMMARY_CSV", "SUMMARY_FIELDS", "SUMMARY_STAR", "MapOutcome", "outcome_from_result",
           "stage_summary", "summary_csv", "summary_json", "summary_rows", "summary_star"]

SUMMARY_STAR = "occupy_summary.star"
SUMMARY_CSV = "occupy_summary.csv"

# key (CSV column, JSON key) -> STAR label; RELION's own labels where RELION has one
SUMMARY_FIELDS: dict[str, str] = {
    "class": "_rlnClassNumber",
    "map": "_rlnReferenceImage",
    "class_distribution": "_rlnClassDistribution",
    "estimated_resolution": "_rlnEstimatedResolution",
    "s_full": "_occupyFullScale",
    "solvent_mean": "_occupySolventMean",
    "solvent_width": "_occupySolventWidth",
    "partial_fraction": "_occupyPartialFraction",
    "scale_map": "_occupyScaleMap",
    "warnings": "_occupyWarnings",
    "seconds": "_occupySeconds",
    "status": "_occupyStatus",
}
_CLASS_FIELDS = ("class", "class_distribution", "estimated_resolution")


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
    class_map: "ClassMap | None" = None
    skipped: str | None = None
    map_threshold: float | None = None
    scale_threshold: float | None = None

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


def outcome_from_result(path: str | Path, result: "RunResult", seconds: float,
                        class_map: "ClassMap | None" = None) -> MapOutcome:
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
                      scale_threshold=result.scale_threshold)


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def summary_rows(outcomes: list[MapOutcome]) -> list[dict[str, Any]]:
    """Give the table's rows: one dict per map, keys ``SUMMARY_FIELDS``.

    Parameters
    ----------
    outcomes : list of MapOutcome
        In table order.

    Returns
    -------
    list of dict
        Missing numbers are None; ``map`` and ``scale_map`` are text; ``warnings`` a list.
    """
    rows = []
    for o in outcomes:
        c = o.class_map
        scale = o.output_paths.get("scale")
        rows.append({
            "class": c.number if c else None,
            "map": c.reference if c else str(o.input_path),
            "class_distribution": _number(c.distribution) if c else None,
            "estimated_resolution": _number(c.resolution) if c else None,
            "s_full": _number(o.s_full), "solvent_mean": _number(o.solvent_mean),
            "solvent_width": _number(o.solvent_width), "partial_fraction": _number(o.partial_fraction),
            "scale_map": str(scale) if scale else None, "warnings": list(o.warnings),
            "seconds": round(o.seconds, 4), "status": o.status,
        })
    return rows


def summary_json(outcome: MapOutcome) -> str:
    """One map's row as a JSON object (``occupy --json``).

    Parameters
    ----------
    outcome : MapOutcome
        The map's outcome.

    Returns
    -------
    str
        Indented JSON with a final newline; missing numbers are ``null``.
    """
    return json.dumps(summary_rows([outcome])[0], indent=2) + "\n"


def summary_csv(rows: list[dict[str, Any]]) -> str:
    """The table as CSV: a header of ``SUMMARY_FIELDS`` keys, then one line per map.

    Parameters
    ----------
    rows : list of dict
        From ``summary_rows``.

    Returns
    -------
    str
        The text; missing values are empty, warnings are joined with ``; ``.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(SUMMARY_FIELDS))
    for row in rows:
        writer.writerow(["" if row[k] is None else "; ".join(row[k]) if k == "warnings"
                         else f"{row[k]:.6g}" if isinstance(row[k], float) else row[k] for k in SUMMARY_FIELDS])
    return buf.getvalue()


def summary_star(rows: list[dict[str, Any]], comment: str | None = None) -> str:
    """The table as RELION STAR: a ``data_occupy_summary`` loop.

    RELION's own labels are used where RELION has one (class number, map, class
    distribution, estimated resolution); the class columns are left out when no map is
    a class.

    Parameters
    ----------
    rows : list of dict
        From ``summary_rows``.
    comment : str, optional
        A first comment line.

    Returns
    -------
    str
        The STAR text; missing numbers are ``nan``, warnings are joined with ``; ``.
    """
    from .io.star import StarTable, star_text
    keys = [k for k in SUMMARY_FIELDS if k not in _CLASS_FIELDS or any(r["class"] is not None for r in rows)]
    values = [[("; ".join(r[k]) or "-") if k == "warnings" else
               (float("nan") if r[k] is None and k not in ("map", "scale_map", "status") else r[k])
               for k in keys] for r in rows]
    return star_text([StarTable("occupy_summary", [SUMMARY_FIELDS[k] for k in keys], values)], comment)


def stage_summary(out: "OutputSet", outcomes: list[MapOutcome], version: str) -> dict[str, Path]:
    """Stage ``occupy_summary.star`` and ``occupy_summary.csv`` for the outcomes.

    Parameters
    ----------
    out : occupy.outputs.outputset.OutputSet
        Where to stage them.
    outcomes : list of MapOutcome
        The maps, in table order.
    version : str
        The occupy version, in the STAR file's first line.

    Returns
    -------
    dict of str to pathlib.Path
        ``summary_star`` and ``summary_csv`` -> final paths.
    """
    rows = summary_rows(outcomes)
    return {"summary_star": out.write_text(SUMMARY_STAR, summary_star(rows, f"written by occupy {version}")),
            "summary_csv": out.write_text(SUMMARY_CSV, summary_csv(rows))}
