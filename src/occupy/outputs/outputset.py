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

    Files staged with :meth:`write_map`, :meth:`write_text` or :meth:`stage` are
    renamed to their final names only when the ``with`` block exits without an
    exception; otherwise every staged file is removed.

    Parameters
    ----------
    directory : str or path-like
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
        """Reserve a temporary path for output ``name``; the caller writes it."""
        final = self.directory / name
        tmp = staged_file(final)
        self._staged.append((tmp, final))
        return tmp

    def write_map(self, name: str, data: np.ndarray, like: MapData | None = None,
                  label: str | None = None) -> Path:
        """Stage map ``name`` (float32 MRC with ``like``'s header facts); return its final path."""
        tmp = self.stage(name)
        try:
            write_mrc(tmp, data, like, label)
        except OSError as exc:
            raise OccupyError(f"cannot write {self.directory / name}: {exc.strerror or exc}") from exc
        return self.directory / name

    def write_text(self, name: str, text: str) -> Path:
        """Stage text file ``name`` (UTF-8); return its final path."""
        tmp = self.stage(name)
        try:
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OccupyError(f"cannot write {self.directory / name}: {exc.strerror or exc}") from exc
        return self.directory / name

    @property
    def final_paths(self) -> list[Path]:
        """Final paths of the staged files, in staging order."""
        return [final for _, final in self._staged]

    def commit(self) -> list[Path]:
        """Rename every staged file to its final name; on any failure remove them all."""
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
        """Remove every staged file that is still there."""
        for tmp, _ in self._staged:
            discard(tmp)
        self._staged = []
