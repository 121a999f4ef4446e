"""Input and output of files: maps (``.maps``) and safe writing (``.files``)."""
from .maps import MapData, read_map, write_map

__all__ = ["MapData", "read_map", "write_map"]
