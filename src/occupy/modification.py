"""Map modification guided by the local scale (SPEC 2.7).

The per-voxel work is two fused OpenMP kernels per block of voxels (``_ext/_voxel.pyx``):
the factor (float32 ``powf``, which may differ from numpy's float32 power by an ulp),
then the synthetic solvent mix, the suppression and the clip. Temporaries stay
block-sized whatever the box; results do not depend on the block size or the thread
count (the synthetic solvent is one sequential stream of draws, handed out through
fixed-size sub-blocks).
"""
from __future__ import annotations

import math

import numpy as np

from ._ext import _stats, _voxel
from ._threads import effective_threads
from .errors import OccupyError
from .filters import lowpass as lowpass_filter

__all__ = ["modification_factor", "sigmoid_mu", "modify", "exclude_solvent", "hist_match",
           "MODES"]

MODES = ("amplify", "attenuate", "sigmoid")
_CHUNK = 1 << 20   # voxels per block (bounds the temporaries to a few MB)
_MODE_CODE = {"amplify": 0, "attenuate": 1, "sigmoid": 2}


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
    none = np.empty(0, np.float32)
    _voxel.factor_block(scale.reshape(-1), none, out.reshape(-1), _MODE_CODE[mode], g, mu,
                        scale_limit, False, np.empty(0, np.int64), effective_threads(None))
    return out


def modify(data: np.ndarray, scale: np.ndarray, conf: np.ndarray | None, solvent=None, *,
           mode: str, gamma: float | None = None, sigmoid: float | None = None,
           pivot: float | None = None, scale_limit: float = 0.05, exclude_solvent: bool = False,
           lowpass_output: float | None = None, voxel_size: float | None = None,
           hist_match: bool = False, seed: int = 0, threads: int | None = None,
           return_factor: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Modify ``data`` by its local ``scale``; returns ``(modified, factor)``, both float32.

    Steps (SPEC 2.7): ``m = data * factor``; for attenuate/sigmoid without
    ``exclude_solvent``, add synthetic solvent ``N(solvent.mean, solvent.sigma)`` weighted by
    ``clip(1 - factor, 0, 1)`` (seeded: PCG64(``seed``)); suppress by confidence,
    ``out = m*conf + data*(1-conf)`` (``exclude_solvent``: ``out = m*conf``; ``conf=None``
    means 1, i.e. ``--omit-confidence``); optionally lowpass at ``lowpass_output`` Å
    (needs ``voxel_size``); finally clip to the input's [min, max], or with
    ``hist_match`` match the input's histogram. ``return_factor=False`` returns ``None`` for
    the factor and saves a full-size array. Results are identical for any ``threads``.
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
    n_threads = effective_threads(threads)
    d_flat, s_flat, c_flat = data.reshape(-1), scale.reshape(-1), conf.reshape(-1)
    lo, hi = _stats.minmax(d_flat, n_threads) if d_flat.size else (0.0, 0.0)
    clip_here = lowpass_output is None and not hist_match
    out = np.empty(data.shape, dtype=np.float32)
    factor = np.empty(data.shape, dtype=np.float32) if return_factor else None
    o_flat = out.reshape(-1)
    scratch = None if return_factor else np.empty(min(_CHUNK, d_flat.size), np.float32)
    mean = float(solvent.mean) if synthetic else 0.0
    sigma = float(solvent.sigma) if synthetic else 0.0
    no_noise, no_offsets = np.empty(0, np.float32), np.empty(0, np.int64)
    for a in range(0, d_flat.size, _CHUNK):
        b = min(a + _CHUNK, d_flat.size)
        f_blk = factor.reshape(-1)[a:b] if return_factor else scratch[:b - a]
        c_blk = c_flat[a:b] if use_conf else c_flat
        need = np.empty(_voxel.n_sub_blocks(b - a) if synthetic else 0, np.int64)
        _voxel.factor_block(s_flat[a:b], c_blk, f_blk, _MODE_CODE[mode], g, mu, scale_limit,
                            use_conf, need, n_threads)
        noise, offsets = no_noise, no_offsets
        if synthetic:   # draws in voxel order, only for the voxels that use them
            offsets = np.concatenate(([0], np.cumsum(need)))
            noise = rng.standard_normal(int(offsets[-1]), dtype=np.float32)
        _voxel.modify_block(d_flat[a:b], f_blk, c_blk, noise, offsets, o_flat[a:b], mean, sigma,
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
