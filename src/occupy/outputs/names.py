"""Output file names: an interface users and scripts depend on (usage.md)."""
from __future__ import annotations

from pathlib import Path

from ..constants import MAP_EXTENSIONS

__all__ = ["MAP_EXTENSIONS", "aux_names", "exclude_name", "map_stem", "modified_name", "scale_name"]



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
        ``plot_slices``, ``lowpass``, ``confidence``, ``modification``) -> file name.

    Examples
    --------
    >>> aux_names("emd_1")["log"]
    'log_emd_1.txt'
    """
    return {
        "chimerax": f"chimX_{stem}.cxc",
        "log": f"log_{stem}.txt",
        "plot_solvent": f"solModel_{stem}.png",
        "plot_modification": f"modification_{stem}.png",
        "plot_slices": f"scale_slices_{stem}.png",
        "lowpass": f"lowpass_{stem}.mrc",
        "confidence": f"conf_{stem}.mrc",
        "modification": f"modification_{stem}.mrc",
    }
