"""Compose the files of one run (usage.md): maps, plots, report, ChimeraX script and log, all or none."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from .._version import __version__
from ..io.mrcdata import MapData
from ..options import SOFT_EDGE_DEFAULT, SUBTRACT_BELOW_DEFAULT, RunOptions
from ..results import RunResult
from .chimerax import chimerax_script
from .log import log_text
from .names import aux_names, map_stem, scale_name
from .outputset import OutputSet
from .staged import input_data, staged_map, tile_voxels
from .summary_table import result_json

if TYPE_CHECKING:  # pragma: no cover - types only
    from . import figures
    from ..stages.confidence import ConfidenceCurve
    from ..stages.scale import ScaleResult
    from ..stages.solvent import SolventModel

__all__ = ["RunProducts", "stage_outputs"]


@dataclass
class RunProducts:
    """What a run computed, at the input's box, ready to be written.

    Parameters
    ----------
    scale : numpy.ndarray
        The local scale map.
    confidence : numpy.ndarray or None
        Per-voxel solvent confidence, when something used it.
    lowpassed : numpy.ndarray or None
        The lowpassed map, with ``--save-all-maps``.
    estimate : ScaleResult
        The scale estimate (parameters, full-scale tile, voxel size).
    solvent : SolventModel
        The fitted solvent model.
    curve : ConfidenceCurve
        The per-bin confidence curve.
    modified : dict of str to (str, numpy.ndarray or None)
        Modification kind (``amplify``, ``attenuate``, ``sigmoid``, ``exclude_solvent``)
        -> output file name and map (None once staged, unless the run keeps its arrays).
    factor : (str, numpy.ndarray) or None
        The first modification's kind and factor map, when ``--save-all-maps`` asks for it.
    scale_header_stats : (float, float, float, float) or None
        The scale map's header statistics, when already made (``occupy.regions.scale_statistics``).
    confident_scale : float or None
        The lowest confident scale (``occupy.stages.masks.lowest_confident_scale``), when made.
    not_solvent : numpy.ndarray or None
        Where the map is not solvent (``occupy.stages.masks.not_solvent``), when a mask is asked for.
    """

    scale: np.ndarray
    confidence: np.ndarray | None
    lowpassed: np.ndarray | None
    estimate: "ScaleResult"
    solvent: "SolventModel"
    curve: "ConfidenceCurve"
    modified: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)
    factor: tuple[str, np.ndarray] | None = None
    scale_header_stats: tuple[float, float, float, float] | None = None
    confident_scale: float | None = None
    not_solvent: np.ndarray | None = None


def stage_outputs(out: OutputSet, products: RunProducts, m: MapData, opts: RunOptions, result: RunResult,
                  timings: Callable[[], dict[str, float]]) -> None:
    """Stage the scale map, extra maps, plots, ChimeraX script, JSON, and the log last.

    Parameters
    ----------
    out : OutputSet
        The run's outputs (the modified maps already staged).
    products : RunProducts
        The maps and models to write.
    m : MapData
        The input map: the stem of the names and the header facts of the maps.
    opts : RunOptions
        The run's options (which optional outputs to write).
    result : RunResult
        Updated in place: ``output_paths`` (role -> final path) and ``timings``.
    timings : callable
        Returns the wall times so far; the log, written last, reports them.

    Raises
    ------
    OccupyError
        When a file cannot be written, or matplotlib is missing with ``--plot``.
    """
    stem = map_stem(m.path or "map")
    names = aux_names(stem)
    paths = result.output_paths
    paths["scale"] = out.write_map(scale_name(stem, result.scale_mode, opts.s0), products.scale, like=m,
                                   label=f"occupy {__version__}: local scale ({result.scale_mode})",
                                   header_stats=products.scale_header_stats)
    if opts.save_all_maps:
        _write_extra_maps(out, names, products, m, paths, f"occupy {__version__}")
    _write_masks(out, names, products, m, opts, paths)
    pictures = _pictures(out, m, opts, result, products) if (opts.plot or opts.report) else None
    if opts.plot:
        _write_plots(out, names, m, opts, result, products, pictures)
    if opts.chimerax:
        paths["chimerax"] = out.write_text(names["chimerax"], _script(out.directory, m, opts, result, products))
    result.timings = timings()
    if opts.json == "-":
        out.write_stream(sys.stdout, result_json(result))   # standard output, before any file is published
    elif opts.json is not None:
        paths["json"] = out.write_text(os.path.abspath(opts.json), result_json(result))
    if opts.report:
        paths["report"] = out.directory / names["report"]       # named in the log that the report shows
    log = log_text(m, opts, result, products.estimate, products.solvent, products.curve)
    if opts.report:
        paths["report"] = out.write_text(names["report"], run_report(m, opts, result, products, pictures, log))
    paths["log"] = out.write_text(names["log"], log)



def _write_extra_maps(out: OutputSet, names: dict[str, str], products: RunProducts, m: MapData,
                      paths: dict[str, Path], label: str) -> None:
    """``--save-all-maps``: the lowpassed map, the confidence and the first factor map."""
    if products.lowpassed is not None:
        paths["lowpass"] = out.write_map(names["lowpass"], products.lowpassed, like=m,
                                         label=f"{label}: lowpassed input")
    if products.confidence is not None:
        paths["confidence"] = out.write_map(names["confidence"], products.confidence, like=m,
                                            label=f"{label}: solvent confidence")
    if products.factor is not None:
        kind, factor = products.factor
        paths["modification"] = out.write_map(names["modification"], factor, like=m,
                                              label=f"{label}: {kind} factor")


def _write_masks(out: OutputSet, names: dict[str, str], products: RunProducts, m: MapData, opts: RunOptions,
                 paths: dict[str, Path]) -> None:
    """The solvent definition and the subtraction mask (algorithm.md §14), from the scale at the input's box."""
    if not (opts.writes_solvent_def or opts.writes_subtraction_mask):
        return
    from ..stages.masks import solvent_definition, subtraction_mask
    threshold = opts.solvent_def_scale if opts.solvent_def_scale is not None else products.confident_scale
    region = products.not_solvent
    if region is None:              # the lowpassed map has no positive full scale: the run's scale instead
        threshold = opts.scale_limit if threshold is None else threshold
        region = products.scale >= np.float32(threshold)
    if opts.writes_solvent_def:
        paths["solvent_def"] = out.write_map(names["solvent_def"], solvent_definition(region), like=m,
                                             label=f"occupy {__version__}: solvent def, scale >= {threshold:.3g}")
    if opts.writes_subtraction_mask:
        below = SUBTRACT_BELOW_DEFAULT if opts.subtract_scale_below is None else opts.subtract_scale_below
        edge = SOFT_EDGE_DEFAULT if opts.mask_soft_edge is None else opts.mask_soft_edge
        mask = subtraction_mask(products.scale, below, region, edge, m.voxel_size_xyz)
        label = f"occupy {__version__}: keep scale >= {below:.3g}, edge {edge:g} A"
        paths["subtraction_mask"] = out.write_map(names["subtraction_mask"], mask, like=m, label=label)


