"""Output file names: an interface users and scripts depend on (usage.md)."""
from __future__ import annotations

import os
import re
from pathlib import Path

from typing import TYPE_CHECKING

from ..constants import GAMMA_DEFAULT, MAP_EXTENSIONS
from ..errors import OccupyError

if TYPE_CHECKING:  # pragma: no cover - types only
    from ..options import RunOptions

# the names the functions below give output maps (scale, modified, solvent-flattened, --save-all-maps)
_OUTPUT_MAP = re.compile(r"(?:scale_(?:res|occ|naive)|solExcl|lowpass|conf|modification|solventDef|subtractionMask"
                         r"|(?:ampl|attn)_\d+\.\d|sigm_\d+\.\d-\d+\.\d\d)(?:_solExcl)?_.+\.mrc")

__all__ = ["MAP_EXTENSIONS", "aux_names", "check_names_fit", "exclude_name", "is_output_name", "map_stem",
           "modified_name", "run_names", "scale_name"]




def map_stem(path: str | Path) -> str:
    """Make the stem of a run's output names: the input file name without its extension(s).

    Each of ``MAP_EXTENSIONS`` is stripped at most once, case-insensitively, ``.gz`` first.

    Parameters
    ----------
    path : str or pathlib.Path
        The input map's path; only its last component is used.

    Returns
    -------
    str
        The stem.

    Examples
    --------
    >>> map_stem("data/emd_1.map.gz")
    'emd_1'
    """
    name = Path(path).name
    for ext in MAP_EXTENSIONS:
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
    return name


def scale_name(stem: str, mode: str, s0: bool = False) -> str:
    """Name of the scale map.

    Parameters
    ----------
    stem : str
        The input's stem (``map_stem``).
    mode : str
        The scale mode, ``"res"`` or ``"occ"``.
    s0 : bool, optional
        The naive full scale (``--s0``) was used; then ``mode`` does not matter.

    Returns
    -------
    str
        ``scale_res_<stem>.mrc``, ``scale_occ_<stem>.mrc`` or ``scale_naive_<stem>.mrc``.
    """
    kind = "naive" if s0 else mode
    return f"scale_{kind}_{stem}.mrc"


def modified_name(stem: str, kind: str, gamma: float | None = None, *, sigmoid: float | None = None,
                  pivot: float | None = None, exclude_solvent: bool = False) -> str:
    """Name of a modified map.

    Parameters
    ----------
    stem : str
        The input's stem (``map_stem``).
    kind : {"amplify", "attenuate", "sigmoid"}
        The modification.
    gamma : float, optional
        The gamma of amplify/attenuate (written with one decimal).
    sigmoid : float, optional
        The sigmoid power (with ``kind="sigmoid"``; one decimal).
    pivot : float, optional
        The sigmoid pivot (with ``kind="sigmoid"``; two decimals).
    exclude_solvent : bool, optional
        Add ``_solExcl`` (solvent flattened too).

    Returns
    -------
    str
        ``ampl_<g>_<stem>.mrc``, ``attn_<g>_<stem>.mrc`` or ``sigm_<G>-<P>_<stem>.mrc``,
        with ``_solExcl`` before the stem when ``exclude_solvent``.

    Raises
    ------
    KeyError
        For an unknown ``kind``.

    Examples
    --------
    >>> modified_name("emd_1", "amplify", 4)
    'ampl_4.0_emd_1.mrc'
    >>> modified_name("emd_1", "sigmoid", sigmoid=8, pivot=0.5, exclude_solvent=True)
    'sigm_8.0-0.50_solExcl_emd_1.mrc'
    """
    if kind == "sigmoid":
        tag = f"sigm_{sigmoid:.1f}-{pivot:.2f}"
    else:
        tag = f"{ {'amplify': 'ampl', 'attenuate': 'attn'}[kind]}_{gamma:.1f}"
    if exclude_solvent:
        tag += "_solExcl"
    return f"{tag}_{stem}.mrc"


def exclude_name(stem: str) -> str:
    """Name of the solvent-flattened map of ``--exclude-solvent`` without a modification.

    Parameters
    ----------
    stem : str
        The input's stem (``map_stem``).

    Returns
    -------
    str
        ``solExcl_<stem>.mrc``.
    """
    return f"solExcl_{stem}.mrc"


