"""The MRC/CCP4 header checked against the file's size before anything else is read.

A lying header (a huge extended header, huge dimensions) or a file that is not a map at
all (a PDB model, text, an HTML error page) is refused from its first 1024 bytes, so
reading a map allocates no more than the file holds. Both byte orders are recognised.
"""
from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import OccupyError

__all__ = ["ACCEPTED_MODES", "HEADER_BYTES", "MapHeader", "check_map_file", "parse_header", "peek_header",
           "stacked_volumes"]

HEADER_BYTES = 1024
# MRC modes we accept (all processed as float32): mode -> (name, bytes per voxel)
ACCEPTED_MODES = {0: ("int8", 1), 1: ("int16", 2), 2: ("float32", 4), 6: ("uint16", 2), 12: ("float16", 2)}


@dataclass(frozen=True)
class MapHeader:
    """The header fields that decide whether, and how much, to read.

    Parameters
    ----------
    nx, ny, nz : int
        Columns, rows and sections (file order).
    mode : int
        MRC data mode (one of ``ACCEPTED_MODES``).
    nsymbt : int
        Bytes of extended header.
    ispg : int
        Space group (0 for image stacks, 1 for volumes, but often wrong).
    mz : int
        Sampling along Z (1 for image stacks).
    byteorder : str
        ``"<"`` or ``">"``.
    """

    nx: int
    ny: int
    nz: int
    mode: int
    nsymbt: int
    ispg: int
    mz: int
    byteorder: str

    @property
    def expected_size(self) -> int:
        """Bytes a complete file has: header, extended header and data.

        Returns
        -------
        int
            ``1024 + nsymbt + nx*ny*nz*bytes_per_voxel``.
        """
        return HEADER_BYTES + self.nsymbt + self.nx * self.ny * self.nz * ACCEPTED_MODES[self.mode][1]


def parse_header(head: bytes) -> MapHeader | None:
    """Read the deciding fields from the first 1024 bytes; None if they describe no map.

    Parameters
    ----------
    head : bytes
        At least 1024 bytes.

    Returns
    -------
    MapHeader or None
        The interpretation (little- or big-endian) with an accepted mode, positive
        dimensions and a non-negative extended header; None if neither byte order has one.

    Examples
    --------
    >>> import struct
    >>> head = struct.pack("<4i", 10, 20, 30, 2) + bytes(72) + struct.pack("<2i", 1, 0) + bytes(936)
    >>> parse_header(head).expected_size
    25024
    """
    if len(head) < HEADER_BYTES:
        return None
    for order in ("<", ">"):
        nx, ny, nz, mode = struct.unpack_from(f"{order}4i", head, 0)
        mz = struct.unpack_from(f"{order}i", head, 36)[0]
        ispg, nsymbt = struct.unpack_from(f"{order}2i", head, 88)
        if mode in ACCEPTED_MODES and min(nx, ny, nz) >= 1 and nsymbt >= 0:
            return MapHeader(nx, ny, nz, mode, nsymbt, ispg, mz, order)
    return None


def peek_header(path: str | os.PathLike) -> tuple[bytes, MapHeader] | None:
    """The first ``HEADER_BYTES`` of a file and the header parsed from them, without checking the file.

    Parameters
    ----------
    path : str or path-like
        A file.

    Returns
    -------
    (bytes, MapHeader) or None
        None if the file is not a regular file, cannot be read, or its first bytes are no
        MRC header we read.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None                     # a FIFO would block the open; a device is no map
        with open(path, "rb") as fh:
            head = fh.read(HEADER_BYTES)
    except OSError:
        return None
    header = parse_header(head)
    return None if header is None else (head, header)


def check_map_file(path: str | os.PathLike) -> MapHeader:
    """Check a map file's header against its size, reading only its first 1024 bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    MapHeader
        The header of a 3-D map whose file holds at least what the header promises.

    Raises
    ------
    OccupyError
        ``not a readable MRC/CCP4 map`` (too short for a header, or no accepted mode and
        dimensions), ``truncated map`` (smaller than header + extended header + data), a
        2-D image (one voxel thick along any axis), an image stack, or an MRC2014 stack of
        more than one volume (a stack of one volume is a map).
    """
    p = Path(path)
    size = p.stat().st_size
    with open(p, "rb") as fh:
        head = fh.read(HEADER_BYTES)
    header = parse_header(head)
    if header is None:
        _refuse(p, head, size)
    if size < header.expected_size:
        raise OccupyError(f"{p}: truncated map: file has {size} bytes, header promises {header.expected_size}")
    if 1 in (header.nx, header.ny, header.nz):
        raise OccupyError(f"{p}: this is a 2-D image ({header.nx}x{header.ny}x{header.nz} voxels), "
                          "occupy needs a 3-D map")
    if p.suffix.lower() == ".mrcs" or (header.ispg == 0 and header.mz == 1 and header.nz > 1):
        raise OccupyError(f"{p}: this is an image stack ({header.nz} images), occupy needs a 3-D map")
    volumes = stacked_volumes(header)
    if volumes > 1:
        raise OccupyError(f"{p}: this is a stack of {volumes} volumes of {header.nx}x{header.ny}x{header.mz} "
                          f"(MRC2014 volume stack, ISPG {header.ispg}), occupy needs one 3-D map: write each "
                          "volume to a file of its own (e.g. mrcfile.read(path)[i] in Python) and run those")
    return header


def stacked_volumes(header: MapHeader) -> int:
    """How many volumes an MRC2014 volume stack holds (ISPG 401-630, NZ = volumes x MZ); 1 for any other map.

    Parameters
    ----------
    header : MapHeader
        The file's header.

    Returns
    -------
    int
        ``nz // mz`` for a volume stack whose MZ divides NZ; otherwise 1 (the sections are one
        map: a stack of one volume, or a space group that no MZ supports).

    Examples
    --------
    >>> three, one = MapHeader(32, 32, 96, 2, 0, 401, 32, "<"), MapHeader(32, 32, 32, 2, 0, 401, 32, "<")
    >>> stacked_volumes(three), stacked_volumes(one)
    (3, 1)
    """
    if 401 <= header.ispg <= 630 and header.mz >= 1 and header.nz % header.mz == 0:
        return header.nz // header.mz
    return 1


_KNOWN_MODES = (0, 1, 2, 3, 4, 6, 12, 101)


def _refuse(p: Path, head: bytes, size: int) -> None:
    """Say why the first bytes are no map we read: too short, an MRC mode we do not take, or no map."""
    if size < HEADER_BYTES:
        raise OccupyError(f"{p}: not a readable MRC/CCP4 map ({size} bytes, less than a header)")
    for order in ("<", ">"):
        nx, ny, nz, mode = struct.unpack_from(f"{order}4i", head, 0)
        if mode in _KNOWN_MODES and min(nx, ny, nz) >= 1:
            accepted = ", ".join(name for name, _ in ACCEPTED_MODES.values())
            raise OccupyError(f"{p}: unsupported MRC data mode {mode} (accepted: {accepted})")
    raise OccupyError(f"{p}: not a readable MRC/CCP4 map (no MRC mode and dimensions in its header)")
