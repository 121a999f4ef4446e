"""What the ``occupy`` command does once its options are parsed."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import rich_click as click
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from .errors import OccupyError, OccupyWarning
from .options import RunResult

__all__ = ["execute"]

_NOT_RUN_OPTIONS = {"input_map", "emdb", "demo", "quiet", "verbose", "show_chimerax", "lp_scale", "raw_scale"}


def _scale_mode(kw: dict[str, Any]) -> str:
    if kw["lp_scale"] and kw["raw_scale"]:
        raise click.UsageError("--lp-scale/--occupancy and --raw-scale contradict each other")
    return "occ" if kw["lp_scale"] else "res" if kw["raw_scale"] else "auto"


def execute(kw: dict[str, Any]) -> RunResult:
    """Run one CLI invocation from parsed options; raises OccupyError/UsageError on failure."""
    sources = [name for name in ("input_map", "emdb", "demo") if kw.get(name)]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of -i/--input-map MAP, --emdb ID or --demo"
                               if sources else "no input: give -i/--input-map MAP, --emdb ID or --demo")
    if kw["sigmoid"] is not None and kw["pivot"] is None:
        raise click.UsageError("--sigmoid G needs --pivot P (the scale it leaves unchanged, 0 < P < 1)")
    quiet, verbose = kw["quiet"], kw["verbose"]
    err = Console(stderr=True, highlight=False, soft_wrap=True, quiet=quiet)
    out = Console(highlight=False, soft_wrap=True, quiet=quiet)
    options = {k: v for k, v in kw.items() if k not in _NOT_RUN_OPTIONS}
    options["scale_mode"] = _scale_mode(kw)
    options["command_line"] = "occupy " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    out_dir = Path(kw["output_dir"])

    demo = None
    if kw["demo"]:
        from .demo import make_demo_map
        from .io import MapData, write_map
        out_dir.mkdir(parents=True, exist_ok=True)
        demo = make_demo_map(seed=kw["seed"])
        input_path = out_dir / "occupy_demo.mrc"
        write_map(input_path, demo.data, like=MapData(data=demo.data, voxel_size=demo.voxel_size,
                                                        voxel_size_xyz=(demo.voxel_size,) * 3),
                  label="occupy demo: synthetic domains at occupancy " +
                        "/".join(f"{o:g}" for o in demo.occupancies))
        options["keep_arrays"] = True
        err.print(f"demo map written to {input_path}")
    elif kw["emdb"]:
        from .emdb import fetch_emdb
        input_path = fetch_emdb(kw["emdb"], out_dir, progress=not quiet)
    else:
        input_path = Path(kw["input_map"])

    from .pipeline import run
    with err.status("occupy: starting", spinner="dots") as status, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OccupyWarning)

        def progress(stage: str) -> None:
            status.update(f"occupy: {stage}")
            if verbose:
                err.print(f"  stage: {stage}")

        result = run(input_path, progress=progress, **options)
    for msg in result.warnings:
        if "solvent model looks poor" in msg:
            Console(stderr=True, quiet=quiet).print(
                Panel(msg, title="WARNING", border_style="bold red", style="bold"))
        else:
            err.print(f"warning: {msg}", markup=False)
    del caught
    if verbose:
        err.print(result.output_paths["log"].read_text(), markup=False)
    _summary(out, result)
    if demo is not None:
        _demo_table(out, demo, result)
    if kw["show_chimerax"]:
        _show_chimerax(err, result)
    return result


def _summary(out: Console, r: RunResult) -> None:
    out.print(f"[bold]{r.input_path.name}[/]: {r.scale_mode} scale, s_full = {r.s_full:.4g}, "
              f"solvent edge = {r.solvent_edge:.4g}, tau = {r.tau:.4g}, n_v = {r.n_v}, "
              f"{sum(r.timings.values()):.2f} s")
    for role, p in r.output_paths.items():
        out.print(f"  wrote {p}", markup=False)


def _demo_table(out: Console, demo, r: RunResult) -> None:
    from .demo import domain_table
    modified = {k: v for k, v in r.arrays.items() if k in ("amplify", "attenuate", "sigmoid", "exclude_solvent")}
    rows = domain_table(demo, r.arrays["scale"], modified)
    ideal = {"amplify": lambda o: o ** (1 / r.gamma), "attenuate": lambda o: o ** r.gamma}
    caption = "rel. = scale relative to domain 1"
    if modified:
        caption += "; modified maps: domain mean density relative to domain 1's"
    if r.gamma is not None and any(name in ideal for name in modified):
        caption += f"; ideal = occ^(1/g) (amplify) or occ^g (attenuate), g = {r.gamma:g}"
    if r.scale_mode == "res":
        caption += "; add --occupancy for the lowpassed (occupancy-like) scale"
    t = Table(title=f"demo: true occupancy vs estimated {r.scale_mode} scale (median per domain)",
              caption=caption)
    t.add_column("domain")
    t.add_column("true occ", justify="right")
    t.add_column("scale", justify="right")
    t.add_column("rel.", justify="right")
    for name in modified:
        t.add_column(name, justify="right")
        if name in ideal:
            t.add_column("ideal", justify="right")
    full = rows[0]["scale"]
    for row in rows:
        cells = [str(row["domain"]), f"{row['true']:.2f}", f"{row['scale']:.2f}", f"{row['scale'] / full:.2f}"]
        for name in modified:
            cells.append(f"{row[name]:.2f}")
            if name in ideal:
                cells.append(f"{ideal[name](row['true']):.2f}")
        t.add_row(*cells)
    out.print(t)


def _show_chimerax(err: Console, r: RunResult) -> None:
    script = r.output_paths.get("chimerax")
    if script is None:
        err.print("--show-chimerax: no ChimeraX script was written (--no-chimerax)")
        return
    exe = os.environ.get("CHIMERAX") or shutil.which("chimerax") or shutil.which("ChimeraX")
    if not exe:
        err.print(f"ChimeraX not found (install it or set CHIMERAX=/path/to/chimerax); open the results "
                  f"with: chimerax {shlex.quote(str(script))}", markup=False)
        return
    subprocess.Popen([exe, str(script)], cwd=script.parent, start_new_session=True)
    err.print(f"started {exe} {script}", markup=False)
