"""What a run of many maps is given: paths, globs, map lists, or one RELION classification."""
from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Iterable

from .errors import OccupyError

__all__ = ["check_stems", "classification_input", "expand_inputs"]

_GLOB_CHARS = set("*?[")


def expand_inputs(items: Iterable[str | os.PathLike]) -> list[Path]:
    """Turn globs, ``.txt`` lists (one path a line, ``#`` comments) and paths into map paths.

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
            try:
                lines = Path(text).read_text().splitlines()
            except OSError as exc:
                raise OccupyError(f"cannot read map list {text}: {exc.strerror}") from exc
            paths += [Path(s) for s in (ln.split("#", 1)[0].strip() for ln in lines) if s]
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
