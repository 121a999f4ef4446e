"""Reading and writing MRC/CCP4 maps with the header facts that outputs must keep."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import mrcfile
import numpy as np

from ..arrays import check_map_values
from ..errors import OccupyError, warn
from ..options import check_option
from .files import atomic_path, check_input_file
from .header import ACCEPTED_MODES, check_map_file
from .mrcdata import MapData, file_to_zyx, read_data_block
from .mrcwrite import write_mrc

__all__ = ["read_map", "write_map"]



_CLASSIFICATION_HINT = (" (every 3-D class of a RELION classification, given as its job directory or "
                        "model.star, runs with occupy-batch or occupy-relion)")


def _check_path(p: Path) -> None:
    if os.path.isdir(p):
        raise OccupyError(f"input map is a directory, not a file: {p}{_CLASSIFICATION_HINT}")
    check_input_file(p, "input map")
    if p.suffix.lower() == ".star":
        raise OccupyError(f"{p} is a STAR file, not a map{_CLASSIFICATION_HINT}")


def _open(p: Path, msgs: list[str]):
    """The header of an mrcfile object: strict first, then permissive (with a warning) for odd headers.

    Only the header is read here (the data are read by ``read_data_block``, in one copy)."""
    try:
        return mrcfile.open(p, mode="r", permissive=False, header_only=True)
    except (ValueError, OSError) as strict_error:
        mrc = mrcfile.open(p, mode="r", permissive=True, header_only=True)
        if not _looks_like_map(mrc):
            mrc.close()
            _raise_not_map(p, strict_error)
        msgs.append(f"{p.name}: non-standard header read permissively ({strict_error})")
        return mrc


def _header_facts(p: Path, mrc, msgs: list[str]) -> dict:
    """Everything but the data that a MapData keeps, read from an open, checked file."""
    h = mrc.header
    axis_order = (int(h.mapc), int(h.mapr), int(h.maps))
    if sorted(axis_order) != [1, 2, 3]:
        msgs.append(f"{p.name}: invalid axis order MAPC/MAPR/MAPS={axis_order}, assuming 1 2 3")
        axis_order = (1, 2, 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        vs = mrc.voxel_size             # cell / sampling: NaN or Inf for MX/MY/MZ = 0 (refused or replaced later)
    return dict(
        axis_order=axis_order,
        voxel_size_xyz=(float(vs.x), float(vs.y), float(vs.z)),
        origin=(float(h.origin.x), float(h.origin.y), float(h.origin.z)),
        nstart=(int(h.nxstart), int(h.nystart), int(h.nzstart)),
        cell=(float(h.cella.x), float(h.cella.y), float(h.cella.z)),
        sampling=(int(h.mx), int(h.my), int(h.mz)),
        labels=[_decode_label(bytes(lab)) for lab in h.label[: max(0, min(int(h.nlabl), len(h.label)))]])


def _decode_label(raw: bytes) -> str:
    """A header label as text: UTF-8 if it is, else Latin-1 (every byte is a character); never fails.

    Outputs write labels as printable ASCII (``occupy.io.mrcwrite``)."""
    raw = raw.rstrip(b"\x00 ")
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return raw.decode("latin-1").strip()


def _read_file(p: Path, msgs: list[str]) -> tuple[np.ndarray, dict]:
    """The raw (file-order) data and the header facts (with ``value_range`` as ``read_data_block``
    gives it); every failure is an OccupyError."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with _open(p, msgs) as mrc:
                facts = _header_facts(p, mrc, msgs)
                h = mrc.header      # one volume: check_map_file refused stacks of more
                layout = (mrcfile.utils.data_dtype_from_header(h), (int(h.nz), int(h.ny), int(h.nx)),
                          h.nbytes + mrc.extended_header.nbytes)
        msgs.extend(f"{p.name}: {w.message}" for w in caught)
        raw, value_range = read_data_block(p, *layout, msgs)
    except OccupyError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        _raise_not_map(p, exc)
    facts["value_range"] = value_range
    return raw, facts


def _voxel_size(p: Path, facts: dict, pixel_size: float | None, size_xyz: tuple[int, int, int],
                msgs: list[str]) -> float:
    """The voxel size used (header X size, or ``pixel_size``, which also rewrites the facts: the
    cell, and the sampling MX/MY/MZ where the header's is not positive; ``size_xyz`` is the map's)."""
    if check_option("pixel_size", pixel_size) is not None:
        voxel = float(pixel_size)
        if min(facts["sampling"]) < 1:
            facts["sampling"] = size_xyz
        facts["voxel_size_xyz"] = (voxel, voxel, voxel)
        facts["cell"] = tuple(float(n) * voxel for n in facts["sampling"])  # outputs carry it
        return voxel
    vxyz = facts["voxel_size_xyz"]
    if not all(np.isfinite(v) and v > 0 for v in vxyz):
        raise OccupyError(f"{p}: voxel size in the header is missing or non-positive "
                          f"({vxyz[0]:g}, {vxyz[1]:g}, {vxyz[2]:g}); give it with --pixel-size")
    if not np.allclose(vxyz, vxyz[0], rtol=1e-3):
        msgs.append(f"{p.name}: anisotropic voxels {vxyz}; using the X size {vxyz[0]:g} A")
    return vxyz[0]


