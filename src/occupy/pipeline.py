"""``occupy.run``: read a map, estimate its local scale, model solvent, modify, write outputs."""
from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .constants import PARTIAL_SCALE
from .arrays import check_map_values
from .errors import OccupyError, warn
from .io.files import output_directory
from .io.maps import read_map
from .io.mrcdata import MapData
from .io.source import MapSource
from .options import RunOptions
from .resolve import resolve_options
from .io.classification import ClassMap
from .results import MapOutcome, RunResult, outcome_from_result
from .outputs.chimerax import check_script_name
from .outputs.names import check_names_fit, exclude_name, map_stem, modified_name, run_names
from .outputs.outputset import OutputSet
from .outputs.writer import RunProducts, stage_outputs
from .params import derive_parameters
from .stages.confidence import ConfidenceIndex, confidence_index, curve_from_histogram, voxel_confidence
from .stages.lowpass import lowpass_filter_unchecked, lowpass_then_gaussian
from .stages.resample import fourier_crop, fourier_pad, processing_shape
from .stages.modification import flatten_solvent, modify, modify_pieces
from .stages.masks import BAD_MODEL_MESSAGE, bad_model_message, confident_scale
from .stages.solvent_def import read_solvent_def
from .stages.scale import limit_from_sum, scale_from_input
from .stages.solvent import check_solvent_mask, fit_solvent_unchecked, flattening_warning, lowpassed_ranges
from .regions import scale_statistics
from .stageclock import StageClock
from .stats import density_histogram_above
from .threads import effective_threads

__all__ = ["BAD_MODEL_MESSAGE", "bad_model_message", "run", "run_outcome"]

def run(input_path: str | os.PathLike, **options: Any) -> RunResult:
    """Run the whole occupy pipeline on one map file, as the ``occupy`` command does.

    Parameters
    ----------
    input_path : str, bytes or os.PathLike
        The map (MRC/CCP4).
    **options : Any
        Fields of ``RunOptions``, named like the long command-line options with
        ``_`` for ``-`` (``amplify=True, gamma=4, output_dir="out"``).

    Returns
    -------
    RunResult
        Output paths, derived parameters, solvent model, warnings (also issued with
        ``warnings.warn``) and per-stage wall times.

    Raises
    ------
    TypeError
        For an unknown option name.
    OptionError
        For a bad option value, before any work.
    OccupyError
        For bad input or a failure to write; the outputs are written all or none, and an
        output directory created by the run is removed again.

    Notes
    -----
    Nothing is printed; a ``progress`` callable, if given, is called with each stage's name.

    Examples
    --------
    >>> import occupy, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> demo = occupy.make_demo_map(box=48)
    >>> _ = occupy.write_map(d / "demo.mrc", demo.data, voxel_size=demo.voxel_size)
    >>> r = occupy.run(d / "demo.mrc", output_dir=d / "out", amplify=True, gamma=4)
    >>> sorted(p.name for p in r.output_paths.values())
    ['ampl_4.0_demo.mrc', 'chimX_demo.cxc', 'log_demo.txt', 'scale_occ_demo.mrc']
    """
    opts = RunOptions.from_kwargs(**options)
    opts.validate()
    input_path = os.fsdecode(input_path)      # bytes paths too, as os takes them
    if opts.chimerax:      # names go into the script: refuse unsafe ones before any work
        check_script_name(Path(os.path.realpath(input_path)), "input map name")
        check_script_name(Path(os.path.realpath(opts.output_dir)), "output directory name")
    clock = StageClock(opts.progress, opts.check_abort)
    with clock("read map"):
        source = MapSource.of(input_path, opts.pixel_size)
        m = read_map(input_path, pixel_size=opts.pixel_size)
    if opts.plot or opts.report:        # an AXIS:N of --slices outside this box: refused before any work
        from .outputs.slices import check_slices
        check_slices(opts.slices, m.shape)
    check_names_fit(run_names(map_stem(input_path), opts), opts.output_dir)
    with output_directory(opts.output_dir) as out_dir:
        result = _run_map(m, opts, clock, out_dir, source)
    return result


