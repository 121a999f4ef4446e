"""Confidence that a voxel is not solvent, from the solvent model (algorithm.md §7)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._ext import _confidence
from ..arrays import check_map_values
from ..constants import CONTENT_FLOOR, N_BINS
from ..options import check_option
from ..stats import density_histogram
from ..threads import effective_threads
from .gaussian import gaussian
from .solvent import SolventModel

__all__ = ["ConfidenceCurve", "ConfidenceIndex", "confidence", "confidence_curve", "confidence_index",
           "curve_from_histogram", "monotone_confidence", "voxel_confidence"]


@dataclass
class ConfidenceCurve:
    """Per-bin confidence over the value range ``[vmin, vmax]`` of the lowpassed map (algorithm.md §7).

    Confidence is the estimated fraction of non-solvent content among the voxels of a
    histogram bin: 0 for pure solvent, 1 for pure content. Arrays have one entry per bin
    (1000), except ``bin_edges`` (1001); values are in map units.

    Parameters
    ----------
    heights : numpy.ndarray
        Density histogram of the whole map.
    bin_edges : numpy.ndarray
        Its bin edges, from the map's min to its max.
    model : numpy.ndarray
        The solvent model at the left bin edges.
    raw : numpy.ndarray
        Raw content fraction ``(h + 0.01 - model) / (h + 0.01)``.
    monotone : numpy.ndarray
        ``raw`` after the monotone rule (``monotone_confidence``).
    values : numpy.ndarray
        What voxels get: ``monotone``, raised to ``hedge`` when hedging.
    hedge : float or None
        The ``--hedge-confidence`` power, if any.
    bad_model : bool
        More than half of the bins have (unhedged) confidence <= 0.5.
    limit : float
        Left edge of the lowest bin with (unhedged) confidence > 0.5, the original
        program's "primary confidence limit" (it logged ``limit / s_full``).
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
        """Lowest value of the map, the first bin edge.

        Returns
        -------
        float
            ``bin_edges[0]``.
        """
        return float(self.bin_edges[0])

    @property
    def vmax(self) -> float:
        """Highest value of the map, the last bin edge.

        Returns
        -------
        float
            ``bin_edges[-1]``.
        """
        return float(self.bin_edges[-1])

    @property
    def centers(self) -> np.ndarray:
        """Bin centres.

        Returns
        -------
        numpy.ndarray
            The 1000 midpoints of ``bin_edges``.
        """
        return 0.5 * (self.bin_edges[:-1] + self.bin_edges[1:])

    def plot_data(self, solvent: SolventModel) -> dict:
        """Collect the curves of the solvent-model plot, evaluated at the bin centres.

        Parameters
        ----------
        solvent : SolventModel
            The model this curve was computed from.

        Returns
        -------
        dict
            Keyword arguments of ``occupy.outputs.plots.plot_solvent_model`` except
            ``path``, ``solvent_edge``, ``s_full`` and ``title``.
        """
        x = self.centers
        return {"hist_centers": x, "hist_heights": self.heights,
                "guess_curve": gaussian(x, *solvent.guess), "fit_curve": solvent(x),
                "confidence": self.monotone,
                "hedged_confidence": self.values if self.hedge is not None else None}


def monotone_confidence(c: np.ndarray) -> np.ndarray:
    """Apply the monotone rule of algorithm.md §7 to raw per-bin confidence.

    From the top bin down: ``c[i] = min(c[i], c[i+1], c[i+1] - (c[i+2] - c[i+1]))`` (the
    last term only where bin ``i+2`` exists), so the curve never rises going down and its
    steps down never shrink; once a bin is <= 0, it and all lower bins are 0.

    Parameters
    ----------
    c : numpy.ndarray
        Raw confidence per bin, lowest bin first.

    Returns
    -------
    numpy.ndarray
        A new float64 array.

    Examples
    --------
    >>> monotone_confidence(np.array([-0.5, 0.2, 0.9, 0.7, 1.0])).round(3)
    array([0. , 0.1, 0.4, 0.7, 1. ])
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


def _map_histogram(lpmap: np.ndarray, threads: int | None,
                   value_range: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Density histogram of the whole map over its [min, max] (equal to ``np.histogram``'s)."""
    if value_range is None:
        # one pass: the range, and the refusal of NaN/Inf or a constant map
        value_range = check_map_values(lpmap, "lowpassed map", threads=threads)
    lo, hi = (lpmap.dtype.type(v) for v in value_range)       # limits in the map's dtype
    return density_histogram(lpmap, lo, hi, threads)


