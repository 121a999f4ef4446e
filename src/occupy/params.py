"""Parameters derived from the box, the voxel size and the user's overrides (SPEC 2.1, 2.2)."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from .errors import OccupyError, warn

__all__ = ["Parameters", "derive_parameters", "processing_shape", "default_lowpass"]

_log = logging.getLogger("occupy")


@dataclass
class Parameters:
    """Settings of one scale estimate.

    ``lowpass`` in Å; ``kernel_size`` (odd, voxels) and ``kernel_radius`` (voxels) define the
    ball ``footprint`` of ``n_v`` voxels; ``tau`` is the one used, ``tau_recommended`` the one
    derived from ``n_v`` (equal unless the user overrode tau). ``warnings`` lists the advice
    issued while deriving them.
    """

    lowpass: float
    kernel_size: int
    kernel_radius: float
    footprint: np.ndarray
    n_v: int
    tau: float
    tau_recommended: float
    warnings: list[str] = field(default_factory=list)


def default_lowpass(voxel_size: float) -> float:
    """The lowpass used when neither ``--lowpass`` nor ``--resolution`` is given: max(8 Å, 3 pix).

    ``3 pix`` is computed in float32, as the original program did with the header's value.
    """
    return max(8.0, float(np.float32(3.0) * np.float32(voxel_size)))


def _choose_lowpass(voxel_size: float, lowpass: float | None, resolution: float | None,
                    sink: list[str]) -> float:
    for name, v in (("lowpass", lowpass), ("resolution", resolution)):
        if v is not None and not (math.isfinite(v) and v > 0):
            raise OccupyError(f"--{name} must be a positive number of Å, got {v!r}")
    if lowpass is not None and resolution is not None:
        lp = max(float(lowpass), float(resolution))
        if lowpass != resolution:
            warn(f"both --lowpass ({lowpass:g} Å) and --resolution ({resolution:g} Å) given; "
                 f"using the larger, {lp:g} Å", sink)
        return lp
    if lowpass is not None:
        return float(lowpass)
    if resolution is not None:
        return float(resolution)
    return default_lowpass(voxel_size)


def derive_parameters(shape: tuple[int, ...], voxel_size: float, *,
                      lowpass: float | None = None, resolution: float | None = None,
                      kernel_size: int | None = None, kernel_radius: float | None = None,
                      tau: float | None = None) -> Parameters:
    """Derive lowpass, kernel and tau per SPEC 2.2 from the box ``shape`` and ``voxel_size`` (Å).

    Overrides are validated (:class:`OccupyError` on bad values). Advice (small kernel,
    both lowpass and resolution given) is issued as :class:`OccupyWarning` and kept in
    ``Parameters.warnings``; an overridden tau logs the recommended one on the
    ``occupy`` logger.
    """
    from .kernels import ball_footprint
    from .tau import tau_from_nv

    if len(shape) != 3:
        raise OccupyError(f"expected a 3-D box, got shape {tuple(shape)}")
    pix = float(voxel_size)
    if not (math.isfinite(pix) and pix > 0):
        raise OccupyError(f"voxel size must be positive, got {voxel_size!r}")
    sink: list[str] = []
    lp = _choose_lowpass(pix, lowpass, resolution, sink)

    if kernel_size is not None:
        k = int(kernel_size)
        if k != kernel_size or k % 2 == 0 or not 3 <= k <= 31:
            raise OccupyError(f"--kernel-size must be an odd integer between 3 and 31, got {kernel_size!r}")
    else:
        # float32 arithmetic, like the original (the header's voxel size is float32)
        k = int(math.floor(np.float32(lp) / np.float32(pix)))
        k = 2 * (k // 2) + 1
        k = min(max(k, 3), 9)
    if kernel_radius is not None:
        if not (math.isfinite(kernel_radius) and kernel_radius > 0):
            raise OccupyError(f"--kernel-radius must be positive, got {kernel_radius!r}")
        rk = float(kernel_radius)
    else:
        rk = float(np.float32(lp) / (np.float32(2.0) * np.float32(pix)))
    footprint = np.asarray(ball_footprint(k, rk), dtype=bool)
    n_v = int(np.count_nonzero(footprint))
    if n_v < 1:
        raise OccupyError(f"the kernel (size {k}, radius {rk:g} voxels) contains no voxels")

    tau_rec = float(tau_from_nv(n_v))
    if tau is not None:
        if not (math.isfinite(tau) and 0 < tau <= 1):
            raise OccupyError(f"--tau must be in (0, 1], got {tau!r}")
        tau_used = float(tau)
        if tau_used != tau_rec:
            _log.info("tau %.5g given; recommended for n_v=%d is %.5g", tau_used, n_v, tau_rec)
    else:
        tau_used = tau_rec

    if k < 5:
        warn(f"small kernel (size {k}, radius {rk:.2f} voxels): the solvent model is likely to be "
             "poor; consider a larger --kernel-size or --lowpass", sink)
    elif rk < k / 4:
        warn(f"kernel radius {rk:.2f} voxels fills only part of the {k}^3 kernel box (n_v = {n_v}): "
             "the solvent model is likely to be poor; raise --kernel-radius or --lowpass", sink)
    return Parameters(lowpass=lp, kernel_size=k, kernel_radius=rk, footprint=footprint, n_v=n_v,
                      tau=tau_used, tau_recommended=tau_rec, warnings=sink)


def processing_shape(shape: tuple[int, ...], max_box: int) -> tuple[int, ...]:
    """Shape the map is processed at under ``--max-box`` (SPEC 2.1).

    ``max_box <= 0`` or a largest side ``<= max_box`` leaves ``shape`` unchanged. Otherwise
    the largest side(s) become ``max_box`` and the other sides are scaled by the same
    factor and rounded to the nearest even number (at least 2, never larger than before).
    The processing voxel size is ``voxel_size * max(shape) / max_box``.
    """
    shape = tuple(int(n) for n in shape)
    if max_box is None or max_box <= 0:
        return shape
    largest = max(shape)
    if largest <= max_box:
        return shape
    factor = max_box / largest
    out = []
    for n in shape:
        if n == largest:
            out.append(int(max_box))
        else:
            m = 2 * int(round(n * factor / 2.0))
            out.append(min(max(m, 2), n))
    return tuple(out)