def run_outcome(input_path: str | os.PathLike, class_map: ClassMap | None = None, **options: Any) -> MapOutcome:
    """``run``, its failure reported in the outcome instead of raised: one map of many.

    Parameters
    ----------
    input_path : str or os.PathLike
        The map.
    class_map : ClassMap, optional
        The class it is, in a classification.
    **options : Any
        As for ``run``.

    Returns
    -------
    MapOutcome
        ``ok=False`` with a one-line ``error`` if the run raised any ``Exception`` (an
        ``OccupyError`` in its own words, anything else as unexpected).
    """
    t0 = time.perf_counter()
    try:
        result = run(input_path, **options)
    except Exception as exc:  # noqa: BLE001 - the other maps go on; the error is reported
        msg = str(exc) if isinstance(exc, OccupyError) else f"unexpected {type(exc).__name__}: {exc}"
        return MapOutcome(Path(input_path), ok=False, seconds=time.perf_counter() - t0, error=msg,
                          class_map=class_map)
    return outcome_from_result(input_path, result, time.perf_counter() - t0, class_map=class_map)


@dataclass
class _Work:
    """The map at its processing box (algorithm.md §10) and the solvent mask resampled to it."""

    data: np.ndarray | None                # None once set aside (_set_input_aside)
    voxel_size: float
    factor: tuple[float, float, float]      # input box / processing box, per axis
    mask: np.ndarray | None


def _prepare(m: MapData, opts: RunOptions, warnings: list[str]) -> _Work:
    shape = processing_shape(m.shape, opts.max_box)
    factor = tuple(s / w for s, w in zip(m.shape, shape))
    data = m.data if tuple(shape) == m.shape else fourier_crop(m.data, shape)
    mask = None
    if opts.solvent_def:
        mask = read_solvent_def(opts.solvent_def, m, opts.pixel_size is None, warnings)
        check_solvent_mask(mask, m.shape, name=f"--solvent-def mask {opts.solvent_def}")
        if tuple(shape) != mask.shape:
            mask = fourier_crop(mask, shape)
    return _Work(data=data, voxel_size=m.voxel_size * max(factor), factor=factor, mask=mask)


def _run_map(m: MapData, opts: RunOptions, clock: StageClock, out_dir: Path, source: MapSource) -> RunResult:
    """Every stage after reading the map, in the order of algorithm.md §11; outputs last, all or none.
    Solvent model and confidence come first, so that the lowpassed map is gone before the scale."""
    warnings: list[str] = list(m.warnings)
    mode, gamma = resolve_options(opts, warnings)
    asked = opts        # as given, for the log
    opts = dataclasses.replace(opts, threads=effective_threads(opts.threads))  # the environment read once
    with clock("prepare"):
        work = _prepare(m, opts, warnings)
        params = derive_parameters(work.data.shape, work.voxel_size, lowpass=opts.lowpass,
                                   resolution=opts.resolution, kernel_size=opts.kernel_size,
                                   kernel_radius=opts.kernel_radius, tau=opts.tau,
                                   occ_filter=opts.occ_filter if mode == "occ" else "lowpass")
    warnings.extend(params.warnings)  # already issued by derive_parameters
    with clock("lowpass"):
        lp, make_gaussian, lp_range, sample_range = _lowpass(work, params, opts.threads)
    with clock("solvent model"):
        solvent = _solvent(m, lp, work.mask, opts, warnings, sample_range)
    with clock("confidence"):
        curve, conf, solid = _confidence(lp, lp_range, solvent, opts, warnings)
        lowest, region = confident_scale(lp, curve, params, opts, warnings)
    spare = None                            # without --save-all-maps lp is not needed any more:
    if mode == "res":
        scale_input = work.data
        if not opts.save_all_maps:
            spare, lp = lp, None            # the scale is made in its buffer
    elif make_gaussian is None:
        scale_input = lp                    # the original's occ mode: the lowpassed map itself
    else:
        if not opts.save_all_maps:
            lp = None                       # freed before the Gaussian's transforms
        with clock("occ filter"):
            scale_input = make_gaussian()
    del make_gaussian
    if scale_input is not work.data:
        _set_input_aside(m, work, opts, source)
    with clock("scale"):
        est, scale_numbers, header_stats = _scale(scale_input, spare, solid, params, mode, work.voxel_size, opts)
    del scale_input, spare, solid
    products = RunProducts(scale=est.scale, confidence=conf, lowpassed=lp if opts.save_all_maps else None,
                           estimate=est, solvent=solvent, curve=curve, scale_header_stats=header_stats,
                           confident_scale=lowest, not_solvent=region)
    del lp, conf
    factor = work.factor
    del work
    _to_input_box(products, m, opts)
    result = _result(m, mode, gamma, products, scale_numbers, warnings, factor)
    _write_run(m, products, (opts, asked), gamma, out_dir, clock, source, result)
    return result


