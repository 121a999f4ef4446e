"""Download a map from the EMDB archive (``occupy --emdb ID``).

Only the standard library is used for the transfer (``urllib`` with its default TLS
verification, ``gzip``); ``rich`` draws the optional progress bar.  The map is
decompressed while it streams into a temporary file in the output directory and
renamed to ``emd_<ID>.map`` only when it is complete, so a failed or interrupted
download never leaves a file behind.
"""
from __future__ import annotations

import math
import os
import re
import socket
import urllib.error
import urllib.request
from http.client import HTTPException
from pathlib import Path
from typing import BinaryIO, Callable

from ._version import __version__
from .errors import OccupyError, OptionError, warn
from .io.files import atomic_path, output_directory
from .io.header import check_map_file
from .io.transfer import StallGuard, unpack_map

__all__ = ["DEFAULT_EMDB_URL", "DEFAULT_TIMEOUT_S", "download_timeout", "emdb_url", "fetch_emdb", "normalize_emdb_id"]

DEFAULT_EMDB_URL = "https://ftp.ebi.ac.uk/pub/databases/emdb/structures"
ENV_VAR = "OCCUPY_EMDB_URL"
TIMEOUT_VAR = "OCCUPY_EMDB_TIMEOUT"
DEFAULT_TIMEOUT_S = 60.0
TRAILING_BYTES = 4096   # bytes accepted after the data a map's header declares
# Optional "EMD-" / "EMD_" / "emd-" / "emd_" prefix, then 1 to 9 digits, nothing else.
_ID_RE = re.compile(r"(?:emd[-_])?([0-9]{1,9})", re.IGNORECASE)


def normalize_emdb_id(entry: str | int) -> str:
    """Return the canonical digits of an EMDB ID (at least 4, zero-padded).

    Parameters
    ----------
    entry : str or int
        The entry: ``3061``, ``"3061"``, ``"EMD-3061"`` or ``"emd_3061"`` (1 to 9 digits,
        optional ``EMD-``/``EMD_`` prefix in any case, surrounding spaces ignored).

    Returns
    -------
    str
        The digits, zero-padded to 4 as in the archive's directory names.

    Raises
    ------
    OccupyError
        For anything else (letters, paths, signs, empty).

    Examples
    --------
    >>> normalize_emdb_id("EMD-3061"), normalize_emdb_id(552)
    ('3061', '0552')
    """
    text = str(entry).strip()
    m = _ID_RE.fullmatch(text)
    if m is None:
        raise OccupyError(f"invalid EMDB ID {str(entry)!r}: give the entry number, e.g. 3061 or EMD-3061")
    return m.group(1).zfill(4)


def emdb_url(entry_id: str, base_url: str | None = None) -> str:
    """Return the URL of ``emd_<ID>.map.gz`` in the EMDB archive's layout.

    Parameters
    ----------
    entry_id : str
        The canonical digits (from ``normalize_emdb_id``).
    base_url : str, optional
        The archive's ``structures`` URL; default ``$OCCUPY_EMDB_URL``, else
        ``DEFAULT_EMDB_URL`` (the EBI archive).

    Returns
    -------
    str
        ``<base>/EMD-<ID>/map/emd_<ID>.map.gz``.

    Examples
    --------
    >>> emdb_url("3061", "https://mirror.example.org/emdb/")
    'https://mirror.example.org/emdb/EMD-3061/map/emd_3061.map.gz'
    """
    base = base_url or os.environ.get(ENV_VAR) or DEFAULT_EMDB_URL
    return f"{base.rstrip('/')}/EMD-{entry_id}/map/emd_{entry_id}.map.gz"


def fetch_emdb(entry: str | int, output_dir: str | os.PathLike = ".", *, progress: bool = False,
               base_url: str | None = None, timeout: float | None = None) -> Path:
    """Download EMDB entry ``entry`` and return the path of the unpacked ``emd_<ID>.map``.

    If ``output_dir/emd_<ID>.map`` already exists and is a complete map it is returned
    without any network request (an invalid one is fetched again). Otherwise
    ``emd_<ID>.map.gz`` is streamed and gunzipped on the fly; the file is kept only if it
    is a map of exactly the size its header declares.

    Parameters
    ----------
    entry : str or int
        The EMDB ID, e.g. ``3061`` or ``"EMD-3061"`` (see ``normalize_emdb_id``).
    output_dir : str or path-like
        Where to write (created if needed); default the current directory.
    progress : bool
        Show a progress bar (bytes, total, speed) on stderr.
    base_url : str, optional
        The archive's ``structures`` URL; default ``$OCCUPY_EMDB_URL`` or the EBI archive.
    timeout : float, optional
        Seconds allowed to connect, for each read, and in which at least 64 KiB must
        arrive; default ``$OCCUPY_EMDB_TIMEOUT`` or 60.

    Returns
    -------
    pathlib.Path
        ``output_dir/emd_<ID>.map``.

    Raises
    ------
    OccupyError
        With one clear line for every failure (bad ID, unwritable directory, HTTP
        error, no network, timeout, corrupt or truncated gzip); no file is left behind.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> import numpy as np, occupy
    >>> _ = occupy.write_map(folder / "emd_3061.map", np.eye(4, dtype=np.float32)[None].repeat(4, 0), voxel_size=1.0)
    >>> fetch_emdb("EMD-3061", folder) == folder / "emd_3061.map"  # no network needed
    True
    """
    entry_id = normalize_emdb_id(entry)
    out_dir = Path(output_dir)
    target = out_dir / f"emd_{entry_id}.map"
    if target.is_dir():
        raise OccupyError(f"cannot download EMD-{entry_id} to {target}: a directory of that name exists")
    if target.is_file():
        try:
            check_map_file(target)
            return target
        except OccupyError as exc:
            warn(f"{target} is not a valid map ({exc}); downloading it again")
    url = emdb_url(entry_id, base_url)
    window = download_timeout() if timeout is None else float(timeout)
    with output_directory(out_dir), atomic_path(target) as tmp, open(tmp, "wb") as sink:
        _download(url, entry_id, sink, progress=progress, timeout=window)
    return target


