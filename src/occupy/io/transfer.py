"""A guarded download of a gzipped map: it must unpack to a map of the size its header declares.

Used by ``occupy --emdb``. The stream is read with a stall deadline (a server that drips
bytes fails within a bounded time), unpacked chunk by chunk, and checked as it goes: the
first 1024 unpacked bytes must be an MRC header, and unpacking stops as soon as it would
pass the size that header declares (so a gzip bomb writes at most that much). Only a file
of exactly the declared size is handed back for the atomic rename.
"""
from __future__ import annotations

import gzip
import time
import zlib
from typing import BinaryIO, Callable

from ..errors import OccupyError
from .header import HEADER_BYTES, parse_header

__all__ = ["MIN_PROGRESS_BYTES", "StallGuard", "unpack_map"]

MIN_PROGRESS_BYTES = 64 * 1024     # a transfer slower than this per timeout window has stalled
_READ_BYTES = 1 << 20              # bytes per read of the unpacked stream


class StallGuard:
    """A readable stream that fails when fewer than 64 KiB arrive within ``window`` seconds.

    Reads at most one network read at a time (``read1``), so the deadline is checked
    even when the server sends a byte at a time; ``advance(n)`` reports progress.

    Parameters
    ----------
    raw : file-like
        The response.
    window : float
        Seconds.
    advance : callable
        Called with the number of bytes of each read.
    what : str
        How messages name the transfer (its URL).
    """

    def __init__(self, raw, window: float, advance: Callable[[int], None], what: str):
        self._raw, self._window, self._advance, self._what = raw, float(window), advance, what
        self.count = 0
        self._since, self._recent = time.monotonic(), 0

    def read(self, size: int = -1) -> bytes:
        """Read ``size`` bytes (fewer only at the end), one network read at a time, on a deadline.

        Parameters
        ----------
        size : int, optional
            Bytes to return (-1: what one network read gives).

        Returns
        -------
        bytes
            The data (empty at the end of the stream).

        Raises
        ------
        OccupyError
            When fewer than ``MIN_PROGRESS_BYTES`` arrived within the window.
        """
        parts, got = [], 0
        while True:
            data = self._raw.read1(size - got if size > 0 else -1) if hasattr(self._raw, "read1") \
                else self._raw.read(size - got if size > 0 else -1)
            self._account(len(data))
            parts.append(data)
            got += len(data)
            if not data or size <= 0 or got >= size:
                return b"".join(parts)

    def _account(self, n: int) -> None:
        self.count += n
        self._recent += n
        if n:
            self._advance(n)
        now = time.monotonic()
        if now - self._since >= self._window:
            if self._recent < MIN_PROGRESS_BYTES and n:
                raise OccupyError(f"download of {self._what} stalled: {self._recent} bytes in "
                                  f"{now - self._since:.0f} s (limit OCCUPY_EMDB_TIMEOUT={self._window:g} s)")
            self._since, self._recent = now, 0


def unpack_map(source: StallGuard, sink: BinaryIO, what: str, margin: int = 0) -> int:
    """Gunzip ``source`` into ``sink``; it must be a map of exactly the size its header declares.

    Parameters
    ----------
    source : StallGuard
        The gzipped stream.
    sink : binary file
        Where the unpacked bytes go.
    what : str
        How messages name the download.
    margin : int, optional
        Bytes accepted beyond the declared size (then the file is still refused).

    Returns
    -------
    int
        Bytes written: the declared size.

    Raises
    ------
    OccupyError
        ``corrupt or incomplete`` (bad gzip, CRC, early end, fewer bytes than declared),
        ``not an MRC map`` (the first 1024 bytes are no map header), or ``larger than its
        header declares`` (unpacking stopped there).
    """
    written, expected, head = 0, None, b""
    try:
        with gzip.GzipFile(fileobj=source, mode="rb") as gz:
            while chunk := gz.read(_READ_BYTES):
                if expected is None:
                    head += chunk[:HEADER_BYTES]
                    expected = _declared_size(head[:HEADER_BYTES], what) if len(head) >= HEADER_BYTES else None
                if expected is not None and written + len(chunk) > expected + margin:
                    raise OccupyError(f"download of {what} unpacks to more than the {expected} bytes its "
                                      "header declares; stopped")
                _write(sink, chunk)
                written += len(chunk)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OccupyError(f"download of {what} is corrupt or incomplete ({detail})") from None
    if expected is None or not expected <= written <= expected + margin:
        raise OccupyError(f"download of {what} is corrupt or incomplete (unpacked to {written} bytes, "
                          f"its header declares {expected if expected is not None else 'none'})")
    return written


def _declared_size(head: bytes, what: str) -> int:
    header = parse_header(head)
    if header is None:
        raise OccupyError(f"download of {what} is not an MRC map (no map header in its first "
                          f"{HEADER_BYTES} bytes: the server sent something else)")
    return header.expected_size


def _write(sink: BinaryIO, chunk: bytes) -> None:
    try:
        sink.write(chunk)
    except OSError as exc:
        raise OccupyError(f"cannot write the downloaded map: {exc.strerror or exc}") from None
