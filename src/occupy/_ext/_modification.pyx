# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Fused per-voxel kernels of the map modification (algorithm.md §8).

Every voxel is computed independently (no floating-point reductions), and the synthetic
solvent draws are assigned to voxels through fixed-size sub-blocks, so results are
identical for any thread count.
"""
from cython.parallel cimport prange
from libc.math cimport pow, powf

from ._blocks cimport block_span, n_blocks


cdef enum:
    SUB = 4096   # voxels per sub-block: the unit of noise bookkeeping (fixed, not per thread)


def n_sub_blocks(Py_ssize_t n):
    """Number of sub-blocks of ``n`` voxels (the length of ``factor_block``'s ``need``)."""
    return n_blocks(n, SUB)


def factor_block(const float[::1] scale, const float[::1] conf, float[::1] factor,
                 int mode, double g, double mu, double limit, bint use_conf,
                 long long[::1] need, int n_threads):
    """Modification factor of a block of scale values (float32), algorithm.md §8.

    ``mode`` 0 amplify ``S^(1/g-1)``, 1 attenuate ``S^(g-1)`` (float32 ``powf`` with the
    exponent rounded to float32), 2 sigmoid ``f(S)/S`` in double; ``S <= limit`` (compared
    in float32) or NaN gives 1. When ``need`` is non-empty, ``need[k]`` counts the voxels of
    sub-block ``k`` that get a synthetic-solvent draw: factor < 1 and (``use_conf``) conf > 0.
    """
    cdef Py_ssize_t n = scale.shape[0], nsub = n_blocks(n, SUB)
    cdef Py_ssize_t k, i, start, stop
    cdef bint count = need.shape[0] > 0
    cdef float e = <float>(1.0 / g - 1.0) if mode == 0 else <float>(g - 1.0)
    cdef float lim = <float>limit
    cdef float s, f
    cdef double sd, ratio
    cdef long long c
    if factor.shape[0] != n or (use_conf and conf.shape[0] != n):
        raise ValueError("block sizes differ")
    if count and need.shape[0] != nsub:
        raise ValueError("need has the wrong length")
    if mode < 0 or mode > 2:
        raise ValueError("mode must be 0, 1 or 2")
    for k in prange(nsub, nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(k, n, SUB)
        c = 0
        for i in range(start, stop):
            s = scale[i]
            if not (s > lim):
                f = 1.0
            elif mode == 2:
                sd = s
                ratio = (mu * (1.0 - sd)) / (sd * (1.0 - mu))
                f = <float>(1.0 / (1.0 + pow(ratio, g)) / sd)
            else:
                f = powf(s, e)
            factor[i] = f
            if count and f < 1.0 and (not use_conf or conf[i] > 0):
                c = c + 1
        if count:
            need[k] = c


def modify_block(const float[::1] data, const float[::1] factor, const float[::1] conf,
                 const float[::1] noise, const long long[::1] offsets, float[::1] out,
                 double noise_mean, double noise_sigma,
                 bint use_conf, bint use_noise, bint keep_input,
                 bint clip, double lo, double hi, int n_threads):
    """One block of the modification (see ``occupy.modification.modify``), given the factor ``f``.

    ``m = d*f``; with ``use_noise``: ``m += (mean + sigma*z) * clip(1 - f, 0, 1)``, where
    ``z`` is the next draw of ``noise`` for voxels counted by ``factor_block`` (factor < 1
    and conf > 0) and 0 elsewhere; sub-block ``k`` starts at ``noise[offsets[k]]``. With
    ``use_conf``: ``m = m*c + d*(1-c)`` (``keep_input``) or ``m*c``; with ``clip``: clip to
    [lo, hi]. Arithmetic in double, stored as float32.
    """
    cdef Py_ssize_t n = data.shape[0], nsub = n_blocks(n, SUB)
    cdef Py_ssize_t k, i, j, start, stop
    cdef double f, d, m, c, w, z
    if factor.shape[0] != n or out.shape[0] != n:
        raise ValueError("block sizes differ")
    if use_conf and conf.shape[0] != n:
        raise ValueError("confidence block size differs")
    if use_noise and offsets.shape[0] != nsub + 1:
        raise ValueError("offsets need one entry per sub-block plus the total")
    if use_noise and noise.shape[0] != offsets[nsub]:
        raise ValueError("noise size differs from the number of draws needed")
    for k in prange(nsub, nogil=True, num_threads=n_threads, schedule="static"):
        start, stop = block_span(k, n, SUB)
        j = offsets[k] if use_noise else 0
        for i in range(start, stop):
            f = factor[i]
            d = data[i]
            m = d * f
            if use_noise:
                z = 0.0
                if f < 1.0 and (not use_conf or conf[i] > 0):
                    z = noise[j]
                    j = j + 1
                w = 1.0 - f
                if w < 0.0:
                    w = 0.0
                elif w > 1.0:
                    w = 1.0
                m = m + (noise_mean + noise_sigma * z) * w
            if use_conf:
                c = conf[i]
                if keep_input:
                    m = m * c + d * (1.0 - c)
                else:
                    m = m * c
            if clip:
                if m < lo:
                    m = lo
                elif m > hi:
                    m = hi
            out[i] = <float>m
