"""The pictures of a run, made once from its arrays for the report and the ``--plot`` slices.

``run_pictures`` cuts the input, scale and modified maps at the planes of ``--slices`` and
turns them into 8-bit images: grey input and modified maps, and the scale in colour over the
lowpassed map, shown where the lowpassed map is above the solvent edge (the same map gives
background and threshold). The scale histogram over non-solvent voxels and a downsampled
volume for the report's slice browser come from the same coarse lowpassed copy.

Positions are in the map's own coordinates, as in the log's tile centre and in ChimeraX: voxel
``i`` along an axis is centred at the grid's start (the header origin, or else the start index
times the voxel size) plus ``i`` voxel sizes of that axis.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .pngs import GREY, VIRIDIS, grey_levels, scale_levels
from .slices import AXES, NO_TILE, CoarseMap, Plane, block_mean, centre_of_mass, coarse_map, plane_image, \
    planes_for, upsampled_plane

if TYPE_CHECKING:  # pragma: no cover - types only
    from ..io.mrcdata import MapData

__all__ = ["MapGrid", "PlanePictures", "RunPictures", "map_grid", "run_pictures", "SOLVENT_INDEX"]

BROWSER_SIDE = 64           # the slice browser's volumes: at most this many voxels a side
SOLVENT_INDEX = 0           # scale pictures: palette index drawn transparent (solvent)
_AXIS_NAMES = {"z": ("x", "y"), "y": ("x", "z"), "x": ("y", "z")}


@dataclass(frozen=True)
class MapGrid:
    """Where a map's voxels lie, in Å.

    Parameters
    ----------
    start_A : (float, float, float)
        Centre of voxel 0 along x, y and z.
    voxel_A : (float, float, float)
        Voxel size along x, y and z.
    """

    start_A: tuple[float, float, float]
    voxel_A: tuple[float, float, float]

    def position_A(self, axis: str, index: float) -> float:
        """Give the centre of a voxel along one axis.

        Parameters
        ----------
        axis : str
            ``x``, ``y`` or ``z``.
        index : float
            Voxel index along it.

        Returns
        -------
        float
            Å in the map's coordinates.
        """
        k = "xyz".index(axis)
        return self.start_A[k] + index * self.voxel_A[k]

    def span_A(self, axis: str, n: int) -> tuple[float, float]:
        """Give the outer edges of the first ``n`` voxels along one axis.

        Parameters
        ----------
        axis : str
            ``x``, ``y`` or ``z``.
        n : int
            How many voxels, from voxel 0.

        Returns
        -------
        (float, float)
            Å in the map's coordinates: half a voxel before voxel 0, half a voxel after voxel ``n - 1``.
        """
        half = self.voxel_A["xyz".index(axis)] / 2
        return self.position_A(axis, 0) - half, self.position_A(axis, n - 1) + half


def map_grid(m: "MapData") -> MapGrid:
    """Give a map's grid as the log and ChimeraX place it.

    Parameters
    ----------
    m : MapData
        The map (header origin, start indices and voxel sizes).

    Returns
    -------
    MapGrid
        Voxel 0 at the origin if any of it is non-zero, else at the start indices times the voxel sizes.
    """
    return MapGrid(m.grid_start_A(), tuple(float(v) for v in m.voxel_size_xyz))


@dataclass
class PlanePictures:
    """One plane's images (uint8, row 0 at the top) and where it lies.

    Parameters
    ----------
    plane : Plane
        Axis, voxel index and why.
    position_A : float
        The plane's position along its axis, Å in the map's coordinates (``MapGrid``).
    input_grey, background_grey : numpy.ndarray
        The input and the lowpassed map in grey.
    scale_index : numpy.ndarray
        Scale as 1..255 along the colour key; ``SOLVENT_INDEX`` where the lowpassed map is solvent.
    modified_grey : dict of str to numpy.ndarray
        Each modified map in grey (the input's grey range).
    extent_A : (float, float, float, float)
        Horizontal and vertical extent in Å, ``(left, right, bottom, top)``: the outer edges of
        the first and last voxels, in the map's coordinates.
    axis_labels : (str, str)
        The map axes drawn across and up.
    """

    plane: Plane
    position_A: float
    input_grey: np.ndarray
    background_grey: np.ndarray
    scale_index: np.ndarray
    modified_grey: dict[str, np.ndarray]
    extent_A: tuple[float, float, float, float]
    axis_labels: tuple[str, str]


@dataclass
class RunPictures:
    """Everything drawn of one run.

    Parameters
    ----------
    planes : list of PlanePictures
        The slices, in ``--slices`` order.
    points : dict of str to (float, float, float) or None
        ``com``, ``tile`` and ``centre`` (z, y, x voxels).
    scale_hist : (numpy.ndarray, numpy.ndarray)
        Counts and edges of the scale over non-solvent voxels, in voxels of the map: each voxel
        of the coarse copy counts for the block of voxels it stands for.
    non_solvent : int
        How many voxels of the map that histogram counts.
    browser : dict
        ``shape`` (z, y, x), ``voxel_size`` (Å), ``grey`` and ``scale`` (uint8 volumes) of the slice
        browser, and ``first_A`` and ``step_A`` (x, y, z): where its voxel 0 lies and its spacing, in Å.
    notes : list of str
        What the slices could not show as asked (a ``tile`` slice under ``--s0``).
    """

    planes: list[PlanePictures]
    points: dict[str, tuple[float, float, float] | None]
    scale_hist: tuple[np.ndarray, np.ndarray]
    non_solvent: int
    browser: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _grey_range(data: np.ndarray) -> tuple[float, float]:
    """1st and 99.9th percentile of a strided sample of the map (a few hundred thousand voxels)."""
    step = max(1, round((data.size / 300_000) ** (1 / 3)))
    lo, hi = np.percentile(data[::step, ::step, ::step], [1.0, 99.9])
    if hi <= lo:
        lo, hi = float(data.min()), float(data.max()) + 1e-6
    return float(lo), float(hi)


def _plane_pictures(plane: Plane, data: np.ndarray, scale: np.ndarray, modified: dict[str, np.ndarray],
                    coarse: CoarseMap, edge: float, ranges: dict, grid: MapGrid,
                    min_vis_scale: float) -> PlanePictures:
    lp = upsampled_plane(coarse, plane.axis, plane.index)
    index = scale_levels(plane_image(scale, plane.axis, plane.index), min_vis_scale)
    index = np.maximum(index, 1)
    index[lp <= np.float32(edge)] = SOLVENT_INDEX
    lo, hi = ranges["input"]
    rows, cols = index.shape
    across, up = _AXIS_NAMES[plane.axis]
    return PlanePictures(
        plane=plane, position_A=grid.position_A(plane.axis, plane.index),
        input_grey=grey_levels(plane_image(data, plane.axis, plane.index), lo, hi),
        background_grey=grey_levels(lp, *ranges["lowpassed"]), scale_index=index,
        modified_grey={k: grey_levels(plane_image(v, plane.axis, plane.index), lo, hi) for k, v in modified.items()},
        extent_A=(*grid.span_A(across, cols), *grid.span_A(up, rows)), axis_labels=(across, up))


def run_pictures(data: np.ndarray, scale: np.ndarray, modified: dict[str, np.ndarray], *, voxel_size: float,
                 lowpass: float, solvent_edge: float, min_vis_scale: float, slices: str = "com,tile",
                 tile_zyx: tuple[float, float, float] | None = None, browser: bool = True,
                 grid: MapGrid | None = None) -> RunPictures:
    """Cut and colour a run's maps (see the module's description).

    Parameters
    ----------
    data, scale : numpy.ndarray
        The input and its scale, ``[z, y, x]`` of one shape.
    modified : dict of str to numpy.ndarray
        Modified maps by kind (``amplify``, ...), each of that shape or a view of a file.
    voxel_size, lowpass : float
        Å.
    solvent_edge : float
        The run's solvent edge (a lowpassed-map value).
    min_vis_scale : float
        Bottom of the colour key.
    slices : str, optional
        The ``--slices`` value.
    tile_zyx : (float, float, float), optional
        Centre (z, y, x voxels) of the full-scale tile (None: ``tile`` slices through the box centre).
    browser : bool, optional
        Also make the slice browser's volumes.
    grid : MapGrid, optional
        Where the map's voxels lie (``map_grid``); default voxel 0 at 0 Å, ``voxel_size`` on every axis.

    Returns
    -------
    RunPictures
        The planes' images, the points, the scale histogram and the browser's volumes.
    """
    grid = grid or MapGrid((0.0, 0.0, 0.0), (voxel_size,) * 3)
    coarse = coarse_map(data, voxel_size, lowpass)
    points = {"com": centre_of_mass(coarse, solvent_edge),
              "tile": tile_zyx,
              "centre": tuple((s - 1) / 2.0 for s in data.shape)}
    ranges = {"input": _grey_range(data), "lowpassed": _grey_range(coarse.lowpassed)}
    planes = [_plane_pictures(p, data, scale, modified, coarse, solvent_edge, ranges, grid, min_vis_scale)
              for p in planes_for(slices, tuple(data.shape), points)]
    coarse_scale = block_mean(scale, coarse.factor)
    solid = coarse.lowpassed > np.float32(solvent_edge)
    block_voxels = coarse.factor ** 3
    counts, edges = np.histogram(coarse_scale[solid], bins=50, range=(0.0, 1.0))
    pictures = RunPictures(planes, points, (counts * block_voxels, edges), int(solid.sum()) * block_voxels)
    if any(p.plane.why == NO_TILE for p in planes):
        pictures.notes.append("There is no full-scale tile (--s0 gives the full scale): the tile's slices "
                              "are through the box centre instead.")
    if browser:
        pictures.browser = _browser_volumes(coarse, coarse_scale, solid, grid, min_vis_scale)
    return pictures


def _browser_volumes(coarse: CoarseMap, coarse_scale: np.ndarray, solid: np.ndarray, grid: MapGrid,
                     min_vis_scale: float) -> dict:
    """The slice browser's 8-bit input and scale volumes, at most ``BROWSER_SIDE`` voxels a side."""
    step = max(1, int(np.ceil(max(coarse.mean.shape) / BROWSER_SIDE)))
    grey = coarse.mean[::step, ::step, ::step]
    index = np.maximum(scale_levels(coarse_scale[::step, ::step, ::step], min_vis_scale), 1)
    index[~solid[::step, ::step, ::step]] = SOLVENT_INDEX
    spacing = coarse.factor * step
    return {"shape": grey.shape, "voxel_size": grid.voxel_A[0] * spacing,
            "first_A": tuple(grid.position_A(a, (coarse.factor - 1) / 2) for a in "xyz"),
            "step_A": tuple(v * spacing for v in grid.voxel_A),
            "grey": grey_levels(grey, *_grey_range(grey)), "scale": index}