def confidence_curve(lpmap: np.ndarray, solvent: SolventModel, hedge: float | None = None,
                     threads: int | None = None, value_range: tuple[float, float] | None = None) -> ConfidenceCurve:
    """Confidence per histogram bin of ``lpmap`` given its solvent model (algorithm.md §7).

    The whole map is histogrammed (1000 bins, density); each bin's content fraction is
    compared with the solvent model and made monotone (see ``ConfidenceCurve``).

    Parameters
    ----------
    lpmap : numpy.ndarray
        The lowpassed map.
    solvent : SolventModel
        Its solvent model (``occupy.stages.solvent.fit_solvent``).
    hedge : float, optional
        ``--hedge-confidence`` P (>= 1): the curve is raised to the power P.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); results do not depend on it.
    value_range : (float, float), optional
        ``lpmap``'s minimum and maximum, when the caller has them from its own check
        (``occupy.arrays.check_map_values``); saves a pass over the map.

    Returns
    -------
    ConfidenceCurve
        The per-bin curves.

    Raises
    ------
    OccupyError
        If ``lpmap`` is constant, empty or not finite; ``OptionError`` if ``hedge`` < 1.

    Examples
    --------
    >>> import occupy
    >>> from occupy.stages.lowpass import lowpass_filter
    >>> from occupy.stages.solvent import fit_solvent
    >>> demo = occupy.make_demo_map(box=48)
    >>> lpmap = lowpass_filter(demo.data, demo.voxel_size, 8.0)
    >>> curve = confidence_curve(lpmap, fit_solvent(lpmap))
    >>> curve.values.shape, curve.bad_model, bool(np.all(np.diff(curve.monotone) >= 0))
    ((1000,), False, True)
    """
    check_option("hedge_confidence", hedge)
    heights, edges = _map_histogram(np.asarray(lpmap), threads, value_range)
    return curve_from_histogram(heights, edges, solvent, hedge)


def curve_from_histogram(heights: np.ndarray, edges: np.ndarray, solvent: SolventModel,
                         hedge: float | None = None) -> ConfidenceCurve:
    """Confidence per bin from a map's density histogram (the rest of ``confidence_curve``).

    Parameters
    ----------
    heights, edges : numpy.ndarray
        The whole map's 1000-bin density histogram over its [min, max]
        (``occupy.stats.density_histogram``).
    solvent : SolventModel
        The map's solvent model.
    hedge : float, optional
        ``--hedge-confidence`` P (>= 1), already checked.

    Returns
    -------
    ConfidenceCurve
        The per-bin curves.
    """
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
    """Per-voxel confidence, by looking up each voxel's bin in ``curve`` (algorithm.md §7).

    ``bin = clip(floor((v - vmin) / (vmax - vmin) * 1000), 0, 999)``, computed in float64;
    the voxel gets ``curve.values[bin]`` clipped to [0, 1].

    Parameters
    ----------
    lpmap : numpy.ndarray
        The lowpassed map the curve was computed from.
    curve : ConfidenceCurve
        From ``confidence_curve``.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); results do not depend on it.

    Returns
    -------
    numpy.ndarray
        Confidence, float32 in [0, 1], of ``lpmap``'s shape.
    """
    return _lookup(lpmap, curve, np.clip(curve.values, 0.0, 1.0).astype(np.float32), threads)


def _lookup(lpmap: np.ndarray, curve: ConfidenceCurve, table: np.ndarray, threads: int | None) -> np.ndarray:
    """``table``'s entry for each voxel's bin of ``curve``, in an array of ``table``'s type."""
    lpmap = np.ascontiguousarray(lpmap, dtype=np.float32)
    out = np.empty(lpmap.shape, dtype=table.dtype)
    _confidence.lookup_confidence(lpmap.reshape(-1), table, out.reshape(-1), curve.vmin, curve.vmax,
                                  effective_threads(threads))
    return out


