"""Confidence that a voxel is not solvent, from the solvent model (SPEC 2.6)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._ext import _confidence
from ..constants import CONTENT_FLOOR, N_BINS
from ..errors import OccupyError
from ..options import check_option
from ..stats import density_histogram, value_range
from ..threads import effective_threads
from .solvent import SolventModel, gaussian

__all__ = ["ConfidenceCurve", "confidence", "confidence_curve", "monotone_confidence", "voxel_confidence"]


@dataclass
class ConfidenceCurve:
    """Per-bin confidence over the value range ``[vmin, vmax]`` of the lowpassed map.

    ``heights``/``bin_edges``: density histogram of the whole map (1000 bins); ``model``:
    the solvent model at the left bin edges; ``raw``: ``(h + 0.01 - model)/(h + 0.01)``;
    ``monotone``: after the monotone rule; ``values``: what voxels get (``monotone``
    raised to ``hedge`` when hedging). ``bad_model``: more than half of the bins have
    (unhedged) confidence <= 0.5. ``limit``: left edge of the lowest bin with (unhedged)
    confidence > 0.5, the original program's "primary confidence limit" (it logged
    ``limit / s_full``).
    """

    heights: np.ndarray
    bin_edges: np.ndarray
    model: np.ndarray
    raw: np.ndarray
    monotone: np.ndarray
    values: np.ndarray
    hedge: float | None
    bad_model: bool
    limit: float

    @property
    def vmin(self) -> float:
        return float(self.bin_edges[0])

    @property
    def vmax(self) -> float:
        return float(self.bin_edges[-1])

    @property
    def centers(self) -> np.ndarray:
        return 0.5 * (self.bin_edges[:-1] + self.bin_edges[1:])

    def plot_data(self, solvent: SolventModel) -> dict:
        """Keyword arguments for :func:`occupy.plots.plot_solvent_model` (except edge/s_full)."""
        x = self.centers
        return {"hist_centers": x, "hist_heights": self.heights,
                "guess_curve": gaussian(x, *solvent.guess), "fit_curve": solvent(x),
                "confidence": self.monotone,
                "hedged_confidence": self.values if self.hedge is not None else None}


def monotone_confidence(c: np.ndarray) -> np.ndarray:
    """Apply the monotone rule of SPEC 2.6 to raw per-bin confidence ``c`` (returns a copy).

    From the top bin down: ``c[i] = min(c[i], c[i+1], c[i+1] - (c[i+2] - c[i+1]))`` (the
    last term only where bin ``i+2`` exists); once a bin is <= 0, it and all lower bins
    are 0.
    """
    c = np.array(c, dtype=np.float64)
    n = c.size
    for i in range(n - 1, -1, -1):
        if i + 1 < n:
            v = min(c[i], c[i + 1])
            if i + 2 < n:
                v = min(v, c[i + 1] - (c[i + 2] - c[i + 1]))
            c[i] = v
        if c[i] <= 0:
            c[: i + 1] = 0.0
            break
    return c


def _map_histogram(lpmap: np.ndarray, threads: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Density histogram of the whole map over its [min, max] (equal to ``np.histogram``'s)."""
    lo, hi = value_range(lpmap, threads) if lpmap.size else (0.0, 0.0)
    if not (np.isfinite(lo) and np.isfinite(hi)) or not hi > lo:
        raise OccupyError("lowpassed map is constant or not finite; cannot compute confidence")
    return density_histogram(lpmap, lo, hi, threads)


def confidence_curve(lpmap: np.ndarray, solvent: SolventModel,
                     hedge: float | None = None, threads: int | None = None) -> ConfidenceCurve:
    """Confidence per histogram bin of ``lpmap`` given its solvent model (SPEC 2.6).

    ``hedge`` (P >= 1) raises the curve to the power P. ``threads`` only sets the speed.
    """
    check_option("hedge_confidence", hedge)
    heights, edges = _map_histogram(np.asarray(lpmap), threads)
    model = solvent(edges[:-1])
    raw = (heights + CONTENT_FLOOR - model) / (heights + CONTENT_FLOOR)
    mono = monotone_confidence(raw)
    values = mono ** float(hedge) if hedge is not None else mono.copy()
    confident = np.flatnonzero(mono > 0.5)
    limit = float(edges[confident[0]]) if confident.size else float(edges[-1])
    bad = int(np.count_nonzero(mono <= 0.5)) > N_BINS // 2
    return ConfidenceCurve(heights=heights, bin_edges=edges, model=model, raw=raw, monotone=mono,
                           values=values, hedge=hedge, bad_model=bad, limit=limit)


def voxel_confidence(lpmap: np.ndarray, curve: ConfidenceCurve, threads: int | None = None) -> np.ndarray:
    """Per-voxel confidence (float32 in [0, 1]) by looking up each voxel's bin in ``curve``.

    ``bin = clip(floor((v - vmin) / (vmax - vmin) * 1000), 0, 999)``, computed in float64
    (compiled kernel; identical for any thread count).
    """
    lpmap = np.ascontiguousarray(lpmap, dtype=np.float32)
    table = np.clip(curve.values, 0.0, 1.0).astype(np.float32)
    out = np.empty(lpmap.shape, dtype=np.float32)
    _confidence.lookup_confidence(lpmap.reshape(-1), table, out.reshape(-1), curve.vmin, curve.vmax,
                             effective_threads(threads))
    return out


def confidence(lpmap: np.ndarray, solvent: SolventModel, hedge: float | None = None) -> np.ndarray:
    """Per-voxel confidence of ``lpmap`` in one call (curve + lookup)."""
    return voxel_confidence(lpmap, confidence_curve(lpmap, solvent, hedge))
