"""Pieces of the HTML reports: style, the slice browser's script, and the run's plots as SVG."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..constants import SCALE_LIMIT
from .svgplot import SvgAxes

__all__ = ["BROWSER_JS", "PAGE_CSS", "SORT_JS", "modification_svg", "scale_hist_svg", "solvent_svg"]

PAGE_CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.4em} h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;margin:.4em 0} th,td{border:1px solid #ddd;padding:2px 8px;text-align:left}
table.numbers th{background:#f4f4f4;font-weight:normal} pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}
li.warning{border-left:4px solid #c33;padding-left:.6em;margin:.6em 0;list-style:none}
.message{font-family:monospace} .row{display:flex;flex-wrap:wrap;gap:4px;align-items:flex-start}
canvas{image-rendering:pixelated;width:min(100%,1000px)} th.sort{cursor:pointer}
th.sort:after{content:" \\2195";color:#999} img.thumb{width:128px;image-rendering:pixelated}
"""

BROWSER_JS = r"""
(async function () {
  const el = document.getElementById('volume'), status = document.getElementById('browser-status');
  try {
    const [nz, ny, nx] = el.dataset.shape.split(',').map(Number);
    const lut = el.dataset.lut.split(',').map(Number);
    const first = el.dataset.first.split(',').map(Number), step = el.dataset.step.split(',').map(Number);
    const bytes = Uint8Array.from(atob(el.textContent.trim()), c => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    const vol = new Uint8Array(await new Response(stream).arrayBuffer()), n = nz * ny * nx;
    const grey = vol.subarray(0, n), scale = vol.subarray(n, 2 * n);
    const canvas = document.getElementById('view'), ctx = canvas.getContext('2d');
    const axis = document.getElementById('axis'), slider = document.getElementById('slider');
    const where = document.getElementById('where');
    const dims = a => a === 'z' ? [nx, ny, nz] : (a === 'y' ? [nx, nz, ny] : [ny, nz, nx]);
    const at = (a, i, c, r) => a === 'z' ? (i * ny + r) * nx + c : (a === 'y' ? (r * ny + i) * nx + c
                                                                              : (r * ny + c) * nx + i);
    function draw() {
      const a = axis.value, [w, h, d] = dims(a);
      slider.max = d - 1;
      const i = Math.min(Number(slider.value), d - 1), img = ctx.createImageData(2 * w + 8, h);
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          const k = at(a, i, c, h - 1 - r), g = grey[k], s = scale[k];
          let p = 4 * (r * (2 * w + 8) + c);
          img.data.set([g, g, g, 255], p);
          p += 4 * (w + 8);
          img.data.set(s === 0 ? [g * 0.6, g * 0.6, g * 0.6, 255]
                               : [lut[3 * s], lut[3 * s + 1], lut[3 * s + 2], 255], p);
        }
      }
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.putImageData(img, 0, 0);
      where.textContent = a + ' = ' + i + ' (' + (first['xyz'.indexOf(a)] + i * step['xyz'.indexOf(a)]).toFixed(1) + ' \u00c5)';
      document.body.dataset.browser = 'drawn ' + a + ' ' + i;
      status.textContent = 'slice browser ready';
    }
    slider.addEventListener('input', draw);
    axis.addEventListener('change', draw);
    draw();
  } catch (e) {
    status.textContent = 'slice browser failed: ' + e;
  }
})();
"""

SORT_JS = r"""
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.classList.add('sort');
  th.addEventListener('click', function () {
    const body = th.closest('table').tBodies[0], rows = Array.from(body.rows);
    const up = th.dataset.order !== 'up';
    th.dataset.order = up ? 'up' : 'down';
    const key = r => { const t = r.cells[col].dataset.value ?? r.cells[col].textContent;
                       const v = parseFloat(t); return isNaN(v) ? t : v; };
    rows.sort((a, b) => { const x = key(a), y = key(b);
                          return (x > y ? 1 : x < y ? -1 : 0) * (up ? 1 : -1); });
    rows.forEach(r => body.appendChild(r));
  });
});
document.body.dataset.sortable = 'ready';
"""


