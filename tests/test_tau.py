"""tau: root of x**n + x - 1 = 0 and the rounding rules of algorithm.md §3.2."""
from __future__ import annotations

import math

import pytest

from occupy.errors import OccupyError
from occupy.params import tau_from_nv, tau_root


@pytest.mark.parametrize(
    "n, expected, tol",
    [(1, 0.5, 1e-12), (2, (math.sqrt(5) - 1) / 2, 1e-12), (22, 0.9, 0.005), (60, 0.95, 0.003),
     (1000, 0.9948, 0.0001)],
)
def test_known_roots(n, expected, tol):
    assert abs(tau_root(n) - expected) <= tol


@pytest.mark.parametrize("n", [1, 2, 3, 7, 22, 60, 179, 251, 1000, 1100, 6900, 50000])
def test_root_solves_equation(n):
    x = tau_root(n)
    assert 0.5 <= x < 1
    assert abs(x**n + x - 1) < 1e-11


def test_root_increases_with_n():
    roots = [tau_root(n) for n in range(1, 300)]
    assert all(a < b for a, b in zip(roots, roots[1:]))


def test_small_kernels_round_to_4_places():
    assert tau_from_nv(1) == 0.5
    assert tau_from_nv(2) == 0.618
    for n in (7, 33, 179, 251, 1000):
        assert tau_from_nv(n) == round(tau_root(n), 4)
    assert tau_from_nv(179) != round(tau_root(179), 5)  # genuinely 4 places


def test_mid_kernels_use_hundreds_rounded_to_5_places():
    r1100 = round(tau_root(1100), 5)
    assert tau_from_nv(1001) == r1100
    assert tau_from_nv(1050) == r1100
    assert tau_from_nv(1099) == r1100
    assert tau_from_nv(1100) == round(tau_root(1200), 5)
    assert tau_from_nv(6999) == round(tau_root(1100 + 100 * 59), 5)
    assert tau_from_nv(1050) != round(tau_root(1050), 5)


def test_large_kernels_fixed():
    assert tau_from_nv(7000) == 0.999
    assert tau_from_nv(123456) == 0.999


@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_bad_counts(bad):
    with pytest.raises(OccupyError):
        tau_from_nv(bad)
