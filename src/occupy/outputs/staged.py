"""The arrays a run's pictures need after the run has let go of them.

A run frees its input map once the modified maps are made, and writes modified maps as it
makes them (never whole in memory); the pictures read the input again and look at the
staged files of the modified maps through a memory map (only the slices are read).
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ..io.maps import read_map
from ..io.mrcdata import MapData, file_to_zyx
from .outputset import OutputSet

__all__ = ["input_data", "mapped_map", "staged_map", "tile_voxels"]


def input_data(m: MapData) -> np.ndarray:
    """Give the input map's values, also after the run released them.

    Parameters
    ----------
    m : MapData
        The input map.

    Returns
    -------
    numpy.ndarray
        ``m.data``, or the file again: memory-mapped when it is a plain float32 map, else read.
    """
    if m.data.size <= 1 or any(m.data.strides):
        return m.data
    mapped = mapped_map(m.path, m) if m.path else None
    return mapped if mapped is not None else read_map(m.path, pixel_size=m.voxel_size, allow_constant=True).data


def mapped_map(path: str | Path, like: MapData) -> np.ndarray | None:
    """Memory-map a little-endian float32 MRC file of ``like``'s box, read-only, as ``[z, y, x]``.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    like : MapData
        The map whose box and axis order the file has.

    Returns
    -------
    numpy.ndarray or None
        The values; None for any other file (compressed, another mode or byte order, a size
        that does not fit).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
        size = Path(path).stat().st_size
    except OSError:
        return None
    if len(head) < 1024:
        return None
    nc, nr, ns, mode = struct.unpack("<4i", head[:16])
    extended = struct.unpack("<i", head[92:96])[0]
    if mode != 2 or min(nc, nr, ns) < 1 or extended < 0 or size != 1024 + extended + 4 * nc * nr * ns:
        return None
    data = np.memmap(path, dtype="<f4", mode="r", offset=1024 + extended, shape=(ns, nr, nc))
    data = data.transpose(file_to_zyx(tuple(like.axis_order)))
    return data if data.shape == tuple(like.shape) else None


def _staged_or_final(out: OutputSet | None, final: Path) -> Path:
    """Where ``out`` staged the file that will be published as ``final`` (or ``final`` itself)."""
    try:
        return out.staged_path(final) if out is not None else Path(final)
    except KeyError:
        return Path(final)


def staged_map(out: OutputSet | None, final: Path, like: MapData) -> np.ndarray:
    """A float32 map occupy wrote (``final``, staged or published), as a ``[z, y, x]`` memory map.

    Parameters
    ----------
    out : OutputSet, optional
        The run's outputs (None: ``final`` is published).
    final : pathlib.Path
        The map's final path.
    like : MapData
        The input map, whose axis order the output keeps.

    Returns
    -------
    numpy.ndarray
        A read-only view of the file's values.
    """
    path = _staged_or_final(out, final)
    mapped = mapped_map(path, like)
    return mapped if mapped is not None else read_map(path, pixel_size=like.voxel_size, allow_constant=True).data


def tile_voxels(m: MapData, tile_center_A: tuple[float, float, float] | None) -> tuple[float, float, float] | None:
    """Convert the full-scale tile's centre from scene Å to voxels of the input.

    Parameters
    ----------
    m : MapData
        The input map (origin, start and voxel sizes).
    tile_center_A : tuple of float or None
        ``RunResult.tile_center_A``: (x, y, z) Å from the origin (else start x voxel size).

    Returns
    -------
    tuple of float or None
        (z, y, x) voxels; None without a tile (``--s0``).
    """
    if tile_center_A is None:
        return None
    sizes = m.voxel_size_xyz
    origin = m.origin if any(m.origin) else tuple(n * v for n, v in zip(m.nstart, sizes))
    x, y, z = ((c - o) / v for c, o, v in zip(tile_center_A, origin, sizes))
    return (z, y, x)
