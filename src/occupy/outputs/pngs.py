"""Pictures straight from arrays: colour maps and a small PNG encoder (zlib + struct, no matplotlib).

Used by the report (``occupy.outputs.report``) and the ``--plot`` slices: a 256 x 256 slice
is encoded in about a millisecond. Images are ``[row, column]`` arrays whose row 0 is drawn
at the top; callers flip slices so that the second array axis grows upwards.
"""
from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

__all__ = ["GREY", "VIRIDIS", "data_uri", "encode_png", "grey_levels", "scale_levels", "viridis_lut"]

# viridis at nine evenly spaced points (the colour map of the ChimeraX script and the plots)
_VIRIDIS_KNOTS = np.array([
    (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
    (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37)], dtype=float)
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def viridis_lut(n: int = 256) -> np.ndarray:
    """The viridis colour map as an ``(n, 3)`` uint8 table (linear between nine knots).

    Parameters
    ----------
    n : int, optional
        Number of colours.

    Returns
    -------
    numpy.ndarray
        RGB rows from dark violet (0) to yellow (n - 1).

    Examples
    --------
    >>> lut = viridis_lut()
    >>> lut.shape, lut[0].tolist(), lut[-1].tolist()
    ((256, 3), [68, 1, 84], [253, 231, 37])
    """
    t = np.linspace(0.0, len(_VIRIDIS_KNOTS) - 1, n)
    channels = [np.interp(t, np.arange(len(_VIRIDIS_KNOTS)), _VIRIDIS_KNOTS[:, c]) for c in range(3)]
    return np.rint(np.stack(channels, axis=1)).astype(np.uint8)


VIRIDIS = viridis_lut()
GREY = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)


def grey_levels(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map values to 0..255 linearly between ``lo`` (black) and ``hi`` (white), clipped.

    Parameters
    ----------
    values : numpy.ndarray
        Any real array.
    lo, hi : float
        The values drawn black and white.

    Returns
    -------
    numpy.ndarray
        uint8 array of ``values``' shape.
    """
    span = float(hi - lo) if hi > lo else 1.0
    out = (np.asarray(values, dtype=np.float32) - np.float32(lo)) * np.float32(255.0 / span)
    return np.clip(out, 0, 255).astype(np.uint8)


def scale_levels(scale: np.ndarray, min_vis_scale: float) -> np.ndarray:
    """Map scale values to 0..255 along the colour key from ``min_vis_scale`` to 1.

    Parameters
    ----------
    scale : numpy.ndarray
        Scale values in [0, 1].
    min_vis_scale : float
        The scale at the bottom of the key (below it: the bottom colour).

    Returns
    -------
    numpy.ndarray
        uint8 indices into ``VIRIDIS``.
    """
    bottom = min(float(min_vis_scale), 0.999)
    return grey_levels(scale, bottom, 1.0)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def encode_png(pixels: np.ndarray, palette: np.ndarray | None = None, transparent: int | None = None,
               level: int = 6) -> bytes:
    """Encode an image as PNG bytes.

    Parameters
    ----------
    pixels : numpy.ndarray
        uint8 ``(rows, columns)`` grey levels or palette indices, or ``(rows, columns, 3)`` RGB.
    palette : numpy.ndarray, optional
        ``(n <= 256, 3)`` uint8 colours: a 2-D ``pixels`` then holds indices into it.
    transparent : int, optional
        With a palette: the index drawn fully transparent.
    level : int, optional
        zlib compression level.

    Returns
    -------
    bytes
        A complete PNG file (8 bits per sample, no interlace).

    Raises
    ------
    ValueError
        For another dtype or shape, or ``transparent`` without a palette.
    """
    img = np.ascontiguousarray(pixels)
    if img.dtype != np.uint8 or img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3) or 0 in img.shape:
        raise ValueError(f"encode_png: need a non-empty uint8 (rows, columns[, 3]) array, got {img.dtype} "
                         f"{img.shape}")
    if transparent is not None and palette is None:
        raise ValueError("encode_png: transparent needs a palette")
    rows, cols = img.shape[:2]
    colour_type = 2 if img.ndim == 3 else (3 if palette is not None else 0)
    raw = np.empty((rows, 1 + img[0].size), dtype=np.uint8)
    raw[:, 0] = 0                                   # filter type 0 (none) on every row
    raw[:, 1:] = img.reshape(rows, -1)
    parts = [_SIGNATURE, _chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, colour_type, 0, 0, 0))]
    if colour_type == 3:
        parts.append(_chunk(b"PLTE", np.ascontiguousarray(palette, dtype=np.uint8).tobytes()))
        if transparent is not None:
            alpha = np.full(transparent + 1, 255, dtype=np.uint8)
            alpha[transparent] = 0
            parts.append(_chunk(b"tRNS", alpha.tobytes()))
    parts += [_chunk(b"IDAT", zlib.compress(raw.tobytes(), level)), _chunk(b"IEND", b"")]
    return b"".join(parts)


def data_uri(png: bytes) -> str:
    """A ``data:`` URI of PNG bytes, for an ``<img src>`` that needs no file or network.

    Parameters
    ----------
    png : bytes
        A PNG file's bytes.

    Returns
    -------
    str
        ``data:image/png;base64,...``.
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
