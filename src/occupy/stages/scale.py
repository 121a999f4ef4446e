"""Local scale estimate (SPEC 2.4) and the variability limit (SPEC 2.8)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import OccupyError
from ..params import Parameters, derive_parameters
from .lowpass import lowpass_filter
from .maxfilter import maximum_filter_ball
from .tiles import TileResult, tile_search

__all__ = ["ScaleResult", "estimate_scale", "variability_limit"]


@dataclass
class ScaleResult:
    """A scale estimate.

    ``scale`` (float32, in [0, 1]) is ``clip(smax / s_full, 0, 1)`` with ``smax`` the local
    maximum of ``scale_input`` over the kernel; ``scale_input`` is the lowpassed map in
    ``occ`` mode and the raw map in ``res`` mode. ``tile`` is the tile-search result
    (``None`` with ``s0``). ``lowpassed`` is the lowpassed map when it was made or given.
    """

    scale: np.ndarray
    s_full: float
    tau: float
    params: Parameters
    tile: TileResult | None
    lowpassed: np.ndarray | None
    scale_input: np.ndarray | None
    mode: str
    voxel_size: float

    @property
    def kernel(self) -> np.ndarray:
        """The ball footprint used for the local maximum."""
        return self.params.footprint


def estimate_scale(data: np.ndarray, voxel_size: float, *, lowpass: float | None = None,
                   resolution: float | None = None, mode: str = "res", tau: float | None = None,
                   kernel_size: int | None = None, kernel_radius: float | None = None,
                   tile_size: int | None = None, s0: bool = False, threads: int | None = None,
                   lpmap: np.ndarray | None = None, make_lowpassed: bool = True) -> ScaleResult:
    """Estimate the local scale of a 3-D map (SPEC 2.2-2.4).

    ``mode="occ"`` computes the scale from the lowpassed map, ``"res"`` from ``data``
    itself. The lowpassed map (needed by the solvent model in either mode) is made unless
    given as ``lpmap``; with ``make_lowpassed=False`` it is skipped in ``res`` mode.
    ``s0=True`` sets ``s_full = tau * max(scale input)`` instead of the tile search.
    Results do not depend on ``threads``.
    """
    if mode not in ("occ", "res"):
        raise OccupyError(f"scale mode must be 'occ' or 'res', got {mode!r}")
    data = np.asarray(data)
    if data.ndim != 3:
        raise OccupyError(f"expected a 3-D map, got shape {data.shape}")
    if data.dtype != np.float32 or not data.flags.c_contiguous:
        data = np.ascontiguousarray(data, dtype=np.float32)
    params = derive_parameters(data.shape, voxel_size, lowpass=lowpass, resolution=resolution,
                               kernel_size=kernel_size, kernel_radius=kernel_radius, tau=tau)
    if lpmap is not None:
        lpmap = np.asarray(lpmap)
        if lpmap.shape != data.shape:
            raise OccupyError(f"lowpassed map shape {lpmap.shape} does not match the map's {data.shape}")
        if lpmap.dtype != np.float32 or not lpmap.flags.c_contiguous:
            lpmap = np.ascontiguousarray(lpmap, dtype=np.float32)
    elif mode == "occ" or make_lowpassed:
        lpmap = lowpass_filter(data, voxel_size, params.lowpass, threads=threads)
    scale_input = lpmap if mode == "occ" else data

    if s0:
        tile = None
        s_full = float(np.float32(params.tau) * scale_input.max())
    else:
        tile = tile_search(scale_input, params.tau, tile_size=tile_size, threads=threads)
        s_full = float(tile.s_full)
    if not (np.isfinite(s_full) and s_full > 0):
        raise OccupyError(f"full-scale reference is {s_full:g}; the map needs positive density "
                          "(is it inverted or empty?)")
    scale = maximum_filter_ball(scale_input, params.footprint, threads=threads)
    # in place: no extra full-size temporaries (float32 division, correctly rounded)
    np.divide(scale, np.float32(s_full), out=scale)
    np.clip(scale, 0.0, 1.0, out=scale)
    return ScaleResult(scale=scale, s_full=s_full, tau=params.tau, params=params, tile=tile,
                       lowpassed=lpmap, scale_input=scale_input, mode=mode,
                       voxel_size=float(voxel_size))


def variability_limit(scale: np.ndarray, scale_input: np.ndarray, s_full: float) -> float:
    """Scale threshold for display (SPEC 2.8): mean of ``scale_input`` where ``scale == 1``, over ``s_full``.

    Returns 1.0 when no voxel reaches full scale.
    """
    full = scale == 1
    n = int(np.count_nonzero(full))
    if n == 0:
        return 1.0
    total = float(np.sum(scale_input[full], dtype=np.float64))
    return total / n / float(s_full)
