"""The results display of an occupy pipeliner job: what Doppio shows for a finished job.

The summary table; central slices of every map and its scale (the pipeliner's montage,
and occupy's own figure of the scale in colour over the map, at the colour key's fixed
range); a histogram of each scale map and of each map's values; and, when the job made
plots, the solvent model and modification curves. Imports the pipeliner: loaded only
through ``occupy.ccpem._jobs``.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from pipeliner.display_tools import create_results_display_object, make_mrcs_central_slices_montage
from pipeliner.results_display_objects import ResultsDisplayObject

from ..errors import OccupyError
from ..outputs.plots import plot_scale_slices
from ..outputs.summary_table import SUMMARY_CSV, SUMMARY_FIELDS, SUMMARY_STAR
from .results import MapResult, failure_message, finished_maps, read_volume, summary_table, value_histogram

__all__ = ["results_display"]

THUMBNAILS = "Thumbnails"        # the pipeliner's folder for display files (removed when they are remade)
_SCALE_BINS = 50
_MAP_BINS = 100
_PLOTS = {"plot_solvent": "Solvent model", "plot_modification": "Modification"}


def _table(job_dir: str) -> ResultsDisplayObject:
    header, rows = summary_table(job_dir)
    return create_results_display_object(
        "table", title="occupy summary", headers=header, table_data=rows,
        header_tooltips=[SUMMARY_FIELDS.get(h, h) for h in header],
        associated_data=[os.path.join(job_dir, SUMMARY_STAR)])


def _montage(maps: list[MapResult], job_dir: str) -> ResultsDisplayObject:
    files = {}
    for m in maps:
        files[m.map_path] = f"{m.label}: map"
        files[m.scale_path] = f"{m.label}: scale"
    return make_mrcs_central_slices_montage(files, job_dir)


def _slices_image(m: MapResult, number: int, data: np.ndarray, scale: np.ndarray, job_dir: str,
                  min_vis_scale: float) -> ResultsDisplayObject:
    """The run's own scale-slices plot, else the same figure drawn now into the thumbnails."""
    png = m.plots.get("plot_slices")
    if png is None:
        folder = Path(job_dir) / THUMBNAILS
        folder.mkdir(exist_ok=True)
        png = str(folder / f"scale_slices_{number:03d}.png")
        plot_scale_slices(png, data=data, scale=scale, min_vis_scale=min_vis_scale, title=f"local scale on central slices: {m.label}")
    return create_results_display_object(
        "image", title=f"Scale on central slices: {m.label}", image_path=png,
        image_desc=f"central slices of {m.map_path} in grey, its local scale in colour "
                   f"({min_vis_scale:g} to 1) where the map is above mean + 1 SD",
        associated_data=[m.map_path, m.scale_path])


def _histograms(m: MapResult, data: np.ndarray, scale: np.ndarray, collapsed: bool) -> list[ResultsDisplayObject]:
    objects = []
    for title, values, bins, span, xlabel, path in (
            (f"Local scale: {m.label}", scale, _SCALE_BINS, (0.0, 1.0), "local scale", m.scale_path),
            (f"Map values: {m.label}", data, _MAP_BINS, None, "map value", m.map_path)):
        counts, edges = value_histogram(values, bins, span)
        objects.append(create_results_display_object(
            "histogram", title=title, bins=counts, bin_edges=edges, xlabel=xlabel, ylabel="voxels",
            associated_data=[path], start_collapsed=collapsed))
    return objects


def _plots(m: MapResult) -> list[ResultsDisplayObject]:
    return [create_results_display_object("image", title=f"{what}: {m.label}", image_path=m.plots[role],
                                          image_desc=f"written by the run ({Path(m.plots[role]).name})",
                                          associated_data=[m.map_path], start_collapsed=True)
            for role, what in _PLOTS.items() if role in m.plots]


def _one_map(m: MapResult, number: int, job_dir: str, min_vis_scale: float) -> list[ResultsDisplayObject]:
    try:
        data, scale = read_volume(m.map_path), read_volume(m.scale_path)
        return ([_slices_image(m, number, data, scale, job_dir, min_vis_scale)]
                + _histograms(m, data, scale, collapsed=number > 1) + _plots(m))
    except (OccupyError, OSError, ValueError) as exc:
        return [create_results_display_object("pending", message=f"cannot show {m.label}", reason=str(exc))]


def results_display(job_dir: str, min_vis_scale: float) -> list[ResultsDisplayObject]:
    """Make the display objects of a finished job.

    Parameters
    ----------
    job_dir : str
        The job directory, relative to the project directory (the working directory).
    min_vis_scale : float
        Bottom of the scale's colour key (the job's ``min_vis_scale``).

    Returns
    -------
    list of ResultsDisplayObject
        The summary table, the central-slices montage, then per map its scale-slices
        figure, histograms of scale and map values, and the run's plots. A map that
        cannot be read gives a "pending" object saying why, not a failure; a failed job
        gives its one-line message.
    """
    if not (Path(job_dir) / SUMMARY_CSV).is_file():
        failed = failure_message(job_dir)
        if failed:
            return [create_results_display_object("text", title="occupy failed", display_data=failed,
                                                  associated_data=[os.path.join(job_dir, "run.err")])]
        return [create_results_display_object("pending", message="no results yet", reason="the job has not finished")]
    maps = finished_maps(job_dir)
    objects = [_table(job_dir)]
    if maps:
        objects.append(_montage(maps, job_dir))
    for number, m in enumerate(maps, start=1):
        objects += _one_map(m, number, job_dir, min_vis_scale)
    return objects