def _write_run(m: MapData, products: RunProducts, options: tuple[RunOptions, RunOptions], gamma: float | None,
               out_dir: Path, clock: StageClock, source: MapSource, result: RunResult) -> None:
    """Modify (each map staged as it is made), then stage the other outputs; all are published at the end.
    ``options`` is (the options in use, the options as asked, for the log)."""
    opts, asked = options
    with OutputSet(out_dir, before_commit=opts.check_abort, parent=opts.output_set) as out:
        result.output_paths["scale"] = None         # staged with the others; the first output all the same
        with clock("modification"):
            source.take_back(m)
            _modify_all(m, products, opts, gamma, out, result)
        if not (opts.plot or opts.report):
            m.release_data()    # only its header from here: free memory keeps the kernel from throttling the writes
        with clock("write outputs"):
            stage_outputs(out, products, m, asked, result, clock.snapshot)
    result.timings = dict(clock.timings)
    if opts.keep_arrays:
        result.arrays = {"scale": products.scale, "confidence": products.confidence,
                         **{kind: arr for kind, (_, arr) in products.modified.items()}}


def _scale(scale_input: np.ndarray, spare: np.ndarray | None, solid: np.ndarray, params, mode: str,
           voxel_size: float, opts: RunOptions):
    """The scale (in ``spare``'s buffer if given), ``(variability limit, partial fraction)`` and
    the scale map's header statistics, from one pass over it."""
    est = scale_from_input(scale_input, params, mode, voxel_size, s0=opts.s0, tile_size=opts.tile_size,
                           threads=opts.threads, out=spare)
    stats = scale_statistics(est.scale, scale_input, solid, PARTIAL_SCALE, opts.threads)
    return est, (limit_from_sum(stats.n_full, stats.sum_full, est.s_full), stats.partial_fraction), stats.header_stats


def _set_input_aside(m: MapData, work: _Work, opts: RunOptions, source: MapSource) -> None:
    """Free the input map while the scale is made from another map (occ mode), where nothing
    needs it until the modification, which reads it again (``MapSource.take_back``): at most
    about two and a half maps are then alive at once (docs/algorithm.md §11)."""
    later = opts.modifying or opts.exclude_solvent
    if opts.plot or opts.report or (later and source.identity is None):
        return
    work.data = None
    source.set_aside(m, read_again=later)


def _lowpass(work: _Work, params, threads: int):
    """The lowpassed map; with the Gaussian occ filter a function that makes the scale's input later
    from the same forward transform (algorithm.md §5.3), else None; the map's range (checked: it is
    also the histograms' range) and, without a mask, its inscribed sphere's, from one pass."""
    if params.sigma is None:
        lp, make_gaussian = lowpass_filter_unchecked(work.data, work.voxel_size, params.lowpass, threads), None
    else:
        lp, make_gaussian = lowpass_then_gaussian(work.data, work.voxel_size, params.lowpass, params.sigma, threads)
    whole, sample_range = lowpassed_ranges(lp, work.mask, threads)
    return lp, make_gaussian, check_map_values(lp, "lowpassed map", known=whole), sample_range


