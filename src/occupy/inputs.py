"""What a run of many maps is given: paths, globs, map lists, or one RELION classification.

A glob such as ``'*.mrc'`` run again in a folder that holds a batch's outputs would take
them as inputs (``ampl_3.0_ampl_3.0_a.mrc``). A file a glob matches is left out when it is
an output of occupy: its name is an output name (``occupy.outputs.names.is_output_name``)
and its header carries the label occupy writes into every output map (``occupy <version>:
...``). A map named explicitly, on the command line or in a map list, is always run.

In a map list (a ``.txt`` file, one path a line) ``#`` starts a comment at the start of a
line or after white space, so ``run#2.mrc`` is a path and ``a.mrc  # good`` is ``a.mrc``.
"""
from __future__ import annotations

import glob
import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .errors import OccupyError
from .io.header import peek_header
from .outputs.names import is_output_name

__all__ = ["BatchMaps", "batch_maps", "check_stems", "classification_input", "expand_inputs", "is_occupy_output",
           "read_map_list"]

_GLOB_CHARS = set("*?[")
# the header label occupy adds to every output map: "occupy 0.2.0: local scale (occ)"
_OUTPUT_LABEL = re.compile(r"occupy \d[^\s:]*: ")
_COMMENT = re.compile(r"(?:^|\s)#.*")
_LABELS = (220, 224, 80, 10)        # MRC header: offset of NLABL, of the labels, label length, labels


def expand_inputs(items: Iterable[str | os.PathLike]) -> list[Path]:
    """Turn globs, ``.txt`` lists (``read_map_list``) and paths into map paths.

    Paths in a list file are relative to the current directory, like paths on the
    command line. Globs are sorted, ``**`` matches across directories, and matched
    directories are dropped; plain paths are not checked here.

    Parameters
    ----------
    items : iterable of str or path-like
        Map paths, globs (containing ``*``, ``?`` or ``[``) and ``.txt`` list files.

    Returns
    -------
    list of pathlib.Path
        In the order given; the same file given twice is kept once (first spelling).

    Raises
    ------
    OccupyError
        If a glob matches nothing or a list file cannot be read.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a.mrc", "b.mrc"):
    ...     _ = (d / name).write_bytes(b"")
    >>> _ = (d / "maps.txt").write_text(f"{d / 'b.mrc'}  # already matched")
    >>> [p.name for p in expand_inputs([d / "*.mrc", d / "maps.txt"])]
    ['a.mrc', 'b.mrc']
    """
    paths: list[Path] = []
    for item in items:
        text = str(item)
        if _GLOB_CHARS & set(text):
            found = sorted(glob.glob(text, recursive=True))
            if not found:
                raise OccupyError(f"no files match {text!r}")
            paths += [Path(f) for f in found if not Path(f).is_dir()]
        elif text.lower().endswith(".txt"):
            paths += read_map_list(text)
        else:
            paths.append(Path(text))
    unique: dict[str, Path] = {}
    for p in paths:
        unique.setdefault(os.path.abspath(p), p)
    return list(unique.values())


def check_stems(paths: list[Path]) -> None:
    """Refuse maps whose outputs would have the same names (the same file stem).

    Parameters
    ----------
    paths : list of pathlib.Path
        The maps of one run.

    Raises
    ------
    OccupyError
        Naming every clash.
    """
    from .outputs.names import map_stem
    seen: dict[str, Path] = {}
    clashes: list[str] = []
    for p in paths:
        stem = map_stem(p)
        if stem in seen:
            clashes.append(f"{seen[stem]} and {p} (both '{stem}')")
        else:
            seen[stem] = p
    if clashes:
        raise OccupyError("maps with the same name would overwrite each other's outputs: "
                          + "; ".join(clashes) + " - rename them or run them into different --output-dir")


def classification_input(inputs: list[str | os.PathLike], dask_scheduler: str | None = None,
                         threads_per_job: int | None = None) -> str | os.PathLike | None:
    """Find the classification among a batch's inputs; it must come alone.

    Parameters
    ----------
    inputs : list of str or os.PathLike
        The batch's inputs as given.
    dask_scheduler : str, optional
        The batch's Dask scheduler (a classification cannot run there).
    threads_per_job : int, optional
        The batch's threads per map (a classification shares one budget instead).

    Returns
    -------
    str or os.PathLike or None
        The classification (a ``.star`` file or a directory), or None if the inputs are maps.

    Raises
    ------
    OccupyError
        For a classification given with other inputs, with Dask or with ``threads_per_job``.
    """
    from .io.classification import is_classification
    found = [i for i in inputs if is_classification(i)]
    if not found:
        return None
    if len(inputs) > 1:
        raise OccupyError(f"give a classification ({found[0]}) alone, not with other inputs: its classes are "
                          "the maps of the run")
    if dask_scheduler:
        raise OccupyError("a classification runs in one process: drop --dask-scheduler")
    if threads_per_job is not None:
        raise OccupyError("threads_per_job does not apply to a classification: give threads= (the budget "
                          "shared by its classes)")
    return found[0]


