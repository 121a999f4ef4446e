"""The ChimeraX scripts as ChimeraX 1.7 runs them (issue 21, part 3): no vertex outside the scale map's
grid, classification scripts that need no GUI, a colour key whose labels fit under the maps.

ChimeraX is not installed here, so the scripts are checked against the rules of ChimeraX's own code
(github.com/RBVI/ChimeraX, tag v1.7.1), written out below as known answers:

- ``src/bundles/map/_map/interpolate.cpp`` (``data_cell``): a point is sampled only if
  ``0 <= floor(i) < n - 1`` on every grid axis, else it gets the no-value colour (grey);
- ``src/bundles/map_data/src/mrc/mrc_format.py``: grid sizes permuted by MAPC/MAPR/MAPS;
- ``src/bundles/std_commands/src/tile.py``: ``tile`` runs ``mouse left "rotate independent"``, which
  needs ``session.ui.mouse_modes`` (no such thing headless);
- ``src/bundles/graphics/src/camera.py`` (``perspective_view_all``): after ``view pad P`` the models'
  bounding box is inside the window shrunk by P about its centre;
- ``src/bundles/color_key/src/model.py``: ``pos`` is the lower-left corner of the bar, labels hang
  below it, entries are equally spaced when a label is not a number, and an empty label is not drawn.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, write_mrc

import occupy
from occupy.outputs.chimerax import TiledMap, chimerax_script, tiled_script

VOXEL = 1.5
# What runs headless: every command the scripts may use, none of which touches the GUI
# (tile, mouse/mousemode, ui, windowsize... do, or change the user's window).
HEADLESS_COMMANDS = {"open", "rename", "volume", "move", "alias", "scale_color", "key", "2dlabels",
                     "hide", "view", "marker"}
# The smallest graphics window the key is laid out for (pixels), and font metrics of ChimeraX's
# default font (Arial: digits 0.556 em wide) at 96 dpi.
WINDOW = (600, 500)
PX_PER_PT = 96 / 72
DIGIT_EM = 0.556


def _demo_box(shape_zyx: tuple[int, int, int], seed: int = 2) -> np.ndarray:
    return occupy.make_demo_map(box=32, voxel_size=VOXEL, seed=seed).data[:shape_zyx[0], :shape_zyx[1], :shape_zyx[2]]


def _commands(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def _region(line: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    values = tuple(int(v) for v in re.search(r" region (\S+) ", line).group(1).split(","))
    return values[:3], values[3:]


def _inside_chimerax_grid(index: float, n: int) -> bool:
    """ChimeraX's data_cell test for one axis (interpolate.cpp): floor(i) in [0, n - 1)."""
    return 0 <= math.floor(index) < n - 1


# ---------------------------------------------------------------- (a) no grey vertices at the box edge