def _solvent(m: MapData, lp: np.ndarray, mask: np.ndarray | None, opts: RunOptions, warnings: list[str],
             sample_range: tuple | None):
    """The solvent model (its sample's range already found, or None), and its warning about a flattened input."""
    solvent = fit_solvent_unchecked(lp, mask, opts.threads, sample_range)
    flattened = flattening_warning(m.data, solvent)
    if flattened:
        warn(flattened, warnings)
    return solvent


def _confidence(lp: np.ndarray, lp_range: tuple[float, float], solvent, opts: RunOptions, warnings: list[str]):
    """The confidence curve, the per-voxel confidence where something uses it, and (from the
    same pass as the curve's histogram) where the map is not solvent, packed."""
    lo, hi = (lp.dtype.type(v) for v in lp_range)
    heights, edges, solid = density_histogram_above(lp, lo, hi, solvent.edge, opts.threads)
    curve = curve_from_histogram(heights, edges, solvent, opts.hedge_confidence)
    flattening = opts.modifying or opts.exclude_solvent
    need_conf = (flattening and not opts.omit_confidence) or opts.save_all_maps
    if not need_conf:
        return curve, None, solid
    if opts.save_all_maps or opts.keep_arrays:          # kept as a map: written or returned
        return curve, voxel_confidence(lp, curve, threads=opts.threads), solid
    return curve, confidence_index(lp, curve, threads=opts.threads), solid     # 1-2 bytes a voxel


def _to_input_box(products: RunProducts, m: MapData, opts: RunOptions) -> None:
    """Under ``--max-box``, pad the maps back to the input box."""
    if products.scale.shape == m.shape:
        return
    products.scale_header_stats = None          # they were of the unpadded scale
    products.scale = np.clip(fourier_pad(products.scale, m.shape), 0.0, 1.0).astype(np.float32)
    if products.confidence is not None:
        products.confidence = np.clip(fourier_pad(_conf_map(products.confidence), m.shape), 0.0, 1.0
                                      ).astype(np.float32)
    if products.lowpassed is not None:
        products.lowpassed = fourier_pad(products.lowpassed, m.shape)
    if products.not_solvent is not None:
        products.not_solvent = fourier_pad(products.not_solvent.astype(np.float32), m.shape) > 0.5


def _result(m: MapData, mode: str, gamma: float | None, products: RunProducts, scale_numbers: tuple[float, float],
            warnings: list[str], factor: tuple[float, float, float]) -> RunResult:
    """The run's numbers; ``scale_numbers`` = (variability limit, partial fraction). Output paths
    and timings are added as the outputs are staged."""
    var_limit, partial = scale_numbers
    est, solvent, p = products.estimate, products.solvent, products.estimate.params
    result = RunResult(input_path=Path(m.path or "map"), scale_mode=mode, kernel_size=p.kernel_size,
                       kernel_radius=p.kernel_radius, n_v=p.n_v, tau=est.tau, lowpass=p.lowpass, gamma=gamma,
                       occ_sigma=p.sigma if mode == "occ" else None,
                       s_full=est.s_full, solvent_mean=solvent.mean, solvent_width=solvent.sigma,
                       solvent_edge=solvent.edge, map_threshold=(est.s_full + solvent.edge) / 2.0,
                       scale_threshold=var_limit, partial_fraction=partial, bad_solvent_model=bool(products.curve.bad_model),
                       warnings=warnings)
    if est.tile is not None:
        result.tile_center_A = _tile_center_A(m, est.tile.tile_center, factor)
    return result