@dataclass
class BatchMaps:
    """The maps a batch runs, and the files its globs matched that are occupy's outputs.

    Parameters
    ----------
    paths : list of pathlib.Path
        The maps to run, in the order given, each file once.
    skipped : list of pathlib.Path
        Outputs of occupy that a glob matched, left out (each once; not named explicitly too).
    """

    paths: list[Path]
    skipped: list[Path] = field(default_factory=list)


def batch_maps(items: Iterable[str | os.PathLike]) -> BatchMaps:
    """Turn globs, ``.txt`` map lists and paths into the maps of a batch.

    Globs are sorted, ``**`` matches across directories, matched directories are dropped, and
    matched outputs of occupy are left out (``is_occupy_output``). Paths in a map list are
    relative to the current directory; plain paths are not checked here.

    Parameters
    ----------
    items : iterable of str or path-like
        Map paths, globs (containing ``*``, ``?`` or ``[``) and ``.txt`` map lists.

    Returns
    -------
    BatchMaps
        The maps, and the outputs left out.

    Raises
    ------
    OccupyError
        If a glob matches nothing or a map list cannot be read.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a.mrc", "run#2.mrc"):
    ...     _ = (d / name).write_bytes(b"")
    >>> _ = (d / "maps.txt").write_text(f"# two maps\\n{d / 'run#2.mrc'}  # the second run\\n")
    >>> [p.name for p in batch_maps([d / "*.mrc", d / "maps.txt"]).paths]
    ['a.mrc', 'run#2.mrc']
    """
    paths: list[Path] = []
    skipped: list[Path] = []
    for item in items:
        text = str(item)
        if _GLOB_CHARS & set(text):
            for path in expand_inputs([text]):
                (skipped if is_occupy_output(path) else paths).append(path)
        elif text.lower().endswith(".txt"):
            paths += read_map_list(text)
        else:
            paths.append(Path(text))
    unique: dict[str, Path] = {}
    for path in paths:
        unique.setdefault(os.path.abspath(path), path)
    left_out: dict[str, Path] = {}
    for path in skipped:
        if os.path.abspath(path) not in unique:
            left_out.setdefault(os.path.abspath(path), path)
    return BatchMaps(list(unique.values()), list(left_out.values()))


def read_map_list(path: str | os.PathLike) -> list[Path]:
    """Read a map list: one path a line; blank lines and comments are skipped.

    A comment starts with ``#`` at the start of a line or after white space, so a ``#``
    inside a name (``run#2.mrc``) is kept. Leading and trailing white space is dropped.

    Parameters
    ----------
    path : str or path-like
        The ``.txt`` file.

    Returns
    -------
    list of pathlib.Path
        The paths, in the file's order.

    Raises
    ------
    OccupyError
        If the file cannot be read.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> listing = pathlib.Path(tempfile.mkdtemp()) / "maps.txt"
    >>> _ = listing.write_text("# maps\\nrun#2.mrc\\nb.mrc  # good\\n\\n   # aside\\n")
    >>> [str(p) for p in read_map_list(listing)]
    ['run#2.mrc', 'b.mrc']
    """
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise OccupyError(f"cannot read map list {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    entries = (_COMMENT.sub("", line).strip() for line in lines)
    return [Path(entry) for entry in entries if entry]


def is_occupy_output(path: str | os.PathLike) -> bool:
    """Whether a file is an output map of occupy: by its name and by its header's label, both.

    Parameters
    ----------
    path : str or path-like
        A file.

    Returns
    -------
    bool
        True if its name is one occupy gives output maps (``ampl_3.0_a.mrc``,
        ``scale_occ_a.mrc``, ...) and one of its header labels is the one occupy writes
        into outputs (``occupy 0.2.0: ...``); False otherwise, also for a file that
        cannot be read or is not a map.
    """
    peeked = peek_header(path) if is_output_name(Path(path).name) else None
    if peeked is None:
        return False
    head, header = peeked
    count_at, first, length, most = _LABELS
    count = max(0, min(struct.unpack_from(f"{header.byteorder}i", head, count_at)[0], most))
    labels = (head[first + i * length: first + (i + 1) * length].decode("latin-1") for i in range(count))
    return any(_OUTPUT_LABEL.match(label) for label in labels)
