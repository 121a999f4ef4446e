"""The ChimeraX command script ``chimX_<stem>.cxc`` that shows a run's results."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import OccupyError

__all__ = ["PALETTE", "chimerax_script"]

# A perceptually uniform palette (viridis stops), given explicitly so any ChimeraX 1.x works.
PALETTE = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


def _rel(path: Path, script_dir: Path) -> str:
    """Path relative to the script's directory, quoted for ChimeraX (which has no escapes)."""
    rel = os.path.relpath(Path(path).resolve(), Path(script_dir).resolve()).replace("\\", "/")
    if '"' in rel and "'" in rel:
        raise OccupyError(f"cannot quote {rel!r} for ChimeraX: the name has both quote characters "
                          "(rename it, or use --no-chimerax)")
    quote = "'" if '"' in rel else '"'
    return f"{quote}{rel}{quote}"


def chimerax_script(*, script_dir: Path, input_path: Path, scale_path: Path,
                    output_paths: list[Path], map_threshold: float, scale_threshold: float,
                    min_vis_scale: float, tile_center_A: tuple[float, float, float] | None,
                    tile_radius_A: float, warning: str | None, version: str) -> str:
    """Text of the ChimeraX 1.x script.

    Model #1 is the input (surface at the map threshold), #2 the scale (hidden mesh at
    the scale threshold), #3... the modified maps (hidden).  Every map is coloured by
    #2; ``scale_color MAP SCALE`` and ``occupy_level LEVEL`` are defined for the user.
    Paths are quoted and relative to the script's directory.
    """
    palette = ":".join(PALETTE)
    lo = float(min_vis_scale)
    map_ids = ["#1"] + [f"#{3 + i}" for i in range(len(output_paths))]
    lines = [
        f"# ChimeraX script written by occupy {version}",
        "# Open in ChimeraX: open <this file>  (paths are relative to this file)",
        f"open {_rel(input_path, script_dir)} format mrc id 1",
        f"open {_rel(scale_path, script_dir)} format mrc id 2",
    ]
    for i, p in enumerate(output_paths):
        lines.append(f"open {_rel(p, script_dir)} format mrc id {3 + i}")
    lines += [
        f"volume #1 style surface level {map_threshold:.6g}",
        f"volume #2 style mesh level {scale_threshold:.6g}",
        "hide #2 models",
    ]
    for i in range(len(output_paths)):
        lines += [f"volume #{3 + i} style surface level {map_threshold:.6g}", f"hide #{3 + i} models"]
    lines += [
        f"alias scale_color color sample $1 map $2 palette {palette} range {lo:.6g},1.0",
        # one model list: "#1,3,4" (ChimeraX: a comma list of numbers after a single #)
        f"alias occupy_level volume #{','.join(mid[1:] for mid in map_ids)} level $1",
    ]
    lines += [f"scale_color {mid} #2" for mid in map_ids]
    ticks = [lo + (1.0 - lo) * i / (len(PALETTE) - 1) for i in range(len(PALETTE))]
    key = " ".join(f"{c}:{t:.2f}" for c, t in zip(PALETTE, ticks))
    lines.append(f"key {key} pos 0.05,0.06 size 0.4,0.03")
    lines.append('2dlabels text "local scale" xpos 0.05 ypos 0.11 size 16')
    if tile_center_A is not None:
        x, y, z = tile_center_A
        lines.append(f"marker #20 position {x:.3f},{y:.3f},{z:.3f} color yellow radius {tile_radius_A:.3f}")
        lines.append("rename #20 \"full-scale tile\"")
    if warning:
        safe = warning.replace('"', "'")
        lines.append(f'2dlabels text "WARNING: {safe}" color red xpos 0.03 ypos 0.92 size 18')
    lines.append("view")
    return "\n".join(lines) + "\n"
