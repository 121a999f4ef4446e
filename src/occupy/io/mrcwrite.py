"""Writing MRC maps: a whole array (``write_mrc``), or a map made piece by piece and never
whole in memory (``write_mrc_blocks``), with the same bytes.

Both write through mrcfile's ``MrcInterpreter`` (the class mrcfile documents for other kinds
of I/O), with header statistics made by our kernels: the same for any thread count.
"""
from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from mrcfile.mrcinterpreter import MrcInterpreter

from ..header_stats import header_statistics
from ..threads import effective_threads
from .mrcdata import MapData, zyx_to_file

__all__ = ["PieceStatistics", "ascii_label", "write_mrc", "write_mrc_blocks"]

_HEADER_BYTES = 1024  # the MRC2014 header; new maps have no extended header


def write_mrc(path: str | os.PathLike, data: np.ndarray, like: MapData | None, label: str | None,
              voxel_size: float | None = None, header_stats: tuple[float, float, float, float] | None = None
              ) -> None:
    """Write an MRC file in place (no atomicity: callers write to a staged path).

    Parameters
    ----------
    path : str or path-like
        The file to write (overwritten if it exists).
    data : numpy.ndarray
        A 3-D ``[z, y, x]`` array (converted to float32).
    like : MapData or None
        Header facts to copy, as for ``write_map``.
    label : str or None
        Header label to append (cut to 80 characters).
    voxel_size : float or tuple of float, optional
        Voxel size in Å (overrides ``like``'s).
    header_stats : (float, float, float, float), optional
        ``data``'s header statistics, already made as ``occupy.header_stats.header_statistics``
        makes them; used when the file keeps the array's own order (MAPC/MAPR/MAPS 1 2 3).

    Raises
    ------
    ValueError
        If ``data`` is not 3-D.
    """
    arr = np.asarray(data, dtype=np.float32)
    if arr.ndim != 3:
        raise ValueError(f"write_map needs a 3-D array, got shape {arr.shape}")
    axis_order = like.axis_order if like is not None else (1, 2, 3)
    file_arr = np.ascontiguousarray(arr.transpose(zyx_to_file(axis_order)))
    with _new_mrc(path, header_stats if axis_order == (1, 2, 3) else None) as mrc:
        mrc.set_data(file_arr)              # with the header statistics (_StreamWriter)
        _fill_header(mrc, like, arr.shape, label, voxel_size)


def _fill_header(mrc, like: MapData | None, shape: tuple[int, ...], label: str | None,
                 voxel_size: float | None) -> None:
    """The header of a map whose data are set: ``like``'s facts, our label, no timestamp."""
    h = mrc.header
    h.label[:] = b""  # drop mrcfile's timestamp label: same input -> same output bytes
    h.nlabl = 0
    if like is not None:
        _copy_header_facts(mrc, like, shape, voxel_size)
    elif voxel_size is not None:
        mrc.voxel_size = voxel_size
    if label:
        if int(h.nlabl) >= 10:
            h.nlabl = 9
        mrc.add_label(ascii_label(label))


def ascii_label(text: str) -> str:
    r"""``text`` as an MRC header label: printable ASCII (what the format and mrcfile allow), at most 80 characters.

    Accents are dropped from their letters, white space (a TAB) becomes a space, and any other
    character a ``?``: a label read from another program's map is copied into our outputs.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The label to write.

    Examples
    --------
    >>> ascii_label("3.2 \u00c5\tmap \u03b1")
    '3.2 A map ?'
    """
    plain = unicodedata.normalize("NFKD", text)
    chars = (c if c.isascii() and c.isprintable() else " " if c.isspace() else "?"
             for c in plain if not unicodedata.combining(c))
    return "".join(chars)[:80]


def write_mrc_blocks(path: str | os.PathLike, shape: tuple[int, int, int],
                     fill: Callable[[Callable[[np.ndarray], None]], None], like: MapData | None,
                     label: str | None, threads: int | None = None) -> None:
    """Write a float32 MRC map that is made piece by piece, never whole in memory.

    The bytes are those ``write_mrc`` writes for the whole array (the file keeps the array's
    order, so ``like`` must have MAPC/MAPR/MAPS 1 2 3).

    Parameters
    ----------
    path : str or path-like
        The file to write (overwritten if it exists; callers write to a staged path).
    shape : (int, int, int)
        The map's ``[z, y, x]`` shape.
    fill : callable
        Called once with ``write``; it calls ``write(piece)`` with consecutive flat
        C-contiguous float32 pieces of the map in C order, each but the last a multiple of
        ``BLOCK_VOXELS`` long (the header statistics are merged from whole blocks).
    like, label
        As for ``write_mrc``.
    threads : int, optional
        Thread count of the statistics; the bytes do not depend on it.

    Raises
    ------
    ValueError
        If ``like``'s axis order is not 1 2 3, or the pieces do not add up to ``shape``.
    """
    if like is not None and tuple(like.axis_order) != (1, 2, 3):
        raise ValueError("a map written piece by piece keeps the array's axis order")
    stats = PieceStatistics(threads)
    count = [0]
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+b") as fh:
        fh.seek(_HEADER_BYTES)

        def write(piece: np.ndarray) -> None:
            stats.add(piece)
            fh.write(memoryview(piece).cast("B"))
            count[0] += piece.size

        fill(write)
        if count[0] != int(np.prod(shape)):
            raise ValueError(f"pieces of {count[0]} voxels for a map of {shape}")
        fh.truncate(_HEADER_BYTES + count[0] * 4)       # a stale longer file at the path
        fh.flush()
        mrc = _HeaderWriter(fh, stats.result())
        mrc.set_data(np.memmap(fh, dtype=np.float32, mode="r", offset=_HEADER_BYTES, shape=shape))
        _fill_header(mrc, like, shape, label, None)
        mrc.flush()


