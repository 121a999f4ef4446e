"""Reading and writing MRC/CCP4 maps, and atomic output sets."""
from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import mrcfile
import numpy as np

from ._ext import _stats
from ._threads import effective_threads
from .errors import OccupyError, warn

__all__ = ["MapData", "read_map", "write_map", "OutputSet"]

# MRC modes we accept, all processed as float32.
_ACCEPTED_MODES = {0: "int8", 1: "int16", 2: "float32", 6: "uint16", 12: "float16"}
_MODE_BYTES = {0: 1, 1: 2, 2: 4, 6: 2, 12: 2}


@dataclass
class MapData:
    """A map and the header facts that outputs must preserve.

    ``data`` is float32, indexed ``[z, y, x]`` (sections along Z) whatever the file's
    axis order; ``axis_order`` is the file's (MAPC, MAPR, MAPS) and is used to write
    outputs back in the same order.
    """

    data: np.ndarray
    voxel_size: float
    voxel_size_xyz: tuple[float, float, float] = (1.0, 1.0, 1.0)
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    nstart: tuple[int, int, int] = (0, 0, 0)
    axis_order: tuple[int, int, int] = (1, 2, 3)
    cell: tuple[float, float, float] | None = None
    sampling: tuple[int, int, int] | None = None  # MX, MY, MZ of the header
    labels: list[str] = field(default_factory=list)
    path: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)


def _file_to_zyx(axis_order: tuple[int, int, int]) -> tuple[int, int, int]:
    """Transpose taking file-order array (sections, rows, cols) to [z, y, x]."""
    mapc, mapr, maps = axis_order
    # file axis 2 (columns) is crystal axis mapc, axis 1 is mapr, axis 0 is maps.
    file_axis_of = {maps: 0, mapr: 1, mapc: 2}  # crystal axis (1=x,2=y,3=z) -> file axis
    return (file_axis_of[3], file_axis_of[2], file_axis_of[1])


def _check_header(path: Path, mrc) -> None:
    h = mrc.header
    nx, ny, nz = int(h.nx), int(h.ny), int(h.nz)
    mode = int(h.mode)
    if mode not in _ACCEPTED_MODES:
        raise OccupyError(f"{path}: unsupported MRC data mode {mode} "
                          f"(accepted: {', '.join(_ACCEPTED_MODES.values())})")
    if min(nx, ny, nz) < 1:
        raise OccupyError(f"{path}: not a valid MRC/CCP4 map (dimensions {nx}x{ny}x{nz})")
    expected = 1024 + int(h.nsymbt) + nx * ny * nz * _MODE_BYTES[mode]
    size = path.stat().st_size
    if size < expected:
        raise OccupyError(f"{path}: truncated map: file has {size} bytes, header promises {expected}")