def read_map(path: str | os.PathLike, pixel_size: float | None = None, *,
             allow_constant: bool = False) -> MapData:
    """Read a 3-D MRC/CCP4 map as float32 ``[z, y, x]`` with its header facts.

    Parameters
    ----------
    path : str or path-like
        The map file (MRC modes 0, 1, 2, 6 and 12; any axis order).
    pixel_size : float, optional
        Voxel size in Å to use instead of the header's (``--pixel-size``); outputs carry it.
    allow_constant : bool
        Accept a constant map (for masks); default False.

    Returns
    -------
    MapData
        The data and header facts. Old or slightly malformed headers are read
        permissively; what was odd (also anisotropic voxels, of which the X size is
        used) is in ``MapData.warnings`` and issued as ``OccupyWarning``.

    Raises
    ------
    OccupyError
        With a one-line message for anything that cannot be processed: missing file,
        not a map, truncated data, 2-D images or stacks, NaN/Inf values, a constant map
        (unless ``allow_constant``), or a missing voxel size (unless ``pixel_size``).
    OptionError
        If ``pixel_size`` is given and not a positive number.

    Examples
    --------
    >>> import pathlib, tempfile, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ramp.mrc"
    >>> data = np.arange(120, dtype=np.float32).reshape(4, 5, 6)
    >>> _ = write_map(path, data, voxel_size=1.5, label="a ramp")
    >>> m = read_map(path)
    >>> m.shape, m.voxel_size, m.labels, bool((m.data == data).all())
    ((4, 5, 6), 1.5, ['a ramp'], True)
    """
    p = Path(os.fsdecode(path))             # bytes paths too, as os takes them
    _check_path(p)
    try:
        check_map_file(p)       # header against file size: nothing is allocated for a lying header
    except OSError as exc:
        raise OccupyError(f"cannot read input map {p}: {exc.strerror or exc}") from exc
    msgs: list[str] = []
    raw, facts = _read_file(p, msgs)
    data = np.ascontiguousarray(raw.transpose(file_to_zyx(facts["axis_order"])), dtype=np.float32)
    value_range = check_map_values(data, f"{p}: map", allow_constant=allow_constant,
                                   known=facts.pop("value_range"))
    voxel = _voxel_size(p, facts, pixel_size, data.shape[::-1], msgs)
    m = MapData(data=data, voxel_size=voxel, path=str(p), value_range=value_range, **facts)
    for msg in msgs:
        warn(msg, m.warnings)
    return m


def _looks_like_map(mrc) -> bool:
    h = mrc.header
    try:
        return int(h.mode) in ACCEPTED_MODES and min(int(h.nx), int(h.ny), int(h.nz)) >= 1
    except Exception:  # pragma: no cover - garbage header
        return False


def _raise_not_map(p: Path, exc: BaseException) -> None:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "data block" in reason or "truncat" in reason.lower():
        raise OccupyError(f"{p}: truncated map ({reason})") from exc
    raise OccupyError(f"{p}: not a readable MRC/CCP4 map ({reason})") from exc


def write_map(path: str | os.PathLike, data: np.ndarray, like: MapData | None = None,
              label: str | None = None, voxel_size: float | None = None) -> Path:
    """Write ``data`` (``[z, y, x]``) as a float32 MRC file, atomically.

    Parameters
    ----------
    path : str or path-like
        Where to write; an existing file is replaced only once the new one is complete.
    data : numpy.ndarray
        A 3-D array (converted to float32).
    like : MapData, optional
        Header facts to copy: voxel size, origin, nxstart/nystart/nzstart, axis order,
        cell and sampling (kept only for data of ``like``'s shape) and up to 8 labels.
    label : str, optional
        Appended as a header label (cut to 80 characters).
    voxel_size : float or tuple of float, optional
        Voxel size in Å (overrides ``like``'s). With neither this nor ``like`` the
        header's voxel size is 0, which ``read_map`` refuses without ``pixel_size``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OccupyError
        If the file cannot be written; nothing is left behind.
    ValueError
        If ``data`` is not 3-D.

    Examples
    --------
    >>> import pathlib, tempfile, numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> ramp = np.arange(120, dtype=np.float32).reshape(4, 5, 6)
    >>> first = read_map(write_map(folder / "ramp.mrc", ramp, voxel_size=2.0))
    >>> half = read_map(write_map(folder / "half.mrc", first.data / 2, like=first, label="halved"))
    >>> half.voxel_size, half.labels, float(half.data.max())
    (2.0, ['halved'], 59.5)
    """
    p = Path(path)
    with atomic_path(p) as tmp:
        write_mrc(tmp, data, like, label, voxel_size)
    return p