def aux_names(stem: str) -> dict[str, str]:
    """Give the names of the side outputs (script, log, plots, extra maps), keyed by role.

    Parameters
    ----------
    stem : str
        The input's stem (``map_stem``).

    Returns
    -------
    dict of str to str
        Role (``chimerax``, ``log``, ``plot_solvent``, ``plot_modification``,
        ``plot_slices``, ``report``, ``lowpass``, ``confidence``, ``modification``, ``solvent_def``,
        ``subtraction_mask``) -> file name.

    Examples
    --------
    >>> aux_names("emd_1")["log"]
    'log_emd_1.txt'
    """
    return {
        "chimerax": f"chimX_{stem}.cxc",
        "report": f"report_{stem}.html",
        "log": f"log_{stem}.txt",
        "plot_solvent": f"solModel_{stem}.png",
        "plot_modification": f"modification_{stem}.png",
        "plot_slices": f"scale_slices_{stem}.png",
        "lowpass": f"lowpass_{stem}.mrc",
        "confidence": f"conf_{stem}.mrc",
        "modification": f"modification_{stem}.mrc",
        "solvent_def": f"solventDef_{stem}.mrc",
        "subtraction_mask": f"subtractionMask_{stem}.mrc",
    }


def run_names(stem: str, opts: "RunOptions") -> list[str]:
    """The names of the files a run with ``opts`` writes into its output directory.

    Parameters
    ----------
    stem : str
        The input's stem (``map_stem``).
    opts : RunOptions
        The run's options (``--json`` is not in the output directory and not listed).

    Returns
    -------
    list of str
        The scale map, modified maps, log and the optional outputs asked for.

    Examples
    --------
    >>> from occupy.options import RunOptions
    >>> run_names("emd_1", RunOptions.from_kwargs(amplify=True, gamma=4, chimerax=False))
    ['scale_res_emd_1.mrc', 'ampl_4.0_emd_1.mrc', 'log_emd_1.txt']
    """
    gamma = GAMMA_DEFAULT if opts.gamma is None else opts.gamma
    names = [scale_name(stem, "res", opts.s0)]
    names += [modified_name(stem, kind, gamma, exclude_solvent=opts.exclude_solvent)
              for kind, on in (("amplify", opts.amplify), ("attenuate", opts.attenuate)) if on]
    if opts.sigmoid is not None:
        names.append(modified_name(stem, "sigmoid", sigmoid=opts.sigmoid, exclude_solvent=opts.exclude_solvent,
                                   pivot=opts.pivot or 0.0))     # without --pivot the run is refused later
    elif opts.exclude_solvent and not (opts.amplify or opts.attenuate):
        names.append(exclude_name(stem))
    aux = aux_names(stem)
    roles = ["log"] + ["chimerax"] * opts.chimerax + ["plot_solvent", "plot_modification", "plot_slices"] * opts.plot
    roles += ["lowpass", "confidence", "modification"] * opts.save_all_maps + ["report"] * opts.report
    roles += ["solvent_def"] * opts.writes_solvent_def + ["subtraction_mask"] * opts.writes_subtraction_mask
    return names + [aux[role] for role in roles]


def check_names_fit(names: list[str], directory: str | os.PathLike) -> None:
    """Refuse output names longer than a file name may be, before any work.

    So a long input name does not fail only when the outputs are written.

    Parameters
    ----------
    names : list of str
        The run's output names (``run_names``).
    directory : str or os.PathLike
        The output directory (its file system's limit is used where it exists; else 255
        bytes).

    Raises
    ------
    OccupyError
        Naming the longest output, its length and the limit.

    Examples
    --------
    >>> check_names_fit(["log_emd_1.txt"], ".")
    >>> check_names_fit(["log_" + "x" * 250 + ".txt"], ".")
    Traceback (most recent call last):
    ...
    occupy.errors.OccupyError: the input's name is too long for its output names: log_xxxxxxxx...xxxx.txt would be 258 bytes, more than the 255 a file name may have here - rename the input (or link it under a shorter name)
    """
    longest = max(names, key=lambda n: len(os.fsencode(n)))
    limit = _name_max(directory)
    size = len(os.fsencode(longest))
    if size > limit:
        shown = longest if len(longest) <= 40 else longest[:12] + "..." + longest[-8:]
        raise OccupyError(f"the input's name is too long for its output names: {shown} would be {size} bytes, "
                          f"more than the {limit} a file name may have here - rename the input (or link it "
                          "under a shorter name)")


def _name_max(directory: str | os.PathLike) -> int:
    """The longest file name (bytes) in ``directory``, or in its nearest existing parent; 255 if unknown."""
    where = Path(os.path.abspath(directory))
    while not where.exists() and where != where.parent:
        where = where.parent
    try:
        return int(os.pathconf(where, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def is_output_name(name: str) -> bool:
    """Whether ``name`` is a name this module gives an output map.

    Parameters
    ----------
    name : str
        A file name (no directory).

    Returns
    -------
    bool
        True for ``scale_occ_a.mrc``, ``ampl_3.0_a.mrc``, ``sigm_8.0-0.50_solExcl_a.mrc``,
        ``conf_a.mrc`` and the like.

    Examples
    --------
    >>> is_output_name("ampl_3.0_emd_1.mrc"), is_output_name("emd_1.mrc")
    (True, False)
    """
    return _OUTPUT_MAP.fullmatch(name) is not None
