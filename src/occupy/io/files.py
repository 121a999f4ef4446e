"""Files and directories written safely: the one atomic-write helper and the one output-directory helper.

Every file occupy writes is first written under a hidden temporary name beside its
final name (``.<name>.XXXXXX.part``) and renamed into place only when complete, so a
failed or interrupted write never leaves a partial file under a final name. The
output directory is created on demand, proved writable by writing into it, and
removed again (each level this run created, if still empty) when the run fails.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import OccupyError

__all__ = ["atomic_path", "discard", "output_directory", "prepare_output_dir", "publish",
           "remove_created", "staged_file", "write_text_atomic"]


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def staged_file(final: str | os.PathLike) -> Path:
    """Create an empty temporary file beside ``final`` and return its path.

    Parameters
    ----------
    final : str or path-like
        The file's final name; its directory must exist.

    Returns
    -------
    Path
        The new file ``.<name>.XXXXXX.part`` in ``final``'s directory (private mode
        until ``publish``).

    Raises
    ------
    OccupyError
        If ``final`` is a directory or its directory cannot be written.
    """
    final = Path(final)
    if final.is_dir():
        raise OccupyError(f"cannot write {final}: a directory of that name exists")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    except OSError as exc:
        raise OccupyError(f"cannot write {final}: {_reason(exc)}") from exc
    os.close(fd)
    return Path(tmp)


def publish(tmp: str | os.PathLike, final: str | os.PathLike) -> None:
    """Give the finished temporary file ``tmp`` its final name (readable by all, atomic rename).

    An existing file ``final`` is replaced.

    Parameters
    ----------
    tmp : str or path-like
        The complete temporary file (from ``staged_file``).
    final : str or path-like
        Its final name, on the same file system.

    Raises
    ------
    OccupyError
        If ``final`` is a directory or the rename fails; ``tmp`` is then left for the
        caller to ``discard``.
    """
    final = Path(final)
    if final.is_dir():
        raise OccupyError(f"cannot write {final}: a directory of that name exists")
    try:
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    except OSError as exc:
        raise OccupyError(f"cannot write {final}: {_reason(exc)}") from exc


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
