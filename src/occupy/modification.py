"""Map modification guided by the local scale (SPEC 2.7).

The factor is numpy's vectorised float32 power; the rest of the per-voxel work is one
fused OpenMP kernel (``_ext/_voxel.pyx``). Both run over blocks of voxels, so temporaries stay small whatever the box; results do not depend on the block
size or the thread count (the synthetic solvent is drawn as one sequential stream).
"""
from __future__ import annotations

import math

import numpy as np

from ._ext import _voxel
from ._threads import effective_threads
from .errors import OccupyError
from .filters import lowpass as lowpass_filter

__all__ = ["modification_factor", "sigmoid_mu", "modify", "exclude_solvent", "hist_match",
           "MODES"]

MODES = ("amplify", "attenuate", "sigmoid")
_CHUNK = 1 << 22   # voxels per block (bounds the synthetic-solvent buffer to 16 MB)


def sigmoid_mu(power: float, pivot: float) -> float:
    """``mu`` of the sigmoid ``f(S) = 1/(1 + (mu(1-S)/(S(1-mu)))^G)`` such that ``f(P) = P``.

    ``f(P) = P`` means ``(mu(1-P)/(P(1-mu)))^G = (1-P)/P``, i.e.
    ``mu/(1-mu) = ((1-P)/P)^(1/G - 1)`` =: q, so ``mu = q/(1+q)``. For G >= 1 and
    0 < mu < 1, f increases monotonically from f(0)=0 to f(1)=1 (G = 1 gives f(S) = S).
    """
    if not 0 < pivot < 1:
        raise OccupyError(f"--pivot must be in (0, 1), got {pivot!r}")
    if not power >= 1:
        raise OccupyError(f"--sigmoid must be >= 1, got {power!r}")
    q = ((1.0 - pivot) / pivot) ** (1.0 / power - 1.0)
    return q / (1.0 + q)