def _tile_center_A(m: MapData, center_zyx_vox: tuple[float, float, float],
                   factor: tuple[float, float, float]) -> tuple[float, float, float]:
    """Tile centre in Å in ChimeraX scene coordinates (x, y, z); ``factor`` = input/processing box."""
    z, y, x = (c * f for c, f in zip(center_zyx_vox, factor))
    vx, vy, vz = m.voxel_size_xyz
    ox, oy, oz = m.grid_start_A()
    return (ox + x * vx, oy + y * vy, oz + z * vz)


def _modify_all(m: MapData, products: RunProducts, opts: RunOptions, gamma: float | None, out: OutputSet,
                result: RunResult) -> None:
    """Each requested modification (or the solvent-flattened map), staged as soon as it is made.

    Only one modified map is in memory at a time (all of them with ``keep_arrays``).
    """
    stem = map_stem(m.path or "map")
    conf = None if opts.omit_confidence else products.confidence   # None: full confidence (expert)
    kinds = [k for k, on in (("amplify", opts.amplify), ("attenuate", opts.attenuate),
                             ("sigmoid", opts.sigmoid is not None)) if on]
    for kind in kinds:
        keep_factor = opts.save_all_maps and products.factor is None   # only the first is written
        settings = dict(mode=kind, gamma=gamma, sigmoid=opts.sigmoid, pivot=opts.pivot,
                        scale_limit=opts.scale_limit, exclude_solvent=opts.exclude_solvent, seed=opts.seed,
                        threads=opts.threads, value_range=m.value_range)
        name = modified_name(stem, kind, gamma, sigmoid=opts.sigmoid, pivot=opts.pivot,
                             exclude_solvent=opts.exclude_solvent)
        if _in_pieces(m, opts, keep_factor):
            _stage_pieces(out, kind, name, m, products, result, settings, conf)
            continue
        arr, factor = modify(m.data, products.scale, _conf_map(conf), products.solvent,
                             lowpass_output=opts.lowpass_output,
                             voxel_size=m.voxel_size, hist_match=opts.hist_match, return_factor=keep_factor,
                             **settings)
        _stage_modified(out, kind, name, arr, m, products, opts, result)
        if keep_factor:
            products.factor = (kind, factor)
        del arr, factor                     # on disk now: not alive while the next one is made
    if opts.exclude_solvent and not kinds:
        flat = m.data.copy() if conf is None else flatten_solvent(m.data, _conf_map(conf))
        _stage_modified(out, "exclude_solvent", exclude_name(stem), flat, m, products, opts, result)


def _conf_map(conf: np.ndarray | ConfidenceIndex | None) -> np.ndarray | None:
    """The confidence as a float32 map, for the uses that need it whole."""
    return conf.full() if isinstance(conf, ConfidenceIndex) else conf


def _in_pieces(m: MapData, opts: RunOptions, keep_factor: bool) -> bool:
    """Whether a modified map can be written as it is made (never whole in memory): a per-voxel
    modification whose map nothing else keeps, in a file that keeps the array's axis order."""
    return not (opts.lowpass_output is not None or opts.hist_match or keep_factor or opts.keep_arrays
                or tuple(m.axis_order) != (1, 2, 3))


def _stage_pieces(out: OutputSet, kind: str, name: str, m: MapData, products: RunProducts, result: RunResult,
                  settings: dict, conf: np.ndarray | None) -> None:
    """Stage a modified map block by block as ``modify_pieces`` makes it."""
    def fill(write) -> None:
        modify_pieces(write, m.data, products.scale, conf, products.solvent, **settings)
    result.output_paths[kind] = out.write_map_pieces(name, m.shape, fill, like=m,
                                                     label=f"occupy {__version__}: {kind}",
                                                     threads=settings["threads"])
    products.modified[kind] = (name, None)


def _stage_modified(out: OutputSet, kind: str, name: str, arr: np.ndarray, m: MapData, products: RunProducts,
                    opts: RunOptions, result: RunResult) -> None:
    result.output_paths[kind] = out.write_map(name, arr, like=m, label=f"occupy {__version__}: {kind}")
    products.modified[kind] = (name, arr if opts.keep_arrays else None)