@dataclass
class ConfidenceIndex:
    """A per-voxel confidence map held as the index of each voxel's value in a table.

    The confidence takes at most one value per bin of the curve (algorithm.md §7), so each
    voxel needs one byte (at most 256 distinct values, the usual case) or two, not four:
    a run that modifies the map keeps this instead of the float32 map.

    Parameters
    ----------
    index : numpy.ndarray
        uint8 or uint16, the map's shape: the position of each voxel's value in ``values``.
    values : numpy.ndarray
        float32, the distinct confidence values, ascending.
    """

    index: np.ndarray
    values: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        """The map's shape.

        Returns
        -------
        tuple of int
            ``index.shape``.
        """
        return tuple(self.index.shape)

    def take(self, start: int, stop: int, out: np.ndarray, threads: int | None = None) -> np.ndarray:
        """The confidence of the voxels ``start:stop`` in flat C order.

        Parameters
        ----------
        start, stop : int
            The flat range.
        out : numpy.ndarray
            A float32 buffer of at least ``stop - start`` values.
        threads : int, optional
            Thread count.

        Returns
        -------
        numpy.ndarray
            ``out[:stop - start]``, filled.
        """
        _confidence.expand_index(self.index.reshape(-1)[start:stop], self.values, out, effective_threads(threads))
        return out[:stop - start]

    def full(self) -> np.ndarray:
        """The confidence map itself.

        Returns
        -------
        numpy.ndarray
            float32, the map's shape: ``voxel_confidence``'s map, bit for bit.
        """
        return self.values[self.index]


def confidence_index(lpmap: np.ndarray, curve: ConfidenceCurve, threads: int | None = None) -> ConfidenceIndex:
    """``voxel_confidence`` held as a table index per voxel (``ConfidenceIndex``): 1-2 bytes, not 4.

    Parameters
    ----------
    lpmap : numpy.ndarray
        The lowpassed map the curve was computed from.
    curve : ConfidenceCurve
        From ``confidence_curve``.
    threads : int, optional
        Thread count; results do not depend on it.

    Returns
    -------
    ConfidenceIndex
        Whose ``full()`` is ``voxel_confidence(lpmap, curve)``.
    """
    values, position = np.unique(np.clip(curve.values, 0.0, 1.0).astype(np.float32), return_inverse=True)
    table = position.reshape(-1).astype(np.uint8 if values.size <= 256 else np.uint16)
    return ConfidenceIndex(index=_lookup(lpmap, curve, table, threads), values=values)


def confidence(lpmap: np.ndarray, solvent: SolventModel, hedge: float | None = None) -> np.ndarray:
    """Per-voxel confidence that ``lpmap`` is not solvent, in one call (algorithm.md §7).

    ``confidence_curve`` followed by ``voxel_confidence``: 0 where a voxel's value
    is typical of solvent, 1 where it is confidently content. Uses the default thread count.

    Parameters
    ----------
    lpmap : numpy.ndarray
        The lowpassed map, axes [z, y, x].
    solvent : SolventModel
        Its solvent model (``occupy.stages.solvent.fit_solvent``).
    hedge : float, optional
        ``--hedge-confidence`` P (>= 1): confidence is raised to the power P.

    Returns
    -------
    numpy.ndarray
        Confidence, float32 in [0, 1], of ``lpmap``'s shape.

    Raises
    ------
    OccupyError
        If ``lpmap`` is constant, empty or not finite; ``OptionError`` if ``hedge`` < 1.

    Examples
    --------
    >>> import occupy
    >>> from occupy.stages.lowpass import lowpass_filter
    >>> from occupy.stages.solvent import fit_solvent
    >>> demo = occupy.make_demo_map(box=48)
    >>> lpmap = lowpass_filter(demo.data, demo.voxel_size, 8.0)
    >>> conf = confidence(lpmap, fit_solvent(lpmap))
    >>> conf.shape, conf.dtype, float(conf.min()), float(conf.max())
    ((48, 48, 48), dtype('float32'), 0.0, 1.0)
    >>> bool(np.mean((conf > 0.5) == (demo.labels > 0)) > 0.9)   # content vs. solvent
    True
    """
    return voxel_confidence(lpmap, confidence_curve(lpmap, solvent, hedge))
