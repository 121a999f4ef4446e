"""What a finished occupy job left in its directory, read back for the pipeliner's results display.

The job directory holds what ``occupy-relion`` writes: ``RELION_OUTPUT_NODES.star`` (the
output nodes with their type labels), ``occupy_summary.csv`` (a row per map or class)
and, per map, its scale map and, with ``plot``, its PNG plots. These functions read
them as plain data (lists, arrays); ``occupy.ccpem._jobs`` wraps them in the pipeliner's
display objects. Nothing here imports the pipeliner.
"""
from __future__ import annotations

import csv
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import OccupyError, OccupyWarning
from ..io.maps import read_map
from ..io.star import read_star
from ..outputs.names import aux_names, map_stem
from ..outputs.summary_table import SUMMARY_CSV
from ..relion.nodes import NODES_FILE

__all__ = ["MapResult", "failure_message", "finished_maps", "node_type", "output_nodes", "read_volume",
           "summary_table", "value_histogram"]


@dataclass(frozen=True)
class MapResult:
    """One map (or class) of a finished job and the files shown for it.

    Parameters
    ----------
    label : str
        ``class N`` for a class, else the map as given.
    map_path : str
        The input map, relative to the project directory.
    scale_path : str
        Its scale map, relative to the project directory.
    plots : dict of str to str
        Plot role (``plot_slices``, ``plot_solvent``, ``plot_modification``) -> PNG the
        run wrote (with ``plot``); empty without plots.
    """

    label: str
    map_path: str
    scale_path: str
    plots: dict[str, str]


def node_type(label: str) -> tuple[str, list[str]]:
    """Split a RELION 4/5 node type label into the pipeliner's top-level type and keywords.

    Parameters
    ----------
    label : str
        ``<Kind>.<format>[.<keyword>...]``, e.g. ``Image3D.mrc.occupy.localscale``.

    Returns
    -------
    tuple of (str, list of str)
        The kind and the keywords (the format comes from the file name).

    Examples
    --------
    >>> node_type("Image3D.mrc.occupy.localscale")
    ('Image3D', ['occupy', 'localscale'])
    >>> node_type("DensityMap.mrc")
    ('DensityMap', [])
    """
    kind, _, rest = label.partition(".")
    return kind, rest.split(".")[1:]


def output_nodes(job_dir: str | os.PathLike) -> list[tuple[str, str]]:
    """Read the output nodes ``occupy-relion`` listed for a job.

    Parameters
    ----------
    job_dir : str or os.PathLike
        The job directory.

    Returns
    -------
    list of (str, str)
        Node name (relative to the project directory) and type label, in file order.

    Raises
    ------
    OccupyError
        When the nodes file is missing or not STAR.
    """
    doc = read_star(Path(job_dir) / NODES_FILE, "output nodes file")
    block = doc.find_block("output_nodes")
    table = block.find(["_rlnPipeLineNodeName", "_rlnPipeLineNodeTypeLabel"]) if block is not None else []
    return [(row.str(0), row.str(1)) for row in table]


def summary_table(job_dir: str | os.PathLike) -> tuple[list[str], list[list[str]]]:
    """Read the job's summary table (``occupy_summary.csv``) as text.

    Parameters
    ----------
    job_dir : str or os.PathLike
        The job directory.

    Returns
    -------
    tuple of (list of str, list of list of str)
        The column names and one row per map or class.
    """
    with open(Path(job_dir) / SUMMARY_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def failure_message(job_dir: str | os.PathLike) -> str:
    """The one-line message a failed job left in ``run.err``.

    Parameters
    ----------
    job_dir : str or os.PathLike
        The job directory.

    Returns
    -------
    str
        The last ``error: ...`` line, or ``""`` when there is none (the job did not fail, or
        did not run yet).
    """
    try:
        lines = (Path(job_dir) / "run.err").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return next((line for line in reversed(lines) if line.startswith("error: ")), "")


def finished_maps(job_dir: str | os.PathLike) -> list[MapResult]:
    """The maps (or classes) of the job that have a scale map, in summary order.

    Parameters
    ----------
    job_dir : str or os.PathLike
        The job directory.

    Returns
    -------
    list of MapResult
        Skipped classes (empty ones) are left out.
    """
    header, rows = summary_table(job_dir)
    found = []
    for row in rows:
        cells = dict(zip(header, row))
        if not cells.get("scale_map"):
            continue
        stem = map_stem(cells["map"])
        plots = {role: str(Path(job_dir) / name) for role, name in aux_names(stem).items()
                 if role.startswith("plot_") and (Path(job_dir) / name).is_file()}
        label = f"class {cells['class']}" if cells.get("class") else cells["map"]
        found.append(MapResult(label, cells["map"], cells["scale_map"], plots))
    return found


def read_volume(path: str | os.PathLike) -> np.ndarray:
    """Read a map's values for display, its warnings silenced (the run reported them).

    Parameters
    ----------
    path : str or os.PathLike
        The map.

    Returns
    -------
    numpy.ndarray
        Its float32 ``[z, y, x]`` values.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OccupyWarning)
        return read_map(path).data


def value_histogram(values: np.ndarray, bins: int, value_range: tuple[float, float] | None = None
                    ) -> tuple[list[int], list[float]]:
    """Count values in equal bins, as plain lists the display objects store.

    Parameters
    ----------
    values : numpy.ndarray
        The values (any shape).
    bins : int
        Number of bins.
    value_range : tuple of float, optional
        The bins' span; default the values' range. Values outside it are not counted.

    Returns
    -------
    tuple of (list of int, list of float)
        Counts (``bins``) and edges (``bins + 1``).

    Raises
    ------
    OccupyError
        When there are no values.

    Examples
    --------
    >>> value_histogram(np.array([0.1, 0.2, 0.9]), 2, (0.0, 1.0))
    ([2, 1], [0.0, 0.5, 1.0])
    """
    if values.size == 0:
        raise OccupyError("no values to count")
    lo, hi = value_range if value_range is not None else (float(values.min()), float(values.max()))
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)     # float64 edges, whatever the values
    counts, _ = np.histogram(values, bins=edges)
    return [int(c) for c in counts], [float(e) for e in edges]