class _StreamWriter(MrcInterpreter):
    """mrcfile's interpreter writing a new MRC file to an open stream, with our header statistics.

    mrcfile documents ``MrcInterpreter`` as the class to subclass for other kinds of I/O
    (its own ``MrcFile`` does so); this one starts from default attributes, as a new file
    does, and ``update_header_stats`` (which ``set_data`` calls) uses the statistics
    given, or the compiled parallel pass, instead of NumPy's single-threaded ones.
    """

    def __init__(self, stream, header_stats: tuple[float, float, float, float] | None) -> None:
        super().__init__()
        self._iostream = stream
        self._known_stats = header_stats
        self._create_default_attributes()

    def update_header_stats(self) -> None:
        """dmin/dmax/dmean/rms (rms = standard deviation, as mrcfile defines it), identical
        for any thread count; mrcfile's own for data the kernel does not take."""
        stats = self._known_stats or header_statistics(self.data)
        if stats is None:
            super().update_header_stats()
            return
        h = self.header
        h.dmin, h.dmax, h.dmean, h.rms = (np.float32(v) for v in stats)


class _HeaderWriter(_StreamWriter):
    """Writes the header (and the empty extended header) of a map whose data are already in
    the file (``write_mrc_blocks``); the data it is given are a read-only view of them."""

    def flush(self) -> None:
        if len(self.extended_header):
            raise ValueError("a map written piece by piece has no extended header")
        self._iostream.seek(0)
        self._iostream.write(self.header)


@contextmanager
def _new_mrc(path: str | os.PathLike, header_stats: tuple[float, float, float, float] | None
             ) -> Iterator[_StreamWriter]:
    """An MRC writer on a new file at ``path`` (created if missing), flushed on success.

    The file is opened without truncating it (mrcfile cuts it to size after writing): on
    ext4, truncating an empty staged file at open makes its close start writing it back
    (auto_da_alloc) before the data are there.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+b") as fh:
        mrc = _StreamWriter(fh, header_stats)
        yield mrc
        mrc.flush()


def _copy_header_facts(mrc, like: MapData, shape: tuple[int, ...], voxel_size: float | None) -> None:
    h = mrc.header
    h.mapc, h.mapr, h.maps = like.axis_order
    if voxel_size is None and like.cell is not None and like.sampling is not None and shape == like.shape:
        h.mx, h.my, h.mz = like.sampling  # set_data reset them to NX, NY, NZ (file order)
        h.cella = like.cell
    else:
        mrc.voxel_size = voxel_size if voxel_size is not None else like.voxel_size_xyz
    h.origin = like.origin
    h.nxstart, h.nystart, h.nzstart = like.nstart
    for lab in like.labels[:8]:
        if lab:
            mrc.add_label(ascii_label(lab))


class PieceStatistics:
    """``header_statistics`` of a float32 map that is seen piece by piece, in order (a map being
    written as it is made, never whole in memory).

    Each piece but the last must be a whole number of the statistics' blocks long
    (``BLOCK_VOXELS`` is); the result is then ``header_statistics`` of the whole, bit for bit.

    Parameters
    ----------
    threads : int, optional
        Thread count; the result does not depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> s = PieceStatistics()
    >>> s.add(np.array([1.0, 3.0], dtype=np.float32))
    >>> s.result()
    (1.0, 3.0, 2.0, 1.0)
    """

    def __init__(self, threads: int | None = None) -> None:
        self._threads = effective_threads(threads)
        self._blocks: list[tuple[np.ndarray, ...]] = []
        self._n = 0
        self._ragged = False

    def add(self, piece: np.ndarray) -> None:
        """Take the next piece of the map.

        Parameters
        ----------
        piece : numpy.ndarray
            Flat, C-contiguous float32; a whole number of blocks long unless it is the last.

        Raises
        ------
        ValueError
            If a piece follows one that ended inside a block.
        """
        from .._ext import _stats
        if self._ragged:
            raise ValueError("only the last piece may end inside a block")
        self._ragged = piece.size % _stats.STAT_BLOCK_VOXELS != 0
        if piece.size:
            self._blocks.append(_stats.block_stats(piece, self._threads))
            self._n += piece.size

    def result(self) -> tuple[float, float, float, float] | None:
        """The statistics of everything added.

        Returns
        -------
        tuple of float or None
            ``(min, max, mean, std)`` as ``header_statistics`` gives them for the whole map;
            None if nothing was added or a statistic is not finite.
        """
        from .._ext import _stats
        if not self._n:
            return None
        parts = [np.concatenate([b[k] for b in self._blocks]) for k in range(4)]
        stats = _stats.merge_block_stats(self._n, *parts)
        return stats if np.isfinite(stats).all() else None
