"""The report of many maps: ``report_classes.html`` (a classification) or ``report_batch.html``.

One sortable table of every map's numbers (click a header), a row per map with the map and
its scale at the same slice (through the centre of mass of its non-solvent density) and its
scale histogram, and a link to the map's own ``report_<stem>.html`` when it has one. A map whose
pictures cannot be made gets the reason in its row instead: the report never fails the batch.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence
from urllib.parse import quote

import numpy as np

from .._version import __version__
from ..errors import OccupyError, warn
from ..io.maps import read_map
from ..results import MapOutcome
from .figures import OVERLAY_PALETTE, overlay_indices, run_pictures
from .outputset import OutputSet
from .pngs import data_uri, encode_png
from .report import fmt_value, page, report_name, warnings_html
from .report_parts import SORT_JS, scale_hist_svg
from .names import map_stem
from .staged import staged_map

__all__ = ["CLASSES_REPORT", "BATCH_REPORT", "many_maps_report", "stage_many_report"]

CLASSES_REPORT = "report_classes.html"
BATCH_REPORT = "report_batch.html"
_ESC = html.escape
_COLUMNS = ("class", "map", "distribution", "s_full", "solvent mean", "solvent width", "partial fraction",
            "warnings", "seconds", "status", "report")


def _href(name: str) -> str:
    """A file name as a link's target: URL-encoded (``#``, ``?``, ``%``), then HTML-escaped."""
    return _ESC(quote(name))


def _name(o: MapOutcome) -> str:
    return f"class {o.class_map.number}" if o.class_map else o.input_path.name


def _cells(o: MapOutcome, link: str | None) -> list[tuple[str, str]]:
    """(sort value, shown html) per column."""
    c = o.class_map
    dist = c.distribution if c else None
    values = [c.number if c else "", o.input_path.name, dist, o.s_full, o.solvent_mean, o.solvent_width,
              o.partial_fraction, len(o.warnings), o.seconds, o.status]
    cells = [(str(v) if v is not None else "", _ESC(fmt_value(v))) for v in values]
    cells.append(("", f'<a href="{_href(link)}">{_ESC(link)}</a>' if link else "-"))
    return cells


def _table(outcomes: Sequence[MapOutcome], links: dict[int, str | None]) -> str:
    head = "".join(f"<th>{_ESC(c)}</th>" for c in _COLUMNS)
    rows = []
    for i, o in enumerate(outcomes):
        tds = "".join(f'<td data-value="{_ESC(v)}">{shown}</td>' for v, shown in _cells(o, links.get(i)))
        rows.append(f'<tr class="map-row">{tds}</tr>')
    return (f'<table class="sortable" id="summary-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _pictures(o: MapOutcome, out: OutputSet | None, min_vis_scale: float, lowpass: float,
              pixel_size: float | None) -> str:
    """The map's pictures, its status when it has no scale, or why they could not be made."""
    if "scale" not in o.output_paths:
        return f"<p>{_ESC(o.status)}</p>"
    try:
        return _thumbnails(o, out, min_vis_scale, lowpass, pixel_size)
    except (OccupyError, OSError, ValueError) as e:
        return f'<p class="error">no pictures: {_ESC(str(e))}</p>'


def _thumbnails(o: MapOutcome, out: OutputSet | None, min_vis_scale: float, lowpass: float,
                pixel_size: float | None) -> str:
    """The map and its scale at one z slice through the non-solvent centre of mass, and the histogram."""
    m = read_map(o.input_path, pixel_size=pixel_size, allow_constant=True)
    final = o.output_paths["scale"]
    scale = staged_map(out, final, m)
    pictures = run_pictures(m.data, np.asarray(scale), {}, voxel_size=m.voxel_size,
                            lowpass=max(o.lowpass or lowpass, 3 * m.voxel_size), solvent_edge=o.solvent_edge or 0.0,
                            min_vis_scale=min_vis_scale, slices="com", browser=False)
    p = next(q for q in pictures.planes if q.plane.axis == "z")
    counts, edges = pictures.scale_hist
    title = f"z = {p.plane.index} ({p.position_A:.1f} Å), centre of mass"
    return (f'<figure><img class="thumb" alt="map" src="{data_uri(encode_png(p.input_grey))}">'
            f'<img class="thumb" alt="scale" src="{data_uri(encode_png(overlay_indices(p), OVERLAY_PALETTE))}">'
            f'<figcaption>{_ESC(title)}: map | scale</figcaption></figure>'
            + scale_hist_svg(counts, edges, pictures.non_solvent, _name(o), ""))


