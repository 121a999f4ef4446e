"""Geometry of the ChimeraX scripts: the grid ChimeraX reads from a map file, the region shown,
where classes go side by side, and the colour key's place under the maps.

Every rule here follows ChimeraX's own code (UCSF ChimeraX 1.2 to 1.11; the paths name files of
github.com/RBVI/ChimeraX):

- a surface vertex is coloured from the scale map only if ``0 <= floor(i) < n - 1`` on every grid
  axis (``data_cell`` in ``src/bundles/map/_map/interpolate.cpp``); any other vertex gets the
  palette's no-value colour, grey (``Colormap.color_no_value`` in ``src/bundles/core/src/colors.py``),
  and ``color sample`` has no option to change it before ChimeraX 1.10 (``outsideColor``). So maps
  are shown one voxel inside their box (:func:`inner_region`), where every vertex is inside;
- the grid size and voxel size come from the header as ChimeraX's MRC reader takes them
  (``src/bundles/map_data/src/mrc/mrc_format.py``: MAPC/MAPR/MAPS permute the file axes, the voxel
  size is cell / MX,MY,MZ or 1 Å);
- ``view pad P`` puts the displayed models' bounding box inside the window shrunk by the fraction P
  about its centre, in both directions (``perspective_view_all`` in
  ``src/bundles/graphics/src/camera.py``), so a band of P/2 of the window's height stays free at
  the bottom: the colour key and its title are drawn there (:data:`VIEW_PAD`, :func:`key_lines`);
- ``move X,Y,Z models SPEC`` (no distance) shifts models by that vector in screen coordinates
  (``src/bundles/std_commands/src/move.py``), as ``tile`` does; ``tile`` itself is not used because
  it switches the mouse mode, which has no GUI to act on when ChimeraX runs headless.
"""
from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass

from ..io.header import peek_header

__all__ = ["KEY_FONT_SIZE", "KEY_POS", "KEY_SIZE", "MapGrid", "TITLE_POS", "TITLE_SIZE", "VIEW_PAD",
           "inner_region", "key_lines", "read_map_grid", "tile_offsets"]

# The key and its title sit in the bottom band of the window that `view pad VIEW_PAD` leaves free
# (VIEW_PAD / 2 = 0.13 of its height). Laid out for a graphics window of at least 600 x 500 pixels
# (ChimeraX's key and label fonts have a fixed size in points, not a fraction of the window):
# the labels (16 pt) below the bar need 0.07 of 500 px, the title to the right of the bar ends
# near 0.07 + 27 px / 500 px = 0.125.
VIEW_PAD = 0.26
KEY_POS = (0.03, 0.07)          # lower-left corner of the colour bar (labels hang below it)
KEY_SIZE = (0.35, 0.025)
KEY_FONT_SIZE = 16
TITLE_POS = (KEY_POS[0] + KEY_SIZE[0] + 0.02, KEY_POS[1])
TITLE_SIZE = 16
# Spacing of side-by-side maps, as a multiple of the largest box edge.
TILE_SPACING = 1.1


@dataclass(frozen=True)
class MapGrid:
    """A map's grid as ChimeraX reads it from the file.

    Parameters
    ----------
    size : tuple of int
        Grid points along x, y, z.
    step : tuple of float
        Voxel size along x, y, z (Å).
    """

    size: tuple[int, int, int]
    step: tuple[float, float, float]

    @property
    def largest_edge(self) -> float:
        """Longest edge of the box (Å).

        Returns
        -------
        float
            ``max(size * step)`` over the three axes.
        """
        return max(n * s for n, s in zip(self.size, self.step))


