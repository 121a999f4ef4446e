"""The outputs of one run as a transaction: all files appear, or none."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable, TextIO

import numpy as np

from ..errors import OccupyError
from ..io.files import discard, publish, staged_file, write_target
from ..io.mrcdata import MapData
from ..io.mrcwrite import write_mrc, write_mrc_blocks

__all__ = ["OutputSet"]


class OutputSet:
    """Collect a run's output files under temporary names; publish all or none.

    Files staged with ``write_map``, ``write_text`` or ``stage`` are
    renamed to their final names only when the ``with`` block exits without an
    exception; otherwise every staged file is removed.

    The commit is a transaction too: files that already exist under a final name (an
    earlier run's outputs) are set aside first and restored if the commit fails or is
    interrupted, so it leaves either all new files or all old ones.

    Parameters
    ----------
    directory : str or os.PathLike
        The output directory (must exist).
    before_commit : callable, optional
        Called just before the commit; raising from it (e.g. a RELION abort request)
        discards the staged files instead.
    parent : OutputSet, optional
        A larger transaction (several runs' outputs): the commit hands the staged files
        to it, and they appear when it commits. Safe to use from several threads.

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

    def __init__(self, directory: str | os.PathLike, before_commit: Callable[[], None] | None = None,
                 parent: "OutputSet | None" = None):
        self.directory = Path(directory)
        self.before_commit = before_commit
        self.parent = parent
        self._staged: list[tuple[Path, Path]] = []
        self._streams: list[tuple[TextIO, str]] = []
        self._lock = threading.Lock()

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
        with self._lock:
            self._staged.append((tmp, final))
        return tmp

    def write_stream(self, stream: TextIO, text: str) -> None:
        """Write ``text`` to the open text stream ``stream`` (e.g. ``sys.stdout``) at the commit.

        It is written (and flushed) before any file is renamed, so a stream that cannot be
        written (a full device, a closed pipe) fails the commit and no file is published.

        Parameters
        ----------
        stream : text stream
            Where to write, as it is at this call (``sys.stdout`` redirected by the caller
            counts).
        text : str
            The content.
        """
        with self._lock:
            self._streams.append((stream, text))

    def write_map(self, name: str, data: np.ndarray, like: MapData | None = None,
                  label: str | None = None, header_stats: tuple[float, float, float, float] | None = None) -> Path:
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
        header_stats : (float, float, float, float), optional
            ``data``'s min, max, mean and standard deviation if already computed exactly
            as ``occupy.header_stats.header_statistics`` would (saves that pass).

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
        return self._write(name, lambda tmp: write_mrc(tmp, data, like, label, header_stats=header_stats))

    def write_map_pieces(self, name: str, shape: tuple[int, int, int],
                         fill: Callable[[Callable[[np.ndarray], None]], None], like: MapData | None = None,
                         label: str | None = None, threads: int | None = None) -> Path:
        """Stage a float32 MRC map made piece by piece (``occupy.io.mrcwrite.write_mrc_blocks``).

        Parameters
        ----------
        name : str
            The map's final file name.
        shape : (int, int, int)
            The map's ``[z, y, x]`` shape.
        fill : callable
            Called with ``write``, to which it hands the map's consecutive flat pieces.
        like, label
            As for ``write_map`` (``like`` with axis order 1 2 3).
        threads : int, optional
            Thread count of the header statistics.

        Returns
        -------
        pathlib.Path
            The final path (the file appears there at ``commit``).

        Raises
        ------
        OccupyError
            When the file cannot be written.
        """
        return self._write(name, lambda tmp: write_mrc_blocks(tmp, shape, fill, like, label, threads))

    def _write(self, name: str, writer: Callable[[Path], None]) -> Path:
        """Stage ``name`` and write it with ``writer(staged path)``; the final path."""
        tmp = self.stage(name)
        try:
            writer(tmp)
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
            tmp.write_text(text, encoding="utf-8", errors="surrogateescape")   # a file name's own bytes
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
        with self._lock:
            return [final for _, final in self._staged]

    def staged_path(self, final: str | os.PathLike) -> Path:
        """The temporary file holding an output until the commit.

        Parameters
        ----------
        final : str or os.PathLike
            The output's final path (as ``write_map``/``write_text`` return it).

        Returns
        -------
        pathlib.Path
            Its staged file, to read before the commit (e.g. to gather plots).

        Raises
        ------
        KeyError
            When nothing is staged under that name.
        """
        with self._lock:
            for tmp, fin in reversed(self._staged):
                if fin == Path(final):
                    return tmp
        raise KeyError(str(final))

    def commit(self) -> list[Path]:
        """Rename every staged file to its final name, all or none.

        Called when the ``with`` block succeeds, after ``before_commit``; after it nothing
        is staged. Existing files under the final names are replaced only if every file
        can be; otherwise (or on a signal meanwhile) they are restored. A final name that
        is a link has its target replaced; one that is a special file (a device, FIFO or
        socket) is written first, as it is (see ``occupy.io.files.write_target``).

        Returns
        -------
        list of pathlib.Path
            The final paths, in staging order.

        Raises
        ------
        OccupyError
            When a file cannot be renamed (nothing new is left, old files are restored).
        """
        if self.before_commit is not None:
            try:
                self.before_commit()
            except BaseException:
                self.discard()
                raise
        if self.parent is not None:
            with self._lock:
                staged, self._staged = self._staged, []
                streams, self._streams = self._streams, []
            self.parent._adopt(staged, streams)
            return [final for _, final in staged]
        try:
            _write_streams(self._streams)
        except BaseException:
            self.discard()
            raise
        done: list[Path] = []
        set_aside: list[tuple[Path, Path]] = []
        try:
            for tmp, final in _special_first(self._staged):
                target, special = write_target(final)
                if not special and target.is_file():
                    set_aside.append((_set_aside(target), target))
                if not special:
                    done.append(target)     # before the rename: a signal may come right after it
                publish(tmp, target)
        except BaseException:
            _roll_back(done, set_aside)
            self.discard()
            raise
        for old, _ in set_aside:
            discard(old)
        staged, self._staged = self._staged, []
        return [final for _, final in staged]

    def discard(self) -> None:
        """Remove every staged file that is still there (called when the ``with`` block fails)."""
        with self._lock:
            staged, self._staged = self._staged, []
            self._streams = []
        for tmp, _ in staged:
            discard(tmp)

    def _adopt(self, staged: list[tuple[Path, Path]], streams: list[tuple[TextIO, str]]) -> None:
        """Take over a child's staged files and streams; they are committed or discarded with this set's."""
        with self._lock:
            self._staged.extend(staged)
            self._streams.extend(streams)


def _write_streams(streams: list[tuple[TextIO, str]]) -> None:
    """Write and flush each stream's text; one that cannot be written fails."""
    for stream, text in streams:
        name = {"<stdout>": "standard output", "<stderr>": "standard error"}.get(getattr(stream, "name", ""),
                                                                                  "the output stream")
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError) as exc:
            raise OccupyError(f"cannot write to {name}: {getattr(exc, 'strerror', None) or exc}") from exc


def _set_aside(target: Path) -> Path:
    """Keep the old file ``target`` under a ``.prev`` staging name until the commit is done: a second
    (hard) link, so that the final name never stands empty, even if the process is killed meanwhile;
    moved there where the file system has no hard links."""
    prev = staged_file(target, ".prev")
    os.unlink(prev)
    try:
        os.link(target, prev)
    except OSError:
        os.replace(target, prev)
    return prev


def _special_first(staged: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """The staged files, those for special files (e.g. ``/dev/stdout``) first: what is written
    there cannot be taken back, so it is written before any regular file is replaced."""
    return sorted(staged, key=lambda pair: not write_target(pair[1])[1])


def _roll_back(done: list[Path], set_aside: list[tuple[Path, Path]]) -> None:
    """Undo a partial commit: each set-aside old file back under its name (in one rename), and the new
    files that replaced nothing removed."""
    restored = {final for _, final in set_aside}
    for old, final in set_aside:
        os.replace(old, final)
    for path in done:
        if path not in restored and path.is_file():
            discard(path)