def axis_title(p: PlanePictures) -> str:
    """Name a slice by its axis, index, position and why it was chosen.

    Parameters
    ----------
    p : PlanePictures
        The slice.

    Returns
    -------
    str
        E.g. ``z = 120 (60.0 Å), centre of mass``.
    """
    return f"{p.plane.axis} = {p.plane.index} ({p.position_A:.1f} Å), {p.plane.why}"


OVERLAY_PALETTE = np.concatenate([GREY[::2], VIRIDIS[::2]])      # 128 greys, then 128 colours of the key


def overlay_indices(p: PlanePictures) -> np.ndarray:
    """Give the scale over the lowpassed grey as indices into ``OVERLAY_PALETTE`` (one byte a pixel).

    Parameters
    ----------
    p : PlanePictures
        The slice.

    Returns
    -------
    numpy.ndarray
        uint8: 0..127 grey (solvent), 128..255 the colour key (scale).
    """
    return np.where(p.scale_index == SOLVENT_INDEX, p.background_grey >> 1, 128 + (p.scale_index >> 1)).astype(np.uint8)


def composite_rgb(p: PlanePictures, palette: np.ndarray, alpha: float = 0.75) -> np.ndarray:
    """Blend the scale's colours over the lowpassed grey into one RGB image.

    Parameters
    ----------
    p : PlanePictures
        The slice.
    palette : numpy.ndarray
        ``(256, 3)`` uint8 colours of the scale indices.
    alpha : float, optional
        Weight of the colour where the scale is shown.

    Returns
    -------
    numpy.ndarray
        ``(rows, columns, 3)`` uint8.
    """
    rgb = np.repeat(p.background_grey[..., None], 3, axis=2).astype(np.float32)
    over = p.scale_index != SOLVENT_INDEX
    rgb[over] = (1 - alpha) * rgb[over] + alpha * palette[p.scale_index[over]].astype(np.float32)
    return rgb.astype(np.uint8)


__all__ += ["AXES", "OVERLAY_PALETTE", "axis_title", "composite_rgb", "overlay_indices"]