def _check_mode(mode: str, gamma: float | None, sigmoid: float | None,
                pivot: float | None) -> tuple[float, float]:
    """Validate; return (exponent parameter, sigmoid mu or nan)."""
    if mode not in MODES:
        raise OccupyError(f"modification mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "sigmoid":
        power = sigmoid if sigmoid is not None else gamma
        if power is None or pivot is None:
            raise OccupyError("the sigmoid modification needs --sigmoid G and --pivot P")
        return float(power), sigmoid_mu(float(power), float(pivot))
    if gamma is None or not gamma >= 1:
        raise OccupyError(f"--gamma must be >= 1 (got {gamma!r}); values below 1 would swap "
                          "amplification and attenuation")
    return float(gamma), math.nan


def _factor_into(s: np.ndarray, mode: str, g: float, mu: float, limit: float,
                 out: np.ndarray) -> None:
    """Modification factor of a float32 block of scale values, written into ``out`` (float32).

    amplify/attenuate use numpy's (vectorised) float32 power; ``S <= limit`` is decided
    in float32 (S = float32(0.05) counts as 0.05) and gets factor 1.
    """
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if mode == "amplify":
            np.power(s, np.float32(1.0 / g - 1.0), out=out)
        elif mode == "attenuate":
            np.power(s, np.float32(g - 1.0), out=out)
        else:
            sd = s.astype(np.float64)
            ratio = (mu * (1.0 - sd)) / (sd * (1.0 - mu))
            out[...] = 1.0 / (1.0 + ratio ** g) / sd
    out[~(s > np.float32(limit))] = 1.0


def _synthetic_block(rng: np.random.Generator, factor: np.ndarray,
                     conf: np.ndarray | None) -> np.ndarray:
    """Standard-normal draws (float32) for the voxels whose output they can change.

    Only voxels with ``factor < 1`` (weight ``1 - factor`` > 0) and, when suppressing,
    ``conf > 0`` get a draw, in voxel order; the others get 0. Same inputs and seed give
    the same draws.
    """
    need = factor < 1
    if conf is not None:
        need &= conf > 0
    idx = np.flatnonzero(need)
    noise = np.zeros(factor.size, dtype=np.float32)
    noise[idx] = rng.standard_normal(idx.size, dtype=np.float32)
    return noise


def modification_factor(scale: np.ndarray, *, mode: str, gamma: float | None = None,
                        sigmoid: float | None = None, pivot: float | None = None,
                        scale_limit: float = 0.05) -> np.ndarray:
    """Per-voxel factor (float32) that the map is multiplied by (SPEC 2.7).

    amplify: ``S^(1/g - 1)``; attenuate: ``S^(g - 1)``; sigmoid (power ``sigmoid``, or
    ``gamma`` if not given, and ``pivot``): ``f(S)/S``. Where ``S <= scale_limit`` the
    factor is 1.
    """
    g, mu = _check_mode(mode, gamma, sigmoid, pivot)
    scale = np.ascontiguousarray(scale, dtype=np.float32)
    out = np.empty(scale.shape, dtype=np.float32)
    s_flat, o_flat = scale.reshape(-1), out.reshape(-1)
    for a in range(0, s_flat.size, _CHUNK):
        _factor_into(s_flat[a:a + _CHUNK], mode, g, mu, scale_limit, o_flat[a:a + _CHUNK])
    return out


def modify(data: np.ndarray, scale: np.ndarray, conf: np.ndarray | None, solvent=None, *,
           mode: str, gamma: float | None = None, sigmoid: float | None = None,
           pivot: float | None = None, scale_limit: float = 0.05, exclude_solvent: bool = False,
           lowpass_output: float | None = None, voxel_size: float | None = None,
           hist_match: bool = False, seed: int = 0, threads: int | None = None,
           ) -> tuple[np.ndarray, np.ndarray]:
    """Modify ``data`` by its local ``scale``; returns ``(modified, factor)``, both float32.

    Steps (SPEC 2.7): ``m = data * factor``; for attenuate/sigmoid without
    ``exclude_solvent``, add synthetic solvent ``N(solvent.mean, solvent.sigma)`` weighted by
    ``clip(1 - factor, 0, 1)`` (seeded: PCG64(``seed``)); suppress by confidence,
    ``out = m*conf + data*(1-conf)`` (``exclude_solvent``: ``out = m*conf``; ``conf=None``
    means 1, i.e. ``--omit-confidence``); optionally lowpass at ``lowpass_output`` Å
    (needs ``voxel_size``); finally clip to the input's [min, max], or with
    ``hist_match`` match the input's histogram.
    """
    g, mu = _check_mode(mode, gamma, sigmoid, pivot)
    data = np.asarray(data)
    scale = np.asarray(scale)
    if scale.shape != data.shape or (conf is not None and np.shape(conf) != data.shape):
        raise OccupyError(f"modify: map {data.shape}, scale {scale.shape} and confidence "
                          f"{None if conf is None else np.shape(conf)} shapes differ")
    synthetic = mode in ("attenuate", "sigmoid") and not exclude_solvent
    if synthetic and solvent is None:
        raise OccupyError(f"{mode} needs the solvent model for its synthetic solvent")
    if lowpass_output is not None and voxel_size is None:
        raise OccupyError("lowpass_output needs voxel_size")
    rng = np.random.Generator(np.random.PCG64(seed)) if synthetic else None
    data = np.ascontiguousarray(data, dtype=np.float32)
    scale = np.ascontiguousarray(scale, dtype=np.float32)
    use_conf = conf is not None
    conf = np.ascontiguousarray(conf, dtype=np.float32) if use_conf else np.empty(0, np.float32)
    lo, hi = float(data.min()), float(data.max())
    clip_here = lowpass_output is None and not hist_match
    out = np.empty(data.shape, dtype=np.float32)
    factor = np.empty(data.shape, dtype=np.float32)
    d_flat, s_flat, c_flat = data.reshape(-1), scale.reshape(-1), conf.reshape(-1)
    o_flat, f_flat = out.reshape(-1), factor.reshape(-1)
    no_noise = np.empty(0, np.float32)
    n_threads = effective_threads(threads)
    for a in range(0, d_flat.size, _CHUNK):
        b = min(a + _CHUNK, d_flat.size)
        _factor_into(s_flat[a:b], mode, g, mu, scale_limit, f_flat[a:b])
        noise = _synthetic_block(rng, f_flat[a:b], c_flat[a:b] if use_conf else None) \
            if synthetic else no_noise
        _voxel.modify_block(d_flat[a:b], f_flat[a:b], c_flat[a:b] if use_conf else c_flat, noise,
                            o_flat[a:b], float(solvent.mean) if synthetic else 0.0,
                            float(solvent.sigma) if synthetic else 0.0,
                            use_conf, synthetic, not exclude_solvent, clip_here, lo, hi, n_threads)
    if lowpass_output is not None:
        out = lowpass_filter(out, voxel_size, lowpass_output, threads=threads)
    if hist_match:
        return _hist_match(out, data), factor
    if not clip_here:
        np.clip(out, lo, hi, out=out)
    return out, factor


def exclude_solvent(data: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """Solvent-flattened map ``data * conf`` (float32)."""
    data = np.asarray(data)
    if np.shape(conf) != data.shape:
        raise OccupyError(f"confidence shape {np.shape(conf)} does not match the map's {data.shape}")
    return np.multiply(data, conf, dtype=np.float32)


def hist_match(source: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Give ``source`` the value distribution of ``template``, keeping the rank order of ``source``.

    With equal sizes the result holds exactly the template's values (the k-th smallest
    voxel of ``source`` gets the k-th smallest template value; ties keep index order);
    otherwise template quantiles are interpolated. Returns float32 of ``source``'s shape.
    """
    src = np.asarray(source).reshape(-1)
    tmpl = np.sort(np.asarray(template, dtype=np.float32).reshape(-1))
    if tmpl.size == 0 or src.size == 0:
        raise OccupyError("hist_match needs non-empty arrays")
    if tmpl.size != src.size:
        q = np.linspace(0.0, 1.0, src.size)
        tmpl = np.interp(q, np.linspace(0.0, 1.0, tmpl.size), tmpl).astype(np.float32)
    order = np.argsort(src, kind="stable")
    out = np.empty(src.size, dtype=np.float32)
    out[order] = tmpl
    return out.reshape(np.shape(source))


_hist_match = hist_match   # reachable inside modify(), whose flag shadows the name
