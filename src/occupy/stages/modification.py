"""Map modification guided by the local scale (SPEC 2.7).

The per-voxel work is two fused OpenMP kernels per block of voxels (``_ext/_modification.pyx``):
the factor (float32 ``powf``, which may differ from numpy's float32 power by an ulp),
then the synthetic solvent mix, the suppression and the clip. Temporaries stay
block-sized whatever the box; results do not depend on the block size or the thread
count (the synthetic solvent is one sequential stream of draws, handed out through
fixed-size sub-blocks).
"""
from __future__ import annotations

import math

import numpy as np

from .._ext import _modification
from ..constants import BLOCK_VOXELS, SCALE_LIMIT
from ..errors import OccupyError, OptionError
from ..options import check_option
from ..stats import value_range
from ..threads import effective_threads
from .lowpass import lowpass_filter

__all__ = ["MODES", "flatten_solvent", "match_histogram", "modification_factor", "modify", "sigmoid_mu"]

MODES = ("amplify", "attenuate", "sigmoid")
_MODE_CODE = {"amplify": 0, "attenuate": 1, "sigmoid": 2}


def sigmoid_mu(power: float, pivot: float) -> float:
    """``mu`` of the sigmoid ``f(S) = 1/(1 + (mu(1-S)/(S(1-mu)))^G)`` such that ``f(P) = P``.

    ``f(P) = P`` means ``(mu(1-P)/(P(1-mu)))^G = (1-P)/P``, i.e.
    ``mu/(1-mu) = ((1-P)/P)^(1/G - 1)`` =: q, so ``mu = q/(1+q)``. For G >= 1 and
    0 < mu < 1, f increases monotonically from f(0)=0 to f(1)=1 (G = 1 gives f(S) = S).
    """
    check_option("pivot", pivot)
    check_option("sigmoid", power)
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
            raise OptionError("the sigmoid modification needs --sigmoid G and --pivot P")
        return float(power), sigmoid_mu(float(power), float(pivot))
    if check_option("gamma", gamma) is None:
        raise OptionError(f"{mode} needs --gamma G")
    return float(gamma), math.nan


def modification_factor(scale: np.ndarray, *, mode: str, gamma: float | None = None,
                        sigmoid: float | None = None, pivot: float | None = None,
                        scale_limit: float = SCALE_LIMIT) -> np.ndarray:
    """Per-voxel factor (float32) that the map is multiplied by (SPEC 2.7).

    amplify: ``S^(1/g - 1)``; attenuate: ``S^(g - 1)``; sigmoid (power ``sigmoid``, or
    ``gamma`` if not given, and ``pivot``): ``f(S)/S``. Where ``S <= scale_limit`` the
    factor is 1.
    """
    g, mu = _check_mode(mode, gamma, sigmoid, pivot)
    scale = np.ascontiguousarray(scale, dtype=np.float32)
    out = np.empty(scale.shape, dtype=np.float32)
    none = np.empty(0, np.float32)
    _modification.factor_block(scale.reshape(-1), none, out.reshape(-1), _MODE_CODE[mode], g, mu,
                        scale_limit, False, np.empty(0, np.int64), effective_threads(None))
    return out


