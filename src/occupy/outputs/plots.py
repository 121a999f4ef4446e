"""PNG figures written with ``--plot``: solvent model, modification curves, scale slices.

Each function takes plain arrays/numbers and writes one PNG exactly at ``path`` (which
may be a staged temporary name such as ``x.png.part``). The slices are images made with
NumPy (``occupy.outputs.figures``); axes, text and legends are drawn with Pillow
(``occupy.outputs.rasterplot``; Pillow is installed with matplotlib), in milliseconds.
Without Pillow each function raises ``occupy.errors.OccupyError``.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from ..constants import MIN_VIS_SCALE, SCALE_LIMIT
from .rasterplot import Canvas, RasterAxes

if TYPE_CHECKING:  # pragma: no cover - types only
    from .figures import RunPictures

__all__ = ["plot_solvent_model", "plot_modification", "plot_pictures", "plot_scale_slices"]

_MODIFY_KEYS = {"amplify", "attenuate", "sigmoid", "scale_limit"}


def plot_solvent_model(path: str | os.PathLike, *, hist_centers: np.ndarray, hist_heights: np.ndarray,
                       guess_curve: np.ndarray, fit_curve: np.ndarray, confidence: np.ndarray,
                       hedged_confidence: np.ndarray | None = None, solvent_edge: float,
                       s_full: float, title: str = "") -> None:
    """Plot the histogram of the lowpassed map (log scale) with the solvent model and confidence.

    Parameters
    ----------
    path : str or os.PathLike
        The PNG file to write.
    hist_centers, hist_heights : numpy.ndarray
        Bin centres and heights of the density histogram.
    guess_curve, fit_curve : numpy.ndarray
        The initial and the fitted solvent Gaussian, evaluated at ``hist_centers``.
    confidence : numpy.ndarray
        Confidence per bin, drawn on a second axis in [0, 1].
    hedged_confidence : numpy.ndarray, optional
        The hedged confidence per bin, drawn dashed when given.
    solvent_edge, s_full : float
        Where solvent ends and the full scale (map values), marked by vertical lines.
    title : str, optional
        Figure title (default ``"solvent model"``).
    """
    x = np.asarray(hist_centers, dtype=float)
    h = np.asarray(hist_heights, dtype=float)
    positive = h[h > 0]
    floor = float(positive.min()) * 0.5 if positive.size else 1e-6
    top = float(h.max()) * 3 if h.max() > 0 else 1.0
    step = float(x[1] - x[0]) if x.size > 1 else 1.0
    lo, hi = float(min(x[0], solvent_edge, s_full)) - step, float(max(x[-1], solvent_edge, s_full)) + step
    canvas = Canvas(1020, 560)
    ax = RasterAxes(canvas, (80, 40, 640, 440), (lo, hi), (floor, max(top, floor * 10)), log_y=True)
    ax.bars(np.append(x - step / 2, x[-1] + step / 2), np.where(h > 0, h, floor), "#bfbfbf", "lowpassed map histogram")
    ax.line(x, np.clip(guess_curve, floor, None), "#ff7f0e", "solvent model, initial guess", dash="3,3")
    ax.line(x, np.clip(fit_curve, floor, None), "#d62728", "solvent model, fit", width=3)
    ax.vline(solvent_edge, "#9467bd", f"solvent edge {solvent_edge:.4g}")
    ax.vline(s_full, "#000000", f"full scale {s_full:.4g}", dash="10,3")
    ax.line(x, confidence, "#1f77b4", "confidence", width=3, y_range=(-0.02, 1.05))
    if hedged_confidence is not None:
        ax.line(x, hedged_confidence, "#17becf", "hedged confidence", dash="6,4", y_range=(-0.02, 1.05))
    ax.right_axis((-0.02, 1.05), "confidence (non-solvent)")
    ax.finish(title or "solvent model", "map value (lowpassed)", "density", legend_xy=(790, 40))
    canvas.save(path)


def plot_modification(path: str | os.PathLike, *, gammas_shown: Sequence[float] = (1.5, 2, 3, 4, 8),
                      used: Mapping[str, Any], title: str = "") -> None:
    """Plot output against input scale for amplify, attenuate and sigmoid (grey: unchanged).

    Parameters
    ----------
    path : str or os.PathLike
        The PNG file to write.
    gammas_shown : sequence of float, optional
        Gammas whose amplify and attenuate curves are drawn faintly.
    used : mapping
        Drawn bold; only keys ``amplify``/``attenuate`` (gamma), ``sigmoid`` (G, pivot), ``scale_limit``.
    title : str, optional
        Figure title (default ``"scale modification"``).
    """
    unknown = set(used) - _MODIFY_KEYS
    if unknown:
        raise ValueError(f"plot_modification: unknown keys {sorted(unknown)}")
    from ..stages.modification import modification_factor

    limit = float(used.get("scale_limit", SCALE_LIMIT))
    s = np.linspace(0.0, 1.0, 301)
    canvas = Canvas(1000, 600)
    ax = RasterAxes(canvas, (80, 40, 480, 480), (0.0, 1.0), (0.0, 1.02))
    ax.bars([0.0, limit], [1.02], "#d9d9d9", f"unchanged (scale <= {limit:g})")
    ax.line(s, s, "#666666", "no change (gamma 1)", width=1, dash="2,3")
    with np.errstate(divide="ignore"):
        for g in gammas_shown:
            ax.line(s, np.where(s > limit, s ** (1.0 / g), s), "#f4b6b6", width=1)
            ax.line(s, np.where(s > limit, s ** g, s), "#b6c8f4", width=1)
    shown = ", ".join(f"{g:g}" for g in gammas_shown)
    ax.legend += [("#f4b6b6", f"amplify S^(1/g), g = {shown}", ""), ("#b6c8f4", f"attenuate S^g, g = {shown}", "")]
    for kind, colour in (("amplify", "#d62728"), ("attenuate", "#1f4fb4"), ("sigmoid", "#2ca02c")):
        value = used.get(kind)
        if value is None:
            continue
        args = {"gamma": float(value)} if kind != "sigmoid" else {"sigmoid": float(value[0]), "pivot": float(value[1])}
        label = f"{kind} used, gamma {float(value):g}" if kind != "sigmoid" else \
            f"sigmoid used, G {value[0]:g}, pivot {value[1]:g}"
        ax.line(s, s * modification_factor(s, mode=kind, scale_limit=limit, **args), colour, label, width=4)
    ax.finish(title or "scale modification", "input scale S", "output scale")
    canvas.save(path)


def plot_pictures(path: str | os.PathLike, pictures: "RunPictures", *, min_vis_scale: float = MIN_VIS_SCALE,
                  title: str = "") -> None:
    """Plot a run's slices: the scale in colour over the lowpassed map, axes in Å, one row per point.

    The images come ready-made from ``occupy.outputs.figures.run_pictures`` (the scale shown
    where the lowpassed map is above the solvent edge).

    Parameters
    ----------
    path : str or os.PathLike
        The PNG file to write.
    pictures : RunPictures
        The run's slices.
    min_vis_scale : float, optional
        Bottom of the colour bar, which spans it to 1 (viridis, as in the ChimeraX script).
    title : str, optional
        Figure title (name the map and the scale mode).
    """
    from .figures import axis_title, composite_rgb
    from .pngs import VIRIDIS
    groups: dict[str, list] = {}
    for p in pictures.planes:
        groups.setdefault(p.plane.why, []).append(p)
    rows, cols, side = max(1, len(groups)), max((len(g) for g in groups.values()), default=1), 300
    canvas = Canvas(80 + cols * (side + 90) + 130, 60 + rows * (side + 80))
    for r, planes in enumerate(groups.values()):
        for c, p in enumerate(planes):
            x0, x1, y0, y1 = p.extent_A
            width, height = x1 - x0, y1 - y0
            w, h = (side, max(20, round(side * height / width))) if width >= height else \
                (max(20, round(side * width / height)), side)
            ax = RasterAxes(canvas, (80 + c * (side + 90), 70 + r * (side + 80), w, h), (x0, x1), (y0, y1))
            ax.picture(composite_rgb(p, VIRIDIS))
            ax.finish(axis_title(p), f"{p.axis_labels[0]} (Å)", f"{p.axis_labels[1]} (Å)")
    bottom = min(float(min_vis_scale), 0.999)
    key_left = canvas.image.width - 110
    key = RasterAxes(canvas, (key_left, 70, 20, max(120, rows * (side + 80) - 100)), (0.0, 1.0), (bottom, 1.0))
    key.picture(VIRIDIS[::-1, None, :].repeat(4, axis=1))
    key.finish("scale", "", "", ticks=False)
    key_top, key_height = 70, key.box[3]
    for t in (bottom, *[v for v in np.linspace(0, 1, 11) if v > bottom + 0.05]):
        canvas.text((key_left + 26, key_top + (1 - (t - bottom) / (1 - bottom)) * key_height), f"{t:.2g}", "lm",
                    canvas.small)
    canvas.text((canvas.image.width / 2, 10), title or "local scale", "ma", canvas.big)
    canvas.save(path)


def plot_scale_slices(path: str | os.PathLike, *, data: np.ndarray, scale: np.ndarray,
                      min_vis_scale: float = MIN_VIS_SCALE, title: str = "", threshold: float | None = None,
                      voxel_size: float = 1.0, lowpass: float | None = None) -> None:
    """Plot z, y and x slices through the box centre, the scale over the lowpassed map (``plot_pictures``).

    Parameters
    ----------
    path : str or os.PathLike
        The PNG file to write.
    data, scale : numpy.ndarray
        The map and its scale, 3-D ``[z, y, x]`` arrays of one shape.
    min_vis_scale : float, optional
        Bottom of the colour bar.
    title : str, optional
        Figure title (default ``"local scale"``).
    threshold : float, optional
        Lowpassed-map value above which the scale is shown (default: its mean + 1 SD).
    voxel_size : float, optional
        Å, for the axes.
    lowpass : float, optional
        Å (default 8 Å or 3 voxels, whichever is larger).

    Raises
    ------
    ValueError
        When the arrays are not 3-D or differ in shape.
    """
    from .figures import run_pictures
    from .slices import coarse_map
    data = np.asarray(data, dtype=np.float32)
    scale = np.asarray(scale, dtype=np.float32)
    if data.ndim != 3 or data.shape != scale.shape:
        raise ValueError(f"plot_scale_slices: need two 3-D arrays of one shape, got {data.shape}, {scale.shape}")
    lowpass = lowpass or max(8.0, 3 * voxel_size)
    if threshold is None:
        lp = coarse_map(data, voxel_size, lowpass).lowpassed
        threshold = float(lp.mean() + lp.std())
    pictures = run_pictures(data, scale, {}, voxel_size=voxel_size, lowpass=lowpass, solvent_edge=threshold,
                            min_vis_scale=min_vis_scale, slices="centre", browser=False)
    plot_pictures(path, pictures, min_vis_scale=min_vis_scale, title=title)
