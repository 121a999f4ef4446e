"""Where a map was read from, so that a run can free it and read it again later (``MapSource``)."""
from __future__ import annotations

import os
import stat
import warnings
from dataclasses import dataclass

from ..errors import OccupyError, OccupyWarning
from .maps import read_map
from .mrcdata import MapData

__all__ = ["MapSource", "file_identity"]


def file_identity(path: str | os.PathLike) -> tuple[int, int, int, int] | None:
    """Device, inode, size and modification time of a regular file; None for anything else
    (a pipe or device cannot be read twice) or a file that cannot be examined.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    tuple of int or None
        ``(st_dev, st_ino, st_size, st_mtime_ns)``.
    """
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


@dataclass
class MapSource:
    """The file a map was read from, and whether its data are set aside (freed) for now.

    Parameters
    ----------
    path : str or path-like
        The map file.
    identity : tuple of int or None
        ``file_identity(path)`` taken before the first reading.
    pixel_size : float or None
        The ``--pixel-size`` it was read with.
    aside : bool
        True while the data are freed and must be read again before use.
    """

    path: str | os.PathLike
    identity: tuple[int, int, int, int] | None
    pixel_size: float | None
    aside: bool = False

    @classmethod
    def of(cls, path: str | os.PathLike, pixel_size: float | None) -> "MapSource":
        """The source of a map about to be read from ``path``.

        Parameters
        ----------
        path : str or path-like
            The map file.
        pixel_size : float or None
            The ``--pixel-size`` it will be read with.

        Returns
        -------
        MapSource
            With the file's identity now.
        """
        return cls(path, file_identity(path), pixel_size)

    def set_aside(self, m: MapData, read_again: bool) -> None:
        """Free ``m``'s data; ``read_again``: ``take_back`` will read them again.

        Parameters
        ----------
        m : MapData
            The map read from this source.
        read_again : bool
            Whether its data will be needed again.
        """
        m.release_data()
        self.aside = read_again

    def take_back(self, m: MapData) -> None:
        """Read ``m``'s data again if they were set aside.

        Parameters
        ----------
        m : MapData
            The map read from this source.

        Raises
        ------
        OccupyError
            If the file changed (size, time or inode) since the first reading, or cannot be read.
        """
        if not self.aside:
            return
        if file_identity(self.path) != self.identity:
            raise OccupyError(f"{self.path}: the input map changed while it was being processed")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OccupyWarning)      # said once, at the first reading
            m.data = read_map(self.path, pixel_size=self.pixel_size).data
        self.aside = False
