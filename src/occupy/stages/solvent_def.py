"""The ``--solvent-def`` mask a user gives: read, checked against the map's voxel size, and placed on
the map's grid (padded or cropped about the common origin) when its box differs.
"""
from __future__ import annotations

import numpy as np

from ..errors import OccupyError, warn
from ..io.maps import read_map
from ..io.mrcdata import MapData

__all__ = ["mask_on_grid", "read_solvent_def"]


def mask_on_grid(mask: MapData, m: MapData, name: str) -> tuple[np.ndarray, str | None]:
    """A mask of the map's voxel size placed on the map's box by their headers' positions.

    A mask of the map's shape is taken as it is (the same box: the same grid, whatever its header
    says, as before). A mask of another box has its voxels put where the headers place them
    (origin, else nstart x voxel size, of both): the box is padded with 0 (outside) and what lies
    beyond the map's box is cropped, with a note saying so.

    Parameters
    ----------
    mask : MapData
        The mask, read with the map's voxel size.
    m : MapData
        The map.
    name : str
        What to call the mask in messages (``--solvent-def mask PATH``).

    Returns
    -------
    (numpy.ndarray, str or None)
        The mask on the map's grid (float32, the map's shape), and the note (None if unchanged).

    Raises
    ------
    OccupyError
        When the mask's grid is shifted from the map's by a fraction of a voxel.
    """
    if mask.shape == m.shape:
        return mask.data, None
    offset_xyz = []
    for a, b, v in zip(mask.grid_start_A(), m.grid_start_A(), m.voxel_size_xyz):
        shift = (a - b) / float(v)
        if abs(shift - round(shift)) > 0.01:
            raise OccupyError(
                f"{name} lies {shift:.3g} voxels from the map's grid (header origins): resample it onto the "
                "map's grid, e.g. in ChimeraX: open MAP MASK; volume resample #2 onGrid #1; save mask_on_map.mrc "
                "model #3")
        offset_xyz.append(round(shift))
    offset = offset_xyz[::-1]                                   # z, y, x
    placed = np.zeros(m.shape, dtype=np.float32)
    src, dst = [], []
    for o, n_mask, n_map in zip(offset, mask.shape, m.shape):
        lo, hi = max(0, o), min(n_map, o + n_mask)
        dst.append(slice(lo, max(lo, hi)))
        src.append(slice(lo - o, max(lo, hi) - o))
    placed[tuple(dst)] = mask.data[tuple(src)]
    note = (f"{name} is {'x'.join(map(str, mask.shape))} voxels and the map {'x'.join(map(str, m.shape))}: "
            f"placed on the map's grid by their header origins (mask voxel 0,0,0 at map voxel "
            f"{','.join(map(str, offset_xyz))} in x,y,z), padded with 0 (outside) and cropped to the map's box")
    return placed, note


def read_solvent_def(path: str, m: MapData, compare: bool, warnings: list[str]) -> np.ndarray:
    """The ``--solvent-def`` mask's data on the map's grid.

    With ``compare`` (the map's voxel size is its header's), a mask whose header gives another
    voxel size is refused: of the same shape, it covers another region. A mask without a voxel
    size takes the map's. A mask of another box is placed by the headers' origins, padded or
    cropped, with a warning (``mask_on_grid``).

    Parameters
    ----------
    path : str
        The mask file (``--solvent-def``).
    m : MapData
        The input map.
    compare : bool
        Compare the voxel sizes (False when ``--pixel-size`` overrides the map's header).
    warnings : list of str
        A note on padding or cropping is appended here and issued.

    Returns
    -------
    numpy.ndarray
        The mask on the map's grid (float32, the map's shape).

    Raises
    ------
    OccupyError
        For an unreadable mask, another voxel size, or a grid off the map's by a fraction of a voxel.
    """
    try:
        mask = read_map(path, allow_constant=True) if compare else None
    except OccupyError:
        mask = None                         # no voxel size of its own (or unreadable: said below)
    if mask is None:
        mask = read_map(path, pixel_size=m.voxel_size, allow_constant=True)
    elif abs(mask.voxel_size - m.voxel_size) > 0.01 * m.voxel_size:
        raise OccupyError(f"--solvent-def mask {path} has voxel size {mask.voxel_size:g} Å, the input map "
                          f"{m.voxel_size:g} Å: a mask must be on the map's grid (resample it to the map's "
                          "voxel size and box)")
    data, note = mask_on_grid(mask, m, f"--solvent-def mask {path}")
    if note:
        warn(note, warnings)
    return data
