"""Where to cut a map for pictures, and what the cuts show: slice planes, a coarse lowpassed copy.

The pictures threshold and shade the scale overlay with one map, a lowpassed copy of the
input made here cheaply (block means, then a small Gaussian, on a grid of about the lowpass
over two): the solvent edge of the run is a value of the lowpassed map, so it is compared
with lowpassed values only (no speckle over solvent, no holes inside density).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import OptionError
from ..options import parse_slices

__all__ = ["CoarseMap", "NO_TILE", "Plane", "centre_of_mass", "check_slices", "coarse_map", "plane_image", "planes_for",
           "upsampled_plane"]

AXES = "zyx"
# the Gaussian whose transfer is 1/2 at a hard lowpass's cutoff 1/L has sigma = sqrt(ln 2 / 2) / pi x L
_SIGMA_PER_LOWPASS = 0.1874
_MAX_COARSE_SIDE = 96


@dataclass
class CoarseMap:
    """A map block-averaged by ``factor`` per axis: raw block means and their lowpassed version.

    Parameters
    ----------
    mean : numpy.ndarray
        Block means of the map (float32, ``[z, y, x]``).
    lowpassed : numpy.ndarray
        ``mean`` smoothed to about the run's lowpass.
    factor : int
        Voxels of the map per coarse voxel along each axis.
    shape : tuple of int
        The full map's shape.
    """

    mean: np.ndarray
    lowpassed: np.ndarray
    factor: int
    shape: tuple[int, int, int]

    def to_full(self, coarse_index: np.ndarray) -> np.ndarray:
        """Turn coarse voxel coordinates into full-map voxel coordinates (centre of the block).

        Parameters
        ----------
        coarse_index : numpy.ndarray
            Coordinates on the coarse grid.

        Returns
        -------
        numpy.ndarray
            The same points on the full map's grid.
        """
        return (np.asarray(coarse_index, dtype=float) + 0.5) * self.factor - 0.5


def block_mean(data: np.ndarray, factor: int) -> np.ndarray:
    """Mean over ``factor``-sided blocks (a last partial block is dropped), as a sum of strided views.
    ``factor`` may not exceed a side of the box (``coarse_map`` keeps it within)."""
    if factor == 1:
        return np.asarray(data, dtype=np.float32)
    if factor > min(data.shape):
        raise ValueError(f"block_mean: blocks of {factor} voxels do not fit a box of {data.shape}")
    nz, ny, nx = (s // factor for s in data.shape)
    out = np.zeros((nz, ny, nx), dtype=np.float32)
    for i in range(factor):
        for j in range(factor):
            for k in range(factor):
                out += data[i::factor, j::factor, k::factor][:nz, :ny, :nx]
    out *= np.float32(1.0 / factor ** 3)
    return out


def gaussian_smooth(vol: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian (sigma in voxels) with edge values repeated beyond the box."""
    if sigma < 0.3:
        return vol
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2).astype(np.float32)
    taps /= taps.sum()
    out = vol
    for axis in range(3):
        n = out.shape[axis]
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in range(3)], mode="edge")
        acc = np.zeros_like(out)
        for k, w in enumerate(taps):
            acc += w * np.take(padded, np.arange(k, k + n), axis=axis)
        out = acc
    return out


def coarse_map(data: np.ndarray, voxel_size: float, lowpass: float) -> CoarseMap:
    """Block-average a map to about ``lowpass / 2`` per voxel (at most 96 per side) and lowpass it.

    The blocks are never larger than the box's shortest side (a small box at a fine voxel size
    or a long lowpass gives one block along that side, not none).

    Parameters
    ----------
    data : numpy.ndarray
        The map ``[z, y, x]``.
    voxel_size, lowpass : float
        Å; the lowpass is the run's.

    Returns
    -------
    CoarseMap
        Block means and their smoothed copy.
    """
    by_lowpass = int(lowpass / (2.0 * voxel_size)) if voxel_size > 0 else 1
    by_size = int(np.ceil(max(data.shape) / _MAX_COARSE_SIDE))
    factor = max(1, min(max(by_lowpass, by_size), min(data.shape)))
    mean = block_mean(data, factor)
    block = factor * voxel_size
    sigma_a = np.sqrt(max(0.0, (_SIGMA_PER_LOWPASS * lowpass) ** 2 - block ** 2 / 12.0))
    return CoarseMap(mean, gaussian_smooth(mean, sigma_a / block), factor, tuple(data.shape))


@dataclass(frozen=True)
class Plane:
    """One slice of a map.

    Parameters
    ----------
    axis : str
        ``z``, ``y`` or ``x``.
    index : int
        Voxel index along that axis.
    why : str
        Why it was chosen (``centre of mass``, ``full-scale tile``, ``box centre``, ``chosen``).
    """

    axis: str
    index: int
    why: str


