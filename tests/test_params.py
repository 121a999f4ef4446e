"""Derived parameters (algorithm.md §10, §12)."""
from __future__ import annotations

import logging
import math

import numpy as np
import pytest
from helpers import occupy_warnings

from occupy.errors import OccupyError, OccupyWarning
from occupy.params import derive_parameters, tau_from_nv
from occupy.stages.resample import processing_shape

SHAPE = (64, 64, 64)


def _ball_count(k: int, r: float) -> int:
    c = (k - 1) / 2
    i = np.arange(k) - c
    d = np.sqrt((i[:, None, None] ** 2 + i[None, :, None] ** 2 + i[None, None, :] ** 2).astype(np.float32))
    return int((d <= np.float32(r)).sum())


@pytest.mark.parametrize("pix, lp, k", [(1.0, 8.0, 9), (1.05, 8.0, 7), (1.742, 8.0, 5), (0.5, 8.0, 9),
                                        (4.0, 12.0, 3)])
def test_default_lowpass_and_kernel(pix, lp, k):
    with occupy_warnings("error"):                  # a derived kernel never warns, even of size 3
        p = derive_parameters(SHAPE, pix)
    assert p.lowpass == pytest.approx(lp)
    assert p.kernel_size == k and k % 2 == 1
    assert p.kernel_radius == pytest.approx(lp / (2 * pix), rel=1e-6)
    assert p.footprint.shape == (k, k, k) and p.footprint.dtype == bool
    assert p.n_v == int(p.footprint.sum()) == _ball_count(k, p.kernel_radius)
    assert p.tau == p.tau_recommended == tau_from_nv(p.n_v)


def test_resolution_only_is_used_and_finite():
    with occupy_warnings("error"):
        p = derive_parameters(SHAPE, 1.0, resolution=6.0)
    assert p.lowpass == 6.0 and p.kernel_size == 7 and p.kernel_radius == pytest.approx(3.0)
    assert math.isfinite(p.tau) and 0.5 < p.tau < 1


def test_lowpass_and_resolution_use_the_larger_with_warning():
    with pytest.warns(OccupyWarning, match="larger"):
        p = derive_parameters(SHAPE, 1.0, lowpass=6.0, resolution=9.0)
    assert p.lowpass == 9.0
    assert any("larger" in w for w in p.warnings)


def test_small_kernel_warnings():
    with pytest.warns(OccupyWarning, match=r"small kernel \(size 3, radius 3.81 voxels, n_v = 27\): smaller than "
                                           r"the kernel the lowpass gives \(size 7, n_v = 251\)"):
        p = derive_parameters(SHAPE, 1.05, kernel_size=3)   # given, below the derived 7
    assert p.kernel_size == 3 and p.warnings
    with occupy_warnings("error"):
        derive_parameters(SHAPE, 2.02)                      # derived k = 3 (n_v 27): no warning
        derive_parameters(SHAPE, 4.2, kernel_size=3)        # given, the same as the derived one
    with pytest.warns(OccupyWarning, match="fills only part of the 9\\^3 kernel box"):
        p = derive_parameters(SHAPE, 1.0, kernel_size=9, kernel_radius=2.0)   # rk < k/4
    assert p.n_v == _ball_count(9, 2.0)


def test_overrides_and_tau_log(caplog):
    with caplog.at_level(logging.INFO, logger="occupy"):
        p = derive_parameters(SHAPE, 1.0, kernel_size=5, kernel_radius=2.5, tau=0.9)
    assert (p.kernel_size, p.kernel_radius, p.tau) == (5, 2.5, 0.9)
    assert p.tau_recommended == tau_from_nv(p.n_v) != 0.9
    assert "recommended" in caplog.text


@pytest.mark.parametrize("kwargs", [dict(kernel_size=4), dict(kernel_size=33), dict(kernel_size=1),
                                    dict(tau=0.0), dict(tau=1.5), dict(lowpass=-1.0),
                                    dict(resolution=0.0), dict(kernel_radius=0.0)])
def test_bad_overrides(kwargs):
    with pytest.raises(OccupyError):
        derive_parameters(SHAPE, 1.0, **kwargs)


def test_bad_voxel_size_and_shape():
    with pytest.raises(OccupyError):
        derive_parameters(SHAPE, 0.0)
    with pytest.raises(OccupyError):
        derive_parameters((10, 10), 1.0)


def test_processing_shape():
    assert processing_shape((300, 300, 300), 0) == (300, 300, 300)
    assert processing_shape((200, 200, 200), 256) == (200, 200, 200)
    assert processing_shape((300, 300, 300), 256) == (256, 256, 256)
    # other sides scaled by 256/300 and rounded to even
    assert processing_shape((300, 200, 151), 256) == (256, 170, 128)
    assert processing_shape((101, 300, 300), 100) == (34, 100, 100)
    assert processing_shape((512, 3, 512), 256) == (256, 2, 256)
