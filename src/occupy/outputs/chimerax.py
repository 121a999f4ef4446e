"""The ChimeraX command script ``chimX_<stem>.cxc`` that shows a run's results.

Model #1 is the input (surface at the map threshold), #2 the scale (hidden mesh at the
scale threshold), #3... the modified maps (hidden). Every map is coloured by #2;
``scale_color MAP SCALE`` and ``occupy_level LEVEL`` are defined for the user. Paths in
the script are quoted and relative to the script's directory. Every command runs in the
GUI and headless alike; the geometry (region shown, classes side by side, the key under
the maps) and how it was checked against ChimeraX's code is in ``chimerax_layout``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .._version import __version__
from ..errors import OptionError
from .chimerax_layout import TILE_SPACING, VIEW_PAD, MapGrid, inner_region, key_lines, read_map_grid, tile_offsets

__all__ = ["PALETTE", "TiledMap", "check_script_name", "chimerax_script", "tiled_script"]

# A perceptually uniform palette (viridis stops), given explicitly so any ChimeraX 1.x works.
PALETTE = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


def check_script_name(name: str | os.PathLike, what: str = "file name") -> None:
    """Refuse a name that cannot be written safely into a ChimeraX script.

    ChimeraX commands end at a newline and its quoted strings have no escapes, so a name
    with a control character (a newline would start a new command) or with both quote
    characters cannot be quoted.

    Parameters
    ----------
    name : str or os.PathLike
        A path that will appear in the script.
    what : str, optional
        How the message names it.

    Raises
    ------
    OptionError
        Saying what is wrong with the name, before any work is done.

    Examples
    --------
    >>> check_script_name("maps/my map.mrc")
    >>> check_script_name("evil" + chr(10) + "runscript x.py")
    Traceback (most recent call last):
    ...
    occupy.errors.OptionError: cannot use the file name 'evil\\nrunscript x.py': it contains a control character ...
    """
    text = os.fspath(name)
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in text):     # bytes that are not UTF-8 (os.fsdecode's escapes)
        raise OptionError(f"cannot use the {what} {text!r}: it is not valid UTF-8, so the ChimeraX script "
                          "cannot name it; rename it, or use --no-chimerax")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise OptionError(f"cannot use the {what} {text!r}: it contains a control character (newline, tab, ...), "
                          "which cannot be written safely into the ChimeraX script; rename it, or use --no-chimerax")
    if '"' in text and "'" in text:
        raise OptionError(f"cannot use the {what} {text!r}: it has both quote characters, which cannot be "
                          "quoted in the ChimeraX script; rename it, or use --no-chimerax")


def _rel(path: Path, script_dir: Path) -> str:
    """Path relative to the script's directory, quoted for ChimeraX (which has no escapes)."""
    rel = os.path.relpath(Path(path).resolve(), Path(script_dir).resolve()).replace("\\", "/")
    check_script_name(rel)
    quote = "'" if '"' in rel else '"'
    return f"{quote}{rel}{quote}"


def chimerax_script(*, script_dir: Path, input_path: Path, scale_path: Path,
                    output_paths: list[Path], map_threshold: float, scale_threshold: float,
                    min_vis_scale: float, tile_center_A: tuple[float, float, float] | None,
                    tile_radius_A: float, warning: str | None) -> str:
    """Text of the script for ChimeraX 1.2 or later (layout: see the module); paths are relative to ``script_dir``.

    The maps are shown one voxel inside their box (the grid is read from the input map's
    header, as ChimeraX reads it), so no vertex falls outside the scale map and turns grey,
    and the view leaves the bottom of the window to the colour key (``chimerax_layout``).

    Parameters
    ----------
    script_dir : pathlib.Path
        Directory the script will be in.
    input_path, scale_path : pathlib.Path
        The input map (#1) and the scale map (#2).
    output_paths : list of pathlib.Path
        The modified maps (#3, #4, ...).
    map_threshold, scale_threshold, min_vis_scale : float
        Surface level of the maps, mesh level of the scale, bottom of the colour key.
    tile_center_A : tuple of float or None
        Centre (x, y, z, Å) of the full-scale tile, marked by a sphere unless None.
    tile_radius_A : float
        Radius (Å) of that sphere.
    warning : str or None
        Text of a red 2-D warning label, unless None.

    Returns
    -------
    str
        The script.

    Raises
    ------
    OptionError
        When a path cannot be written safely into the script (see ``check_script_name``).

    Examples
    --------
    >>> from pathlib import Path
    >>> text = chimerax_script(script_dir=Path("out"), input_path=Path("map.mrc"), scale_path=Path("out/s.mrc"),
    ...                        output_paths=[], map_threshold=0.5, scale_threshold=0.3, min_vis_scale=0.2,
    ...                        tile_center_A=None, tile_radius_A=1.0, warning=None)
    >>> text.splitlines()[2]
    'open "../map.mrc" format mrc id 1'
    """
    n_out = len(output_paths)
    lines = [f"# ChimeraX script written by occupy {__version__}",
             "# Open in ChimeraX: open <this file>  (paths are relative to this file)"]
    for model, path in ((1, input_path), (2, scale_path), *((3 + i, p) for i, p in enumerate(output_paths))):
        lines.append(f"open {_rel(path, script_dir)} format mrc id {model}")
    lines += _style_lines(n_out, read_map_grid(input_path), map_threshold, scale_threshold)
    lines += _colour_lines([1, *range(3, 3 + n_out)], float(min_vis_scale))
    lines += [f"hide #{model} models" for model in (2, *range(3, 3 + n_out))]   # coloured first, then hidden
    lines += _mark_lines(tile_center_A, tile_radius_A, warning)
    lines.append(f"view pad {VIEW_PAD:g}")
    return "\n".join(lines) + "\n"


