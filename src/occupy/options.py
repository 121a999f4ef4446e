"""Every setting of a run, declared once: name, default, range, help and front ends.

Each user-settable field of ``RunOptions`` carries an ``occupy.optionspec.Option``
(spelling, accepted values, help); the ``occupy``/``occupy-batch`` options, the RELION job's
parameters and the documentation's options page are generated from them. ``check_option``
is the one validation of a value wherever it enters (CLI, RELION, ``occupy.run``, arrays).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

from .constants import (
    MAP_EXTENSIONS,
    MIN_VIS_SCALE,
)
from .errors import OptionError
from .option_fields import _OUT, _RUN, ANGSTROM, SOFT_EDGE_DEFAULT, SUBTRACT_BELOW_DEFAULT, _MapOptions, _option
from .optionspec import FRONT_ENDS, Option, Switch, check_value

__all__ = ["ANGSTROM", "SOFT_EDGE_DEFAULT", "SUBTRACT_BELOW_DEFAULT", "RunOptions", "check_option", "option_table",
           "parse_slices"]


@dataclass
class RunOptions(_MapOptions):
    """Every setting of a run of ``occupy.run``; names match the long CLI options.

    Defaults, ranges and longer help: the generated options page and ``occupy --help-all``.

    Parameters
    ----------
    resolution, lowpass : float, optional
        Nominal resolution and lowpass (Å) before solvent modelling and scale; if both, the larger.
    solvent_def : str or os.PathLike, optional
        Mask (> 0.9 = inside) of the input's voxel size, placed on its grid by the headers' origins;
        used to pick the solvent sample.
    pixel_size : float, optional
        Voxel size (Å) replacing the header's.
    amplify, attenuate : bool
        Amplify confident partial occupancy; attenuate partial occupancy.
    gamma : float, optional
        Strength of amplify/attenuate, 1 to 1000 (2 when they are asked for without it).
    exclude_solvent : bool
        Flatten solvent in the outputs.
    sigmoid, pivot : float, optional
        Power of the sigmoid modification, and the scale it leaves unchanged (0..1).
    hedge_confidence : float, optional
        Power (>= 1) the solvent confidence is raised to.
    scale_limit : float
        Voxels at or below this scale are never modified.
    lowpass_output : float, optional
        Lowpass (Å) of the modified maps.
    hist_match, omit_confidence : bool
        Match the outputs' histogram to the input's (not clip); ignore the solvent model (expert).
    seed : int
        Seed of the synthetic solvent noise added by attenuation.
    tau : float, optional
        Percentile of the full-scale tile, in (0, 1]; derived when None.
    kernel_size : int, optional
        Kernel box size, odd, 3 to 31; derived when None.
    kernel_radius : float, optional
        Kernel radius (voxels); derived when None.
    tile_size : int, optional
        Side (voxels) of the full-scale search tiles; derived when None.
    scale_mode : {"auto", "occ", "res"}
        Estimate on the smoothed (``occ``, see ``occ_filter``) or raw (``res``) map; ``auto``: occ when
        modifying.
    occ_filter : {"gaussian", "lowpass"}
        The filter in front of the occ-mode scale: a Gaussian (default) or the original's hard lowpass.
    s0 : bool
        Naive full scale (tau x map maximum) instead of the tile search.
    max_box : int
        Downsample larger maps to this box first (0 = never).
    output_dir : str or os.PathLike
        Directory for the outputs, created if missing.
    plot, chimerax : bool
        Write PNG plots of the solvent model and scale (drawn with Pillow, installed with matplotlib); the
        ChimeraX script.
    min_vis_scale : float
        Lowest scale on the colour key.
    save_solvent_def, solvent_def_scale : bool, float
        Write the binary solvent definition from the scale; the scale from which it counts as not
        solvent (None: the run's lowest confident scale). A threshold given implies the file.
    subtraction_mask, subtract_scale_below, mask_soft_edge : bool, float, float
        Write RELION's soft mask of the signal to keep for particle subtraction; parts of lower scale
        are left out (None: 0.5); the width (Å) of its raised-cosine edge (None: 6). Either setting
        given implies the file.
    save_all_maps : bool
        Also write the lowpassed, confidence and modification-factor maps.
    report : bool
        Write ``report_<stem>.html``, one self-contained page of the run's numbers, warnings and pictures.
    slices : str
        Where the report and plots cut the maps: ``com``, ``tile``, ``centre`` or ``AXIS:N``, comma-separated.
    json : str, optional
        Also write the run's summary row as JSON to this path. ``-`` writes no file but
        standard output (``occupy.outputs.summary_table.result_json``), when the outputs
        are published and before any of them is: if it cannot be written, none is.
    threads : int, optional
        Thread count (default: ``OMP_NUM_THREADS`` or all cores).
    command_line : str, optional
        Embedding only: text recorded in the log as the command line.
    keep_arrays : bool
        Embedding only: return the arrays in ``RunResult.arrays``.
    progress, check_abort : callable, optional
        Embedding only: called with each stage's name as it starts; called between stages
        (raising from it stops the run and nothing is written).
    output_set : OutputSet, optional
        Embedding only: stage the outputs in this transaction, which its owner commits.

    Examples
    --------
    >>> opts = RunOptions.from_kwargs(amplify=True, gamma=4)
    >>> opts.validate()
    >>> opts.scale_limit, opts.modifying
    (0.05, True)
    """

    # output
    output_dir: str = _option(
        ".", "-o", "--output-dir", kind=str, panel=_OUT, everyday=True, metavar="DIR",
        refuse_suffixes=MAP_EXTENSIONS, hint="-o names the output directory, and the outputs are named after "
        "the input (scale_res_<stem>.mrc, ...); the original program's -o named the output map",
        front_ends=FRONT_ENDS - {"occupy-relion"},
        help="Directory for the outputs.",
        details="Created if missing. Default: the current directory.")
    plot: bool = _option(
        False, "--plot", kind=bool, panel=_OUT, everyday=True,
        help="Write PNG plots of the solvent model and scale.",
        details="solModel_, modification_ (when modifying) and scale_slices_<stem>.png (slices through "
                "--slices, axes in Å; drawn with Pillow, which comes with matplotlib).")
    chimerax: bool = _option(
        True, kind=bool, panel=_OUT, help="Write the ChimeraX script (default) or not.",
        switches=(Switch(("--chimerax",), True, "Write the ChimeraX script (the default).",
                         "chimX_<stem>.cxc colours every map by scale and defines scale_color and occupy_level."),
                  Switch(("--no-chimerax",), False, "Do not write the ChimeraX script.")))
    min_vis_scale: float = _option(
        MIN_VIS_SCALE, "--min-vis-scale", kind=float, panel=_OUT, low=0, high=1, high_open=True,
        help="Lowest scale on the colour key.",
        details="Scale values below this get the bottom colour.")
    save_solvent_def: bool = _option(
        False, "--save-solvent-def", kind=bool, panel=_OUT,
        help="Write solventDef_<stem>.mrc: 1 where the scale says not solvent.",
        details="A binary mask on the input's grid (box, voxel size, origin, even with --max-box): 1 where the "
                "scale is at least --solvent-def-scale, else 0 (algorithm.md §14). Give it back as --solvent-def.")
    solvent_def_scale: float | None = _option(
        None, "--solvent-def-scale", kind=float, panel=_OUT, metavar="S", low=0, high=1, low_open=True,
        high_open=True, help="Scale from which --save-solvent-def counts a voxel as not solvent.",
        details="Default: the run's lowest confident scale (the lowpassed value from which confidence exceeds "
                "0.5, over the lowpassed map's full scale; algorithm.md §14.1). Implies --save-solvent-def.")
    subtraction_mask: bool = _option(
        False, "--subtraction-mask", kind=bool, panel=_OUT,
        help="Write subtractionMask_<stem>.mrc for RELION particle subtraction.",
        details="RELION's mask of the signal to keep, on the input's grid: 1 over the density of scale at least "
                "--subtract-scale-below, a raised-cosine edge --mask-soft-edge Å wide outside it, 0 elsewhere; "
                "particle subtraction then removes solvent and the parts of lower scale (algorithm.md §14.2).")
    subtract_scale_below: float | None = _option(
        None, "--subtract-scale-below", kind=float, panel=_OUT, metavar="S", low=0, high=1, low_open=True,
        high_open=True, help="Subtraction mask: leave out (RELION subtracts) parts of scale below S.",
        details=f"Default {SUBTRACT_BELOW_DEFAULT:g}. Implies --subtraction-mask.")
    mask_soft_edge: float | None = _option(
        None, "--mask-soft-edge", kind=float, panel=_OUT, metavar=ANGSTROM, low=0,
        help="Width (Å) of the subtraction mask's soft edge.",
        details=f"Default {SOFT_EDGE_DEFAULT:g} Å; 0 gives a hard edge. Implies --subtraction-mask.")
    save_all_maps: bool = _option(
        False, "--save-all-maps", kind=bool, panel=_OUT,
        help="Also write lowpass, confidence, factor maps.",
        details="lowpass_<stem>.mrc, conf_<stem>.mrc and modification_<stem>.mrc.")
    report: bool = _option(
        False, "--report", kind=bool, panel=_OUT, everyday=True,
        help="Write report_<stem>.html: numbers, warnings, slices, plots.",
        details="One self-contained HTML file (images inlined, no network; it opens from a copy of the output "
                "folder): the run's numbers, options and command line, each warning with what it means and "
                "what to try, slices of the input, scale and modified maps (--slices), the scale histogram, "
                "solvent model, modification curve and a slice browser. A classification or batch also gets "
                "report_classes.html / report_batch.html with every map's numbers.")
    slices: str = _option(
        "com,tile", "--slices", kind=str, panel=_OUT, metavar="SPEC",
        help="Slices of the report and plots, e.g. com,tile or z:120,x:64.",
        details="Comma-separated: com (z, y and x slices through the centre of mass of the non-solvent "
                "density), tile (through the tile that set the full scale), centre (the box centre), or "
                "AXIS:N, one slice of axis x, y or z at voxel index N (from 0). Default com,tile.")
    json: str | None = _option(
        None, "--json", kind=str, panel=_OUT, metavar="PATH|-", new_file=True, front_ends=frozenset({"occupy"}),
        help="Write the run's numbers as JSON to PATH (- for stdout).",
        details="The fields of the occupy-batch summary table: map, s_full, solvent mean and width, fraction "
                "of non-solvent voxels with scale < 0.5, warnings, seconds, status (class fields null). "
                "With -, the human-readable summary goes to stderr.")
    # run
    threads: int | None = _option(
        None, "-j", "--threads", kind=int, panel=_RUN, everyday=True, metavar="N", low=1,
        help="Threads (default: OMP_NUM_THREADS or all cores).",
        details="Results are identical for any thread count.")
    # embedding only (no command-line spelling)
    command_line: str | None = None
    keep_arrays: bool = False
    progress: Callable[[str], None] | None = None
    check_abort: Callable[[], None] | None = None
    output_set: Any = None

    @property
    def modifying(self) -> bool:
        """Whether a modified map is asked for (amplify, attenuate or sigmoid).

        Returns
        -------
        bool
            True with ``amplify``, ``attenuate`` or ``sigmoid``.
        """
        return self.amplify or self.attenuate or self.sigmoid is not None

    @property
    def writes_solvent_def(self) -> bool:
        """Whether the solvent definition is written (``--save-solvent-def`` or its threshold given).

        Returns
        -------
        bool
            True with ``save_solvent_def`` or ``solvent_def_scale``.
        """
        return self.save_solvent_def or self.solvent_def_scale is not None

    @property
    def writes_subtraction_mask(self) -> bool:
        """Whether the subtraction mask is written (``--subtraction-mask`` or one of its settings given).

        Returns
        -------
        bool
            True with ``subtraction_mask``, ``subtract_scale_below`` or ``mask_soft_edge``.
        """
        return self.subtraction_mask or self.subtract_scale_below is not None or self.mask_soft_edge is not None

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> "RunOptions":
        """Make options from keyword arguments (unchecked: see ``validate``).

        Parameters
        ----------
        **kwargs : Any
            Field values by field name.

        Returns
        -------
        RunOptions
            The options, other fields at their defaults.

        Raises
        ------
        TypeError
            Naming every unknown option.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(unknown)}")
        return cls(**kwargs)

    def validate(self) -> None:
        """Check every value and the combinations of values.

        Raises
        ------
        OptionError
            For the first bad value, or ``sigmoid`` without ``pivot``.
        """
        for opt in option_table():
            check_option(opt.name, getattr(self, opt.name))
        if self.sigmoid is not None and self.pivot is None:
            raise OptionError("--sigmoid G needs --pivot P (the scale it leaves unchanged, 0 < P < 1)")
        parse_slices(self.slices)