def _script(out_dir: Path, m: MapData, opts: RunOptions, result: RunResult, products: RunProducts) -> str:
    est = products.estimate
    tile_side = est.tile.tile_shape[0] if est.tile else 1
    return chimerax_script(
        script_dir=out_dir, input_path=Path(m.path or "map"), scale_path=result.output_paths["scale"],
        output_paths=[result.output_paths[kind] for kind in products.modified],
        map_threshold=result.map_threshold, scale_threshold=result.scale_threshold,
        min_vis_scale=opts.min_vis_scale, tile_center_A=result.tile_center_A,
        tile_radius_A=max(1.0, tile_side * est.voxel_size / 2),
        warning="solvent model may be poor - see the log" if result.bad_solvent_model else None)


def _used(opts: RunOptions, result: RunResult) -> dict | None:
    """The modification as ``plot_modification`` takes it, or None without one."""
    if not opts.modifying:
        return None
    gamma = result.gamma
    return {"amplify": gamma if opts.amplify else None, "attenuate": gamma if opts.attenuate else None,
            "sigmoid": (opts.sigmoid, opts.pivot) if opts.sigmoid is not None else None,
            "scale_limit": opts.scale_limit}


def _pictures(out: OutputSet, m: MapData, opts: RunOptions, result: RunResult,
              products: RunProducts) -> "figures.RunPictures":
    """The slices, histogram and browser volumes, made once for the plots and the report."""
    from . import figures
    modified = {kind: arr if arr is not None else staged_map(out, result.output_paths[kind], m)
                for kind, (_name, arr) in products.modified.items()}
    return figures.run_pictures(
        input_data(m), products.scale, modified, voxel_size=m.voxel_size, lowpass=result.lowpass,
        solvent_edge=result.solvent_edge, min_vis_scale=opts.min_vis_scale, slices=opts.slices,
        tile_zyx=tile_voxels(m, result.tile_center_A), browser=opts.report, grid=figures.map_grid(m))


def run_report(m: MapData, opts: RunOptions, result: RunResult, products: RunProducts,
               pictures: "figures.RunPictures", log: str) -> str:
    """The HTML of ``report_<stem>.html``."""
    from .log import api_call
    from .report import report_html
    return report_html(stem=map_stem(m.path or "map"), result=result, log=log,
                       command_line=opts.command_line or api_call(m.path, opts), pictures=pictures,
                       plot_data=products.curve.plot_data(products.solvent), used=_used(opts, result),
                       min_vis_scale=opts.min_vis_scale)


def _write_plots(out: OutputSet, names: dict[str, str], m: MapData, opts: RunOptions,
                 result: RunResult, products: RunProducts, pictures: "figures.RunPictures") -> None:
    from . import plots
    solvent, paths = products.solvent, result.output_paths
    stem = map_stem(m.path or "map")
    mode = f"{result.scale_mode} mode"
    plots.plot_solvent_model(out.stage(names["plot_solvent"]), **products.curve.plot_data(solvent),
                             solvent_edge=solvent.edge, s_full=result.s_full, title=f"solvent model: {stem}")
    paths["plot_solvent"] = out.final_paths[-1]
    used = _used(opts, result)
    if used is not None:
        plots.plot_modification(out.stage(names["plot_modification"]), used=used,
                                title=f"scale modification: {stem} ({mode})")
        paths["plot_modification"] = out.final_paths[-1]
    plots.plot_pictures(out.stage(names["plot_slices"]), pictures, min_vis_scale=opts.min_vis_scale,
                        title=f"local scale ({mode}): {stem}")
    paths["plot_slices"] = out.final_paths[-1]
