"""Input and output of files: maps (:mod:`.maps`) and safe writing (:mod:`.files`)."""
from .maps import MapData, read_map, write_map

__all__ = ["MapData", "read_map", "write_map"]
