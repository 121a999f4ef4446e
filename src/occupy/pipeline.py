"""``occupy.run``: read a map, estimate its local scale, model solvent, modify, write outputs."""
from __future__ import annotations

import os
import dataclasses
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from . import __version__
from .chimerax import chimerax_script
from .solvent_confidence import confidence_curve, voxel_confidence
from .errors import OccupyError, warn
from .filters import fourier_crop, fourier_pad, lowpass as lowpass_filter
from .io import MapData, OutputSet, read_map
from .logfile import format_log
from .modification import exclude_solvent as flatten_solvent, modify
from .naming import aux_names, exclude_name, map_stem, modified_name, scale_name
from .options import RunOptions, RunResult
from .params import processing_shape
from .scale import estimate_scale, variability_limit
from .solvent import fit_solvent

__all__ = ["run", "run_map"]

BAD_MODEL_MESSAGE = ("the solvent model looks poor (most of the histogram has low confidence): "
                     "modification may be weak or noisy; inspect it with --plot, give a mask with "
                     "--solvent-def, or hedge with --hedge-confidence")


class _Stages:
    """Wall time per stage, progress callbacks and the abort check between stages."""

    def __init__(self, opts: RunOptions):
        self.opts = opts
        self.timings: dict[str, float] = {}
        self.started = 0.0

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.opts.check_abort is not None:
            self.opts.check_abort()
        if self.opts.progress is not None:
            self.opts.progress(name)
        before = self.timings.get(name, 0.0)
        self.started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = before + time.perf_counter() - self.started


def run(input_path: str | os.PathLike, **options: Any) -> RunResult:
    """Run the whole occupy pipeline on one map file; options as :class:`RunOptions`.

    Writes the outputs of SPEC 3 into ``output_dir`` (all or none) and returns a
    :class:`RunResult` with their paths, the derived parameters, the solvent model,
    warnings (also issued with :func:`warnings.warn`) and per-stage wall times.
    Raises :class:`OccupyError` for bad input; nothing is printed unless ``progress``
    is given.
    """
    opts = RunOptions.from_kwargs(**options)
    opts.validate()
    stages = _Stages(opts)
    with stages("read map"):
        m = read_map(input_path, pixel_size=opts.pixel_size)
    return run_map(m, opts, stages)


