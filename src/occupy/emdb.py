"""Download a map from the EMDB archive (``occupy --emdb ID``).

Only the standard library is used for the transfer (``urllib`` with its default TLS
verification, ``gzip``); ``rich`` draws the optional progress bar.  The map is
decompressed while it streams into a temporary file in the output directory and
renamed to ``emd_<ID>.map`` only when it is complete, so a failed or interrupted
download never leaves a file behind.
"""
from __future__ import annotations

import gzip
import os
import re
import socket
import urllib.error
import urllib.request
import zlib
from http.client import HTTPException
from pathlib import Path
from typing import BinaryIO, Callable

from .errors import OccupyError
from .io.files import atomic_path, output_directory

__all__ = ["DEFAULT_EMDB_URL", "normalize_emdb_id", "emdb_url", "fetch_emdb"]

DEFAULT_EMDB_URL = "https://ftp.ebi.ac.uk/pub/databases/emdb/structures"
ENV_VAR = "OCCUPY_EMDB_URL"
_READ_BYTES = 1 << 20   # bytes per read of the unpacked stream
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
               base_url: str | None = None, timeout: float = 60) -> Path:
    """Download EMDB entry ``entry`` and return the path of the unpacked ``emd_<ID>.map``.

    If ``output_dir/emd_<ID>.map`` already exists it is returned without any network
    request. Otherwise ``emd_<ID>.map.gz`` is streamed, gunzipped on the fly and
    written atomically.

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
    timeout : float
        Seconds, per connection attempt and per read.

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
    >>> _ = (folder / "emd_3061.map").write_bytes(b"")  # already downloaded
    >>> fetch_emdb("EMD-3061", folder) == folder / "emd_3061.map"  # no network needed
    True
    """
    entry_id = normalize_emdb_id(entry)
    out_dir = Path(output_dir)
    target = out_dir / f"emd_{entry_id}.map"
    if target.is_file():
        return target
    url = emdb_url(entry_id, base_url)
    with output_directory(out_dir), atomic_path(target) as tmp, open(tmp, "wb") as sink:
        _download(url, entry_id, sink, progress=progress, timeout=timeout)
    return target


def _download(url: str, entry_id: str, sink: BinaryIO, *, progress: bool, timeout: float) -> None:
    """Stream ``url`` through gunzip into ``sink``; translate every failure to OccupyError."""
    from . import __version__

    name = url.rsplit("/", 1)[-1]
    try:
        request = urllib.request.Request(url, headers={"User-Agent": f"occupy/{__version__}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            total = _content_length(response)
            with _progress_bar(name, total, enabled=progress) as advance:
                source = _CountingReader(response, advance)
                _gunzip(source, sink, url)
            if total is not None and source.count != total:
                raise OccupyError(f"download of {url} is corrupt or incomplete "
                                  f"(got {source.count} of {total} bytes)")
    except OccupyError:
        raise
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise OccupyError(f"EMDB entry {entry_id} not found (HTTP 404) at {url}") from None
        raise OccupyError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise OccupyError(f"timed out after {timeout:g} s connecting to {url}") from None
        raise OccupyError(f"cannot reach {url}: {_reason_text(reason)}") from None
    except (TimeoutError, socket.timeout):
        raise OccupyError(f"timed out after {timeout:g} s downloading {url}") from None
    except HTTPException as exc:  # IncompleteRead, RemoteDisconnected, bad status line ...
        raise OccupyError(f"download of {url} is corrupt or incomplete "
                          f"({type(exc).__name__})") from None
    except ConnectionError as exc:
        raise OccupyError(f"connection lost while downloading {url}: {_reason_text(exc)}") from None
    except OSError as exc:
        raise OccupyError(f"download of {url} failed: {_reason_text(exc)}") from None
    except ValueError as exc:  # malformed URL, e.g. a bad OCCUPY_EMDB_URL
        raise OccupyError(f"cannot download {url}: {exc} (check {ENV_VAR})") from None


def _gunzip(source: "_CountingReader", sink: BinaryIO, url: str) -> None:
    written = 0
    try:
        with gzip.GzipFile(fileobj=source, mode="rb") as gz:
            while chunk := gz.read(_READ_BYTES):
                _write(sink, chunk)
                written += len(chunk)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OccupyError(f"download of {url} is corrupt or incomplete ({detail})") from None
    if written < 1024:  # not even an MRC header
        raise OccupyError(f"download of {url} is corrupt or incomplete "
                          f"(unpacked to only {written} bytes)")


def _write(sink: BinaryIO, chunk: bytes) -> None:
    try:
        sink.write(chunk)
    except OSError as exc:
        raise OccupyError(f"cannot write the downloaded map: {exc.strerror or exc}") from None


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


class _CountingReader:
    """File-like wrapper counting bytes read and reporting them to a callback."""

    def __init__(self, raw, advance: Callable[[int], None]):
        self._raw = raw
        self._advance = advance
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self.count += len(data)
            self._advance(len(data))
        return data


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