def read_map(path: str | os.PathLike, pixel_size: float | None = None, *,
             allow_constant: bool = False) -> MapData:
    """Read a 3-D MRC/CCP4 map as float32 ``[z, y, x]`` with its header facts.

    Old or slightly malformed headers are read permissively, with a warning.  Raises
    :class:`OccupyError` with a one-line message for anything that cannot be processed:
    missing file, not a map, truncated data, 2-D images or stacks, NaN/Inf values,
    a constant map (unless ``allow_constant``, for masks), or a missing voxel size
    (unless ``pixel_size`` is given).
    """
    p = Path(path)
    if not p.exists():
        raise OccupyError(f"input map not found: {p}")
    if p.is_dir():
        raise OccupyError(f"input map is a directory, not a file: {p}")
    if not os.access(p, os.R_OK):
        raise OccupyError(f"input map is not readable (permission denied): {p}")
    msgs: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                mrc = mrcfile.open(p, mode="r", permissive=False)
            except (ValueError, OSError) as strict_error:
                mrc = mrcfile.open(p, mode="r", permissive=True)
                if mrc.data is None or not _looks_like_map(mrc):
                    mrc.close()
                    _raise_not_map(p, strict_error)
                msgs.append(f"{p.name}: non-standard header read permissively ({strict_error})")
            with mrc:
                _check_header(p, mrc)
                h = mrc.header
                if int(h.nz) == 1:
                    raise OccupyError(f"{p}: this is a 2-D image ({int(h.nx)}x{int(h.ny)}), "
                                      "occupy needs a 3-D map")
                if _is_image_stack(p, h):
                    raise OccupyError(f"{p}: this is an image stack ({int(h.nz)} images), "
                                      "occupy needs a 3-D map")
                raw = np.asarray(mrc.data)
                axis_order = (int(h.mapc), int(h.mapr), int(h.maps))
                if sorted(axis_order) != [1, 2, 3]:
                    msgs.append(f"{p.name}: invalid axis order MAPC/MAPR/MAPS={axis_order}, assuming 1 2 3")
                    axis_order = (1, 2, 3)
                vs = mrc.voxel_size
                vxyz = (float(vs.x), float(vs.y), float(vs.z))
                origin = (float(h.origin.x), float(h.origin.y), float(h.origin.z))
                nstart = (int(h.nxstart), int(h.nystart), int(h.nzstart))
                cell = (float(h.cella.x), float(h.cella.y), float(h.cella.z))
                sampling = (int(h.mx), int(h.my), int(h.mz))
                labels = [bytes(lab).decode("ascii", "replace").rstrip("\x00 ").strip()
                          for lab in h.label[: int(h.nlabl)]]
        for w in caught:
            msgs.append(f"{p.name}: {w.message}")
    except OccupyError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        _raise_not_map(p, exc)

    data = np.ascontiguousarray(raw.transpose(_file_to_zyx(axis_order)), dtype=np.float32)
    if not np.isfinite(data).all():
        n_bad = int(data.size - np.count_nonzero(np.isfinite(data)))
        raise OccupyError(f"{p}: map contains {n_bad} NaN/Inf values")
    if not allow_constant and float(data.max()) == float(data.min()):
        raise OccupyError(f"{p}: map is constant (every voxel is {float(data.min()):g})")

    if pixel_size is not None:
        if not pixel_size > 0:
            raise OccupyError(f"--pixel-size must be positive, got {pixel_size}")
        voxel = float(pixel_size)
        vxyz = (voxel, voxel, voxel)
        cell = tuple(float(n) * voxel for n in sampling)  # outputs carry the given voxel size
    else:
        if not all(np.isfinite(v) and v > 0 for v in vxyz):
            raise OccupyError(f"{p}: voxel size in the header is missing or non-positive "
                              f"({vxyz[0]:g}, {vxyz[1]:g}, {vxyz[2]:g}); give it with --pixel-size")
        voxel = vxyz[0]
        if not np.allclose(vxyz, voxel, rtol=1e-3):
            msgs.append(f"{p.name}: anisotropic voxels {vxyz}; using the X size {voxel:g} A")
    m = MapData(data=data, voxel_size=voxel, voxel_size_xyz=vxyz, origin=origin, nstart=nstart,
                axis_order=axis_order, cell=cell, sampling=sampling, labels=labels, path=str(p))
    for msg in msgs:
        warn(msg, m.warnings)
    return m


def _is_image_stack(p: Path, h) -> bool:
    """Stacks: ISPG 0 with one-section sampling (MZ = 1), or the .mrcs extension.

    Many real volumes carry ISPG 0 by mistake, so ISPG alone does not decide.
    """
    if p.suffix.lower() == ".mrcs":
        return True
    return int(h.ispg) == 0 and int(h.mz) == 1 and int(h.nz) > 1


def _looks_like_map(mrc) -> bool:
    h = mrc.header
    try:
        return int(h.mode) in _ACCEPTED_MODES and min(int(h.nx), int(h.ny), int(h.nz)) >= 1
    except Exception:  # pragma: no cover - garbage header
        return False


def _raise_not_map(p: Path, exc: BaseException) -> None:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "data block" in reason or "truncat" in reason.lower():
        raise OccupyError(f"{p}: truncated map ({reason})") from exc
    raise OccupyError(f"{p}: not a readable MRC/CCP4 map ({reason})") from exc


def _zyx_to_file(axis_order: tuple[int, int, int]) -> tuple[int, int, int]:
    fwd = _file_to_zyx(axis_order)
    inv = [0, 0, 0]
    for i, a in enumerate(fwd):
        inv[a] = i
    return tuple(inv)


