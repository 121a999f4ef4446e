"""PNG figures written with ``--plot``: solvent model, modification curves, scale slices.

Each function takes plain arrays/numbers and writes one PNG exactly at ``path`` (which
may be a staged temporary name such as ``x.png.part``).  matplotlib is optional and
imported lazily; figures are built on ``matplotlib.figure.Figure`` with the Agg
canvas, never through ``pyplot``. matplotlib does not promise thread safety (its font
cache and some artists are shared), so classes run side by side plot one at a time.
Without matplotlib each function raises ``occupy.errors.OccupyError``.
"""
from __future__ import annotations

import functools
import os
import threading
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..constants import MIN_VIS_SCALE, SCALE_LIMIT
from ..errors import OccupyError

__all__ = ["plot_solvent_model", "plot_modification", "plot_scale_slices"]

_DPI = 110
_MODIFY_KEYS = {"amplify", "attenuate", "sigmoid", "scale_limit"}
_ONE_AT_A_TIME = threading.Lock()


def _serialized(func: Callable[..., None]) -> Callable[..., None]:
    """Run a plotting function under the lock (matplotlib is not thread-safe)."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        with _ONE_AT_A_TIME:
            func(*args, **kwargs)
    return wrapper


def _new_figure(width: float, height: float):
    """A Figure with an Agg canvas, or OccupyError if matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401 - fails cleanly when matplotlib is absent
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise OccupyError("--plot needs matplotlib: pip install matplotlib") from None
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | os.PathLike) -> None:
    fig.savefig(os.fspath(path), format="png", dpi=_DPI)