def centre_of_mass(coarse: CoarseMap, edge: float) -> tuple[float, float, float]:
    """Find the centre of the lowpassed density above the solvent edge, weighted by its excess.

    Parameters
    ----------
    coarse : CoarseMap
        The map's coarse copy.
    edge : float
        The solvent edge (a lowpassed-map value).

    Returns
    -------
    tuple of float
        (z, y, x) in voxels of the full map; the box centre when nothing is above the edge.
    """
    weights = np.clip(coarse.lowpassed - np.float32(edge), 0, None)
    total = float(weights.sum(dtype=np.float64))
    if total <= 0:
        return tuple((s - 1) / 2.0 for s in coarse.shape)
    centre = []
    for axis in range(3):
        profile = weights.sum(axis=tuple(a for a in range(3) if a != axis), dtype=np.float64)
        centre.append(float(coarse.to_full(np.dot(profile, np.arange(profile.size)) / total)))
    return tuple(centre)


NO_TILE = "box centre (no full-scale tile under --s0)"


def check_slices(spec: str, shape: tuple[int, int, int]) -> None:
    """Refuse a ``--slices`` value whose ``AXIS:N`` lies outside a map's box.

    Parameters
    ----------
    spec : str
        The ``--slices`` value.
    shape : tuple of int
        The map's box ``(z, y, x)``.

    Raises
    ------
    OptionError
        For an index outside the box.
    """
    for item in parse_slices(spec):
        if isinstance(item, str):
            continue
        axis, index = item
        size = shape[AXES.index(axis)]
        if not 0 <= index < size:
            raise OptionError(f"--slices {axis}:{index} is outside the box ({axis} from 0 to {size - 1})")


def planes_for(spec: str, shape: tuple[int, int, int], points: dict[str, tuple[float, float, float] | None]
               ) -> list[Plane]:
    """The slices a ``--slices`` value asks for.

    Parameters
    ----------
    spec : str
        E.g. ``"com,tile"`` or ``"z:120,x:64"`` (``occupy.options.parse_slices``).
    shape : tuple of int
        The map's box ``(z, y, x)``.
    points : dict
        ``com``, ``tile``, ``centre`` -> (z, y, x) voxel coordinates, or None if unknown
        (``tile`` under ``--s0``: the box centre instead, named ``NO_TILE``).

    Returns
    -------
    list of Plane
        Three planes (z, y, x) per point, one per ``AXIS:N``, without repeats.

    Raises
    ------
    OptionError
        For an index outside the box (``check_slices``).
    """
    check_slices(spec, shape)
    why = {"com": "centre of mass", "tile": "full-scale tile", "centre": "box centre"}
    planes: list[Plane] = []
    for item in parse_slices(spec):
        if isinstance(item, str):
            point, reason = points.get(item), why[item]
            if point is None and item == "tile":
                point, reason = points.get("centre"), NO_TILE
            if point is None:
                continue
            planes += [Plane(a, int(np.clip(round(point[i]), 0, shape[i] - 1)), reason)
                       for i, a in enumerate(AXES)]
            continue
        planes.append(Plane(item[0], item[1], "chosen"))
    unique: dict[tuple[str, int], Plane] = {}
    for p in planes:
        unique.setdefault((p.axis, p.index), p)
    return list(unique.values())


def plane_image(vol: np.ndarray, axis: str, index: int) -> np.ndarray:
    """Cut a slice, oriented for display: first array axis drawn upwards (flipped), second across.

    Parameters
    ----------
    vol : numpy.ndarray
        ``[z, y, x]``.
    axis : str
        ``z`` (x across, y up), ``y`` (x across, z up) or ``x`` (y across, z up).
    index : int
        Voxel index along ``axis``.

    Returns
    -------
    numpy.ndarray
        The slice, row 0 at the top.
    """
    cut = {"z": lambda: vol[index], "y": lambda: vol[:, index, :], "x": lambda: vol[:, :, index]}[axis]()
    return cut[::-1]


def _resample_axis(a: np.ndarray, axis: int, n_out: int, factor: int) -> np.ndarray:
    """Linear interpolation of coarse samples (at block centres) onto ``n_out`` full voxels."""
    pos = np.clip((np.arange(n_out) + 0.5) / factor - 0.5, 0, a.shape[axis] - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, a.shape[axis] - 1)
    w = (pos - lo).astype(np.float32)
    shape = [1] * a.ndim
    shape[axis] = n_out
    return np.take(a, lo, axis=axis) * (1 - w.reshape(shape)) + np.take(a, hi, axis=axis) * w.reshape(shape)


def upsampled_plane(coarse: CoarseMap, axis: str, index: int) -> np.ndarray:
    """Interpolate the lowpassed copy's slice at a full-map index, at full resolution.

    Parameters
    ----------
    coarse : CoarseMap
        The map's coarse copy.
    axis : str
        ``z``, ``y`` or ``x``.
    index : int
        Voxel index of the full map along ``axis``.

    Returns
    -------
    numpy.ndarray
        The slice, oriented as ``plane_image``.
    """
    a = AXES.index(axis)
    n = coarse.lowpassed.shape[a]
    pos = min(max((index + 0.5) / coarse.factor - 0.5, 0.0), n - 1.0)
    lo = int(pos)
    hi, w = min(lo + 1, n - 1), np.float32(pos - lo)
    sheet = np.take(coarse.lowpassed, [lo], axis=a) * (1 - w) + np.take(coarse.lowpassed, [hi], axis=a) * w
    for other in range(3):
        if other != a:
            sheet = _resample_axis(sheet, other, coarse.shape[other], coarse.factor)
    return plane_image(sheet, axis, 0)
