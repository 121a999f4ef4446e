"""Shared fixtures: the real maps (from the registry in data_registry.py), and a guard against silent skips in CI."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))   # helpers, data_registry, ref_impl: modules beside the tests
from data_registry import HOW_TO_GET, DataUnavailable, maps_folder  # noqa: E402

_NO_DATA = "EMDB test maps not available"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def test_data() -> Path:
    """Folder of the real EMDB maps, sha256-checked; fails (not skips) under CI=true when missing."""
    try:
        return maps_folder()
    except DataUnavailable as exc:
        msg = f"{_NO_DATA} ({exc}): {HOW_TO_GET}"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)


def pytest_collection_modifyitems(items) -> None:
    """Tests that use the real maps carry the ``data`` marker (``-m "not data"`` runs without them)."""
    for item in items:
        if "test_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.data)


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many tests were skipped for lack of the maps, and how to get them."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if _NO_DATA in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(f"{len(skipped)} tests skipped: {_NO_DATA}; {HOW_TO_GET}.", yellow=True)


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
