"""Shared fixtures: where the real maps live, and a guard against silent skips in CI."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return Path(os.environ.get("OCCUPY_TEST_DATA", REPO.parent / "shared" / "data")).resolve()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def test_data() -> Path:
    """Directory of the real EMDB maps; fails (not skips) under CI=true when missing."""
    d = data_dir()
    if not (d / "emd_3488.mrc").exists():
        msg = f"test data not found in {d} (set OCCUPY_TEST_DATA)"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    return d


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped test is a failure: nothing may be skipped silently."""
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true (install '.[test]' and the test data): {report.longrepr}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """Same for modules skipped at import (pytest.importorskip at module level)."""
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"module skipped under CI=true: {report.longrepr}"
