"""``--report``: one self-contained HTML page per run, ``report_<stem>.html``.

Everything is inside the file: pictures are PNG ``data:`` URIs, plots inline SVG, and the
slice browser a few lines of JavaScript drawing an embedded, zlib-compressed 8-bit volume
onto a canvas. Nothing is fetched, so the page opens from a copy of the output folder.
"""
from __future__ import annotations

import base64
import html
import zlib
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from .._version import __version__
from .advice import advice_for
from .names import aux_names
from .figures import OVERLAY_PALETTE, PlanePictures, RunPictures, axis_title, overlay_indices
from .pngs import VIRIDIS, data_uri, encode_png
from .report_parts import BROWSER_JS, PAGE_CSS, modification_svg, scale_hist_svg, solvent_svg
from .svgplot import SvgAxes

if TYPE_CHECKING:  # pragma: no cover - types only
    from ..results import RunResult

__all__ = ["page", "report_html", "report_name", "slice_svg", "utf8_text", "warnings_html"]


_ESC = html.escape
_MODIFIED_TITLES = {"amplify": "amplified", "attenuate": "attenuated", "sigmoid": "sigmoid-modified",
                    "exclude_solvent": "solvent excluded"}


def report_name(stem: str) -> str:
    """Name the report of a map.

    Parameters
    ----------
    stem : str
        The map's output stem.

    Returns
    -------
    str
        ``report_<stem>.html``.
    """
    return aux_names(stem)["report"]


def page(title: str, body: Sequence[str], script: str = "") -> str:
    """A whole HTML document with the report's style.

    Parameters
    ----------
    title : str
        The document's title (escaped here).
    body : sequence of str
        HTML fragments, in order.
    script : str, optional
        JavaScript run at the end of the body.

    Returns
    -------
    str
        The document.
    """
    js = f"<script>{script}</script>" if script else ""
    return utf8_text(f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_ESC(title)}</title>'
                     f'<style>{PAGE_CSS}</style></head><body>\n' + "\n".join(body) + f"\n{js}</body></html>\n")


def utf8_text(text: str) -> str:
    """Make text valid UTF-8: the raw bytes of a file name that is not UTF-8 (held as lone surrogates
    by ``os.fsdecode``) become U+FFFD, so that a page declared UTF-8 is UTF-8.

    Parameters
    ----------
    text : str
        Any text, file names in it decoded with ``surrogateescape``.

    Returns
    -------
    str
        The text, each undecodable byte (or other lone surrogate) replaced by U+FFFD.
    """
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:          # a lone surrogate that is no escaped byte
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def fmt_value(v: Any) -> str:
    """A number to 6 significant digits (``-`` for None); anything else as text."""
    if v is None:
        return "-"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    return str(v)


def rows_table(rows: Sequence[tuple[str, Any]], cls: str = "numbers") -> str:
    """Two-column table of (name, value) rows."""
    cells = "".join(f"<tr><th>{_ESC(str(k))}</th><td>{_ESC(fmt_value(v))}</td></tr>" for k, v in rows)
    return f'<table class="{cls}">{cells}</table>'


def warnings_html(warnings: Sequence[str]) -> str:
    """Each warning with what it means and what to try, or a line saying there were none.

    Parameters
    ----------
    warnings : sequence of str
        The run's warnings.

    Returns
    -------
    str
        An HTML section.
    """
    if not warnings:
        return '<section id="warnings"><h2>Warnings</h2><p class="ok">none</p></section>'
    items = []
    for w in warnings:
        meaning, action = advice_for(w)
        items.append(f'<li class="warning"><p class="message">{_ESC(w)}</p><p><b>What it means:</b> '
                     f'{_ESC(meaning)}</p><p><b>What to try:</b> {_ESC(action)}</p></li>')
    return f'<section id="warnings"><h2>Warnings</h2><ul>{"".join(items)}</ul></section>'


def _png(pixels: np.ndarray, palette: np.ndarray | None = None, transparent: int | None = None) -> str:
    return data_uri(encode_png(pixels, palette=palette, transparent=transparent, level=6))


def slice_svg(p: PlanePictures, layer: str, title: str, side: int = 260) -> str:
    """One slice as an SVG plot with axes in Å: ``input``, ``scale`` (over the lowpassed map) or a modified kind.

    Parameters
    ----------
    p : PlanePictures
        The plane's images.
    layer : str
        Which picture.
    title : str
        Drawn above it.
    side : int, optional
        Pixels of the longer side.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    x0, x1, y0, y1 = p.extent_A
    width, height = x1 - x0, y1 - y0
    w, h = (side, max(40, int(side * height / width))) if width >= height else (max(40, int(side * width / height)), side)
    ax = SvgAxes((x0, x1), (y0, y1), width=w, height=h, legend_width=0, left=48)
    if layer == "input":
        ax.image(_png(p.input_grey), p.extent_A)
    elif layer == "scale":
        ax.image(_png(overlay_indices(p), palette=OVERLAY_PALETTE), p.extent_A)
    else:
        ax.image(_png(p.modified_grey[layer]), p.extent_A)
    across, up = p.axis_labels
    return ax.svg(title, f"{across} (Å)", f"{up} (Å)")


def colour_bar_svg(min_vis_scale: float) -> str:
    """The scale's colour key from ``min_vis_scale`` to 1."""
    strip = np.arange(256, dtype=np.uint8)[None, :].repeat(8, axis=0)
    ax = SvgAxes((min(min_vis_scale, 0.999), 1.0), (0.0, 1.0), width=260, height=16, legend_width=0, left=48,
                 y_ticks=False)
    ax.image(_png(strip, palette=VIRIDIS), (min(min_vis_scale, 0.999), 1.0, 0.0, 1.0))
    return ax.svg("colour key", "local scale (below the key's start: its first colour)", "")


