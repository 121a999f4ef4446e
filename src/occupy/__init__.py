"""occupy: fast local-scale estimation and modification for cryo-EM maps.

Public API (see docs/api.md): :func:`run`, :func:`estimate_scale`, :func:`fit_solvent`,
:func:`confidence`, :func:`modify`, :func:`read_map`, :func:`write_map`,
:func:`maximum_filter_ball`, :func:`tile_search`.  Heavy modules load on first use,
so ``import occupy`` stays fast.
"""
from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version as _version
from typing import Any

try:
    __version__ = _version("occupy")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from .errors import OccupyError, OccupyWarning
from .options import RunOptions, RunResult

_LAZY = {
    "MapData": "io", "read_map": "io", "write_map": "io",
    "run": "pipeline",
    "estimate_scale": "scale", "ScaleResult": "scale",
    "fit_solvent": "solvent", "SolventModel": "solvent",
    "confidence": "solvent_confidence", "confidence_curve": "solvent_confidence",
    "voxel_confidence": "solvent_confidence",
    "modify": "modification",
    "maximum_filter_ball": "kernels", "tile_search": "kernels", "ball_footprint": "kernels",
    "derive_parameters": "params", "lowpass": "filters",
    "make_demo_map": "demo",
}

__all__ = ["__version__", "OccupyError", "OccupyWarning", "RunOptions", "RunResult", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'occupy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
