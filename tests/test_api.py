"""The embedding API: the example runs, repeated runs don't leak, threads don't interfere, no printing."""
from __future__ import annotations

import gc
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers import write_demo_map

import occupy
import occupy.pipeline  # noqa: F401 - load (and, in an editable install, build) before capturing output

REPO = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    psutil = pytest.importorskip("psutil")
    return psutil.Process().memory_info().rss / 2**20


@pytest.fixture(scope="module")
def map64(tmp_path_factory) -> Path:
    return write_demo_map(tmp_path_factory.mktemp("api") / "m64.mrc", box=64, seed=5)


def test_example_runs() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "examples" / "embed.py")], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    m_est = re.search(r"estimate_scale: s_full=([0-9.]+)", proc.stdout)
    m_run = re.search(r"occupy\.run: s_full=([0-9.]+)", proc.stdout)
    assert m_est and m_run, proc.stdout
    # the array API and the file pipeline agree on the same map
    assert m_est.group(1) == m_run.group(1)
    assert "scale: scale_occ_demo.mrc" in proc.stdout and "amplify: ampl_4.0_demo.mrc" in proc.stdout
    # domains at lower occupancy get a lower estimated scale
    medians = [float(x) for x in re.findall(r"median scale ([0-9.]+)", proc.stdout)]
    assert len(medians) == 4 and medians == sorted(medians, reverse=True)


def test_repeated_runs_do_not_grow_memory(map64: Path, tmp_path: Path) -> None:
    rss = []
    for i in range(50):
        r = occupy.run(map64, output_dir=str(tmp_path), amplify=True, gamma=3, threads=1)
        assert r.output_paths["scale"].exists()
        del r
        if i in (4, 49):
            gc.collect()
            rss.append(_rss_mb())
    assert rss[1] - rss[0] < 30, f"RSS grew from {rss[0]:.1f} MB to {rss[1]:.1f} MB over 45 runs"


def test_concurrent_estimate_scale_matches_sequential() -> None:
    maps = [occupy.make_demo_map(box=48, seed=s).data for s in (1, 2)]
    expected = [occupy.estimate_scale(m, 1.5, mode="occ", threads=1) for m in maps]
    assert not np.array_equal(expected[0].scale, expected[1].scale)
    for _ in range(3):
        got: list = [None, None]
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)

        def work(i: int) -> None:
            try:
                barrier.wait()
                got[i] = occupy.estimate_scale(maps[i], 1.5, mode="occ", threads=1)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for e, g in zip(expected, got):
            assert g.s_full == e.s_full and g.tau == e.tau
            np.testing.assert_array_equal(g.scale, e.scale)


def test_run_prints_nothing(map64: Path, tmp_path: Path, capfd) -> None:
    r = occupy.run(map64, output_dir=str(tmp_path), attenuate=True, gamma=2, exclude_solvent=True,
                   save_all_maps=True, threads=1)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert r.output_paths["attenuate"].name == "attn_2.0_solExcl_m64.mrc"


def test_public_names() -> None:
    for name in ("run", "estimate_scale", "read_map", "write_map", "fit_solvent", "confidence", "modify",
                 "maximum_filter_ball", "tile_search", "RunOptions", "RunResult", "OccupyError"):
        assert callable(getattr(occupy, name)), name
    opts = occupy.RunOptions()
    assert opts.output_dir == "." and opts.scale_limit == 0.05 and opts.chimerax is True
