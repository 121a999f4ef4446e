"""Phantoms with known truth (occupy.phantoms) and the metrics read on them (occupy.phantom_metrics).

The phantoms are what the occ-mode filter is tuned and judged on, so their truth has to
be what it says: the same seed gives the same bytes, labels, core and shell agree with
each other and with the geometry, each family has the occupancies and blurs it
documents, and each metric gives the known answer on hand-made scales.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from occupy.phantom_metrics import (amplification_error, blur_invariance, core_scale, occupancy_correlation,
                                    shell_spill)
from occupy.phantoms import FAMILIES, MODEL_B, MODEL_OCCUPANCIES, Phantom, model_phantom

BOX = 64
RANDOM_ATOM = ["occupancy", "blur", "both"]
ARRAYS = ("data", "clean", "labels", "core", "shell")


@pytest.fixture(scope="module")
def pdb(test_data: Path) -> Path:
    return test_data / "5me2.pdb"


def make(family: str, seed: int, pdb: Path | None = None, **kw) -> Phantom:
    """A small phantom: box 64 (the model at 1.5 Å, so that haemoglobin fits)."""
    if family == "model":
        return model_phantom(seed, box=BOX, voxel_size=kw.pop("voxel_size", 1.5), pdb_path=pdb, **kw)
    return FAMILIES[family](seed, box=BOX, **kw)


@pytest.fixture(scope="module")
def phantoms() -> dict[str, Phantom]:
    """Seed 0 of each random-atom family (these need no test data)."""
    return {family: make(family, 0) for family in RANDOM_ATOM}


@pytest.fixture(scope="module")
def model0(pdb: Path) -> Phantom:
    """Seed 0 of the model family (5me2, from the test data)."""
    return make("model", 0, pdb)


# ---------------------------------------------------------------- reproducibility

@pytest.mark.parametrize("family", RANDOM_ATOM)
def test_same_seed_same_bytes_other_seed_other_map(family: str, phantoms: dict[str, Phantom]) -> None:
    first, again, other = phantoms[family], make(family, 0), make(family, 1)
    for name in ARRAYS:
        assert getattr(first, name).tobytes() == getattr(again, name).tobytes(), name
    assert (first.occupancies, first.blur_A) == (again.occupancies, again.blur_A)
    assert not np.array_equal(first.clean, other.clean)               # other atoms
    assert not np.array_equal(first.data - first.clean, other.data - other.clean)   # other noise
    assert (first.seed, other.seed, first.family) == (0, 1, family)


def test_model_same_seed_same_bytes_other_seed_other_orientation(model0: Phantom, pdb: Path) -> None:
    again, other = make("model", 0, pdb), make("model", 1, pdb)
    for name in ARRAYS:
        assert getattr(model0, name).tobytes() == getattr(again, name).tobytes(), name
    assert model0.occupancies == again.occupancies and model0.blur_A == again.blur_A
    assert not np.array_equal(model0.labels > 0, other.labels > 0)    # rotated otherwise
    assert not np.array_equal(model0.data - model0.clean, other.data - other.clean)


# ---------------------------------------------------------------- truth, labels, core, shell

def _distance_to_labels(ph: Phantom, voxels: np.ndarray) -> np.ndarray:
    """Brute force: distance (voxels) from each of ``voxels`` to the nearest labelled voxel."""
    labelled = np.argwhere(ph.labels > 0).astype(np.float32)
    return np.array([np.sqrt(((labelled - v) ** 2).sum(1).min()) for v in voxels.astype(np.float32)])


def check_truth_labels_core_shell(ph: Phantom) -> None:
    """What every phantom promises: dtypes, truth on the labels, core inside, shell 2-6 voxels out, noise."""
    rng = np.random.default_rng(0)
    k = len(ph.occupancies)
    assert ph.data.dtype == ph.clean.dtype == np.float32 and ph.labels.dtype == np.uint8
    assert ph.core.dtype == ph.shell.dtype == bool and ph.data.shape == (BOX,) * 3
    assert len(ph.blur_A) == k and set(np.unique(ph.labels)) == set(range(k + 1))
    truth = ph.truth()
    assert truth.dtype == np.float32 and not truth[ph.labels == 0].any()
    for d, occ in enumerate(ph.occupancies):
        assert np.all(truth[ph.labels == d + 1] == np.float32(occ))
        assert (ph.core & (ph.labels == d + 1)).sum() > 100, (ph.family, d)
    assert not (ph.core & (ph.labels == 0)).any()
    assert not (ph.shell & (ph.labels > 0)).any() and ph.shell.sum() > 1000
    # the shell is the solvent 2-6 voxels from the labels, no more and no less
    shell = np.argwhere(ph.shell)
    dist = _distance_to_labels(ph, shell[rng.choice(len(shell), 150)])
    assert dist.min() >= 2 and dist.max() <= 6, ph.family
    near = np.argwhere((ph.labels == 0) & ~ph.shell)
    near = near[np.abs(near - (BOX - 1) / 2).max(1) < BOX / 2 - 8]      # not only the far corners
    dist = _distance_to_labels(ph, near[rng.choice(len(near), 300)])
    assert np.all((dist < 2) | (dist > 6)), ph.family
    # noise: white, of the documented SD; the strongest domain's peak is 1
    noise = ph.data - ph.clean
    assert abs(noise.std() / ph.noise_sigma - 1) < 0.01
    peaks = [np.percentile(ph.clean[ph.labels == d + 1], 99.5) for d in range(k)]
    assert max(peaks) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("family", RANDOM_ATOM)
def test_truth_labels_core_shell_agree(family: str, phantoms: dict[str, Phantom]) -> None:
    check_truth_labels_core_shell(phantoms[family])


def test_model_truth_labels_core_shell_agree(model0: Phantom) -> None:
    check_truth_labels_core_shell(model0)


def test_core_is_above_the_domain_median(phantoms: dict[str, Phantom]) -> None:
    ph = phantoms["occupancy"]
    for d in range(4):
        core = ph.core & (ph.labels == d + 1)
        # about half of the deep ball (0.65 of the radius) is above its median
        deep_voxels = 4 / 3 * np.pi * (0.65 * BOX / 8) ** 3
        assert 0.4 < core.sum() / deep_voxels < 0.6
        assert ph.clean[core].min() > np.median(ph.clean[ph.labels == d + 1])


def test_random_atom_domains_are_apart_and_inside_the_inscribed_sphere(phantoms: dict[str, Phantom]) -> None:
    centre = (BOX - 1) / 2
    for ph in phantoms.values():
        coords = [np.argwhere(ph.labels == d + 1).astype(np.float32) for d in range(4)]
        for c in coords:
            assert np.sqrt(((c - centre) ** 2).sum(1)).max() < BOX / 2 - 6      # shell inside too
        for i in range(4):
            for j in range(i + 1, 4):
                gap = min(np.sqrt(((coords[j] - v) ** 2).sum(1)).min() for v in coords[i][::7])
                assert gap > 0.09 * BOX, (ph.family, i, j, gap)
        sphere = np.sum((np.indices((BOX,) * 3) - centre) ** 2, axis=0) <= (BOX / 2) ** 2
        assert (ph.labels[sphere] == 0).mean() > 0.9                         # plenty of solvent to sample


# ---------------------------------------------------------------- each family's documented properties

def test_occupancy_family(phantoms: dict[str, Phantom]) -> None:
    ph = phantoms["occupancy"]
    assert ph.occupancies == (1.0, 0.75, 0.5, 0.25) and ph.blur_A == (1.6,) * 4
    # same atoms per domain and same blur: the density in each domain scales with its occupancy
    mass = np.array([ph.clean[ph.labels == d + 1].sum() for d in range(4)])
    np.testing.assert_allclose(mass / mass[0], ph.occupancies, rtol=0.05)


def test_blur_family() -> None:
    ph = FAMILIES["blur"](2, box=BOX, voxel_size=1.5)
    assert ph.occupancies == (1.0,) * 4
    np.testing.assert_allclose(ph.blur_A, np.array([1.0, 1.6, 2.2, 2.8]) * 1.5)
    peaks = [np.percentile(ph.clean[ph.labels == d + 1], 99.5) for d in range(4)]
    assert peaks == sorted(peaks, reverse=True) and peaks[0] > 1.5 * peaks[3]    # sharper, higher


def test_both_family_pairs_low_occupancy_with_sharp_and_blurred() -> None:
    orders = set()
    for seed in range(6):
        ph = FAMILIES["both"](seed, box=32)
        pairs = list(zip(ph.occupancies, ph.blur_A))
        assert sorted(pairs) == [(0.5, 1.0), (0.5, 2.8), (1.0, 1.0), (1.0, 2.8)]
        orders.add(tuple(pairs))
    assert len(orders) > 2                                                    # the seed shuffles the pairing


def test_model_family(model0: Phantom) -> None:
    ph = model0
    assert ph.family == "model" and ph.voxel_size == 1.5
    assert sorted(ph.occupancies) == sorted(MODEL_OCCUPANCIES)
    np.testing.assert_allclose(sorted(ph.blur_A), np.sqrt(np.array(sorted(MODEL_B)) / (8 * np.pi ** 2)))
    assert ph.clean[ph.labels > 0].sum() / ph.clean.sum() > 0.98              # labels cover the density
    assert ph.clean.min() >= 0
    # each chain's density is its occupancy times a full chain's (A/C and B/D differ by 3 % in atoms)
    mass = np.array([ph.clean[ph.labels == d + 1].sum() for d in range(4)]) / np.array(ph.occupancies)
    np.testing.assert_allclose(mass / mass.mean(), 1, atol=0.08)


def test_model_family_refuses_what_it_cannot_make(pdb: Path, tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(ValueError, match="does not fit"):
        model_phantom(0, box=64, voxel_size=1.0, pdb_path=pdb)
    with pytest.raises(FileNotFoundError):
        model_phantom(0, box=64, pdb_path=tmp_path / "absent.pdb")
    monkeypatch.delenv("OCCUPY_TEST_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="OCCUPY_TEST_DATA"):
        FAMILIES["model"](0, box=64)
    monkeypatch.setenv("OCCUPY_TEST_DATA", str(pdb.parent))
    assert FAMILIES["model"](0, box=BOX, voxel_size=1.5).labels.max() == 4


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="box"):
        FAMILIES["occupancy"](0, box=16)
    with pytest.raises(ValueError, match="voxel_size"):
        FAMILIES["blur"](0, box=32, voxel_size=0)


# ---------------------------------------------------------------- metrics on known answers

def _per_domain(ph: Phantom, values) -> np.ndarray:
    return np.array([0.0, *values], np.float32)[ph.labels]


def check_metrics_of_the_truth(ph: Phantom) -> None:
    """A scale equal to the truth: core scales are the occupancies, r = 1, no spill, blur-invariant."""
    truth = ph.truth()
    assert core_scale(truth, ph) == pytest.approx(ph.occupancies)
    assert occupancy_correlation(truth, ph) == pytest.approx(1.0, abs=1e-9)
    assert occupancy_correlation(0.5 * truth + 0.2, ph) == pytest.approx(1.0, abs=1e-9)
    assert occupancy_correlation(-truth, ph) == pytest.approx(-1.0, abs=1e-9)
    assert shell_spill(truth, ph) == 0.0
    if ph.occupancies.count(1.0) > 1:
        assert blur_invariance(truth, ph) == 1.0


@pytest.mark.parametrize("family", ["occupancy", "both"])
def test_metrics_of_the_truth(family: str, phantoms: dict[str, Phantom]) -> None:
    check_metrics_of_the_truth(phantoms[family])


def test_model_metrics_of_the_truth(model0: Phantom) -> None:
    check_metrics_of_the_truth(model0)


def test_blur_invariance_of_per_domain_constants(phantoms: dict[str, Phantom]) -> None:
    ph = phantoms["blur"]
    assert blur_invariance(_per_domain(ph, [0.9, 0.8, 0.72, 0.6]), ph) == pytest.approx(0.6 / 0.9)
    ph = phantoms["both"]    # only the two full domains count, whatever the partial ones get
    full = [d for d, o in enumerate(ph.occupancies) if o == 1.0]
    values = [0.1] * 4
    values[full[0]], values[full[1]] = 0.8, 0.6
    assert blur_invariance(_per_domain(ph, values), ph) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="full occupancy"):
        blur_invariance(ph.truth(), phantoms["occupancy"])


def test_correlation_and_spill_of_hand_made_scales(phantoms: dict[str, Phantom]) -> None:
    ph = phantoms["occupancy"]
    assert occupancy_correlation(_per_domain(ph, [0.25, 0.5, 0.75, 1.0]), ph) == pytest.approx(-1.0)
    assert np.isnan(occupancy_correlation(np.ones_like(ph.data), ph))
    with pytest.raises(ValueError, match="every domain"):
        occupancy_correlation(ph.truth(), phantoms["blur"])
    spilled = ph.truth() + 0.3 * ph.shell
    assert shell_spill(spilled, ph) == pytest.approx(0.3)
    assert core_scale(spilled, ph) == pytest.approx(ph.occupancies)
    with pytest.raises(ValueError, match="shape"):
        core_scale(ph.truth()[1:], ph)


@pytest.mark.parametrize("family", ["occupancy", "both"])
def test_amplification_error_known_answers(family: str, phantoms: dict[str, Phantom]) -> None:
    ph = phantoms[family]
    gamma = 4.0
    occ = np.array(ph.occupancies)
    partial = occ < 1
    # the ideal amplification: each domain divided by occ ** (1 - 1/gamma), blur or not
    ideal = ph.clean * _per_domain(ph, occ ** (1 / gamma - 1))
    result = amplification_error(ideal, ph, gamma)
    np.testing.assert_allclose(result.relative, occ ** (1 / gamma), rtol=1e-5)
    assert result.ideal == tuple(occ ** (1 / gamma)) and result.mae == pytest.approx(0, abs=1e-5)
    # no amplification at all: each domain stays at its occupancy
    result = amplification_error(ph.clean, ph, gamma)
    np.testing.assert_allclose(result.relative, occ, rtol=1e-5)
    assert result.mae == pytest.approx(np.abs(occ - occ ** (1 / gamma))[partial].mean(), rel=1e-5)
    # the noisy map gives nearly the same (the noise averages out over the cores)
    assert amplification_error(ph.data, ph, gamma).mae == pytest.approx(result.mae, abs=0.02)
    with pytest.raises(ValueError, match="gamma"):
        amplification_error(ph.clean, ph, 0)
    with pytest.raises(ValueError, match="occupancy 1 and one below"):
        amplification_error(phantoms["blur"].clean, phantoms["blur"], gamma)
