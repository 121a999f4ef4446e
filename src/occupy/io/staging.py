"""Staging names: the hidden temporary names of files being written, and the removal of those a
killed run left.

A staging name is ``.<name>.<owner>.<8 random>.part`` beside the final file; <owner> is this
machine's tag and the writing process's id, so a later run can tell the files whose owner was
killed (``remove_stale_staging``) and a batch can remove a dead worker's (``remove_staging_of``).
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import time
from pathlib import Path
from typing import Callable

__all__ = ["remove_stale_staging", "remove_staging_of", "staging_prefix"]

# A staging name is ``.<name>.<owner>.<8 random>.part``; <owner> is the tag of the process-id
# space this process lives in (``_host_tag``) and the process id, so a later run can tell files
# whose owner was killed (``remove_stale_staging``). At most _NAME_BYTES of <name> are kept, so
# the staging name stays within the 255-byte limit of a file name whatever the final name's length.
_NAME_BYTES = 216
_TAG_DIGITS = 10
_STAGED = re.compile(r"^\.(?:.*)\.([0-9a-f]{%d})(\d+)\.[A-Za-z0-9_]{8}\.(part|prev)$" % _TAG_DIGITS, re.DOTALL)
# a stale file must be this old (seconds), so a file is never taken between its creation and use
_STALE_AGE = 2.0


def _host_tag() -> str:
    """Ten hex digits naming the space of process ids this process is in: the machine (host name and,
    on Linux, this boot) and its PID namespace (a container), so that a process id read from a name is
    only tested where it means the same process (a shared file system may serve many machines and
    containers of one host name)."""
    parts = [socket.gethostname()]
    for source in ("/proc/sys/kernel/random/boot_id", "/proc/self/ns/pid"):
        try:
            parts.append(os.readlink(source) if source.endswith("/pid") else Path(source).read_text().strip())
        except OSError:
            parts.append("")
    text = "\0".join(parts).encode("utf-8", "surrogateescape")
    return hashlib.sha1(text).hexdigest()[:_TAG_DIGITS]


def staging_prefix(target: Path) -> str:
    """The start of a staging name for ``target``: ``.<name>.<owner>.``, the name cut to 216 bytes.

    Parameters
    ----------
    target : pathlib.Path
        The file's final path.

    Returns
    -------
    str
        The prefix (``tempfile.mkstemp`` adds 8 random characters and the suffix).
    """
    name = os.fsdecode(os.fsencode(target.name)[:_NAME_BYTES])
    return f".{name}.{_host_tag()}{os.getpid()}."


def remove_stale_staging(directory: str | os.PathLike) -> int:
    """Remove staging files in ``directory`` that a killed run of this machine left behind.

    A staging file is stale when its name is one ``staged_file`` makes, its owner tag is
    this machine's (and this container's), the process that made it no longer exists, and
    it is more than two seconds old. Files of other machines or containers (a shared file
    system) and of live processes are kept; nothing is done on Windows, which has no safe
    test of a process id. An old output that a killed commit left set aside (``.prev``) is
    removed if its final name holds a file, else put back.

    Parameters
    ----------
    directory : str or path-like
        An output directory.

    Returns
    -------
    int
        How many files were removed.
    """
    now = time.time()
    return _remove_staging(directory, lambda pid, mtime: not _alive(pid) and now - mtime > _STALE_AGE)


def remove_staging_of(directory: str | os.PathLike, pid: int) -> int:
    """Remove the staging files in ``directory`` of process ``pid`` of this machine, known to be dead.

    Parameters
    ----------
    directory : str or path-like
        An output directory.
    pid : int
        The dead process (e.g. a batch worker the system killed).

    Returns
    -------
    int
        How many files were removed.
    """
    return _remove_staging(directory, lambda owner, mtime: owner == pid)


def _remove_staging(directory: str | os.PathLike, remove: Callable[[int, float], bool]) -> int:
    """Remove the staging files of this process-id space in ``directory`` for which ``remove(pid, mtime)``."""
    if os.name == "nt":
        return 0
    removed, host = 0, _host_tag()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        match = _STAGED.match(entry.name)
        if match is None or match.group(1) != host:
            continue
        try:
            if entry.is_file(follow_symlinks=False) and remove(int(match.group(2)),
                                                               entry.stat(follow_symlinks=False).st_mtime):
                removed += _remove_one(entry, entry.name[1:match.start(1) - 1], match.group(3))
        except OSError:
            continue
    return removed


def _remove_one(entry: os.DirEntry, final_name: str, kind: str) -> int:
    """Remove a dead owner's file: a ``.part`` always; a ``.prev`` (an old output set aside during a
    commit) only if its final name holds a file again, else it is put back there. 1 if removed."""
    if kind == "part":
        os.unlink(entry.path)
        return 1
    if len(os.fsencode(final_name)) >= _NAME_BYTES:
        return 0                            # the final name may have been cut: leave it
    final = os.path.join(os.path.dirname(entry.path), final_name)
    if os.path.lexists(final):
        os.unlink(entry.path)
        return 1
    os.replace(entry.path, final)
    return 0


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one we may not signal counts as existing)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