def scale_hist_svg(counts: np.ndarray, edges: np.ndarray, n: int, stem: str, mode: str) -> str:
    """The scale's histogram over the non-solvent voxels (from the report's coarse copy, each of its
    voxels counting for the block of the map it stands for).

    Parameters
    ----------
    counts, edges : numpy.ndarray
        The histogram.
    n : int
        Voxels of the map counted (``RunPictures.non_solvent``).
    stem, mode : str
        The map's name and the scale mode (may be empty), for the title.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    top = max(1.0, float(np.max(counts)) * 1.05) if len(counts) else 1.0
    ax = SvgAxes((0.0, 1.0), (0.0, top), width=360, height=200)
    ax.bars(edges, counts, "#3b528b", f"{n} non-solvent voxels")
    return ax.svg(f"{mode + '-mode ' if mode else ''}scale, non-solvent: {stem}", "local scale", "voxels")


def solvent_svg(data: Mapping[str, Any], edge: float, s_full: float, stem: str) -> str:
    """The lowpassed map's histogram (log), the solvent model, the confidence, edge and full scale.

    Parameters
    ----------
    data : mapping
        ``ConfidenceCurve.plot_data``: ``hist_centers``, ``hist_heights``, ``guess_curve``,
        ``fit_curve``, ``confidence``, ``hedged_confidence`` (or None).
    edge, s_full : float
        Solvent edge and full scale (map values: lines on the map-value axis).
    stem : str
        The map's name.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    x = np.asarray(data["hist_centers"], dtype=float)
    h = np.asarray(data["hist_heights"], dtype=float)
    positive = h[h > 0]
    floor = float(positive.min()) * 0.5 if positive.size else 1e-6
    step = float(x[1] - x[0]) if x.size > 1 else 1.0
    lo, hi = float(min(x[0], edge, s_full)) - step, float(max(x[-1], edge, s_full)) + step
    ax = SvgAxes((lo, hi), (floor, max(float(h.max()) * 3, floor * 10)), log_y=True, width=420, height=240)
    ax.bars(np.append(x - step / 2, x[-1] + step / 2), np.where(h > 0, h, floor), "#bbbbbb", "lowpassed map")
    ax.line(x, np.clip(data["guess_curve"], floor, None), "#e08020", "solvent model, first guess", dash="2,2")
    ax.line(x, np.clip(data["fit_curve"], floor, None), "#c02020", "solvent model, fit")
    ax.vline(edge, "#7b3294", f"solvent edge {edge:.4g}")
    ax.vline(s_full, "#000000", f"full scale {s_full:.4g}", dash="6,2,2,2")
    ax.line(x, data["confidence"], "#1f77b4", "confidence", y_range=(0.0, 1.05))
    if data.get("hedged_confidence") is not None:
        ax.line(x, data["hedged_confidence"], "#17becf", "hedged confidence", dash="4,3", y_range=(0.0, 1.05))
    ax.right_axis((0.0, 1.05), "confidence")
    return ax.svg(f"solvent model: {stem}", "map value (lowpassed)", "density")


def modification_svg(used: Mapping[str, Any], counts: np.ndarray, edges: np.ndarray, stem: str, mode: str) -> str:
    """Output against input scale as the map was modified, over the map's own scale distribution.

    Parameters
    ----------
    used : mapping
        ``amplify``/``attenuate`` (gamma or None), ``sigmoid`` ((G, pivot) or None), ``scale_limit``.
    counts, edges : numpy.ndarray
        The scale histogram over non-solvent voxels, drawn under the curves.
    stem, mode : str
        For the title.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    from ..stages.modification import modification_factor
    limit = float(used.get("scale_limit", SCALE_LIMIT))
    s = np.linspace(0.0, 1.0, 201)
    ax = SvgAxes((0.0, 1.0), (0.0, 1.02), width=300, height=300)
    top = max(1.0, float(np.max(counts))) if len(counts) else 1.0
    ax.bars(edges, np.asarray(counts) / top * 0.4, "#dde3f0", "this map's scale (non-solvent)")
    ax.bars([0.0, limit], [1.02], "#eeeeee", f"unchanged (scale <= {limit:g})")
    ax.line(s, s, "#777777", "no change", dash="2,3")
    styles = {"amplify": "#c02020", "attenuate": "#1f4fb4", "sigmoid": "#2a9d2a"}
    for kind, colour in styles.items():
        value = used.get(kind)
        if value is None:
            continue
        args = {"gamma": float(value)} if kind != "sigmoid" else {"sigmoid": float(value[0]), "pivot": float(value[1])}
        out = s * modification_factor(s, mode=kind, scale_limit=limit, **args)
        label = f"{kind}, gamma {float(value):g}" if kind != "sigmoid" else f"sigmoid G {value[0]:g}, pivot {value[1]:g}"
        ax.line(s, out, colour, label, width=2.4)
    return ax.svg(f"modification: {stem} ({mode} mode)", "input scale S", "output scale")