def test_single_map_script_shows_the_maps_inside_the_scale_grid(tmp_path: Path) -> None:
    """x, y, z sizes 32, 30, 28: the input and the modified map are shown over indices 1..n-2, where
    every vertex (even one rounded a little either way) passes ChimeraX's test; the hidden scale,
    which is only sampled, keeps its whole box."""
    write_mrc(tmp_path / "m.mrc", _demo_box((28, 30, 32)), voxel=VOXEL)
    r = run_cli("occupy", "-i", "m.mrc", "--amplify", "--gamma", "2", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = (tmp_path / "chimX_m.cxc").read_text().splitlines()
    volumes = {ln.split()[1]: ln for ln in lines if ln.startswith("volume #")}
    assert set(volumes) == {"#1", "#2", "#3"}
    for model in ("#1", "#3"):
        assert _region(volumes[model]) == ((1, 1, 1), (30, 28, 26)), volumes[model]
        lo, hi = _region(volumes[model])
        for axis, n in enumerate((32, 30, 28)):
            assert all(_inside_chimerax_grid(i, n) for i in (lo[axis] - 1e-4, hi[axis] + 1e-4))
        assert " step 1 style surface " in volumes[model]
    assert " region all step 1 style mesh " in volumes["#2"]


def test_region_follows_the_axis_order_chimerax_reads(tmp_path: Path) -> None:
    """A file whose columns are z, rows x and sections y (MAPC/MAPR/MAPS = 3, 1, 2): data of shape
    (sections, rows, columns) = (10, 12, 14) is a grid of x, y, z = 12, 10, 14 in ChimeraX."""
    write_mrc(tmp_path / "p.mrc", np.zeros((10, 12, 14), np.float32), voxel=VOXEL, mapc=3, mapr=1, maps=2)
    text = chimerax_script(script_dir=tmp_path, input_path=tmp_path / "p.mrc", scale_path=tmp_path / "s.mrc",
                           output_paths=[], map_threshold=0.5, scale_threshold=0.3, min_vis_scale=0.2,
                           tile_center_A=None, tile_radius_A=1.0, warning=None)
    line = next(ln for ln in text.splitlines() if ln.startswith("volume #1 "))
    assert _region(line) == ((1, 1, 1), (10, 8, 12)), line


# ---------------------------------------------------------------- (b) classification scripts without a GUI

def _classes(tmp_path: Path, n: int, n_modified: int = 1) -> list[TiledMap]:
    """n classes of one 32^3 box of 1.5 Å voxels (48 Å edge), as a classification has."""
    maps = []
    for i in range(1, n + 1):
        path = write_mrc(tmp_path / f"run_it025_class{i:03d}.mrc", _demo_box((32, 32, 32), seed=i), voxel=VOXEL)
        modified = [tmp_path / f"ampl_{k}_class{i}.mrc" for k in range(n_modified)]
        maps.append(TiledMap(f"class {i}", path, tmp_path / f"scale_class{i}.mrc", 0.5, 0.3, modified))
    return maps


def test_classification_script_has_no_gui_only_command_and_places_the_maps_itself(tmp_path: Path) -> None:
    """Five classes: no ``tile`` (or any other GUI command); three per row (ceil(sqrt 5)), 1.1 x 48 Å =
    52.8 Å apart along the screen, each class moved with its scale (#n+i) and modified map (#2n+i)."""
    text = tiled_script(script_dir=tmp_path, maps=_classes(tmp_path, 5), min_vis_scale=0.2)
    commands = _commands(text)
    assert {c.split()[0] for c in commands} <= HEADLESS_COMMANDS, commands
    moves = [c for c in commands if c.startswith("move ")]
    assert moves == ["move 52.80,0.00,0 models #2,7,12", "move 105.60,0.00,0 models #3,8,13",
                     "move 0.00,-52.80,0 models #4,9,14", "move 52.80,-52.80,0 models #5,10,15"]
    first_colour = next(i for i, c in enumerate(commands) if c.startswith("scale_color "))
    assert max(commands.index(m) for m in moves) < first_colour       # coloured where they are shown
    assert commands[-1].startswith("view pad ") and commands[-2] == "hide #6-15 models"


def test_classification_maps_are_shown_inside_their_scale_grid(tmp_path: Path) -> None:
    text = tiled_script(script_dir=tmp_path, maps=_classes(tmp_path, 2), min_vis_scale=0.2)
    regions = {ln.split()[1]: ln for ln in text.splitlines() if ln.startswith("volume #")}
    for model in ("#1", "#2", "#5", "#6"):                              # classes and their modified maps
        assert _region(regions[model]) == ((1, 1, 1), (30, 30, 30)), regions[model]
    for model in ("#3", "#4"):                                          # scales: sampled, hidden
        assert " region all " in regions[model]


# ---------------------------------------------------------------- (c) a key that fits under the maps

def _key_layout(text: str) -> dict:
    commands = _commands(text)
    key = next(c for c in commands if c.startswith("key "))
    title = next(c for c in commands if c.startswith('2dlabels text "local scale"'))
    words = key.split()
    option = {w: words[i + 1] for i, w in enumerate(words) if w in ("pos", "size", "fontSize")}
    stops = words[1:words.index("pos")]
    title_words = title.split()
    return dict(pad=float(commands[-1].split()[-1]) if commands[-1].startswith("view pad ") else 0.0,
                pos=tuple(float(v) for v in option["pos"].split(",")),
                size=tuple(float(v) for v in option["size"].split(",")),
                font=int(option["fontSize"]) if "fontSize" in option else 24,        # ChimeraX's default
                labels=[s.split(":", 1)[1] for s in stops],
                title_pos=(float(title_words[title_words.index("xpos") + 1]),
                           float(title_words[title_words.index("ypos") + 1])),
                title_size=int(title_words[title_words.index("size") + 1]))


def _check_key_fits(layout: dict) -> None:
    width, height = WINDOW
    (x, y), (w, h) = layout["pos"], layout["size"]
    font_px = layout["font"] * PX_PER_PT
    free_band = layout["pad"] / 2                   # bottom of the window that `view pad` leaves to the key
    labels = layout["labels"]
    # the bar, the labels under it (5 px offset + 2 px border + the font's height) and the title
    assert y + h <= free_band and y - (font_px + 7) / height >= 0
    assert layout["title_pos"][1] + 1.3 * layout["title_size"] * PX_PER_PT / height <= free_band
    # equally spaced entries (labels are not all numbers); label k centred at x + w * k / (n - 1)
    centres = [(x + w * k / (len(labels) - 1), text) for k, text in enumerate(labels) if text]
    half = [len(text) * DIGIT_EM * font_px / 2 / width for _, text in centres]
    assert labels[0] == "" and labels[-1] == ""       # no label at either end of the bar (1.7 clips it)
    assert centres[0][0] - half[0] >= 0                                          # inside the window
    assert all(c1 + h1 <= c2 - h2 for (c1, _), h1, (c2, _), h2 in zip(centres, half, centres[1:], half[1:]))
    assert centres[-1][0] + half[-1] + 4 / width <= x + w                        # clear of the bar's end
    title_width = len("local scale") * 0.6 * layout["title_size"] * PX_PER_PT / width
    assert x + w <= layout["title_pos"][0] and layout["title_pos"][0] + title_width <= 1


@pytest.mark.parametrize("n_maps", [1, 2, 3, 4, 5, 6])
def test_key_fits_under_the_maps_for_any_number_of_classes(tmp_path: Path, n_maps: int) -> None:
    layout = _key_layout(tiled_script(script_dir=tmp_path, maps=_classes(tmp_path, n_maps, 0), min_vis_scale=0.2))
    _check_key_fits(layout)
    assert [t for t in layout["labels"] if t] == ["0.20", "0.60", "1.00"]


def test_key_fits_in_the_single_map_script(tmp_path: Path) -> None:
    write_mrc(tmp_path / "m.mrc", _demo_box((32, 32, 32)), voxel=VOXEL)
    text = chimerax_script(script_dir=tmp_path, input_path=tmp_path / "m.mrc", scale_path=tmp_path / "s.mrc",
                           output_paths=[tmp_path / "a.mrc"], map_threshold=0.5, scale_threshold=0.3,
                           min_vis_scale=0.5, tile_center_A=(24.0, 24.0, 24.0), tile_radius_A=3.0,
                           warning="solvent model may be poor")
    layout = _key_layout(text)
    _check_key_fits(layout)
    assert [t for t in layout["labels"] if t] == ["0.50", "0.75", "1.00"]
    assert _commands(text)[-1] == f"view pad {layout['pad']:g}"        # the last command: nothing moves after
