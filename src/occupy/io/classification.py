"""RELION classifications as input: the 3-D class maps a ``*_model.star`` names.

A classification is given as a model file (``run_it025_model.star``), its optimiser file
(``run_it025_optimiser.star``, RELION's output node for Class3D) or a job directory (then
the last iteration's model file, or ``run_model.star`` of a finished refinement). The
class maps come from ``_rlnReferenceImage`` in ``data_model_classes`` (``data_model_bodies``
for MultiBody), resolved against the RELION project directory; class numbers are the
rows' order, as in RELION, and ``_rlnClassDistribution`` / ``_rlnEstimatedResolution``
come along for the summary.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OccupyError
from .star import read_star

__all__ = ["ClassMap", "Classification", "find_model_star", "is_classification", "read_classification"]

_ITERATION = re.compile(r"_it(\d+)_model\.star$")
_KINDS = "give a Class3D, InitialModel or MultiBody model.star (or its job directory)"


@dataclass(frozen=True)
class ClassMap:
    """One 3-D class of a classification.

    Parameters
    ----------
    number : int
        Class (or body) number, from 1, as RELION counts them.
    path : pathlib.Path
        The class map, resolved against the project directory.
    reference : str
        The map as the model file names it (relative to the project directory).
    distribution : float, optional
        ``_rlnClassDistribution``: the fraction of particles in the class.
    resolution : float, optional
        ``_rlnEstimatedResolution`` (Å).
    """

    number: int
    path: Path
    reference: str
    distribution: float | None = None
    resolution: float | None = None

    @property
    def empty(self) -> bool:
        """Whether no particle is in the class (its map is RELION's placeholder).

        Returns
        -------
        bool
            True when the class distribution is exactly 0.
        """
        return self.distribution == 0.0


@dataclass
class Classification:
    """The 3-D classes named in one model file.

    Parameters
    ----------
    model_path : pathlib.Path
        The ``*_model.star`` read.
    project_dir : pathlib.Path
        The directory the class maps' names are relative to.
    classes : list of ClassMap
        In class order.
    table : str
        ``model_classes`` or ``model_bodies``.
    """

    model_path: Path
    project_dir: Path
    classes: list[ClassMap] = field(default_factory=list)
    table: str = "model_classes"


def is_classification(path: str | os.PathLike) -> bool:
    """Tell whether an input names a classification rather than a map.

    Parameters
    ----------
    path : str or os.PathLike
        An input as given.

    Returns
    -------
    bool
        True for a directory or a ``.star`` file.

    Examples
    --------
    >>> is_classification("Class3D/job012/run_it025_model.star"), is_classification("map.mrc")
    (True, False)
    """
    p = Path(path)
    return p.suffix.lower() == ".star" or p.is_dir()


def find_model_star(job_dir: str | os.PathLike) -> Path:
    """Find the model file of a RELION job directory.

    ``run_model.star`` (a finished refinement or MultiBody job) if present, else the
    ``*_itNNN_model.star`` of the highest iteration (half-set models are ignored).

    Parameters
    ----------
    job_dir : str or os.PathLike
        The job directory (``Class3D/job012``).

    Returns
    -------
    pathlib.Path
        The model file.

    Raises
    ------
    OccupyError
        When the directory has no model file.
    """
    d = Path(job_dir)
    if (d / "run_model.star").is_file():
        return d / "run_model.star"
    found = [(int(m.group(1)), p.stat().st_mtime, p) for p in d.glob("*_model.star")
             if (m := _ITERATION.search(p.name)) and "_half" not in p.name and p.is_file()]
    if not found:
        raise OccupyError(f"{d} has no *_itNNN_model.star or run_model.star: {_KINDS}")
    return max(found)[2]


def _model_path(source: Path) -> Path:
    """The model file for a job directory, a model file or an optimiser file."""
    if source.is_dir():
        return find_model_star(source)
    if source.name.endswith("_optimiser.star"):
        model = source.with_name(source.name[: -len("_optimiser.star")] + "_model.star")
        if not model.is_file():
            raise OccupyError(f"{source} is an optimiser file but {model.name} is not beside it: {_KINDS}")
        return model
    if not source.exists():
        raise OccupyError(f"{source} does not exist")
    return source


def _project_dirs(model_path: Path, given: Path | None) -> list[Path]:
    """Where the class maps' names may start: as given, else the job's grandparent, then the working directory."""
    if given is not None:
        return [given]
    grandparent = model_path.resolve().parent.parent.parent
    return [grandparent] if grandparent == Path.cwd().resolve() else [grandparent, Path.cwd()]


def _class_rows(doc, model_path: Path) -> tuple[str, list[tuple[str, float | None, float | None]]]:
    """The table's name and (reference, distribution, resolution) per row; refuses 2-D models."""
    import gemmi
    general = doc.find_block("model_general")
    dim = general.find_value("_rlnReferenceDimensionality") if general is not None else None
    name = "model_bodies" if doc.find_block("model_bodies") is not None else "model_classes"
    block = doc.find_block(name)
    if block is None:
        raise OccupyError(f"{model_path} has no data_model_classes table: {_KINDS}")
    table = block.find(["_rlnReferenceImage", "?_rlnClassDistribution", "?_rlnEstimatedResolution"])
    if len(table) == 0:
        raise OccupyError(f"{model_path} lists no class maps (_rlnReferenceImage in data_{name}): {_KINDS}")
    rows = []
    for row in table:
        ref = row.str(0)
        if "@" in ref or (dim is not None and dim.strip() == "2"):
            raise OccupyError(f"{model_path} is a 2-D classification (class averages such as {ref}); "
                              f"occupy needs 3-D maps: {_KINDS}")
        numbers = [gemmi.cif.as_number(row[i]) if row.has(i) else None for i in (1, 2)]
        rows.append((ref, *(None if v is None or v != v else float(v) for v in numbers)))
    return name, rows


def read_classification(source: str | os.PathLike, project_dir: str | os.PathLike | None = None
                        ) -> Classification:
    """Read the 3-D classes of a RELION classification.

    Parameters
    ----------
    source : str or os.PathLike
        A ``*_model.star``, a ``*_optimiser.star`` or a job directory.
    project_dir : str or os.PathLike, optional
        The RELION project directory the maps' names are relative to; default the job
        directory's grandparent, or else the working directory (whichever has the maps).

    Returns
    -------
    Classification
        The model file, the project directory and the classes; every class map exists.

    Raises
    ------
    OccupyError
        For a missing or unreadable file, a 2-D classification, a model file without
        class maps, or a class map that does not exist (naming the class).
    """
    model_path = _model_path(Path(source))
    doc = read_star(model_path, "model file")
    name, rows = _class_rows(doc, model_path)
    places = _project_dirs(model_path, None if project_dir is None else Path(project_dir))
    project = next((d for d in places if (d / rows[0][0]).is_file()), places[0])
    classes = []
    for number, (ref, dist, res) in enumerate(rows, start=1):
        path = Path(ref) if Path(ref).is_absolute() else project / ref
        if not path.is_file():
            where = " or ".join(str(d) for d in places)
            raise OccupyError(f"class {number}: map {ref} (named in {model_path}) not found in {where}; "
                              "run from the RELION project directory")
        classes.append(ClassMap(number, path, ref, dist, res))
    return Classification(model_path=model_path, project_dir=project, classes=classes, table=name)