def read_map_grid(path: str | os.PathLike) -> MapGrid | None:
    """The grid ChimeraX will use for an MRC/CCP4 file, from its first 1024 bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The map file the script opens.

    Returns
    -------
    MapGrid or None
        Sizes permuted by MAPC/MAPR/MAPS (the identity unless they are a permutation of 1, 2, 3)
        and voxel size cell / MX,MY,MZ (1 Å on every axis unless all six are positive), as
        ChimeraX's MRC reader takes them; None if the file cannot be read as a map header.

    Examples
    --------
    >>> import struct, tempfile, os
    >>> head = bytearray(1024)
    >>> struct.pack_into("<4i", head, 0, 30, 20, 10, 2)          # NC, NR, NS, mode
    >>> struct.pack_into("<3i", head, 28, 20, 10, 30)            # MX, MY, MZ (along x, y, z)
    >>> struct.pack_into("<3f", head, 40, 40.0, 15.0, 15.0)      # cell (Å, along x, y, z)
    >>> struct.pack_into("<3i", head, 64, 3, 1, 2)               # columns are z, rows x, sections y
    >>> path = os.path.join(tempfile.mkdtemp(), "m.mrc")
    >>> _ = open(path, "wb").write(bytes(head))
    >>> read_map_grid(path)
    MapGrid(size=(20, 10, 30), step=(2.0, 1.5, 0.5))
    """
    peeked = peek_header(path)
    if peeked is None:
        return None
    head, header = peeked
    order = header.byteorder
    sampling = struct.unpack_from(f"{order}3i", head, 28)
    cell = struct.unpack_from(f"{order}3f", head, 40)
    axes = struct.unpack_from(f"{order}3i", head, 64)
    file_sizes = (header.nx, header.ny, header.nz)
    size = list(file_sizes)
    if sorted(axes) == [1, 2, 3]:
        for file_axis, space_axis in enumerate(axes):
            size[space_axis - 1] = file_sizes[file_axis]
    if min(sampling) > 0 and min(cell) > 0:
        step = tuple(float(c) / m for c, m in zip(cell, sampling))
    else:
        step = (1.0, 1.0, 1.0)
    return MapGrid((size[0], size[1], size[2]), (step[0], step[1], step[2]))


def inner_region(grid: MapGrid | None) -> str:
    """The ``volume ... region`` value that keeps a surface's vertices inside the scale map's grid.

    Parameters
    ----------
    grid : MapGrid or None
        The map's grid (the scale map has the same one).

    Returns
    -------
    str
        ``"1,1,1,nx-2,ny-2,nz-2"`` (grid indices): one voxel in from every face, so every vertex
        has ``1 <= i <= n - 2`` and ChimeraX's test ``0 <= floor(i) < n - 1`` holds even after
        rounding; an axis of fewer than 3 points keeps its whole range; ``"all"`` when the grid
        is not known.

    Examples
    --------
    >>> inner_region(MapGrid((32, 30, 28), (1.0, 1.0, 1.0)))
    '1,1,1,30,28,26'
    >>> inner_region(None)
    'all'
    """
    if grid is None:
        return "all"
    bounds = [(1, n - 2) if n >= 3 else (0, n - 1) for n in grid.size]
    return ",".join(str(v) for v in (*(lo for lo, _ in bounds), *(hi for _, hi in bounds)))


def tile_offsets(n_maps: int, spacing: float) -> list[tuple[float, float]]:
    """Screen offsets (x right, y up; Å) of maps laid out in rows, the first map staying put.

    Parameters
    ----------
    n_maps : int
        How many maps.
    spacing : float
        Distance between neighbouring maps (Å).

    Returns
    -------
    list of tuple of float
        ``ceil(sqrt(n_maps))`` maps per row (as ChimeraX's ``tile``), rows going down.

    Examples
    --------
    >>> tile_offsets(3, 10.0)
    [(0.0, 0.0), (10.0, 0.0), (0.0, -10.0)]
    """
    columns = math.ceil(math.sqrt(n_maps))
    return [(col * spacing, -row * spacing) for row, col in (divmod(i, columns) for i in range(n_maps))]


def key_lines(palette: tuple[str, ...], lo: float) -> list[str]:
    """The colour key of the scale, from ``lo`` to 1, and its title, in the band under the maps.

    ChimeraX 1.2-1.7 sizes the key's picture so that a label at the end of the bar ends exactly
    at its edge, but draws the text up to a few pixels wider (``src/bundles/color_key/src/model.py``),
    which clips the last digit. So the key starts and ends with an unlabelled stop of the end
    colour (values beyond the range take those colours, as in ``color sample``), and only the
    bottom, middle and top of the range are labelled, far enough apart not to touch.

    Parameters
    ----------
    palette : tuple of str
        Colours from ``lo`` to 1 (an odd number, so that one is in the middle).
    lo : float
        Bottom of the key.

    Returns
    -------
    list of str
        The ``key`` command and the ``2dlabels`` title.
    """
    last = len(palette) - 1
    labelled = {0, last // 2, last}
    stops = [f"{colour}:{lo + (1.0 - lo) * i / last:.2f}" if i in labelled else f"{colour}:"
             for i, colour in enumerate(palette)]
    key = " ".join([f"{palette[0]}:", *stops, f"{palette[-1]}:"])
    (x, y), (w, h) = KEY_POS, KEY_SIZE
    return [f"key {key} pos {x:g},{y:g} size {w:g},{h:g} fontSize {KEY_FONT_SIZE}",
            f'2dlabels text "local scale" xpos {TITLE_POS[0]:g} ypos {TITLE_POS[1]:g} size {TITLE_SIZE}']