def modify(data: np.ndarray, scale: np.ndarray, conf: np.ndarray | None, solvent=None, *,
           mode: str, gamma: float | None = None, sigmoid: float | None = None,
           pivot: float | None = None, scale_limit: float = SCALE_LIMIT, exclude_solvent: bool = False,
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
    synthetic = mode in ("attenuate", "sigmoid") and not exclude_solvent
    _check_inputs(data, scale, conf, mode, synthetic and solvent is None,
                  lowpass_output is not None and voxel_size is None)
    data = np.ascontiguousarray(data, dtype=np.float32)
    scale = np.ascontiguousarray(scale, dtype=np.float32)
    conf = None if conf is None else np.ascontiguousarray(conf, dtype=np.float32)
    n_threads = effective_threads(threads)
    lo, hi = (float(v) for v in value_range(data, n_threads)) if data.size else (0.0, 0.0)
    clip_here = lowpass_output is None and not hist_match
    out = np.empty(data.shape, dtype=np.float32)
    factor = np.empty(data.shape, dtype=np.float32) if return_factor else None
    noise = _Noise(solvent, seed) if synthetic else None
    _modify_blocks(data, scale, conf, out, factor, (_MODE_CODE[mode], g, mu, scale_limit), noise,
                   keep_input=not exclude_solvent, clip=(lo, hi) if clip_here else None, n_threads=n_threads)
    if lowpass_output is not None:
        out = lowpass_filter(out, voxel_size, lowpass_output, threads=threads)
    if hist_match:
        return match_histogram(out, data), factor
    if not clip_here:
        np.clip(out, lo, hi, out=out)
    return out, factor


def _check_inputs(data, scale, conf, mode: str, no_solvent: bool, no_voxel_size: bool) -> None:
    shape = np.shape(data)
    if np.shape(scale) != shape or (conf is not None and np.shape(conf) != shape):
        raise OccupyError(f"modify: map {shape}, scale {np.shape(scale)} and confidence "
                          f"{None if conf is None else np.shape(conf)} shapes differ")
    if no_solvent:
        raise OccupyError(f"{mode} needs the solvent model for its synthetic solvent")
    if no_voxel_size:
        raise OccupyError("lowpass_output needs voxel_size")


class _Noise:
    """Seeded synthetic solvent N(mean, sigma): one stream of draws in voxel order."""

    def __init__(self, solvent, seed: int):
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.mean, self.sigma = float(solvent.mean), float(solvent.sigma)

    def draws(self, need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Standard-normal draws for a block whose sub-blocks need ``need`` each, and their offsets."""
        offsets = np.concatenate(([0], np.cumsum(need)))
        return self.rng.standard_normal(int(offsets[-1]), dtype=np.float32), offsets


def _modify_blocks(data: np.ndarray, scale: np.ndarray, conf: np.ndarray | None, out: np.ndarray,
                   factor: np.ndarray | None, curve: tuple, noise: _Noise | None, *, keep_input: bool,
                   clip: tuple[float, float] | None, n_threads: int) -> None:
    """Run the two fused kernels block by block (``curve`` = mode code, g, mu, scale limit).

    Temporaries stay block-sized; ``factor`` (if given) receives the factor map.
    """
    d_flat, s_flat, o_flat = data.reshape(-1), scale.reshape(-1), out.reshape(-1)
    c_flat = conf.reshape(-1) if conf is not None else np.empty(0, np.float32)
    scratch = np.empty(min(BLOCK_VOXELS, d_flat.size), np.float32) if factor is None else None
    no_noise, no_offsets = np.empty(0, np.float32), np.empty(0, np.int64)
    lo, hi = clip if clip is not None else (0.0, 0.0)
    mean, sigma = (noise.mean, noise.sigma) if noise is not None else (0.0, 0.0)
    for a in range(0, d_flat.size, BLOCK_VOXELS):
        b = min(a + BLOCK_VOXELS, d_flat.size)
        f_blk = factor.reshape(-1)[a:b] if factor is not None else scratch[:b - a]
        c_blk = c_flat[a:b] if conf is not None else c_flat
        need = np.empty(_modification.n_sub_blocks(b - a) if noise is not None else 0, np.int64)
        _modification.factor_block(s_flat[a:b], c_blk, f_blk, *curve, conf is not None, need, n_threads)
        draws, offsets = noise.draws(need) if noise is not None else (no_noise, no_offsets)
        _modification.modify_block(d_flat[a:b], f_blk, c_blk, draws, offsets, o_flat[a:b], mean, sigma,
                                   conf is not None, noise is not None, keep_input, clip is not None,
                                   lo, hi, n_threads)


def flatten_solvent(data: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """Solvent-flattened map ``data * conf`` (float32)."""
    data = np.asarray(data)
    if np.shape(conf) != data.shape:
        raise OccupyError(f"confidence shape {np.shape(conf)} does not match the map's {data.shape}")
    return np.multiply(data, conf, dtype=np.float32)


def match_histogram(source: np.ndarray, template: np.ndarray) -> np.ndarray:
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

