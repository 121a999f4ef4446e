"""The run log ``log_<stem>.txt``: every parameter and number a user may need later."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..constants import OCC_KERNEL_SIGMAS
from ..options import option_table

if TYPE_CHECKING:  # pragma: no cover - types only
    from ..io.mrcdata import MapData
    from ..options import RunOptions
    from ..results import RunResult
    from ..stages.confidence import ConfidenceCurve
    from ..stages.scale import ScaleResult
    from ..stages.solvent import SolventModel

__all__ = ["api_call", "format_log", "log_text"]

Sections = list[tuple[str, list[tuple[str, Any]]]]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, tuple):
        return " x ".join(_fmt(x) for x in v) if all(isinstance(x, int) for x in v) \
            else "(" + ", ".join(_fmt(x) for x in v) + ")"
    return str(v)


def format_log(sections: Sections, warnings: list[str], timings: dict[str, float]) -> str:
    """Render titled sections of (name, value) rows, the warnings and per-stage wall times.

    Values are left-aligned in one column, two characters right of the longest row name
    of ``sections`` (stage names are not measured); floats get 6 significant digits and
    tuples of ints are written ``2 x 2 x 2``.

    Parameters
    ----------
    sections : list of (str, list of (str, object))
        Section title and its (name, value) rows, in order.
    warnings : list of str
        The run's warnings (``none`` when empty).
    timings : dict of str to float
        Wall time (s) per stage, in order; a total is added.

    Returns
    -------
    str
        The log text, ending with a newline.

    Examples
    --------
    >>> print(format_log([("run", [("box", (2, 2, 2))])], [], {"read map": 0.5}), end="")
    [run]
      box       2 x 2 x 2
    <BLANKLINE>
    [warnings]
      none
    <BLANKLINE>
    [wall time, s]
      read map  0.500
      total     0.500
    """
    out: list[str] = []
    width = max((len(k) for k in [*(k for _, rows in sections for k, _ in rows), *timings]), default=10) + 2
    for title, rows in sections:
        out.append(f"[{title}]")
        out += [f"  {k:<{width}}{_fmt(v)}" for k, v in rows]
        out.append("")
    out.append("[warnings]")
    out += [f"  - {w}" for w in warnings] or ["  none"]
    out.append("")
    out.append("[wall time, s]")
    out += [f"  {k:<{width}}{v:.3f}" for k, v in timings.items()]
    out.append(f"  {'total':<{width}}{sum(timings.values()):.3f}")
    return "\n".join(out) + "\n"


def api_call(path: str | None, opts: "RunOptions") -> str:
    """Spell out the ``occupy.run`` call that a Python caller made, for the log.

    Parameters
    ----------
    path : str or None
        The input map's path.
    opts : RunOptions
        The run's options; only those differing from their defaults are shown.

    Returns
    -------
    str
        E.g. ``occupy.run('map.mrc', amplify=True, gamma=4)``.

    Examples
    --------
    >>> from occupy.options import RunOptions
    >>> api_call("map.mrc", RunOptions(amplify=True, gamma=4))
    "occupy.run('map.mrc', amplify=True, gamma=4)"
    """
    changed = [f"{opt.name}={getattr(opts, opt.name)!r}" for opt in option_table()
               if getattr(opts, opt.name) != opt.default]
    return f"occupy.run({', '.join([repr(path), *changed])})"


def log_text(m: "MapData", opts: "RunOptions", result: "RunResult", est: "ScaleResult",
             solvent: "SolventModel", curve: "ConfidenceCurve") -> str:
    """Compose the whole log of a run: its parameters and numbers, warnings and wall times.

    Parameters
    ----------
    m : MapData
        The input map.
    opts : RunOptions
        The run's options.
    result : RunResult
        The run's result so far (paths, thresholds, warnings, timings).
    est : ScaleResult
        The scale estimate (derived parameters, full-scale tile).
    solvent : SolventModel
        The fitted solvent model.
    curve : ConfidenceCurve
        The confidence curve (its confidence limit is logged).

    Returns
    -------
    str
        The text of ``log_<stem>.txt``.
    """
    return format_log(_sections(m, opts, result, est, solvent, curve), result.warnings,
                      result.timings)


def _sections(m, opts, result, est, solvent, curve) -> Sections:
    """The log's rows; each name says its unit: Å, voxels, map value (the map's own units) or scale."""
    p, tile = est.params, est.tile
    occ_filter = [] if result.scale_mode != "occ" else [(
        "occ filter", f"gaussian, sigma {p.sigma:.6g} A (kernel as for a {OCC_KERNEL_SIGMAS:g} sigma lowpass)"
        if p.sigma is not None else "lowpass (hard, as the original OccuPy)")]
    return [
        ("run", [("occupy version", __version__), ("command line", opts.command_line or api_call(m.path, opts)),
                 ("input", m.path), ("box (z, y, x voxels)", tuple(m.shape)), ("voxel size (A)", m.voxel_size),
                 ("processing box (z, y, x voxels)", tuple(est.scale.shape) if est.scale is not None
                  else tuple(m.shape)),
                 ("processing voxel size (A)", est.voxel_size)]),
        ("parameters", [("lowpass (A)", p.lowpass), ("kernel size (voxels)", p.kernel_size),
                        ("kernel radius (voxels)", p.kernel_radius), ("n_v (voxels in the kernel)", p.n_v),
                        ("tau", est.tau), ("recommended tau", p.tau_recommended), ("scale mode", result.scale_mode),
                        *occ_filter,
                        ("scale limit (scale)", opts.scale_limit),
                        ("gamma", result.gamma if result.gamma is not None else "-"),
                        ("hedge confidence", opts.hedge_confidence or "-"), ("seed", opts.seed),
                        ("threads", opts.threads or "auto")]),
        ("full scale", [("s_full (map value)", result.s_full),
                        ("tile index (i, j, l)", tile.tile_index if tile else "- (--s0)"),
                        ("tile start (z, y, x voxels)", tile.tile_start if tile else "-"),
                        ("tile size (voxels)", tile.tile_shape if tile else "-"),
                        ("tile centre (x, y, z A)", result.tile_center_A or "-")]),
        ("solvent model", [("solvent histogram mode (map value)", solvent.peak),
                           ("solvent mean, fitted (map value)", solvent.mean),
                           ("solvent width, fitted sigma (map value)", solvent.sigma),
                           ("solvent edge (map value)", solvent.edge),
                           ("non-solvent >= 99% of density from (map value)", solvent.content_99),
                           ("bad solvent model", result.bad_solvent_model),
                           ("partial occupancy (fraction of non-solvent voxels with scale < 0.5)",
                            result.partial_fraction)]),
        ("visualisation", [("map threshold (map value)", result.map_threshold),
                           ("variability limit (scale threshold, scale)", result.scale_threshold),
                           ("confidence > 0.5 from (map value)", curve.limit),
                           ("confidence > 0.5 from (relative to s_full)", curve.limit / result.s_full)]),
        ("outputs", [(role, str(Path(path).name)) for role, path in result.output_paths.items()]),
    ]