def _surface_line(model: int, grid: MapGrid | None, level: float) -> str:
    """A map coloured by its scale: a surface at full resolution (``step 1``: large maps would open
    subsampled) one voxel inside its box, so that every vertex is inside the scale map's grid."""
    return f"volume #{model} region {inner_region(grid)} step 1 style surface level {level:.6g}"


def _mesh_line(model: int, level: float) -> str:
    """A scale map: a mesh over its whole box (it is hidden, and sampled over all of it anyway)."""
    return f"volume #{model} region all step 1 style mesh level {level:.6g}"


def _style_lines(n_out: int, grid: MapGrid | None, map_threshold: float, scale_threshold: float) -> list[str]:
    """Input and outputs as surfaces at the map threshold, the scale as a mesh."""
    return [_surface_line(1, grid, map_threshold), _mesh_line(2, scale_threshold),
            *(_surface_line(3 + i, grid, map_threshold) for i in range(n_out))]


def _colour_lines(map_models: list[int], lo: float) -> list[str]:
    """The two aliases, every map coloured by the scale (#2), and the colour key."""
    palette = ":".join(PALETTE)
    lines = [f"alias scale_color color sample $1 map $2 palette {palette} range {lo:.6g},1.0",
             # one model list: "#1,3,4" (ChimeraX: a comma list of numbers after a single #)
             f"alias occupy_level volume #{','.join(map(str, map_models))} level $1"]
    lines += [f"scale_color #{model} #2" for model in map_models]
    return lines + key_lines(PALETTE, lo)


def _mark_lines(tile_center_A: tuple[float, float, float] | None, tile_radius_A: float,
                warning: str | None) -> list[str]:
    """A marker on the full-scale tile and the bad-model warning label, where they apply."""
    lines = []
    if tile_center_A is not None:
        x, y, z = tile_center_A
        lines.append(f"marker #20 position {x:.3f},{y:.3f},{z:.3f} color yellow radius {tile_radius_A:.3f}")
        lines.append("rename #20 \"full-scale tile\"")
    if warning:
        safe = warning.replace('"', "'")
        lines.append(f'2dlabels text "WARNING: {safe}" color red xpos 0.03 ypos 0.92 size 18')
    return lines


@dataclass
class TiledMap:
    """One map of a tiled script: the input, its scale, its modified maps and levels.

    Parameters
    ----------
    name : str
        Model name shown in ChimeraX (``class 3 (21%)``).
    input_path, scale_path : pathlib.Path
        The map and its scale map.
    map_threshold, scale_threshold : float
        Surface level of the map, mesh level of the scale.
    modified_paths : list of pathlib.Path
        Its modified maps.
    """

    name: str
    input_path: Path
    scale_path: Path
    map_threshold: float
    scale_threshold: float
    modified_paths: list[Path] = field(default_factory=list)


