"""A map with its header facts (``MapData``), and the data block of an MRC file, read in checked
chunks (writing is in ``occupy.io.mrcwrite``).

``occupy.io.maps`` builds ``read_map`` and ``write_map`` on these.
"""
from __future__ import annotations

from pathlib import Path
from dataclasses import dataclass, field

import numpy as np

from ..errors import OccupyError
from ..stats import finite_range

__all__ = ["MapData", "file_to_zyx", "read_data_block", "zyx_to_file"]


@dataclass
class MapData:
    """A map and the header facts that outputs must preserve.

    Made by ``read_map``; pass it as ``like`` to ``write_map`` so that an output
    lines up with its input. The fields are the constructor's parameters.

    Parameters
    ----------
    data : numpy.ndarray
        The map: float32, ``[z, y, x]`` (sections along Z) whatever the file's axis order.
    voxel_size : float
        Voxel size in Å used for the calculation (the X size, or ``--pixel-size``).
    voxel_size_xyz : tuple of float
        Voxel size per axis (x, y, z) in Å.
    origin : tuple of float
        Header origin (x, y, z) in Å.
    nstart : tuple of int
        ``nxstart``, ``nystart``, ``nzstart`` (voxels).
    axis_order : tuple of int
        The file's (MAPC, MAPR, MAPS); outputs are written back in the same order.
    cell : tuple of float, optional
        Cell dimensions (x, y, z) in Å.
    sampling : tuple of int, optional
        MX, MY, MZ of the header.
    labels : list of str
        Header labels (read as UTF-8, else Latin-1; outputs write them as printable ASCII).
    path : str, optional
        Where the map was read from.
    warnings : list of str
        What was odd about the file (also issued as ``OccupyWarning``).
    value_range : (float, float), optional
        The data's minimum and maximum, from ``read_map``'s check (None if not known).
    """

    data: np.ndarray
    voxel_size: float
    voxel_size_xyz: tuple[float, float, float] = (1.0, 1.0, 1.0)
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    nstart: tuple[int, int, int] = (0, 0, 0)
    axis_order: tuple[int, int, int] = (1, 2, 3)
    cell: tuple[float, float, float] | None = None
    sampling: tuple[int, int, int] | None = None
    labels: list[str] = field(default_factory=list)
    path: str | None = None
    warnings: list[str] = field(default_factory=list)
    value_range: tuple[float, float] | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``data``.

        Returns
        -------
        tuple of int
            ``(nz, ny, nx)`` in voxels.
        """
        return tuple(self.data.shape)

    def grid_start_A(self) -> tuple[float, float, float]:
        """Position (x, y, z) in Å of the first voxel, as ChimeraX places the map.

        Returns
        -------
        tuple of float
            The header origin if any of it is non-zero, else the start indices (NXSTART,
            NYSTART, NZSTART) times the voxel sizes.

        Examples
        --------
        >>> MapData(np.zeros((2, 2, 2), np.float32), voxel_size=2.0, voxel_size_xyz=(2.0, 2.0, 2.0),
        ...         nstart=(-5, 0, 3)).grid_start_A()
        (-10.0, 0.0, 6.0)
        """
        if any(self.origin):
            return tuple(float(o) for o in self.origin)
        return tuple(float(n) * float(v) for n, v in zip(self.nstart, self.voxel_size_xyz))

    def release_data(self) -> None:
        """Free the map's memory, keeping its shape and header facts.

        For an owner that from now on needs the map only as ``like`` for writing outputs:
        ``data`` becomes a read-only zero-stride array of zeros of the same shape. Free
        memory matters when writing: the kernel throttles a process's writes to disk
        speed once its unwritten pages pass a fraction of the memory still available.

        Examples
        --------
        >>> m = MapData(np.ones((2, 3, 4), dtype=np.float32), voxel_size=1.0)
        >>> m.release_data()
        >>> m.shape, m.data.strides, m.data.flags.writeable
        ((2, 3, 4), (0, 0, 0), False)
        """
        self.data = np.broadcast_to(np.zeros((), dtype=self.data.dtype), self.data.shape)


def file_to_zyx(axis_order: tuple[int, int, int]) -> tuple[int, int, int]:
    """The transpose that takes a file-order array (sections, rows, columns) to ``[z, y, x]``.

    Parameters
    ----------
    axis_order : tuple of int
        The header's (MAPC, MAPR, MAPS): the crystal axes (1 = x, 2 = y, 3 = z) of the
        file's columns, rows and sections.

    Returns
    -------
    tuple of int
        Axes for ``numpy.transpose``.

    Examples
    --------
    >>> file_to_zyx((1, 2, 3)), file_to_zyx((3, 2, 1))
    ((0, 1, 2), (2, 1, 0))
    """
    mapc, mapr, maps = axis_order
    # file axis 2 (columns) is crystal axis mapc, axis 1 is mapr, axis 0 is maps.
    file_axis_of = {maps: 0, mapr: 1, mapc: 2}  # crystal axis (1=x,2=y,3=z) -> file axis
    return (file_axis_of[3], file_axis_of[2], file_axis_of[1])


def zyx_to_file(axis_order: tuple[int, int, int]) -> tuple[int, int, int]:
    """The transpose that takes a ``[z, y, x]`` array back to the file's order (inverse of ``file_to_zyx``).

    Parameters
    ----------
    axis_order : tuple of int
        The header's (MAPC, MAPR, MAPS).

    Returns
    -------
    tuple of int
        Axes for ``numpy.transpose``.
    """
    fwd = file_to_zyx(axis_order)
    inv = [0, 0, 0]
    for i, a in enumerate(fwd):
        inv[a] = i
    return (inv[0], inv[1], inv[2])


READ_CHUNK = 8 << 20          # bytes read at a time: checked while in cache


def read_data_block(p: Path, dtype: np.dtype, shape: tuple[int, ...], offset: int, msgs: list[str]
                    ) -> tuple[np.ndarray, tuple[float, float, int] | None]:
    """The data block as a native-order array, read straight into it (one copy from the file).

    For native float32 data, the range of the finite values and the count of the others
    (``occupy.stats.finite_range``) are found chunk by chunk while each chunk is in cache,
    behind a thread that reads the next ones.

    Parameters
    ----------
    p : Path
        The file.
    dtype : numpy.dtype
        The data's type as stored (byte order included).
    shape : tuple of int
        The data block's shape in file order.
    offset : int
        Bytes before the data (header and extended header).
    msgs : list of str
        Gets a note if the file is longer than header and data.

    Returns
    -------
    (numpy.ndarray, tuple or None)
        The data, and ``(min, max, n_not_finite)`` for float32 data (None otherwise).

    Raises
    ------
    OccupyError
        If the file ends before the data block does.
    OSError
        If reading fails.
    """
    arr = np.empty(shape, dtype=dtype.newbyteorder("="))
    buf = arr.reshape(-1).view(np.uint8)
    extra = p.stat().st_size - offset - buf.nbytes
    if extra > 0:
        msgs.append(f"{p.name}: MRC file is {extra} bytes larger than expected")
    check = dtype == np.float32 and dtype.isnative
    chunks = [(start, min(buf.nbytes, start + READ_CHUNK)) for start in range(0, buf.nbytes, READ_CHUNK)]
    with open(p, "rb", buffering=0) as fh:
        fh.seek(offset)
        if check and len(chunks) > 1:
            parts = _read_checking_behind(p, fh, buf, chunks)
        else:
            for start, stop in chunks:
                _fill(p, fh, buf, start, stop)
            parts = [_chunk_range(buf, 0, buf.nbytes)] if check and chunks else []
    if not dtype.isnative:
        arr.byteswap(inplace=True)
    return arr, _merge_ranges(parts) if parts else None


def _fill(p: Path, fh, buf: np.ndarray, start: int, stop: int) -> None:
    """Read ``buf[start:stop]`` from where ``fh`` stands; OccupyError if the file ends first."""
    done = start
    while done < stop:
        n = fh.readinto(buf[done:stop])
        if not n:
            raise OccupyError(f"{p}: truncated map (data block ends after {done} of {buf.nbytes} bytes)")
        done += n


def _chunk_range(buf: np.ndarray, start: int, stop: int, threads: int | None = None) -> tuple[float, float, int]:
    return finite_range(buf[start:stop].view(np.float32), threads)


def _read_checking_behind(p: Path, fh, buf: np.ndarray, chunks: list[tuple[int, int]]
                          ) -> list[tuple[float, float, int]]:
    """Read ``chunks`` in a helper thread while this one checks each chunk read so far.

    Reading (a copy from the page cache, GIL released) and the check (on one thread: the
    reading has the other core) overlap, so the check costs little more than the read
    (``bench/floors.py`` measures both). The helper stops within one chunk when this thread
    leaves early (an error, a signal); its errors are raised here.
    """
    import queue
    import threading
    ready: queue.SimpleQueue = queue.SimpleQueue()
    stop_reading = threading.Event()

    def read_all() -> None:
        try:
            for start, stop in chunks:
                if stop_reading.is_set():
                    return
                _fill(p, fh, buf, start, stop)
                ready.put((start, stop))
        except BaseException as exc:        # handed to the checking thread, which raises it
            ready.put(exc)

    reader = threading.Thread(target=read_all, name="occupy-read", daemon=True)
    reader.start()
    parts = []
    try:
        for _ in chunks:
            item = ready.get()
            if isinstance(item, BaseException):
                raise item
            parts.append(_chunk_range(buf, *item, threads=1))   # the reading has the other core
    finally:
        stop_reading.set()
        reader.join()
    return parts


def _merge_ranges(parts: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    """One ``finite_range`` from those of consecutive pieces."""
    finite = [(lo, hi) for lo, hi, _ in parts if lo == lo]
    bad = sum(n for _, _, n in parts)
    if not finite:
        return float("nan"), float("nan"), bad
    return min(lo for lo, _ in finite), max(hi for _, hi in finite), bad
