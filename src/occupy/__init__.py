"""occupy: fast local-scale estimation and modification for cryo-EM maps.

The public API is what this package exports; heavy modules load on first use, so
``import occupy`` stays fast. The package reads like the pipeline, in layers that import
only downwards (the table is in ``docs/reference/index.md``; ``lint-imports`` checks it).
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from . import threads  # noqa: F401 - first: puts OMP_NUM_THREADS in order before any OpenMP runtime loads
from ._version import __version__  # not importlib.metadata, whose import would dominate `import occupy`
from .errors import OccupyError, OccupyWarning, OptionError
from .options import RunOptions

_LAZY = {
    "MapData": "io.mrcdata", "read_map": "io.maps", "write_map": "io.maps",
    "run": "pipeline", "RunResult": "results",
    "estimate_scale": "stages.scale", "ScaleResult": "stages.scale",
    "fit_solvent": "stages.solvent", "SolventModel": "stages.solvent",
    "confidence": "stages.confidence", "confidence_curve": "stages.confidence",
    "voxel_confidence": "stages.confidence",
    "modify": "stages.modification",
    "maximum_filter_ball": "stages.maxfilter", "tile_search": "stages.tiles",
    "ball_footprint": "params", "derive_parameters": "params",
    "lowpass_filter": "stages.lowpass",
    "run_batch": "batch",
    "run_classes": "class_runs", "ClassesReport": "results",
    "read_classification": "io.classification", "Classification": "io.classification",
    "ClassMap": "io.classification",
    "MapOutcome": "results", "BatchReport": "results",
    "make_demo_map": "demo",
}

__all__ = ["__version__", "OccupyError", "OccupyWarning", "OptionError", "RunOptions", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'occupy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