def write_map(path: str | os.PathLike, data: np.ndarray, like: MapData | None = None,
              label: str | None = None, voxel_size: float | None = None) -> Path:
    """Write ``data`` ([z, y, x]) as a float32 MRC file, atomically.

    Header facts (voxel size, origin, nxstart/nystart/nzstart, axis order, cell,
    labels) are copied from ``like``; ``label`` is appended as a header label.
    """
    p = Path(path)
    directory = p.parent if str(p.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise OccupyError(f"cannot write {p}: {exc.strerror or exc}") from exc
    os.close(fd)
    try:
        _write_mrc(tmp, data, like, label, voxel_size)
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    except BaseException as exc:
        _unlink_quiet(tmp)
        if isinstance(exc, OSError):
            raise OccupyError(f"cannot write {p}: {exc.strerror or exc}") from exc
        raise
    return p


def _write_mrc(path: str, data: np.ndarray, like: MapData | None, label: str | None,
               voxel_size: float | None) -> None:
    arr = np.asarray(data, dtype=np.float32)
    if arr.ndim != 3:
        raise ValueError(f"write_map needs a 3-D array, got shape {arr.shape}")
    axis_order = like.axis_order if like is not None else (1, 2, 3)
    file_arr = np.ascontiguousarray(arr.transpose(_zyx_to_file(axis_order)))
    with mrcfile.new(path, overwrite=True) as mrc:
        # set_data would also compute numpy header statistics (slow, single-threaded);
        # skip them there and set ours at the end (_set_header_stats).
        mrc.update_header_stats = _skip_stats
        try:
            mrc.set_data(file_arr)
        finally:
            del mrc.update_header_stats
        h = mrc.header
        h.label[:] = b""  # drop mrcfile's timestamp label: same input -> same output bytes
        h.nlabl = 0
        if like is not None:
            h.mapc, h.mapr, h.maps = axis_order
            if voxel_size is None and like.cell is not None and like.sampling is not None \
                    and arr.shape == like.shape:
                h.mx, h.my, h.mz = like.sampling  # set_data reset them to NX, NY, NZ (file order)
                h.cella = like.cell
            else:
                v = voxel_size if voxel_size is not None else like.voxel_size_xyz
                mrc.voxel_size = v
            h.origin = like.origin
            h.nxstart, h.nystart, h.nzstart = like.nstart
            for lab in like.labels[:8]:
                if lab:
                    mrc.add_label(lab[:80])
        elif voxel_size is not None:
            mrc.voxel_size = voxel_size
        if label:
            if int(h.nlabl) >= 10:
                h.nlabl = 9
            mrc.add_label(label[:80])
        _set_header_stats(mrc, file_arr)


def _skip_stats() -> None:
    """Stand-in for mrcfile's update_header_stats while the data are being set."""


def _set_header_stats(mrc, arr: np.ndarray) -> None:
    """dmin/dmax/dmean/rms (rms = standard deviation, as mrcfile defines it) in one
    parallel pass; identical for any thread count. Falls back to mrcfile for odd data."""
    flat = arr.reshape(-1)
    stats = _stats.mean_std(flat, effective_threads()) if flat.size else None
    if stats is None or not np.isfinite(stats).all():
        mrc.update_header_stats()
        return
    h = mrc.header
    h.dmin, h.dmax, h.dmean, h.rms = (np.float32(v) for v in stats)


def _unlink_quiet(path: str | os.PathLike) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class OutputSet:
    """Collect a run's output files under temporary names; publish all or none.

    Use as a context manager: files staged with :meth:`write_map` / :meth:`write_text`
    / :meth:`stage` are renamed to their final names only when the block exits
    without an exception; otherwise every staged file is removed.
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self._staged: list[tuple[Path, Path]] = []

    def __enter__(self) -> "OutputSet":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def _temp(self, name: str) -> tuple[Path, Path]:
        final = self.directory / name
        if final.is_dir():
            raise OccupyError(f"cannot write {final}: a directory of that name exists")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=self.directory)
        except OSError as exc:
            raise OccupyError(f"cannot write to output directory {self.directory}: "
                              f"{exc.strerror or exc}") from exc
        os.close(fd)
        pair = (Path(tmp), final)
        self._staged.append(pair)
        return pair

    def stage(self, name: str) -> Path:
        """Reserve a temporary path for output ``name``; the caller writes it."""
        return self._temp(name)[0]

    def write_map(self, name: str, data: np.ndarray, like: MapData | None = None,
                  label: str | None = None) -> Path:
        tmp, final = self._temp(name)
        try:
            _write_mrc(str(tmp), data, like, label, None)
        except OSError as exc:
            raise OccupyError(f"cannot write {final}: {exc.strerror or exc}") from exc
        return final

    def write_text(self, name: str, text: str) -> Path:
        tmp, final = self._temp(name)
        try:
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OccupyError(f"cannot write {final}: {exc.strerror or exc}") from exc
        return final

    @property
    def final_paths(self) -> list[Path]:
        return [final for _, final in self._staged]

    def commit(self) -> list[Path]:
        """Rename every staged file to its final name; on any failure remove them all."""
        done: list[Path] = []
        try:
            for tmp, final in self._staged:
                if final.is_dir():
                    raise OccupyError(f"cannot write {final}: a directory of that name exists")
                os.chmod(tmp, 0o644)
                os.replace(tmp, final)
                done.append(final)
        except BaseException as exc:
            for path in done:
                _unlink_quiet(path)
            self.discard()
            if isinstance(exc, OSError):
                raise OccupyError(f"cannot write outputs in {self.directory}: {exc.strerror or exc}") from exc
            raise
        self._staged = []
        return done

    def discard(self) -> None:
        for tmp, _ in self._staged:
            _unlink_quiet(tmp)
        self._staged = []