def option_table() -> tuple[Option, ...]:
    """Give the declaration of every user-settable ``RunOptions`` field.

    Returns
    -------
    tuple of Option
        One per field, in declaration order, with ``name`` and ``default`` filled in.
    """
    return _TABLE


def _build_table() -> tuple[Option, ...]:
    return tuple(dataclasses.replace(f.metadata["option"], name=f.name, default=f.default)
                 for f in dataclasses.fields(RunOptions) if "option" in f.metadata)


_TABLE = _build_table()
_BY_NAME = {opt.name: opt for opt in _TABLE}


def check_option(name: str, value: Any) -> Any:
    """Validate one value of an option; return it unchanged.

    Parameters
    ----------
    name : str
        A user-settable ``RunOptions`` field, e.g. ``"kernel_size"`` (else KeyError).
    value : object
        The value to check; None passes where the default is None.

    Returns
    -------
    object
        ``value`` itself.

    Raises
    ------
    OptionError
        With the message every front end shows.

    Examples
    --------
    >>> check_option("kernel_size", 7)
    7
    >>> check_option("kernel_size", 6)
    Traceback (most recent call last):
    ...
    occupy.errors.OptionError: --kernel-size must be odd, got 6
    """
    return check_value(_BY_NAME[name], value)


SLICE_POINTS = ("com", "tile", "centre")


def parse_slices(spec: str) -> list[str | tuple[str, int]]:
    """Read a ``--slices`` value: points (three slices each) and single slices.

    Parameters
    ----------
    spec : str
        Comma-separated items: ``com``, ``tile``, ``centre`` (or ``center``), or ``AXIS:N``
        with AXIS one of x, y, z and N a voxel index (from 0).

    Returns
    -------
    list of str or (str, int)
        Point names and ``(axis, index)`` pairs, in order.

    Raises
    ------
    OptionError
        For an empty or unknown item.

    Examples
    --------
    >>> parse_slices("com, z:120")
    ['com', ('z', 120)]
    """
    items: list[str | tuple[str, int]] = []
    for raw in str(spec).split(","):
        item = raw.strip().lower()
        item = "centre" if item == "center" else item
        axis, _, index = item.partition(":")
        if item in SLICE_POINTS:
            items.append(item)
        elif axis in ("x", "y", "z") and index.isdigit():
            items.append((axis, int(index)))
        else:
            raise OptionError(f"--slices: cannot read {raw.strip()!r}: give com, tile, centre or AXIS:N "
                              "(e.g. --slices com,z:120)")
    return items