@_serialized
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
        Where solvent ends and the full scale, marked by vertical lines.
    title : str, optional
        Figure title (default ``"solvent model"``).
    """
    x = np.asarray(hist_centers, dtype=float)
    h = np.asarray(hist_heights, dtype=float)
    fig = _new_figure(8.0, 5.0)
    ax = fig.add_subplot(1, 1, 1)
    positive = h[h > 0]
    floor = float(positive.min()) * 0.5 if positive.size else 1e-6
    top = float(h.max()) * 3 if h.max() > 0 else 1.0
    width = float(x[1] - x[0]) if x.size > 1 else 1.0
    ax.bar(x, np.where(h > 0, h, np.nan), width=width, color="0.75", edgecolor="none",
           label="lowpassed map histogram")
    ax.plot(x, np.clip(guess_curve, floor, None), ":", color="tab:orange", lw=1.5,
            label="solvent model, initial guess")
    ax.plot(x, np.clip(fit_curve, floor, None), "-", color="tab:red", lw=1.8, label="solvent model, fit")
    ax.set_yscale("log")
    ax.set_ylim(floor, top)
    ax.set_xlabel("map value (lowpassed)")
    ax.set_ylabel("density")
    ax.axvline(solvent_edge, color="tab:purple", ls="--", lw=1.2, label=f"solvent edge {solvent_edge:.4g}")
    ax.axvline(s_full, color="black", ls="-.", lw=1.2, label=f"full scale {s_full:.4g}")

    ax2 = ax.twinx()
    ax2.plot(x, confidence, color="tab:blue", lw=1.8, label="confidence")
    if hedged_confidence is not None:
        ax2.plot(x, hedged_confidence, color="tab:cyan", lw=1.5, ls="--", label="hedged confidence")
    ax2.set_ylim(-0.02, 1.05)
    ax2.set_ylabel("confidence (non-solvent)")

    lines, labels = ax.get_legend_handles_labels()
    lines2, labels2 = ax2.get_legend_handles_labels()
    ax.legend(lines + lines2, labels + labels2, loc="upper right", fontsize=8, framealpha=0.85)
    ax.set_title(title or "solvent model")
    _save(fig, path)


@_serialized
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
    s = np.linspace(0.0, 1.0, 501)
    above = s > limit

    def curve(values: np.ndarray) -> np.ndarray:
        return np.where(above, values, s)

    def applied(**kind: Any) -> np.ndarray:  # output scale exactly as the map is modified
        return s * modification_factor(s, scale_limit=limit, **kind)

    fig = _new_figure(6.5, 6.0)
    ax = fig.add_subplot(1, 1, 1)
    ax.axvspan(0, limit, color="0.85", label=f"unchanged (scale <= {limit:g})")
    ax.plot(s, s, color="0.4", lw=1, ls=":", label="no change (gamma 1)")
    with np.errstate(divide="ignore"):
        for g in gammas_shown:
            ax.plot(s, curve(s ** (1.0 / g)), color="tab:red", lw=0.8, alpha=0.35)
            ax.plot(s, curve(s ** g), color="tab:blue", lw=0.8, alpha=0.35)
    ax.plot([], [], color="tab:red", alpha=0.35, label=f"amplify S^(1/g), g = {_fmt_list(gammas_shown)}")
    ax.plot([], [], color="tab:blue", alpha=0.35, label=f"attenuate S^g, g = {_fmt_list(gammas_shown)}")
    if used.get("amplify") is not None:
        g = float(used["amplify"])
        ax.plot(s, applied(mode="amplify", gamma=g), color="tab:red", lw=2.5, label=f"amplify used, gamma {g:g}")
    if used.get("attenuate") is not None:
        g = float(used["attenuate"])
        ax.plot(s, applied(mode="attenuate", gamma=g), color="tab:blue", lw=2.5,
                label=f"attenuate used, gamma {g:g}")
    if used.get("sigmoid") is not None:
        power, pivot = (float(v) for v in used["sigmoid"])
        ax.plot(s, applied(mode="sigmoid", sigmoid=power, pivot=pivot), color="tab:green", lw=2.5,
                label=f"sigmoid used, G {power:g}, pivot {pivot:g}")
        ax.plot([pivot], [pivot], "o", color="tab:green")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_aspect("equal")
    ax.set_xlabel("input scale S")
    ax.set_ylabel("output scale")
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    ax.set_title(title or "scale modification")
    _save(fig, path)


def _fmt_list(values: Sequence[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


@_serialized
def plot_scale_slices(path: str | os.PathLike, *, data: np.ndarray, scale: np.ndarray,
                      min_vis_scale: float = MIN_VIS_SCALE, title: str = "",
                      threshold: float | None = None) -> None:
    """Plot central z, y and x slices of a map in grey with its scale overlaid in colour.

    Parameters
    ----------
    path : str or os.PathLike
        The PNG file to write.
    data, scale : numpy.ndarray
        The map and its scale, 3-D ``[z, y, x]`` arrays of one shape.
    min_vis_scale : float, optional
        Bottom of the colour bar, which spans it to 1 (viridis, as in the ChimeraX script).
    title : str, optional
        Figure title (default ``"scale on central slices"``).
    threshold : float, optional
        Overlay where ``data`` exceeds this (default: mean + 1 SD; runs pass the solvent edge).

    Raises
    ------
    ValueError
        When the arrays are not 3-D or differ in shape.
    """
    data = np.asarray(data, dtype=np.float32)
    scale = np.asarray(scale, dtype=np.float32)
    if data.ndim != 3 or data.shape != scale.shape:
        raise ValueError(f"plot_scale_slices: need two 3-D arrays of one shape, got {data.shape}, {scale.shape}")
    if threshold is None:
        threshold = float(data.mean() + data.std())
    nz, ny, nx = data.shape
    picks = [("z", data[nz // 2], scale[nz // 2], "x", "y"),
             ("y", data[:, ny // 2, :], scale[:, ny // 2, :], "x", "z"),
             ("x", data[:, :, nx // 2], scale[:, :, nx // 2], "y", "z")]
    lo, hi = np.percentile(data, [1.0, 99.9])
    if hi <= lo:
        lo, hi = float(data.min()), float(data.max()) + 1e-6
    vmin = min(float(min_vis_scale), 0.999)

    fig = _new_figure(12.0, 4.2)
    axes = [fig.add_subplot(1, 3, i + 1) for i in range(3)]
    image = None
    for ax, (axis, img, sc, xl, yl) in zip(axes, picks):
        ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, origin="lower", interpolation="nearest")
        overlay = np.ma.masked_where(img <= threshold, sc)
        image = ax.imshow(overlay, cmap="viridis", vmin=vmin, vmax=1.0, alpha=0.75, origin="lower",
                          interpolation="nearest")
        index = {"z": nz, "y": ny, "x": nx}[axis] // 2
        ax.set_title(f"{axis} = {index}")
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
    fig.colorbar(image, ax=axes, label="local scale", shrink=0.8)
    fig.suptitle(title or "scale on central slices")
    _save(fig, path)