def _check_output_dir(directory: Path) -> bool:
    """Create ``directory`` if needed and prove it writable; True if this call created it."""
    created = not directory.exists()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OccupyError(f"cannot create output directory {directory}: {exc.strerror or exc}") from exc
    try:  # os.access says yes to root even on read-only mounts: try it
        fd, probe = tempfile.mkstemp(prefix=".occupy-probe-", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        _remove_if_empty(directory, created)
        raise OccupyError(f"output directory is not writable: {directory} ({exc.strerror or exc})") from exc
    return created


def _remove_if_empty(directory: Path, created: bool) -> None:
    if created:
        try:
            directory.rmdir()
        except OSError:
            pass


def _resolve_mode(opts: RunOptions, warnings: list[str]) -> tuple[str, float | None]:
    gamma = opts.gamma
    if (opts.amplify or opts.attenuate) and gamma is None:
        gamma = 2.0
        warn("no --gamma given with --amplify/--attenuate: using --gamma 2", warnings)
    ignored = [name for name, used, needs in (
        ("--gamma", opts.gamma is not None, opts.amplify or opts.attenuate),
        ("--pivot", opts.pivot is not None, opts.sigmoid is not None),
        ("--lowpass-output", opts.lowpass_output is not None, opts.modifying),
        ("--hist-match", opts.hist_match, opts.modifying),
        ("--hedge-confidence", opts.hedge_confidence is not None, opts.modifying or opts.exclude_solvent),
    ) if used and not needs]
    for name in ignored:
        warn(f"{name} has no effect without a modification (--amplify/--attenuate/--sigmoid"
             f"{'/--exclude-solvent' if name == '--hedge-confidence' else ''}); ignored", warnings)
    mode = opts.scale_mode
    if mode == "auto":
        mode = "occ" if opts.modifying else "res"
    return mode, gamma


def _read_mask(opts: RunOptions, m: MapData, work_shape: tuple[int, ...]) -> np.ndarray | None:
    if not opts.solvent_def:
        return None
    mask = read_map(opts.solvent_def, pixel_size=m.voxel_size, allow_constant=True).data
    if mask.shape != m.shape:
        raise OccupyError(f"--solvent-def mask shape {'x'.join(map(str, mask.shape))} does not match "
                          f"the input map shape {'x'.join(map(str, m.shape))}")
    if not np.any(mask > 0.9):
        raise OccupyError(f"--solvent-def mask {opts.solvent_def} has no voxel above 0.9 (all zero?)")
    if tuple(work_shape) != mask.shape:
        mask = fourier_crop(mask, work_shape)
    return mask


def _tile_center_A(m: MapData, center_zyx_vox: tuple[float, float, float],
                   factor: tuple[float, float, float]) -> tuple[float, float, float]:
    """Tile centre in Å in ChimeraX scene coordinates (x, y, z); ``factor`` = input/processing box."""
    z, y, x = (c * f for c, f in zip(center_zyx_vox, factor))
    vx, vy, vz = m.voxel_size_xyz
    if any(m.origin):
        ox, oy, oz = m.origin
    else:
        ox, oy, oz = (m.nstart[0] * vx, m.nstart[1] * vy, m.nstart[2] * vz)
    return (ox + x * vx, oy + y * vy, oz + z * vz)


def run_map(m: MapData, opts: RunOptions, stages: _Stages | None = None) -> RunResult:
    """Run the pipeline on an already-read map (see :func:`run`)."""
    stages = stages or _Stages(opts)
    out_dir = Path(opts.output_dir)
    created = _check_output_dir(out_dir)
    try:
        return _run_checked(m, opts, stages, out_dir)
    except BaseException:
        _remove_if_empty(out_dir, created)
        raise


def _run_checked(m: MapData, opts: RunOptions, stages: _Stages, out_dir: Path) -> RunResult:
    warnings: list[str] = list(m.warnings)
    mode, gamma = _resolve_mode(opts, warnings)
    stem = map_stem(m.path or "map")
    names = aux_names(stem)

    work_shape = processing_shape(m.shape, opts.max_box)
    factor = tuple(s / w for s, w in zip(m.shape, work_shape))
    work_pix = m.voxel_size * max(s / w for s, w in zip(m.shape, work_shape))
    with stages("prepare"):
        work = m.data if tuple(work_shape) == m.shape else fourier_crop(m.data, work_shape)
        mask = _read_mask(opts, m, work_shape)
    with stages("lowpass and scale"):
        est = estimate_scale(work, work_pix, lowpass=opts.lowpass, resolution=opts.resolution,
                             mode=mode, tau=opts.tau, kernel_size=opts.kernel_size,
                             kernel_radius=opts.kernel_radius, tile_size=opts.tile_size,
                             s0=opts.s0, threads=opts.threads)
    warnings.extend(est.params.warnings)  # already issued by derive_parameters
    lpmap = est.lowpassed
    with stages("solvent model"):
        solvent = fit_solvent(lpmap, mask=mask, threads=opts.threads)
    with stages("confidence"):
        curve = confidence_curve(lpmap, solvent, hedge=opts.hedge_confidence, threads=opts.threads)
        if curve.bad_model:
            warn(BAD_MODEL_MESSAGE, warnings)
        need_conf = (opts.modifying or opts.exclude_solvent) and not opts.omit_confidence \
            or opts.save_all_maps
        conf = voxel_confidence(lpmap, curve, threads=opts.threads) if need_conf else None
        var_limit = variability_limit(est.scale, est.scale_input, est.s_full)
    scale = est.scale
    lp_for_output = lpmap if opts.save_all_maps else None
    del lpmap, work
    est.lowpassed = None
    est.scale_input = None
    if tuple(work_shape) != m.shape:
        scale = np.clip(fourier_pad(scale, m.shape), 0.0, 1.0).astype(np.float32)
        if conf is not None:
            conf = np.clip(fourier_pad(conf, m.shape), 0.0, 1.0).astype(np.float32)
        if lp_for_output is not None:
            lp_for_output = fourier_pad(lp_for_output, m.shape)
    conf_used = None if opts.omit_confidence else conf  # None: full confidence (expert option)

    result = RunResult(input_path=Path(m.path or "map"), scale_mode=mode,
                       kernel_size=est.params.kernel_size, kernel_radius=est.params.kernel_radius,
                       n_v=est.params.n_v, tau=est.tau, lowpass=est.params.lowpass, gamma=gamma,
                       s_full=est.s_full,
                       solvent_mean=solvent.mean, solvent_width=solvent.sigma, solvent_edge=solvent.edge,
                       map_threshold=(est.s_full + solvent.edge) / 2.0, scale_threshold=var_limit,
                       bad_solvent_model=bool(curve.bad_model), warnings=warnings)
    if est.tile is not None:
        result.tile_center_A = _tile_center_A(m, est.tile.tile_center, factor)

    modified: dict[str, tuple[str, np.ndarray]] = {}
    factors: dict[str, np.ndarray] = {}
    with stages("modification"):
        kinds = [k for k, on in (("amplify", opts.amplify), ("attenuate", opts.attenuate),
                                 ("sigmoid", opts.sigmoid is not None)) if on]
        for kind in kinds:
            out, fac = modify(m.data, scale, conf_used, solvent, mode=kind, gamma=gamma,
                              sigmoid=opts.sigmoid, pivot=opts.pivot, scale_limit=opts.scale_limit,
                              exclude_solvent=opts.exclude_solvent, lowpass_output=opts.lowpass_output,
                              voxel_size=m.voxel_size, hist_match=opts.hist_match, seed=opts.seed,
                              threads=opts.threads, return_factor=opts.save_all_maps and not factors)
            name = modified_name(stem, kind, gamma, sigmoid=opts.sigmoid, pivot=opts.pivot,
                                 exclude_solvent=opts.exclude_solvent)
            modified[kind] = (name, out)
            if opts.save_all_maps and not factors:
                factors[kind] = fac  # only the first factor map is written
            del fac
        if opts.exclude_solvent and not kinds:
            flat = m.data.copy() if conf_used is None else flatten_solvent(m.data, conf_used)
            modified["exclude_solvent"] = (exclude_name(stem), flat)

    with stages("write outputs"):
        _write_outputs(m, opts, result, stem, names, scale, conf, lp_for_output, modified, factors,
                       solvent, curve, est, gamma, out_dir, stages)
    result.timings = dict(stages.timings)
    if opts.keep_arrays:
        result.arrays = {"scale": scale, "confidence": conf,
                         **{kind: arr for kind, (_, arr) in modified.items()}}
    return result


def _write_outputs(m, opts, result, stem, names, scale, conf, lp_for_output, modified, factors,
                   solvent, curve, est, gamma, out_dir, stages) -> None:
    label = f"occupy {__version__}"
    with OutputSet(out_dir) as out:
        scale_path = out.write_map(scale_name(stem, result.scale_mode, opts.s0), scale, like=m,
                                   label=f"{label}: local scale ({result.scale_mode})")
        result.output_paths["scale"] = scale_path
        for kind, (name, arr) in modified.items():
            result.output_paths[kind] = out.write_map(name, arr, like=m, label=f"{label}: {kind}")
        if opts.save_all_maps:
            if lp_for_output is not None:
                result.output_paths["lowpass"] = out.write_map(names["lowpass"], lp_for_output, like=m,
                                                               label=f"{label}: lowpassed input")
            if conf is not None:
                result.output_paths["confidence"] = out.write_map(names["confidence"], conf, like=m,
                                                                  label=f"{label}: solvent confidence")
            if factors:
                kind = next(iter(factors))
                result.output_paths["modification"] = out.write_map(
                    names["modification"], factors[kind], like=m, label=f"{label}: {kind} factor")
        if opts.plot:
            _write_plots(out, names, m, opts, result, scale, solvent, curve, gamma)
        if opts.chimerax:
            script = chimerax_script(
                script_dir=out_dir, input_path=Path(m.path or "map"), scale_path=scale_path,
                output_paths=[result.output_paths[k] for k in modified],
                map_threshold=result.map_threshold, scale_threshold=result.scale_threshold,
                min_vis_scale=opts.min_vis_scale, tile_center_A=result.tile_center_A,
                tile_radius_A=max(1.0, (est.tile.tile_shape[0] if est.tile else 1) * est.voxel_size / 2),
                warning="solvent model may be poor - see the log" if result.bad_solvent_model else None,
                version=__version__)
            result.output_paths["chimerax"] = out.write_text(names["chimerax"], script)
        # The log is the last file: it reports the write time up to this point.
        result.timings = dict(stages.timings, **{"write outputs": time.perf_counter() - stages.started})
        result.output_paths["log"] = out.write_text(names["log"], _log_text(m, opts, result, est, solvent, curve, gamma))


def _write_plots(out, names, m, opts, result, scale, solvent, curve, gamma) -> None:
    from . import plots
    plots.plot_solvent_model(out.stage(names["plot_solvent"]), **curve.plot_data(solvent),
                             solvent_edge=solvent.edge, s_full=result.s_full,
                             title=f"solvent model: {map_stem(m.path or 'map')}")
    result.output_paths["plot_solvent"] = out.final_paths[-1]
    if opts.modifying:
        used = {"amplify": gamma if opts.amplify else None, "attenuate": gamma if opts.attenuate else None,
                "sigmoid": (opts.sigmoid, opts.pivot) if opts.sigmoid is not None else None,
                "scale_limit": opts.scale_limit}
        plots.plot_modification(out.stage(names["plot_modification"]), used=used)
        result.output_paths["plot_modification"] = out.final_paths[-1]
    plots.plot_scale_slices(out.stage(names["plot_slices"]), data=m.data, scale=scale, threshold=result.solvent_edge,
                            min_vis_scale=opts.min_vis_scale, title=f"local scale: {map_stem(m.path or 'map')}")
    result.output_paths["plot_slices"] = out.final_paths[-1]


def _api_call(m: MapData, opts: RunOptions) -> str:
    """How a Python caller ran us, for the log: ``occupy.run('map.mrc', gamma=4, ...)``."""
    default = RunOptions()
    skip = {"command_line", "keep_arrays", "progress", "check_abort"}
    changed = [f"{f.name}={getattr(opts, f.name)!r}" for f in dataclasses.fields(RunOptions)
               if f.name not in skip and getattr(opts, f.name) != getattr(default, f.name)]
    return f"occupy.run({', '.join([repr(m.path), *changed])})"


def _log_text(m, opts, result, est, solvent, curve, gamma) -> str:
    p = est.params
    tile = est.tile
    cmd = opts.command_line or _api_call(m, opts)
    sections = [
        ("run", [("occupy version", __version__), ("command line", cmd), ("input", m.path),
                 ("box (z, y, x)", tuple(m.shape)), ("voxel size (A)", m.voxel_size),
                 ("processing box", tuple(est.scale.shape) if est.scale is not None else tuple(m.shape)),
                 ("processing voxel (A)", est.voxel_size)]),
        ("parameters", [("lowpass (A)", p.lowpass), ("kernel size", p.kernel_size),
                        ("kernel radius (voxels)", p.kernel_radius), ("n_v", p.n_v), ("tau", est.tau),
                        ("recommended tau", p.tau_recommended), ("scale mode", result.scale_mode),
                        ("scale limit", opts.scale_limit), ("gamma", gamma if gamma is not None else "-"),
                        ("hedge confidence", opts.hedge_confidence or "-"), ("seed", opts.seed),
                        ("threads", opts.threads or "auto")]),
        ("full scale", [("s_full", result.s_full),
                        ("tile index (i, j, l)", tile.tile_index if tile else "- (--s0)"),
                        ("tile start (z, y, x voxels)", tile.tile_start if tile else "-"),
                        ("tile size (voxels)", tile.tile_shape if tile else "-"),
                        ("tile centre (x, y, z A)", result.tile_center_A or "-")]),
        ("solvent model", [("solvent peak", solvent.peak), ("solvent mean", solvent.mean),
                           ("solvent width (sigma)", solvent.sigma), ("solvent edge", solvent.edge),
                           ("content > 99% above", solvent.content_99),
                           ("bad model", result.bad_solvent_model)]),
        ("visualisation", [("map threshold", result.map_threshold),
                           ("variability limit (scale threshold)", result.scale_threshold),
                           ("confidence limit", curve.limit)]),
        ("outputs", [(role, str(Path(p_).name)) for role, p_ in result.output_paths.items()]),
    ]
    return format_log(sections, result.warnings, result.timings)