def tiled_script(*, script_dir: Path, maps: list[TiledMap], min_vis_scale: float) -> str:
    """Text of a ChimeraX script showing several maps side by side, each coloured by its own scale.

    With n maps, the maps are models #1..n, their scale maps #n+1..2n and the k-th modified
    maps #(k+1)n+1..(k+2)n (hidden), under one colour key; ``scale_color MAP SCALE`` and
    ``occupy_level LEVEL`` work on all. The maps (of one classification: one box) are moved
    apart by the script (``move``, each with its scale and modified maps; ``tile`` fails
    without a GUI), in rows of ``ceil(sqrt(n))``, 1.1 times the largest box edge apart.

    Parameters
    ----------
    script_dir : pathlib.Path
        Directory the script will be in (paths are written relative to it).
    maps : list of TiledMap
        The maps, in order; each has the same number of modified maps.
    min_vis_scale : float
        Bottom of the colour key.

    Returns
    -------
    str
        The script.

    Raises
    ------
    OptionError
        When a path cannot be written safely into the script.
    ValueError
        With no maps, or maps with different numbers of modified maps.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from occupy.io.maps import write_map
    >>> d = Path(tempfile.mkdtemp())           # two classes of 30 x 24 x 20 voxels of 2 Å: 60 Å wide
    >>> paths = [write_map(d / f"c{i}.mrc", np.zeros((20, 24, 30)), voxel_size=2.0) for i in (1, 2)]
    >>> m = [TiledMap(f"class {i}", d / f"c{i}.mrc", d / f"s{i}.mrc", 0.5, 0.3) for i in (1, 2)]
    >>> [ln for ln in tiled_script(script_dir=d, maps=m, min_vis_scale=0.2,
    ...                            ).splitlines() if ln.startswith(("volume #1 ", "move", "view"))]
    ['volume #1 region 1,1,1,28,22,18 step 1 style surface level 0.5', 'move 66.00,0.00,0 models #2,4', 'view pad 0.26']
    """
    n = len(maps)
    if n == 0 or len({len(m.modified_paths) for m in maps}) != 1:
        raise ValueError("need maps with the same number of modified maps")
    n_mod = len(maps[0].modified_paths)
    grids = [read_map_grid(m.input_path) for m in maps]
    lines = [f"# ChimeraX script written by occupy {__version__}: {n} maps side by side, each coloured by its scale",
             "# Open in ChimeraX: open <this file>  (paths are relative to this file)",
             '# To turn each map about its own centre with the mouse: mousemode leftMode "rotate independent"']
    lines += _tiled_opens(maps, script_dir)
    for i, (m, grid) in enumerate(zip(maps, grids), start=1):
        lines += [_surface_line(i, grid, m.map_threshold), _mesh_line(n + i, m.scale_threshold),
                  *(_surface_line((k + 2) * n + i, grid, m.map_threshold) for k in range(n_mod))]
    lines += _move_lines(n, n_mod, grids)
    lines += _tiled_colours(n, n_mod, float(min_vis_scale))
    lines += [f"hide #{n + 1}-{(n_mod + 2) * n} models", f"view pad {VIEW_PAD:g}"]
    return "\n".join(lines) + "\n"


def _tiled_opens(maps: list[TiledMap], script_dir: Path) -> list[str]:
    """Open every map as its model (#i, its scale #n+i, its k-th modified map #(k+2)n+i) and name it."""
    n, lines = len(maps), []
    for i, m in enumerate(maps, start=1):
        files = [(i, m.input_path), (n + i, m.scale_path),
                 *(((k + 2) * n + i, p) for k, p in enumerate(m.modified_paths))]
        lines += [f"open {_rel(path, script_dir)} format mrc id {model}" for model, path in files]
        lines.append(f"rename #{i} {_quoted(m.name)}")
    return lines


def _move_lines(n: int, n_mod: int, grids: list[MapGrid | None]) -> list[str]:
    """Each map after the first moved to its place, with its scale and modified maps (no GUI needed)."""
    spacing = TILE_SPACING * max((g.largest_edge for g in grids if g is not None), default=0.0)
    if spacing == 0:                    # no map file could be read: nothing to place them by
        return []
    lines = []
    for i, (dx, dy) in enumerate(tile_offsets(n, spacing)[1:], start=2):
        models = ",".join(str(model) for model in (i, n + i, *((k + 2) * n + i for k in range(n_mod))))
        lines.append(f"move {dx:.2f},{dy:.2f},0 models #{models}")
    return lines


def _quoted(text: str) -> str:
    check_script_name(text, "model name")
    return f"'{text}'" if '"' in text else f'"{text}"'


def _tiled_colours(n: int, n_mod: int, lo: float) -> list[str]:
    """The aliases over every map, each map coloured by its own scale, one colour key."""
    palette = ":".join(PALETTE)
    shown = f"1-{n}" + "".join(f",{(k + 2) * n + 1}-{(k + 3) * n}" for k in range(n_mod))
    lines = [f"alias scale_color color sample $1 map $2 palette {palette} range {lo:.6g},1.0",
             f"alias occupy_level volume #{shown} level $1"]
    for i in range(1, n + 1):
        lines += [f"scale_color #{model} #{n + i}" for model in (i, *((k + 2) * n + i for k in range(n_mod)))]
    return lines + key_lines(PALETTE, lo)