def download_timeout() -> float:
    """Seconds of the transfer deadlines: ``$OCCUPY_EMDB_TIMEOUT``, default 60.

    Returns
    -------
    float
        Used for connecting, for each read, and as the window in which at least 64 KiB
        must arrive.

    Raises
    ------
    OptionError
        If ``OCCUPY_EMDB_TIMEOUT`` is not a positive number.
    """
    text = os.environ.get(TIMEOUT_VAR, "").strip()
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value > 0):
        raise OptionError(f"{TIMEOUT_VAR} must be a positive number of seconds, got {text!r}")
    return value


def _download(url: str, entry_id: str, sink: BinaryIO, *, progress: bool, timeout: float) -> None:

    name = url.rsplit("/", 1)[-1]
    try:
        request = urllib.request.Request(url, headers={"User-Agent": f"occupy/{__version__}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            total = _content_length(response)
            with _progress_bar(name, total, enabled=progress) as advance:
                source = StallGuard(response, timeout, advance, url)
                unpack_map(source, sink, url, margin=TRAILING_BYTES)
            if total is not None and source.count != total:
                raise OccupyError(f"download of {url} is corrupt or incomplete "
                                  f"(got {source.count} of {total} bytes)")
    except OccupyError:
        raise
    except Exception as exc:  # noqa: BLE001 - every transfer failure becomes one clear line
        raise OccupyError(_transfer_error(exc, url, entry_id, timeout)) from None


def _transfer_error(exc: Exception, url: str, entry_id: str, timeout: float) -> str:
    """One line saying why a transfer failed."""
    if isinstance(exc, urllib.error.HTTPError):
        if exc.code == 404:
            return f"EMDB entry {entry_id} not found (HTTP 404) at {url}"
        if 300 <= exc.code < 400:           # urllib gives up on a loop or too many hops (a multi-line reason)
            return (f"download of {url} failed: the server's redirects (HTTP {exc.code}) never reach the file "
                    "(a loop, or too many)")
        return f"download of {url} failed: HTTP {exc.code} {' '.join(str(exc.reason).split())}"
    if isinstance(exc, urllib.error.URLError):
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            return f"timed out after {timeout:g} s connecting to {url}"
        return f"cannot reach {url}: {_reason_text(exc.reason)}"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"timed out after {timeout:g} s downloading {url} (OCCUPY_EMDB_TIMEOUT)"
    if isinstance(exc, HTTPException):  # IncompleteRead, RemoteDisconnected, bad status line ...
        return f"download of {url} is corrupt or incomplete ({type(exc).__name__})"
    if isinstance(exc, ConnectionError):
        return f"connection lost while downloading {url}: {_reason_text(exc)}"
    if isinstance(exc, ValueError):  # malformed URL, e.g. a bad OCCUPY_EMDB_URL
        return f"cannot download {url}: {exc} (check {ENV_VAR})"
    if isinstance(exc, OSError):
        return f"download of {url} failed: {_reason_text(exc)}"
    raise exc


def _content_length(response) -> int | None:
    value = response.headers.get("Content-Length") if hasattr(response, "headers") else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _reason_text(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


class _progress_bar:
    """Context manager yielding ``advance(nbytes)``; a rich bar on stderr when enabled."""

    def __init__(self, name: str, total: int | None, *, enabled: bool):
        self._name, self._total, self._enabled = name, total, enabled
        self._progress = None

    def __enter__(self) -> Callable[[int], None]:
        if not self._enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(TextColumn("Fetching {task.description}"), BarColumn(),
                                  DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                                  console=Console(stderr=True))
        self._progress.start()
        task = self._progress.add_task(self._name, total=self._total)
        return lambda n: self._progress.advance(task, n)

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()
