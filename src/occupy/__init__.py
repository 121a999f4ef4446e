"""occupy: fast local-scale estimation and modification for cryo-EM maps."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("occupy")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from .errors import OccupyError, OccupyWarning
from .io import MapData, read_map, write_map

__all__ = ["__version__", "OccupyError", "OccupyWarning", "MapData", "read_map", "write_map"]