def _slices_html(pictures: RunPictures, kinds: Sequence[str], min_vis_scale: float, mode: str) -> str:
    rows = []
    for p in pictures.planes:
        cells = [slice_svg(p, "input", f"input, {axis_title(p)}"),
                 slice_svg(p, "scale", f"{mode}-mode scale over the lowpassed map")]
        cells += [slice_svg(p, k, _MODIFIED_TITLES.get(k, k)) for k in kinds]
        rows.append(f'<div class="row" data-axis="{p.plane.axis}" data-index="{p.plane.index}">'
                    + "".join(cells) + "</div>")
    where = ", ".join(f"{k} at (z, y, x) = ({', '.join(f'{v:.0f}' for v in pt)}) voxels"
                      for k, pt in pictures.points.items() if pt is not None and k != "centre")
    notes = "".join(f'<p class="note">{_ESC(n)}</p>' for n in pictures.notes)
    return (f'<section id="slices"><h2>Slices</h2><p>Input | scale ({_ESC(mode)} mode, coloured where the '
            f'lowpassed map is above the solvent edge, over that lowpassed map) | modified. Points: '
            f'{_ESC(where)}. Choose others with <code>--slices</code>. Positions in Å are the map\'s '
            f'coordinates, as in the log and ChimeraX.</p>{notes}{colour_bar_svg(min_vis_scale)}'
            + "".join(rows) + "</section>")


def _csv(values: Sequence[float]) -> str:
    return ",".join(f"{float(v):.6g}" for v in values)


def _browser_html(browser: Mapping[str, Any]) -> str:
    if not browser:
        return ""
    nz, ny, nx = browser["shape"]
    packed = zlib.compress(np.concatenate([browser["grey"].ravel(), browser["scale"].ravel()]).tobytes(), 6)
    lut = VIRIDIS.ravel().tolist()
    return (f'<section id="browser"><h2>Slice browser</h2><p>Input (left) and scale (right) every '
            f'{browser["voxel_size"]:.3g} Å. <label>axis <select id="axis"><option>z</option><option>y</option>'
            f'<option>x</option></select></label> <input type="range" id="slider" min="0" max="{nz - 1}" '
            f'value="{nz // 2}"> <span id="where"></span> <span id="browser-status">slice browser needs '
            f'JavaScript</span></p><canvas id="view" width="{2 * max(nx, ny, nz) + 8}" height="{max(nx, ny, nz)}">'
            f'</canvas><script id="volume" type="application/octet-stream" data-shape="{nz},{ny},{nx}" '
            f'data-voxel="{browser["voxel_size"]:.6g}" data-first="{_csv(browser["first_A"])}" '
            f'data-step="{_csv(browser["step_A"])}" data-lut="{",".join(map(str, lut))}">'
            f'{base64.b64encode(packed).decode("ascii")}</script></section>')


def report_html(*, stem: str, result: "RunResult", log: str, command_line: str, pictures: RunPictures, plot_data: Mapping[str, np.ndarray],
                used: Mapping[str, Any] | None, min_vis_scale: float) -> str:
    """The HTML of ``report_<stem>.html``.

    Parameters
    ----------
    stem : str
        The map's name.
    result : RunResult
        The run's numbers and warnings.
    log : str
        The run's log (``occupy.outputs.log.log_text``): every number and option.
    command_line : str
        The command line (or ``occupy.run`` call) that repeats the run.
    pictures : RunPictures
        The slices, scale histogram and browser volumes.
    plot_data : mapping
        The solvent model's curves (``ConfidenceCurve.plot_data``).
    used : mapping, optional
        The modification used (``amplify``/``attenuate``/``sigmoid``/``scale_limit``), None if none.
    min_vis_scale : float
        Bottom of the colour key.

    Returns
    -------
    str
        The document.
    """
    mode = result.scale_mode
    head = [("map", stem), ("scale mode", mode), ("s_full (map value)", result.s_full),
            ("solvent mean (map value)", result.solvent_mean), ("solvent width, sigma (map value)",
                                                                 result.solvent_width),
            ("solvent edge (map value)", result.solvent_edge),
            ("fraction of non-solvent voxels with scale < 0.5", result.partial_fraction),
            ("gamma", result.gamma if result.gamma is not None else "-")]
    counts, edges = pictures.scale_hist
    body = [f"<h1>occupy report: {_ESC(stem)} ({_ESC(mode)} mode)</h1>",
            f'<p class="meta">occupy {_ESC(__version__)}</p>',
            f'<section id="summary"><h2>Numbers</h2>{rows_table(head)}</section>',
            f'<section id="command"><h2>Command line</h2><pre>{_ESC(command_line)}</pre></section>',
            warnings_html(result.warnings),
            _slices_html(pictures, [k for k in ("amplify", "attenuate", "sigmoid", "exclude_solvent")
                                    if pictures.planes and k in pictures.planes[0].modified_grey],
                         min_vis_scale, mode),
            f'<section id="plots"><h2>Scale and solvent model</h2>'
            f'{scale_hist_svg(counts, edges, pictures.non_solvent, stem, mode)}'
            f'{solvent_svg(plot_data, result.solvent_edge, result.s_full, stem)}'
            f'{modification_svg(used, counts, edges, stem, mode) if used else ""}</section>',
            _browser_html(pictures.browser),
            f'<section id="details"><h2>All numbers and options (the log)</h2><pre>{_ESC(log)}</pre></section>']
    return page(f"occupy report: {stem}", body, BROWSER_JS if pictures.browser else "")
