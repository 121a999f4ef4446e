"""The outputs of one run as a transaction: all files appear, or none."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import OccupyError
from ..io.files import discard, publish, staged_file
from ..io.maps import MapData, write_mrc

__all__ = ["OutputSet"]


class OutputSet:
    """Collect a run's output files under temporary names; publish all or none.

    Files staged with ``write_map``, ``write_text`` or ``stage`` are
    renamed to their final names only when the ``with`` block exits without an
    exception; otherwise every staged file is removed.

    Parameters
    ----------
    directory : str or os.PathLike
        The output directory (must exist).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with OutputSet(d) as out:
    ...     _ = out.write_text("log_x.txt", "hello")
    ...     sorted(p.name.startswith(".log_x.txt.") for p in d.iterdir())
    [True]
    >>> sorted(p.name for p in d.iterdir())
    ['log_x.txt']
    >>> try:
    ...     with OutputSet(d) as out:
    ...         _ = out.write_text("log_y.txt", "half a run")
    ...         raise RuntimeError("a later stage failed")
    ... except RuntimeError:
    ...     pass
    >>> sorted(p.name for p in d.iterdir())
    ['log_x.txt']
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self._staged: list[tuple[Path, Path]] = []

    def __enter__(self) -> "OutputSet":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def stage(self, name: str) -> Path:
        """Reserve a temporary path for an output that the caller writes.

        Parameters
        ----------
        name : str
            The output's final file name in ``directory``.

        Returns
        -------
        pathlib.Path
            The temporary file (created empty) to write.

        Raises
        ------
        OccupyError
            When the file cannot be created, or a directory has the final name.
        """
        final = self.directory / name
        tmp = staged_file(final)
        self._staged.append((tmp, final))
        return tmp

    def write_map(self, name: str, data: np.ndarray, like: MapData | None = None,
                  label: str | None = None) -> Path:
        """Stage a map as a float32 MRC file.

        Parameters
        ----------
        name : str
            The map's final file name.
        data : numpy.ndarray
            The 3-D map, indexed ``[z, y, x]``.
        like : MapData, optional
            Map whose header facts (voxel size, origin, start, axis order, cell) are copied.
        label : str, optional
            Header label saying what made the map.

        Returns
        -------
        pathlib.Path
            The final path (the file appears there at ``commit``).

        Raises
        ------
        OccupyError
            When the file cannot be written.
        ValueError
            When ``data`` is not 3-D.
        """
        tmp = self.stage(name)
        try:
            write_mrc(tmp, data, like, label)
        except OSError as exc:
            raise OccupyError(f"cannot write {self.directory / name}: {exc.strerror or exc}") from exc
        return self.directory / name

    def write_text(self, name: str, text: str) -> Path:
        """Stage a UTF-8 text file.

        Parameters
        ----------
        name : str
            The file's final name.
        text : str
            Its content.

        Returns
        -------
        pathlib.Path
            The final path (the file appears there at ``commit``).

        Raises
        ------
        OccupyError
            When the file cannot be written.
        """
        tmp = self.stage(name)
        try:
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OccupyError(f"cannot write {self.directory / name}: {exc.strerror or exc}") from exc
        return self.directory / name

    @property
    def final_paths(self) -> list[Path]:
        """Final paths of the staged files.

        Returns
        -------
        list of pathlib.Path
            In staging order; the last is the file staged most recently.
        """
        return [final for _, final in self._staged]

    def commit(self) -> list[Path]:
        """Rename every staged file to its final name; on any failure remove them all.

        Called when the ``with`` block succeeds; after it nothing is staged.

        Returns
        -------
        list of pathlib.Path
            The final paths, in staging order.

        Raises
        ------
        OccupyError
            When a file cannot be renamed (the files already renamed are removed too).
        """
        done: list[Path] = []
        try:
            for tmp, final in self._staged:
                publish(tmp, final)
                done.append(final)
        except BaseException:
            for path in done:
                discard(path)
            self.discard()
            raise
        self._staged = []
        return done

    def discard(self) -> None:
        """Remove every staged file that is still there (called when the ``with`` block fails)."""
        for tmp, _ in self._staged:
            discard(tmp)
        self._staged = []
