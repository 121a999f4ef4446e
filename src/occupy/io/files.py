"""Files and directories written safely: the one atomic-write helper and the one output-directory helper.

Every file occupy writes is first written under a hidden temporary name beside its
final name (``.<name>.XXXXXX.part``) and renamed into place only when complete, so a
failed or interrupted write never leaves a partial file under a final name. Only
regular files are replaced that way: a symbolic link is followed (its target is
replaced, the link stays), and a final name that is a device, FIFO or socket (e.g.
``/dev/stdout``) is written as it is, once the content is complete. The
output directory is created on demand, proved writable by writing into it, and
removed again (each level this run created, if still empty) when the run fails.
"""
from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import OccupyError
from .staging import remove_stale_staging, staging_prefix

__all__ = ["atomic_path", "check_input_file", "discard", "output_directory", "prepare_output_dir", "publish",
           "remove_created", "staged_file", "write_target", "write_text_atomic"]


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


_FILE_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def check_input_file(path: str | os.PathLike, what: str = "input map") -> None:
    """Refuse an input that is missing, a directory, unreadable or not a regular file.

    A FIFO or device is refused before it is opened (reading one could wait forever for
    a writer), and a link loop or an over-long name gets its own words.

    Parameters
    ----------
    path : str or path-like
        The input.
    what : str
        What it is, for the messages (``"input map"``).

    Raises
    ------
    OccupyError
        ``<what> not found``, ``<what> is a directory``, ``<what> is not a regular file
        (a FIFO)`` and so on, or ``cannot open <what>: <reason>``.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise OccupyError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise OccupyError(f"cannot open {what} {path}: {_reason(exc)}") from exc
    if stat.S_ISDIR(mode):
        raise OccupyError(f"{what} is a directory, not a file: {path}")
    kind = next((name for test, name in _FILE_KINDS if test(mode)), None)
    if kind is not None or not stat.S_ISREG(mode):
        raise OccupyError(f"{what} is not a regular file ({kind or 'a special file'}): {path} - copy it "
                          "to a file first")
    if not os.access(path, os.R_OK):
        raise OccupyError(f"{what} is not readable (permission denied): {path}")


def write_target(final: str | os.PathLike) -> tuple[Path, bool]:
    """Where a write to ``final`` lands, and whether it is a special file written in place.

    Parameters
    ----------
    final : str or path-like
        An output's name, possibly a symbolic link (to a regular file, or to a device,
        FIFO or socket such as ``/dev/stdout``).

    Returns
    -------
    (Path, bool)
        For a regular file, a new name or a dangling link: the real path (links
        followed, so the link is kept and its target replaced) and False. For a
        special file: ``final`` itself (opened, never replaced) and True.

    Raises
    ------
    OccupyError
        If ``final`` is a directory, or it cannot be examined (a link loop, a name
        too long).
    """
    final = Path(final)
    try:
        info = os.stat(final)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OccupyError(f"cannot write {final}: {_reason(exc)}") from exc
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OccupyError(f"cannot write {final}: a directory of that name exists")
    if info is not None and (not stat.S_ISREG(info.st_mode) or _standard_fd(info) is not None):
        return final, True
    return Path(os.path.realpath(final)), False


def _standard_fd(info: os.stat_result) -> int | None:
    """The standard output stream (1 or 2) that is the file ``info`` describes, if any: ``/dev/stdout``
    redirected into a file (``>> job.log``) is written through the stream, never replaced. (Standard
    input is read-only: a file it reads from is replaced as any other.)"""
    for fd in (1, 2):
        try:
            if os.path.samestat(info, os.fstat(fd)):
                return fd
        except OSError:
            continue
    return None


def staged_file(final: str | os.PathLike, suffix: str = ".part") -> Path:
    """Create an empty temporary file for ``final`` and return its path.

    Parameters
    ----------
    final : str or path-like
        The file's final name; its directory must exist.
    suffix : str, optional
        ``.part`` for a file being made (removed by a later run if its owner was
        killed); another suffix (an old file set aside while a new one replaces it)
        is never removed by ``remove_stale_staging``.

    Returns
    -------
    Path
        The new file ``.<name>.<owner>.XXXXXXXX.part`` beside the file ``final`` names (its
        link's target for a link; private mode until ``publish``). For a special
        file (see ``write_target``) it is made in the temporary directory instead.

    Raises
    ------
    OccupyError
        If ``final`` is a directory or its directory cannot be written.
    """
    target, special = write_target(final)
    where = None if special else target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=staging_prefix(target), suffix=suffix, dir=where)
    except OSError as exc:
        raise OccupyError(f"cannot write {final}: {_reason(exc)}") from exc
    os.close(fd)
    return Path(tmp)


def publish(tmp: str | os.PathLike, final: str | os.PathLike) -> None:
    """Give the finished temporary file ``tmp`` its final name (readable by all, atomic rename).

    An existing regular file ``final`` is replaced (a link's target, the link kept); a
    special file is written as it is, and ``tmp`` removed.

    Parameters
    ----------
    tmp : str or path-like
        The complete temporary file (from ``staged_file``).
    final : str or path-like
        Its final name, on the same file system.

    Raises
    ------
    OccupyError
        If ``final`` is a directory or the rename (or the write) fails; ``tmp`` is then
        left for the caller to ``discard``.
    """
    target, special = write_target(final)
    try:
        if special:
            _copy_into(tmp, target)
            discard(tmp)
            return
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        raise OccupyError(f"cannot write {final}: {_reason(exc)}") from exc


def _copy_into(source: str | os.PathLike, special: Path) -> None:
    """Write the bytes of ``source`` to the special file ``special`` (never created or truncated): through
    the standard stream it is, if it is one (its offset and append mode kept); a FIFO without a reader is
    an error, not a wait."""
    fd = _standard_fd(os.stat(special))
    if fd is not None:
        if fd == 1 and sys.stdout is not None:
            sys.stdout.flush()      # what Python printed comes first
        with open(source, "rb") as src:
            while chunk := src.read(1 << 20):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
        return
    try:
        sink_fd = os.open(special, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OSError(exc.errno, "no process is reading from the FIFO") from exc
        raise
    os.set_blocking(sink_fd, True)
    with open(source, "rb") as src, open(sink_fd, "wb") as sink:
        shutil.copyfileobj(src, sink, 1 << 20)


def discard(path: str | os.PathLike) -> None:
    """Remove a temporary file if it is still there.

    Parameters
    ----------
    path : str or path-like
        The file; a missing file is not an error (other ``OSError`` propagate).
    """
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@contextmanager
def atomic_path(final: str | os.PathLike) -> Iterator[Path]:
    """Write ``final`` through a temporary path: renamed into place only if the block succeeds.

    Parameters
    ----------
    final : str or path-like
        The file to write; its directory must exist.

    Yields
    ------
    Path
        The staged temporary file beside ``final`` (see ``staged_file``) to write to.
        If the block raises, it is removed and ``final`` is left as it was.

    Raises
    ------
    OccupyError
        If the temporary file cannot be created or renamed, or the block raises an
        ``OSError`` (other exceptions propagate unchanged).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "notes.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (d / "notes.txt").read_text(), sorted(p.name for p in d.iterdir())
    ('done', ['notes.txt'])
    >>> try:
    ...     with atomic_path(d / "broken.txt") as tmp:
    ...         raise RuntimeError("interrupted")
    ... except RuntimeError:
    ...     pass
    >>> sorted(p.name for p in d.iterdir())
    ['notes.txt']
    """
    tmp = staged_file(final)
    try:
        yield tmp
        publish(tmp, final)
    except BaseException as exc:
        discard(tmp)
        if isinstance(exc, OSError):
            raise OccupyError(f"cannot write {final}: {_reason(exc)}") from exc
        raise


def write_text_atomic(final: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``final`` atomically.

    Parameters
    ----------
    final : str or path-like
        The file to write (replaced if it exists); its directory must exist.
    text : str
        The whole content.

    Returns
    -------
    Path
        ``final``.

    Raises
    ------
    OccupyError
        If the file cannot be written; nothing is left behind.
    """
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(final)


def prepare_output_dir(directory: str | os.PathLike) -> list[Path]:
    """Create ``directory`` (and missing parents) and prove it writable by writing into it.

    Parameters
    ----------
    directory : str or path-like
        The output directory; it may exist already.

    Returns
    -------
    list of Path
        The directories this call created, outermost first (for ``remove_created``).

    Raises
    ------
    OccupyError
        If it cannot be created or written (``os.access`` is not trusted: it says yes to
        root on read-only mounts); the levels this call created are removed again.

    Notes
    -----
    Staging files left in ``directory`` by a killed run are removed
    (``remove_stale_staging``).
    """
    directory = Path(directory)
    missing = [p for p in (directory, *directory.parents) if not p.exists()][::-1]
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        remove_created([p for p in missing if p.is_dir()])
        raise OccupyError(f"cannot create output directory {directory}: {_reason(exc)}") from exc
    try:
        fd, probe = tempfile.mkstemp(prefix=".occupy-probe-", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        remove_created(missing)
        raise OccupyError(f"output directory is not writable: {directory} ({_reason(exc)})") from exc
    remove_stale_staging(directory)
    return missing


def remove_created(created: list[Path]) -> None:
    """Remove the directories a run created (innermost first), where they are still empty.

    Stops at the first one that cannot be removed (e.g. it holds files), so its
    parents are kept as well.

    Parameters
    ----------
    created : list of Path
        Directories, outermost first, as ``prepare_output_dir`` returns them.
    """
    for path in reversed(created):
        try:
            path.rmdir()
        except OSError:
            return


@contextmanager
def output_directory(directory: str | os.PathLike) -> Iterator[Path]:
    """Prepare ``directory`` for a run; if the block fails, remove what was created for it.

    Parameters
    ----------
    directory : str or path-like
        The output directory (created with its missing parents, see
        ``prepare_output_dir``).

    Yields
    ------
    Path
        ``directory``. If the block raises, the levels created for it are removed
        again where still empty, and the exception propagates.

    Raises
    ------
    OccupyError
        If the directory cannot be created or written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> try:
    ...     with output_directory(base / "run" / "maps") as out:
    ...         raise RuntimeError("the run failed")
    ... except RuntimeError:
    ...     pass
    >>> list(base.iterdir())
    []
    """
    created = prepare_output_dir(directory)
    try:
        yield Path(directory)
    except BaseException:
        remove_created(created)
        raise
