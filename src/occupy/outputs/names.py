"""Output file names: an interface users and scripts depend on (SPEC 3)."""
from __future__ import annotations

from pathlib import Path

__all__ = ["MAP_EXTENSIONS", "aux_names", "exclude_name", "map_stem", "modified_name", "scale_name"]

# Extensions stripped from an input name to make the stem of its outputs.
MAP_EXTENSIONS = (".gz", ".mrc", ".map", ".ccp4", ".mrcs", ".rec")


def map_stem(path: str | Path) -> str:
    """Input file name without its extension(s).

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
    """``scale_res_<stem>.mrc``, ``scale_occ_<stem>.mrc`` or, with ``--s0``, ``scale_naive_<stem>.mrc``."""
    kind = "naive" if s0 else mode
    return f"scale_{kind}_{stem}.mrc"


def modified_name(stem: str, kind: str, gamma: float | None = None, *, sigmoid: float | None = None,
                  pivot: float | None = None, exclude_solvent: bool = False) -> str:
    """Name of a modified map.

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
    """``solExcl_<stem>.mrc``: the solvent-flattened map of ``--exclude-solvent`` alone."""
    return f"solExcl_{stem}.mrc"


def aux_names(stem: str) -> dict[str, str]:
    """Names of the always/optional side outputs keyed by role."""
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