def many_maps_report(outcomes: Sequence[MapOutcome], out: OutputSet | None, *, title: str,
                     min_vis_scale: float, lowpass: float = 8.0, pixel_size: float | None = None) -> str:
    """The HTML of the report of a classification or batch.

    Parameters
    ----------
    outcomes : sequence of MapOutcome
        Every map, in table order (failed and skipped maps get a row, without pictures).
    out : OutputSet, optional
        Where the maps' outputs are staged (None: they are published).
    title : str
        The page's heading.
    min_vis_scale : float
        Bottom of the colour key.
    lowpass : float, optional
        Å, of the lowpassed copy that decides what is solvent in the pictures, for a map whose
        outcome does not carry its run's lowpass.
    pixel_size : float, optional
        The runs' ``--pixel-size`` (Å), to read the maps with.

    Returns
    -------
    str
        The document. A map whose pictures cannot be made (unreadable, changed or removed since
        its run) shows why in its row.
    """
    links = {i: (report_name(map_stem(o.input_path)) if "report" in o.output_paths else None)
             for i, o in enumerate(outcomes)}
    rows = []
    for i, o in enumerate(outcomes):
        pictures = _pictures(o, out, min_vis_scale, lowpass, pixel_size)
        link = f' <a href="{_href(links[i])}">own report</a>' if links[i] else ""
        rows.append(f'<section class="map" id="map-{i}"><h3>{_ESC(_name(o))}: {_ESC(o.input_path.name)}{link}</h3>'
                    f'<div class="row">{pictures}</div>{warnings_html(o.warnings) if o.warnings else ""}</section>')
    body = [f"<h1>{_ESC(title)}</h1>", f'<p class="meta">occupy {_ESC(__version__)}; click a column\'s '
            f"header to sort by it</p>", _table(outcomes, links), "<h2>Every map</h2>", *rows]
    return page(title, body, SORT_JS)


def stage_many_report(out: OutputSet, outcomes: Sequence[MapOutcome], name: str, *, staged: bool,
                      min_vis_scale: float, lowpass: float | None, pixel_size: float | None = None
                      ) -> Path | None:
    """Stage the report of many maps in ``out`` as ``name``.

    Parameters
    ----------
    out : OutputSet
        The transaction (also where the maps' own outputs are staged when ``staged``).
    outcomes : sequence of MapOutcome
        The maps.
    name : str
        ``CLASSES_REPORT`` or ``BATCH_REPORT``.
    staged : bool
        The maps' outputs are staged in ``out`` (a classification), not yet published.
    min_vis_scale : float
        Bottom of the colour key.
    lowpass : float, optional
        The runs' ``--lowpass`` (default 8 Å), for maps whose outcome does not carry it.
    pixel_size : float, optional
        The runs' ``--pixel-size`` (Å).

    Returns
    -------
    pathlib.Path or None
        The report's final path; None if it could not be made (an ``OccupyWarning`` says why,
        and the rest of ``out``, such as the summary table, is still written).
    """
    what = "classification" if name == CLASSES_REPORT else "batch"
    try:
        text = many_maps_report(outcomes, out if staged else None, min_vis_scale=min_vis_scale,
                                title=f"occupy {what} report ({len(outcomes)} maps)", lowpass=lowpass or 8.0,
                                pixel_size=pixel_size)
    except (OccupyError, OSError, ValueError) as e:
        warn(f"{name} was not written: {e}")
        return None
    return out.write_text(name, text)
