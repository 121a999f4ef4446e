"""What happened to each map of a run, as one table: STAR, CSV, and JSON for one map.

The same fields everywhere (``SUMMARY_FIELDS``): ``occupy-batch`` and
``occupy.run_classes`` write ``occupy_summary.star`` and ``occupy_summary.csv``,
``occupy --json`` writes one map's row as a JSON object. In the STAR file the warnings
are short codes without spaces (``WARNING_CODES``) and the status, free text, is the last
column: RELION's ``relion_star_printtable`` splits every line at white space, quotes or
not, so only the last column may hold spaces. The CSV and the JSON keep the full text.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any

from .._version import __version__
from ..io.star import StarTable, star_text
from ..results import MapOutcome, RunResult, outcome_from_result
from .outputset import OutputSet

__all__ = ["SUMMARY_CSV", "SUMMARY_FIELDS", "SUMMARY_STAR", "WARNING_CODES", "result_json", "stage_summary",
           "summary_csv", "summary_json", "summary_rows", "summary_star", "warning_codes"]

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
    "seconds": "_occupySeconds",
    "warnings": "_occupyWarnings",
    "status": "_occupyStatus",        # free text: the last column of the STAR file
}
# STAR code of a warning -> what recognises its text; a warning none recognises is "other"
WARNING_CODES: dict[str, str] = {
    "small_kernel": r"^small kernel ",
    "partial_kernel": r"^kernel radius .* fills only part",
    "masked_map": r"looks solvent-flattened or masked",
    "poor_solvent_model": r"^the solvent model looks poor",
    "lowpass_and_resolution": r"^both --lowpass ",
    "default_gamma": r"^no --gamma given",
    "ignored_option": r" has no effect ",
    "threads": r"^(OMP_NUM_THREADS|--threads)\b",
    "map_header": r"^[^:]*: (non-standard header|invalid axis order|anisotropic voxels|MRC file is )",
}
_CLASS_FIELDS = ("class", "class_distribution", "estimated_resolution")


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
            "scale_map": str(scale) if scale else None, "seconds": round(o.seconds, 4),
            "warnings": list(o.warnings), "status": o.status,
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


def result_json(result: RunResult) -> str:
    """One run's row as a JSON object (``occupy --json``), its time the sum of its stages'.

    Parameters
    ----------
    result : RunResult
        What ``occupy.run`` returned.

    Returns
    -------
    str
        As ``summary_json`` gives it.
    """
    return summary_json(outcome_from_result(result.input_path, result, sum(result.timings.values())))


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


def warning_codes(warnings: list[str]) -> str:
    """The STAR spelling of a map's warnings: their ``WARNING_CODES``, comma-separated, or ``-``.

    Parameters
    ----------
    warnings : list of str
        The warnings' text, in order.

    Returns
    -------
    str
        One token without spaces.

    Examples
    --------
    >>> warning_codes(["small kernel (size 3, ...)", "something new"]), warning_codes([])
    ('small_kernel,other', '-')
    """
    codes = [next((code for code, pattern in WARNING_CODES.items() if re.search(pattern, text)), "other")
             for text in warnings]
    return ",".join(codes) or "-"


def summary_star(rows: list[dict[str, Any]], comment: str | None = None) -> str:
    """The table as RELION STAR: a ``data_occupy_summary`` loop.

    RELION's own labels are used where RELION has one (class number, map, class
    distribution, estimated resolution); the class columns are left out when no map is
    a class. Warnings are written as codes (``warning_codes``) and the status, the only
    free text, comes last, so that ``relion_star_printtable`` prints every column right.

    Parameters
    ----------
    rows : list of dict
        From ``summary_rows``.
    comment : str, optional
        A first comment line.

    Returns
    -------
    str
        The STAR text; missing numbers are ``nan``.
    """
    keys = [k for k in SUMMARY_FIELDS if k not in _CLASS_FIELDS or any(r["class"] is not None for r in rows)]
    values = [[warning_codes(r[k]) if k == "warnings" else
               (float("nan") if r[k] is None and k not in ("map", "scale_map", "status") else r[k])
               for k in keys] for r in rows]
    return star_text([StarTable("occupy_summary", [SUMMARY_FIELDS[k] for k in keys], values)], comment)


def stage_summary(out: OutputSet, outcomes: list[MapOutcome]) -> dict[str, Path]:
    """Stage ``occupy_summary.star`` and ``occupy_summary.csv`` for the outcomes.

    Parameters
    ----------
    out : occupy.outputs.outputset.OutputSet
        Where to stage them.
    outcomes : list of MapOutcome
        The maps, in table order.

    Returns
    -------
    dict of str to pathlib.Path
        ``summary_star`` and ``summary_csv`` -> final paths.
    """
    rows = summary_rows(outcomes)
    return {"summary_star": out.write_text(SUMMARY_STAR, summary_star(rows, f"written by occupy {__version__}")),
            "summary_csv": out.write_text(SUMMARY_CSV, summary_csv(rows))}
