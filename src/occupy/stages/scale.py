"""Local scale estimate (algorithm.md §1) and the variability limit (algorithm.md §9)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arrays import check_map_values, require_real
from ..errors import OccupyError
from ..params import Parameters, derive_parameters
from ..regions import values_where_equal
from ..threads import effective_threads
from .lowpass import gaussian_filter_unchecked, lowpass_filter_unchecked
from .maxfilter import maximum_filter_ball_unchecked
from .tiles import TileResult, tile_search_unchecked

__all__ = ["ScaleResult", "estimate_scale", "full_scale", "limit_from_sum", "relative_maximum", "scale_from_input",
           "variability_limit"]


@dataclass
class ScaleResult:
    """A local scale estimate (algorithm.md §1), as returned by ``estimate_scale``.

    Arrays have the map's shape, axes [z, y, x].

    Parameters
    ----------
    scale : numpy.ndarray
        Local scale, float32 in [0, 1]: ``clip(smax / s_full, 0, 1)``, ``smax`` the maximum of
        ``scale_input`` over the kernel.
    s_full : float
        Full-scale reference (map units).
    tau : float
        Rank fraction used by the tile search (or by ``s0``).
    params : Parameters
        Lowpass (Å), kernel size and radius (voxels), footprint, ``n_v`` and tau used.
    tile : TileResult or None
        The tile-search result; ``None`` when ``s0`` was used.
    mode : str
        ``"occ"`` or ``"res"``.
    voxel_size : float
        Voxel size in Å.
    lowpassed : numpy.ndarray, optional
        From ``estimate_scale``: the float32 lowpassed map when it was made or given.
        (``occupy.run`` frees its maps as soon as it can and leaves this and
        ``scale_input`` None.)
    scale_input : numpy.ndarray, optional
        From ``estimate_scale``: the map the scale came from, the lowpassed map in ``occ``
        mode, the raw map (float32) in ``res`` mode.
    """

    scale: np.ndarray
    s_full: float
    tau: float
    params: Parameters
    tile: TileResult | None
    mode: str
    voxel_size: float
    lowpassed: np.ndarray | None = None
    scale_input: np.ndarray | None = None

    @property
    def kernel(self) -> np.ndarray:
        """The ball footprint used for the local maximum.

        Returns
        -------
        numpy.ndarray
            Boolean k×k×k array (``params.footprint``).
        """
        return self.params.footprint


def estimate_scale(data: np.ndarray, voxel_size: float, *, lowpass: float | None = None,
                   resolution: float | None = None, mode: str = "res", tau: float | None = None,
                   kernel_size: int | None = None, kernel_radius: float | None = None,
                   tile_size: int | None = None, s0: bool = False, threads: int | None = None,
                   lpmap: np.ndarray | None = None, make_lowpassed: bool = True,
                   occ_filter: str = "gaussian") -> ScaleResult:
    """Estimate the local scale ``clip(smax / s_full, 0, 1)`` of a 3-D map (algorithm.md §1, §5.2, §12).

    Parameters
    ----------
    data : numpy.ndarray
        The map, 3-D, axes [z, y, x] (computed in float32).
    voxel_size : float
        Voxel size in Å.
    lowpass, resolution : float, optional
        ``--lowpass`` and ``--resolution`` in Å (default lowpass ``max(8, 3*voxel_size)``).
    mode : {"res", "occ"}
        Scale from ``data`` itself or from the filtered map (``occ_filter``).
    tau, kernel_size, kernel_radius : float or int, optional
        Rank fraction, kernel side and radius in voxels; defaults derived as in
        ``occupy.params.derive_parameters``.
    tile_size : int, optional
        Tile side in voxels for the tile search (default ``max(1, n // 20)`` per axis).
    s0 : bool
        Skip the tile search: ``s_full = tau * max(scale input)``.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all usable cores); results do not depend on it.
    lpmap : numpy.ndarray, optional
        The lowpassed map, if already made (same shape).
    make_lowpassed : bool
        Without ``lpmap``, make the lowpassed map even where the scale does not use it.
    occ_filter : {"gaussian", "lowpass"}
        In ``occ`` mode: a Gaussian (algorithm.md §5.3) or the hard lowpass (the original's).

    Returns
    -------
    ScaleResult
        The scale, ``s_full``, parameters, tile and lowpassed map.

    Raises
    ------
    OccupyError
        Bad mode, shape or voxel size; ``s_full <= 0`` (inverted or empty map); OptionError.

    Examples
    --------
    >>> import occupy
    >>> demo = occupy.make_demo_map(box=48)
    >>> res = estimate_scale(demo.data, demo.voxel_size, mode="occ")
    >>> res.scale.shape, res.scale.dtype, float(res.scale.max()), res.tau, round(res.s_full, 2)
    ((48, 48, 48), dtype('float32'), 1.0, 0.9787, 0.66)
    """
    data = _as_map(data, mode)
    params = derive_parameters(data.shape, voxel_size, lowpass=lowpass, resolution=resolution,
                               kernel_size=kernel_size, kernel_radius=kernel_radius, tau=tau,
                               occ_filter=occ_filter if mode == "occ" else "lowpass")
    lpmap, scale_input = _inputs(data, lpmap, make_lowpassed, params, mode, voxel_size, threads)
    result = scale_from_input(scale_input, params, mode, voxel_size, s0=s0, tile_size=tile_size, threads=threads)
    result.lowpassed, result.scale_input = lpmap, scale_input
    return result


def _inputs(data: np.ndarray, lpmap: np.ndarray | None, make_lowpassed: bool, params: Parameters, mode: str,
            voxel_size: float, threads: int | None) -> tuple[np.ndarray | None, np.ndarray]:
    """The lowpassed map (given, made, or None if not needed) and the map the scale comes from."""
    gaussian = params.sigma is not None
    lpmap = _lowpassed(data, lpmap, (mode == "occ" and not gaussian) or make_lowpassed, voxel_size,
                       params.lowpass, threads)
    if mode == "res":
        return lpmap, data
    return lpmap, gaussian_filter_unchecked(data, voxel_size, params.sigma, threads) if gaussian else lpmap


def scale_from_input(scale_input: np.ndarray, params: Parameters, mode: str, voxel_size: float, *, s0: bool,
             tile_size: int | None, threads: int | None, out: np.ndarray | None = None) -> ScaleResult:
    """The full-scale reference and the scale of a checked float32 map (``estimate_scale``'s work).

    Parameters
    ----------
    scale_input : numpy.ndarray
        The map the scale comes from (lowpassed in ``occ`` mode), checked, C-contiguous float32.
    params : Parameters
        The derived parameters (tau, footprint).
    mode : str
        ``"occ"`` or ``"res"``, recorded in the result.
    voxel_size : float
        Voxel size in Å, recorded in the result.
    s0, tile_size, threads
        As for ``estimate_scale``.
    out : numpy.ndarray, optional
        A float32 buffer of the map's shape, no longer needed, to hold the scale.

    Returns
    -------
    ScaleResult
        Without ``lowpassed`` and ``scale_input``.
    """
    tile, s_full = full_scale(scale_input, params.tau, s0, tile_size, threads)
    scale = relative_maximum(scale_input, params.footprint, s_full, threads, out=out)
    return ScaleResult(scale=scale, s_full=s_full, tau=params.tau, params=params, tile=tile, mode=mode,
                       voxel_size=float(voxel_size))


def _as_map(data: np.ndarray, mode: str) -> np.ndarray:
    """The map as C-contiguous float32, after checking the mode and the dimensions."""
    if mode not in ("occ", "res"):
        raise OccupyError(f"scale mode must be 'occ' or 'res', got {mode!r}")
    data = np.asarray(data)
    require_real(data)
    if data.ndim != 3:
        raise OccupyError(f"expected a 3-D map, got shape {data.shape}")
    if data.dtype != np.float32 or not data.flags.c_contiguous:
        data = np.ascontiguousarray(data, dtype=np.float32)
    check_map_values(data)
    return data


def _lowpassed(data: np.ndarray, lpmap: np.ndarray | None, needed: bool, voxel_size: float,
               lowpass_A: float, threads: int | None) -> np.ndarray | None:
    """The given lowpassed map (checked, float32), else a new one if ``needed``, else None."""
    if lpmap is not None:
        lpmap = np.asarray(lpmap)
        if lpmap.shape != data.shape:
            raise OccupyError(f"lowpassed map shape {lpmap.shape} does not match the map's {data.shape}")
        if lpmap.dtype != np.float32 or not lpmap.flags.c_contiguous:
            lpmap = np.ascontiguousarray(lpmap, dtype=np.float32)
        return lpmap
    return lowpass_filter_unchecked(data, voxel_size, lowpass_A, threads) if needed else None


def full_scale(scale_input: np.ndarray, tau: float, s0: bool, tile_size: int | None,
               threads: int | None) -> tuple[TileResult | None, float]:
    """Find the full-scale reference: the tile search, or ``tau * max`` with ``s0`` (algorithm.md §4).

    Parameters
    ----------
    scale_input : numpy.ndarray
        The checked float32 map the scale comes from.
    tau : float
        Rank fraction.
    s0 : bool
        Use ``tau`` times the map's maximum instead of the tile search.
    tile_size : int, optional
        Tile side in voxels (default ``max(1, n // 20)`` per axis).
    threads : int, optional
        Thread count; the result does not depend on it.

    Returns
    -------
    tuple of (TileResult or None, float)
        The tile (None with ``s0``) and ``s_full``.

    Raises
    ------
    OccupyError
        When ``s_full`` is not positive (an inverted or empty map), or for a bad tile size.
    """
    if s0:
        tile = None
        s_full = float(np.float32(tau) * scale_input.max())
    else:
        tile = tile_search_unchecked(scale_input, tau, tile_size, threads)
        s_full = float(tile.s_full)
    if not (np.isfinite(s_full) and s_full > 0):
        raise OccupyError(f"full-scale reference is {s_full:g}; the map needs positive density "
                          "(is it inverted or empty?)")
    return tile, s_full


def relative_maximum(scale_input: np.ndarray, footprint: np.ndarray, s_full: float,
                     threads: int | None, out: np.ndarray | None = None) -> np.ndarray:
    """Compute the scale ``clip(local maximum / s_full, 0, 1)`` in one pass of the filter.

    Parameters
    ----------
    scale_input : numpy.ndarray
        The checked float32 map.
    footprint : numpy.ndarray
        The ball kernel (``Parameters.footprint``).
    s_full : float
        The full-scale reference.
    threads : int, optional
        Thread count; the result does not depend on it.
    out : numpy.ndarray, optional
        A float32 buffer of the map's shape, no longer needed, to hold the scale.

    Returns
    -------
    numpy.ndarray
        The scale, float32, divided in float32 as ``np.divide`` would.
    """
    return maximum_filter_ball_unchecked(scale_input, footprint, effective_threads(threads), divisor=s_full, out=out)


def variability_limit(scale: np.ndarray, scale_input: np.ndarray, s_full: float) -> float:
    """Scale threshold for display, the "variability limit" (algorithm.md §9).

    Parameters
    ----------
    scale : numpy.ndarray
        The local scale (``ScaleResult.scale``).
    scale_input : numpy.ndarray
        The map the scale came from, same shape.
    s_full : float
        Full-scale reference.

    Returns
    -------
    float
        Mean of ``scale_input`` over the voxels where ``scale == 1``, divided by
        ``s_full``; 1.0 when no voxel reaches full scale.

    Examples
    --------
    >>> variability_limit(np.array([1.0, 1.0, 0.5]), np.array([3.0, 5.0, 1.0]), 2.0)
    2.0
    """
    at_full = values_where_equal(scale, 1.0, scale_input)
    return limit_from_sum(at_full.size, float(np.sum(at_full, dtype=np.float64)), s_full)


def limit_from_sum(n_full: int, sum_full: float, s_full: float) -> float:
    """The variability limit from the count and sum of the input's values where the scale is 1.

    Parameters
    ----------
    n_full : int
        How many voxels have a scale of exactly 1.
    sum_full : float
        ``np.sum(scale_input[scale == 1], dtype=np.float64)`` (``ScaleStatistics.sum_full``).
    s_full : float
        Full-scale reference.

    Returns
    -------
    float
        Their mean over ``s_full``; 1.0 if ``n_full`` is 0.

    Examples
    --------
    >>> limit_from_sum(2, 8.0, 2.0)
    2.0
    """
    if n_full == 0:
        return 1.0
    return sum_full / n_full / float(s_full)
