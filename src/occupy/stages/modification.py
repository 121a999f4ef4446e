"""Map modification guided by the local scale (algorithm.md §8).

The per-voxel work is two fused OpenMP kernels per block of voxels (``_ext/_modification.pyx``):
the factor (float32 ``powf``, which may differ from numpy's float32 power by an ulp),
then the synthetic solvent mix, the suppression and the clip. Temporaries stay
block-sized whatever the box; results do not depend on the block size or the thread
count (the synthetic solvent is one sequential stream of draws, handed out through
fixed-size sub-blocks).
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .._ext import _modification
from ..arrays import check_map_values, require_real
from ..constants import BLOCK_VOXELS, SCALE_LIMIT
from ..errors import OccupyError, OptionError
from ..options import check_option
from ..threads import effective_threads
from .confidence import ConfidenceIndex
from .lowpass import lowpass_filter_unchecked

__all__ = ["MODES", "flatten_solvent", "match_histogram", "modification_factor", "modify", "modify_pieces",
           "sigmoid_mu"]

MODES = ("amplify", "attenuate", "sigmoid")
_MODE_CODE = {"amplify": 0, "attenuate": 1, "sigmoid": 2}


def sigmoid_mu(power: float, pivot: float) -> float:
    """``mu`` of the sigmoid ``f(S) = 1/(1 + (mu(1-S)/(S(1-mu)))^G)`` such that ``f(P) = P`` (algorithm.md §8).

    ``f(P) = P`` means ``(mu(1-P)/(P(1-mu)))^G = (1-P)/P``, i.e.
    ``mu/(1-mu) = ((1-P)/P)^(1/G - 1)`` =: q, so ``mu = q/(1+q)``. For G >= 1 and
    0 < mu < 1, f increases monotonically from f(0)=0 to f(1)=1 (G = 1 gives f(S) = S).

    Parameters
    ----------
    power : float
        The sigmoid's power G (``--sigmoid``), 1 to 1000.
    pivot : float
        The scale P it leaves unchanged (``--pivot``), 0 < P < 1.

    Returns
    -------
    float
        ``mu``, in (0, 1).

    Raises
    ------
    OptionError
        If ``power`` or ``pivot`` is out of range.

    Examples
    --------
    >>> mu = sigmoid_mu(2.0, 0.3)
    >>> f = lambda s: 1 / (1 + (mu * (1 - s) / (s * (1 - mu))) ** 2)
    >>> round(mu, 4), round(f(0.3), 12)
    (0.3956, 0.3)
    """
    check_option("pivot", pivot)
    check_option("sigmoid", power)
    q = ((1.0 - pivot) / pivot) ** (1.0 / power - 1.0)
    return q / (1.0 + q)


def _check_mode(mode: str, gamma: float | None, sigmoid: float | None,
                pivot: float | None, scale_limit: float) -> tuple[float, float]:
    """Validate (with the options' own rules and messages); return (exponent parameter, sigmoid mu or nan)."""
    if mode not in MODES:
        raise OccupyError(f"modification mode must be one of {', '.join(MODES)}, got {mode!r}")
    check_option("scale_limit", scale_limit)
    if mode == "sigmoid":
        power = check_option("sigmoid", sigmoid) if sigmoid is not None else check_option("gamma", gamma)
        if power is None or check_option("pivot", pivot) is None:
            raise OptionError("the sigmoid modification needs --sigmoid G and --pivot P")
        return float(power), sigmoid_mu(float(power), float(pivot))
    if check_option("gamma", gamma) is None:
        raise OptionError(f"{mode} needs --gamma G")
    return float(gamma), math.nan


def modification_factor(scale: np.ndarray, *, mode: str, gamma: float | None = None,
                        sigmoid: float | None = None, pivot: float | None = None,
                        scale_limit: float = SCALE_LIMIT) -> np.ndarray:
    """Per-voxel factor that the map is multiplied by (algorithm.md §8).

    amplify: ``S^(1/g - 1)`` (>= 1); attenuate: ``S^(g - 1)`` (<= 1); sigmoid:
    ``f(S)/S`` with ``f`` of ``sigmoid_mu``. Where ``S <= scale_limit`` (or S is NaN)
    the factor is 1. Powers are float32 ``powf`` (within an ulp of numpy's).

    Parameters
    ----------
    scale : numpy.ndarray
        Local scale S in [0, 1], any shape (computed in float32).
    mode : {"amplify", "attenuate", "sigmoid"}
        The modification.
    gamma : float, optional
        Gamma g >= 1 (``--gamma``); needed by amplify and attenuate; the sigmoid power if
        ``sigmoid`` is not given.
    sigmoid : float, optional
        The sigmoid's power G (``--sigmoid``).
    pivot : float, optional
        The scale the sigmoid leaves unchanged (``--pivot``), 0 < P < 1.
    scale_limit : float, default 0.05
        Scale at or below which nothing is modified (``--scale-limit``).

    Returns
    -------
    numpy.ndarray
        The float32 factor, of ``scale``'s shape.

    Raises
    ------
    OccupyError
        For an unknown mode; ``OptionError`` if a needed value is missing or out of range.

    Examples
    --------
    >>> scale = np.array([0.01, 0.25, 1.0], dtype=np.float32)
    >>> modification_factor(scale, mode="amplify", gamma=2)
    array([1., 2., 1.], dtype=float32)
    >>> modification_factor(scale, mode="attenuate", gamma=2)
    array([1.  , 0.25, 1.  ], dtype=float32)
    """
    g, mu = _check_mode(mode, gamma, sigmoid, pivot, scale_limit)
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
           hist_match: bool = False, seed: int = 0, threads: int | None = None, return_factor: bool = True,
           value_range: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Modify ``data`` by its local ``scale`` (algorithm.md §8); returns float32 ``(modified, factor)``.

    ``m = data*factor`` plus (attenuate, sigmoid) seeded solvent noise weighted by ``1 - factor``;
    ``out = m*conf + data*(1-conf)``, lowpassed if asked, clipped to the input's range.

    Parameters
    ----------
    data, scale : numpy.ndarray
        The map and its local scale, same shape (computed in float32).
    conf : numpy.ndarray or None
        Per-voxel confidence, same shape; ``None`` means 1 (``--omit-confidence``).
    solvent : SolventModel, optional
        Solvent model; needed for the synthetic solvent.
    mode : {"amplify", "attenuate", "sigmoid"}
        The modification.
    gamma, sigmoid, pivot, scale_limit : float
        Its settings, as in ``modification_factor``.
    exclude_solvent, hist_match : bool
        Drop ``data*(1-conf)`` and the noise; match the input's histogram instead of clipping.
    lowpass_output, voxel_size : float, optional
        Lowpass of the result in Å (``--lowpass-output``), and the voxel size in Å it needs.
    seed, threads : int, optional
        Seed of the synthetic solvent and thread count; neither changes the bits for a seed.
    return_factor : bool
        Return the factor map (``False``: ``None``, one full-size array less).
    value_range : (float, float), optional
        ``data``'s minimum and maximum if the caller has them (as ``read_map`` does): one pass less.

    Returns
    -------
    modified, factor : numpy.ndarray
        The modified map and the factor map (``None`` unless ``return_factor``).

    Raises
    ------
    OccupyError
        Shapes differ, ``solvent``/``voxel_size`` missing, bad mode; OptionError: bad settings.

    Examples
    --------
    >>> data = np.array([[[0.1, 0.2, 0.4]]], dtype=np.float32)
    >>> scale = np.array([[[0.01, 0.25, 1.0]]], dtype=np.float32)    # factor 1, 2, 1
    >>> modify(data, scale, np.full_like(data, 0.5), mode="amplify", gamma=2)[0]   # half of 0.2*2, half of 0.2
    array([[[0.1, 0.3, 0.4]]], dtype=float32)
    """
    g, mu = _check_mode(mode, gamma, sigmoid, pivot, scale_limit)
    synthetic = mode in ("attenuate", "sigmoid") and not exclude_solvent
    data, scale, conf = _checked_inputs(data, scale, conf, mode, synthetic and solvent is None,
                                        lowpass_output is not None and voxel_size is None)
    lo, hi = value_range or check_map_values(data, threads=threads)   # one pass: range, and no NaN/Inf
    clip = (lo, hi) if lowpass_output is None and not hist_match else None
    out, factor = _modify_blocks(data, scale, conf, return_factor, (_MODE_CODE[mode], g, mu, scale_limit),
                                 _Noise(solvent, seed) if synthetic else None, not exclude_solvent, clip, threads)
    return _finish(out, data, (lo, hi), lowpass_output, voxel_size, hist_match, threads), factor


def modify_pieces(write: Callable[[np.ndarray], None], data: np.ndarray, scale: np.ndarray,
                  conf: np.ndarray | ConfidenceIndex | None, solvent=None, *, mode: str, gamma: float | None = None,
                  sigmoid: float | None = None, pivot: float | None = None, scale_limit: float = SCALE_LIMIT,
                  exclude_solvent: bool = False, seed: int = 0, threads: int | None = None,
                  value_range: tuple[float, float] | None = None) -> None:
    """``modify`` without its lowpass and histogram options, handing the result over in pieces.

    Their concatenation is ``modify(...)[0]`` bit for bit; the modified map is never whole in
    memory (algorithm.md §8).

    Parameters
    ----------
    write : callable
        Called with consecutive flat float32 pieces of the modified map, in C order,
        ``BLOCK_VOXELS`` long (the last may be shorter); a piece is valid only during the call
        (its buffer is reused).
    data, scale : numpy.ndarray
        The map and its local scale, same shape (computed in float32).
    conf : numpy.ndarray, ConfidenceIndex or None
        Per-voxel confidence, same shape (a float32 map, or ``confidence_index``'s); ``None``
        means 1 (``--omit-confidence``).
    solvent : SolventModel, optional
        Solvent model; needed for the synthetic solvent.
    mode : {"amplify", "attenuate", "sigmoid"}
        The modification.
    gamma, sigmoid, pivot, scale_limit : float
        Its settings, as in ``modification_factor``.
    exclude_solvent : bool
        Drop ``data*(1-conf)`` and the noise.
    seed, threads : int, optional
        Seed of the synthetic solvent and thread count; neither changes the bits for a seed.
    value_range : (float, float), optional
        ``data``'s minimum and maximum if the caller has them: one pass less.

    Raises
    ------
    OccupyError
        Shapes differ, ``solvent`` missing, bad mode; OptionError: bad settings.
    """
    g, mu = _check_mode(mode, gamma, sigmoid, pivot, scale_limit)
    synthetic = mode in ("attenuate", "sigmoid") and not exclude_solvent
    data, scale, conf = _checked_inputs(data, scale, conf, mode, synthetic and solvent is None, False)
    clip = value_range or check_map_values(data, threads=threads)
    _modify_blocks(data, scale, conf, False, (_MODE_CODE[mode], g, mu, scale_limit),
                   _Noise(solvent, seed) if synthetic else None, not exclude_solvent, clip, threads, write)


def _finish(out: np.ndarray, data: np.ndarray, limits: tuple[float, float], lowpass_output: float | None,
            voxel_size: float | None, hist_match: bool, threads: int | None) -> np.ndarray:
    """The optional lowpass of the modified map, then its histogram match or (after a lowpass) clip."""
    if lowpass_output is not None:
        out = lowpass_filter_unchecked(out, voxel_size, lowpass_output, threads)
        if not hist_match:
            np.clip(out, *limits, out=out)
    return match_histogram(out, data) if hist_match else out


def _checked_inputs(data, scale, conf, mode: str, no_solvent: bool, no_voxel_size: bool):
    """``data``, ``scale`` and ``conf`` as C-contiguous float32 (``conf`` may be a
    ``ConfidenceIndex``), after checking what ``modify`` needs."""
    indexed = isinstance(conf, ConfidenceIndex)
    for arr, what in ((data, "map"), (scale, "scale"), (None if indexed else conf, "confidence")):
        if arr is not None:
            require_real(np.asarray(arr), what)
    shape = np.shape(data)
    conf_shape = None if conf is None else (conf.shape if indexed else np.shape(conf))
    if np.shape(scale) != shape or (conf is not None and conf_shape != shape):
        raise OccupyError(f"modify: map {shape}, scale {np.shape(scale)} and confidence "
                          f"{conf_shape} shapes differ")
    if no_solvent:
        raise OccupyError(f"{mode} needs the solvent model for its synthetic solvent")
    if no_voxel_size:
        raise OccupyError("lowpass_output needs voxel_size")
    data, scale = (np.ascontiguousarray(a, dtype=np.float32) for a in (data, scale))
    if conf is None or indexed:
        return data, scale, conf
    return data, scale, np.ascontiguousarray(conf, dtype=np.float32)


class _Noise:
    """Seeded synthetic solvent N(mean, sigma): one stream of draws in voxel order."""

    def __init__(self, solvent, seed: int):
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.mean, self.sigma = float(solvent.mean), float(solvent.sigma)

    def draws(self, need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Standard-normal draws for a block whose sub-blocks need ``need`` each, and their offsets."""
        offsets = np.concatenate(([0], np.cumsum(need)))
        return self.rng.standard_normal(int(offsets[-1]), dtype=np.float32), offsets


def _modify_blocks(data: np.ndarray, scale: np.ndarray, conf: np.ndarray | ConfidenceIndex | None, return_factor: bool,
                   curve: tuple, noise: _Noise | None, keep_input: bool, clip: tuple[float, float] | None,
                   threads: int | None, write: Callable[[np.ndarray], None] | None = None
                   ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Run the two fused kernels block by block (``curve`` = mode code, g, mu, scale limit).

    Returns the modified map and (``return_factor``) the factor map; temporaries stay block-sized.
    With ``write``, each block of the modified map is handed to it instead (in one reused
    buffer) and the map returned is None.
    """
    n_threads = effective_threads(threads)
    size = data.size
    out = np.empty(data.shape if write is None else min(BLOCK_VOXELS, size), dtype=np.float32)
    factor = np.empty(data.shape, dtype=np.float32) if return_factor else None
    d_flat, s_flat, o_flat = data.reshape(-1), scale.reshape(-1), out.reshape(-1)
    indexed = isinstance(conf, ConfidenceIndex)
    c_flat = np.empty(min(BLOCK_VOXELS, size) if indexed else 0, np.float32) if (conf is None or indexed) \
        else conf.reshape(-1)
    scratch = np.empty(min(BLOCK_VOXELS, size), np.float32) if factor is None else None
    no_noise, no_offsets = np.empty(0, np.float32), np.empty(0, np.int64)
    lo, hi = clip if clip is not None else (0.0, 0.0)
    mean, sigma = (noise.mean, noise.sigma) if noise is not None else (0.0, 0.0)
    for a in range(0, size, BLOCK_VOXELS):
        b = min(a + BLOCK_VOXELS, size)
        f_blk = factor.reshape(-1)[a:b] if factor is not None else scratch[:b - a]
        c_blk = conf.take(a, b, c_flat, n_threads) if indexed else (c_flat[a:b] if conf is not None else c_flat)
        o_blk = o_flat[a:b] if write is None else o_flat[:b - a]
        need = np.empty(_modification.n_sub_blocks(b - a) if noise is not None else 0, np.int64)
        _modification.factor_block(s_flat[a:b], c_blk, f_blk, *curve, conf is not None, need, n_threads)
        draws, offsets = noise.draws(need) if noise is not None else (no_noise, no_offsets)
        _modification.modify_block(d_flat[a:b], f_blk, c_blk, draws, offsets, o_blk, mean, sigma,
                                   conf is not None, noise is not None, keep_input, clip is not None,
                                   lo, hi, n_threads)
        if write is not None:
            write(o_blk)
    return (out if write is None else None), factor


def flatten_solvent(data: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """Solvent-flattened map ``data * conf`` (``--exclude-solvent`` without modification, algorithm.md §8).

    Parameters
    ----------
    data : numpy.ndarray
        The map.
    conf : numpy.ndarray
        Per-voxel confidence in [0, 1], same shape.

    Returns
    -------
    numpy.ndarray
        The flattened map, float32 of ``data``'s shape.

    Raises
    ------
    OccupyError
        If the shapes differ.
    """
    data = np.asarray(data)
    if np.shape(conf) != data.shape:
        raise OccupyError(f"confidence shape {np.shape(conf)} does not match the map's {data.shape}")
    return np.multiply(data, conf, dtype=np.float32)


def match_histogram(source: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Give ``source`` the value distribution of ``template``, keeping the rank order of ``source``.

    With equal sizes the result holds exactly the template's values (the k-th smallest
    voxel of ``source`` gets the k-th smallest template value; ties keep index order);
    otherwise template quantiles are interpolated (``--hist-match``, algorithm.md §8).

    Parameters
    ----------
    source : numpy.ndarray
        The array whose values are replaced (any shape).
    template : numpy.ndarray
        The array whose value distribution is wanted (any shape).

    Returns
    -------
    numpy.ndarray
        The matched values, float32 of ``source``'s shape.

    Raises
    ------
    OccupyError
        If either array is empty.

    Examples
    --------
    >>> match_histogram(np.array([3.0, 1.0, 2.0]), np.array([10.0, 30.0, 20.0]))
    array([30., 10., 20.], dtype=float32)
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

