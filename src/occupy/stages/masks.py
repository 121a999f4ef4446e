"""Masks from the scale (algorithm.md §14): the solvent definition, the soft-edged subtraction mask,
the lowest confidently modified scale (and the poor-solvent-model warning that states it), and a
``--solvent-def`` mask placed on the map's grid.

NumPy only (SciPy is not a runtime dependency). The soft edge needs the Euclidean distance to a
region up to the edge's width; it is computed exactly, axis by axis, as the lower envelope of
parabolas (``_distance_squared_within``): per axis ``2R`` in-place minimum operations for an edge of
``R`` voxels, on the region's bounding box padded by the edge, so the cost is bounded by the box.
Dilation by a ball with the local-maximum filter would quantise the distance to the ball's steps and
is limited to a radius of 15 voxels per pass; a Gaussian smoothing of the region has no defined
width and never reaches 0.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..errors import OccupyError, warn
from ..threads import effective_threads
from .maxfilter import maximum_filter_ball_unchecked
from .scale import full_scale

if TYPE_CHECKING:  # pragma: no cover - types only
    from ..options import RunOptions

__all__ = ["BAD_MODEL_MESSAGE", "bad_model_message", "confident_scale", "lowest_confident_scale", "not_solvent",
           "soft_edge", "solvent_definition", "subtraction_mask"]


BAD_MODEL_MESSAGE = "the solvent model looks poor"       # how the warning starts (summary codes, terminal panel)


def bad_model_message(lowest_scale: float | None) -> str:
    """The warning of a poor solvent model, with the lowest confidently modified scale (algorithm.md §7, §14.1).

    Parameters
    ----------
    lowest_scale : float or None
        ``occupy.stages.masks.lowest_confident_scale`` of the run (None if unknown).

    Returns
    -------
    str
        One line, starting with ``BAD_MODEL_MESSAGE``.
    """
    if lowest_scale is None:
        meaning = "modification may be weak or noisy"
    else:
        meaning = (f"lowest confident scale {lowest_scale:.2f}, i.e. parts of lower scale have confidence <= 0.5 "
                   f"and --amplify/--attenuate change them at most half-way: amplification raises only what lies "
                   f"above {lowest_scale:.2f}")
    return (f"{BAD_MODEL_MESSAGE} (most of the histogram has low confidence): {meaning}; see the solvent model "
            "and confidence with --plot or --report, give a rough mask of the molecule with --solvent-def "
            "(--save-solvent-def writes one from the scale), or hedge with --hedge-confidence")


def lowest_confident_scale(confidence_limit: float, lowpassed_full: float) -> float | None:
    """The lowest scale whose density can be confidently told from solvent (algorithm.md §14.1).

    A part of scale ``S`` has lowpassed values up to about ``S * lowpassed_full``; its voxels have
    confidence > 0.5 only where the lowpassed value reaches ``confidence_limit``. Parts of lower
    scale than ``confidence_limit / lowpassed_full`` are therefore modified at most half-way.

    Parameters
    ----------
    confidence_limit : float
        The lowpassed map value from which confidence exceeds 0.5 (``ConfidenceCurve.limit``).
    lowpassed_full : float
        The lowpassed map's full-scale reference (the tile search on it, as for ``s_full``).

    Returns
    -------
    float or None
        The scale, clipped to [0, 1]; None when ``lowpassed_full`` is not positive.

    Examples
    --------
    >>> lowest_confident_scale(4.4, 31.5)
    0.13968253968253969
    """
    if not (math.isfinite(lowpassed_full) and lowpassed_full > 0 and math.isfinite(confidence_limit)):
        return None
    return min(1.0, max(0.0, confidence_limit / lowpassed_full))


def not_solvent(lowpassed: np.ndarray, footprint: np.ndarray, lowpassed_full: float, threshold: float,
                threads: int | None = None) -> np.ndarray:
    """Where the lowpassed map's own scale is at least ``threshold`` (algorithm.md §14.2).

    That scale is the local maximum of the lowpassed map over the kernel divided by its full scale
    (the original's occ-mode scale), whose solvent level the solvent model describes whatever the
    run's scale mode: with the lowest confident scale as ``threshold``, the voxels within the
    kernel's radius of confidently non-solvent density.

    Parameters
    ----------
    lowpassed : numpy.ndarray
        The lowpassed map (float32, C-contiguous, checked).
    footprint : numpy.ndarray
        The kernel's ball.
    lowpassed_full : float
        The lowpassed map's full-scale reference.
    threshold : float
        The scale from which a voxel is not solvent.
    threads : int, optional
        Thread count; results do not depend on it.

    Returns
    -------
    numpy.ndarray
        Boolean, ``lowpassed``'s shape.
    """
    local = maximum_filter_ball_unchecked(lowpassed, footprint, effective_threads(threads))
    return local >= np.float32(threshold * lowpassed_full)


def solvent_definition(region: np.ndarray) -> np.ndarray:
    """A binary solvent definition: 1 in ``region`` (not solvent), else 0.

    Parameters
    ----------
    region : numpy.ndarray
        Boolean, from ``not_solvent`` (at the input's box).

    Returns
    -------
    numpy.ndarray
        float32 0/1 of ``region``'s shape; reusable as ``--solvent-def`` (inside = 1).
    """
    return np.asarray(region, dtype=np.float32)


def subtraction_mask(scale: np.ndarray, below: float, region: np.ndarray, edge_A: float,
                     voxel_size_xyz: tuple[float, float, float]) -> np.ndarray:
    """RELION's mask of the signal to keep: the density of scale >= ``below``, with a soft edge.

    Particle subtraction removes what the mask leaves out: solvent and the parts of scale below
    ``below`` (algorithm.md §14.2).

    Parameters
    ----------
    scale : numpy.ndarray
        The scale map at the input's box.
    below : float
        Parts of lower scale are left out of the mask (so subtracted).
    region : numpy.ndarray
        Where the map is not solvent (``not_solvent``), boolean.
    edge_A : float
        Width (Å) of the raised-cosine edge outside the kept region (0: a hard edge).
    voxel_size_xyz : tuple of float
        Voxel size (x, y, z) in Å.

    Returns
    -------
    numpy.ndarray
        float32 in [0, 1] of ``scale``'s shape.
    """
    keep = (np.asarray(scale) >= np.float32(below)) & region
    return soft_edge(keep, edge_A, voxel_size_xyz)


def soft_edge(region: np.ndarray, width_A: float, voxel_size_xyz: tuple[float, float, float]) -> np.ndarray:
    """1 on ``region``, falling as a raised cosine to 0 at ``width_A`` Å outside it.

    At Euclidean distance ``d`` (Å) from the nearest voxel of the region the value is
    ``(1 + cos(pi * d / width_A)) / 2`` for ``d < width_A``, else 0.

    Parameters
    ----------
    region : numpy.ndarray
        Boolean, axes [z, y, x].
    width_A : float
        The edge's width in Å (>= 0; 0 gives the region itself).
    voxel_size_xyz : tuple of float
        Voxel size (x, y, z) in Å.

    Returns
    -------
    numpy.ndarray
        float32, ``region``'s shape.

    Examples
    --------
    >>> row = np.zeros((1, 1, 7), bool); row[0, 0, 0] = True
    >>> soft_edge(row, 4.0, (1.0, 1.0, 1.0)).astype(np.float64).round(3).tolist()
    [[[1.0, 0.854, 0.5, 0.146, 0.0, 0.0, 0.0]]]
    """
    region = np.asarray(region, dtype=bool)
    if width_A <= 0 or not region.any():
        return region.astype(np.float32)
    box = _edge_box(region, width_A, voxel_size_xyz)
    edge = _distance_squared_within(region[box], width_A, voxel_size_xyz)
    np.sqrt(edge, out=edge)                                   # distance (Å), in place
    np.minimum(edge, np.float32(width_A), out=edge)
    edge *= np.float32(math.pi / width_A)
    np.cos(edge, out=edge)                                    # -1 at (and beyond) the width
    edge += np.float32(1.0)
    edge *= np.float32(0.5)
    out = np.zeros(region.shape, np.float32)                  # 0 farther than the width from the region
    out[box] = edge
    return out


def _edge_box(region: np.ndarray, width_A: float, voxel_size_xyz: tuple[float, float, float]
              ) -> tuple[slice, slice, slice]:
    """The region's bounding box padded by the edge's width in voxels on each side, clipped to the box.

    Voxels outside it are farther than ``width_A`` from the region along one axis alone.
    """
    box = []
    for axis, voxel in zip((0, 1, 2), voxel_size_xyz[::-1]):          # z, y, x
        others = tuple(a for a in range(3) if a != axis)
        occupied = np.flatnonzero(region.any(axis=others))
        reach = math.ceil(width_A / float(voxel))
        box.append(slice(max(0, int(occupied[0]) - reach), min(region.shape[axis], int(occupied[-1]) + reach + 1)))
    return tuple(box)


def _along(axis: int, start: int | None, stop: int | None) -> tuple[slice, slice, slice]:
    """The index of ``start:stop`` along ``axis`` of a 3-D array (everything along the others)."""
    index = [slice(None)] * 3
    index[axis] = slice(start, stop)
    return tuple(index)


_SLAB_VOXELS = 1 << 18           # voxels per slab of one pass (1 MiB of float32: src, out and a buffer in cache)


def _distance_squared_within(region: np.ndarray, limit_A: float, voxel_size_xyz: tuple[float, float, float]
                             ) -> np.ndarray:
    """Squared Euclidean distance (Å²) to the nearest voxel of ``region``, exact up to ``limit_A``.

    Separable: per axis, ``f'(i) = min over |k| <= R of f(i + k) + (k * voxel)^2`` (the lower
    envelope of parabolas). Offsets beyond ``R = ceil(limit / voxel)`` voxels are not needed for
    distances up to ``limit_A``; farther voxels get a value >= ``limit_A``² (not exact). Each axis is
    done in slabs across another axis (small enough to stay in the cache), slicing in place.
    """
    far = np.float32(min(4.0 * limit_A * limit_A + 1.0, 1e38))      # beyond the limit, within float32
    src = np.full(region.shape, far, np.float32)
    src[region] = 0.0
    out = np.empty_like(src)
    for axis, voxel in zip((2, 1, 0), voxel_size_xyz):              # x, y, z
        reach = min(src.shape[axis] - 1, math.ceil(limit_A / float(voxel)))
        across = 1 if axis == 0 else 0                              # the slabs' axis
        plane = src.size // src.shape[across]
        slab = max(1, _SLAB_VOXELS // plane)
        shifted = np.empty_like(src[_along(across, 0, slab)])       # src shifted by k, plus (k * voxel)^2
        for start in range(0, src.shape[across], slab):
            part = _along(across, start, start + slab)
            _envelope(src[part], out[part], shifted, axis, reach, float(voxel))
        src, out = out, src
    return src


def _envelope(src: np.ndarray, out: np.ndarray, shifted: np.ndarray, axis: int, reach: int, voxel: float) -> None:
    """``out = min over |k| <= reach of src shifted by k along axis + (k * voxel)^2``, in place."""
    n = src.shape[axis]
    np.copyto(out, src)
    buffer = shifted[tuple(slice(0, s) for s in src.shape)]
    for k in range(1, reach + 1):
        step = np.float32((k * voxel) ** 2)
        low, high, part = _along(axis, None, n - k), _along(axis, k, None), buffer[_along(axis, None, n - k)]
        np.add(src[low], step, out=part)
        np.minimum(out[high], part, out=out[high])
        np.add(src[high], step, out=part)
        np.minimum(out[low], part, out=out[low])


def confident_scale(lp: np.ndarray, curve, params, opts: "RunOptions", warnings: list[str]):
    """The lowest confidently modified scale and, for the masks, where the map is not solvent.

    Made only where a warning or a mask needs them (one tile search on the lowpassed map,
    algorithm.md §14); the warning of a poor solvent model is issued here.

    Parameters
    ----------
    lp : numpy.ndarray
        The lowpassed map.
    curve : ConfidenceCurve
        The run's confidence curve (its limit and whether the model is poor).
    params : Parameters
        The run's derived parameters (tau, kernel footprint).
    opts : RunOptions
        The run's options (masks asked for, their threshold, tile size, threads).
    warnings : list of str
        The poor-model warning is appended here and issued.

    Returns
    -------
    (float or None, numpy.ndarray or None)
        The lowest confident scale (None when not needed or unknown) and the non-solvent
        region (§14.2; None if no mask is asked for, or without a positive full scale of
        the lowpassed map).
    """
    masks = opts.writes_solvent_def or opts.writes_subtraction_mask
    if not (curve.bad_model or masks):
        return None, None
    try:
        _, lowpassed_full = full_scale(lp, params.tau, opts.s0, opts.tile_size, opts.threads)
    except OccupyError:                     # no positive full scale in the lowpassed map
        lowpassed_full = math.nan
    lowest = lowest_confident_scale(curve.limit, lowpassed_full)
    if curve.bad_model:
        warn(bad_model_message(lowest), warnings)
    threshold = opts.solvent_def_scale if opts.solvent_def_scale is not None else lowest
    if not masks or threshold is None or not math.isfinite(lowpassed_full):
        return lowest, None
    return lowest, not_solvent(lp, params.footprint, lowpassed_full, threshold, opts.threads)
