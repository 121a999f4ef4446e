"""The build really has OpenMP, and the thread-count policy is explicit > env > CPUs."""
from __future__ import annotations

import pytest

from occupy.threads import effective_threads, has_openmp, parallel_probe, thread_cap, tidy_omp_num_threads, usable_cpus


def test_built_with_openmp():
    assert has_openmp() is True


def test_two_threads_run_concurrently():
    probe = parallel_probe(2)
    assert len({tid for tid, _, _ in probe}) == 2
    assert all(team == 2 for _, team, _ in probe)
    assert all(met for _, _, met in probe)


def test_explicit_beats_environment(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert effective_threads(5) == 5


def test_environment_beats_cpu_count(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3,2")
    assert effective_threads() == 3


def test_cpu_count_when_nothing_set(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert effective_threads() == usable_cpus() >= 1
    monkeypatch.setenv("OMP_NUM_THREADS", "garbage")
    assert effective_threads() == usable_cpus()


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_bad_explicit_count(bad):
    with pytest.raises(ValueError):
        effective_threads(bad)


@pytest.mark.parametrize("given, left", [
    ("two", None), ("0", None), ("", None), ("4,-1", None), ("2, 1", "2, 1"), ("1", "1"),
])
def test_tidy_omp_num_threads_removes_what_is_not_a_list_of_positive_integers(given, left) -> None:
    env = {"OMP_NUM_THREADS": given, "OTHER": "x"}
    changed = tidy_omp_num_threads(env)
    assert env.get("OMP_NUM_THREADS") == left and env["OTHER"] == "x"
    assert changed == (given if left is None else None)


def test_tidy_omp_num_threads_lowers_a_huge_count_to_the_cap_and_keeps_nested_levels() -> None:
    env = {"OMP_NUM_THREADS": f"{thread_cap() + 1},3"}
    assert tidy_omp_num_threads(env) == f"{thread_cap() + 1},3"
    assert env["OMP_NUM_THREADS"] == f"{thread_cap()},3"
    env = {"OMP_NUM_THREADS": str(thread_cap())}
    assert tidy_omp_num_threads(env) is None and env["OMP_NUM_THREADS"] == str(thread_cap())
    assert tidy_omp_num_threads({}) is None
