# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Fused per-voxel kernels: confidence lookup and map modification (SPEC 2.6, 2.7).

Every voxel is computed independently (no reductions), so results are identical for
any thread count.
"""
from cython.parallel cimport prange
from libc.math cimport floor

def lookup_confidence(const float[::1] values, const float[::1] table, float[::1] out,
                      double vmin, double vmax, int n_threads):
    """``out[i] = table[clip(floor((values[i] - vmin) / (vmax - vmin) * nbins), 0, nbins - 1)]``."""
    cdef Py_ssize_t i, n = values.shape[0]
    cdef Py_ssize_t nbins = table.shape[0]
    cdef double span = vmax - vmin
    cdef double b
    cdef Py_ssize_t k
    if out.shape[0] != n:
        raise ValueError("output size differs from input size")
    for i in prange(n, nogil=True, num_threads=n_threads, schedule="static"):
        b = floor((values[i] - vmin) / span * nbins)
        if b < 0:
            k = 0
        elif b > nbins - 1:
            k = nbins - 1
        else:
            k = <Py_ssize_t>b
        out[i] = table[k]


def modify_block(const float[::1] data, const float[::1] factor, const float[::1] conf,
                 const float[::1] noise, float[::1] out,
                 double noise_mean, double noise_sigma,
                 bint use_conf, bint use_noise, bint keep_input,
                 bint clip, double lo, double hi, int n_threads):
    """One block of the modification (see ``occupy.modification.modify``), given the factor ``f``.

    ``m = d*f``; with ``use_noise``: ``m += (mean + sigma*noise) * clip(1 - f, 0, 1)``;
    with ``use_conf``: ``m = m*c + d*(1-c)`` (``keep_input``) or ``m*c``; with ``clip``:
    clip to [lo, hi]. Arithmetic in double, stored as float32.
    """
    cdef Py_ssize_t i, n = data.shape[0]
    cdef double f, d, m, c, w
    if factor.shape[0] != n or out.shape[0] != n:
        raise ValueError("block sizes differ")
    if use_conf and conf.shape[0] != n:
        raise ValueError("confidence block size differs")
    if use_noise and noise.shape[0] != n:
        raise ValueError("noise block size differs")
    for i in prange(n, nogil=True, num_threads=n_threads, schedule="static"):
        f = factor[i]
        d = data[i]
        m = d * f
        if use_noise:
            w = 1.0 - f
            if w < 0.0:
                w = 0.0
            elif w > 1.0:
                w = 1.0
            m = m + (noise_mean + noise_sigma * noise[i]) * w
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
