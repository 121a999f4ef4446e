"""Hostile conditions around occupy-batch: a worker killed, the batch itself killed, a glob over its own
outputs, a ``#`` in a listed name.

The kills happen at a known point: tests/faults/sitecustomize.py (see tests/test_termination.py) makes
every process of the batch pause after it has staged its first output file, until it is told to go on.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import cli_env, console_script, one_error, run_cli, write_demo_map

import occupy
from occupy import batch_workers
from occupy.batch import run_batch
from occupy.inputs import batch_maps, is_occupy_output
from occupy.outputs.names import aux_names, exclude_name, is_output_name, modified_name, scale_name

psutil = pytest.importorskip("psutil")
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

FAULTS = Path(__file__).parent / "faults"
STEMS = tuple("abcdef")
OPTIONS = {"amplify": True, "gamma": 3.0}


@pytest.fixture(scope="module")
def maps(tmp_path_factory) -> Path:
    """Six small maps of different content, and the outputs of each run alone (the reference)."""
    d = tmp_path_factory.mktemp("hostile_batch")
    for i, stem in enumerate(STEMS):
        write_demo_map(d / f"{stem}.mrc", box=32, seed=40 + i)
        occupy.run(d / f"{stem}.mrc", output_dir=d / "single", threads=1, **OPTIONS)
    return d


class PausedBatch:
    """``occupy-batch --jobs 2`` on the maps, each of its processes paused after staging its first file."""

    def __init__(self, maps: Path, cwd: Path):
        self.ready = cwd / ".ready"
        self.ready.mkdir()
        env = cli_env({"PYTHONPATH": str(FAULTS), "OCCUPY_TEST_PAUSE_AT": "write:1",
                       "OCCUPY_TEST_READY": str(self.ready)}, threads=1)
        args = [str(maps / f"{s}.mrc") for s in STEMS] + ["--jobs", "2", "-j", "2", "-o", "out", "--amplify",
                                                           "--gamma", "3"]
        self.proc = subprocess.Popen([console_script("occupy-batch"), *args], cwd=cwd, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.released: set[int] = set()
        deadline = time.monotonic() + 60
        while len(self.paused()) < 2:
            assert self.proc.poll() is None, self.proc.communicate()
            assert time.monotonic() < deadline, "the workers never paused"
            time.sleep(0.02)

    def paused(self) -> list[int]:
        """Process ids of the paused processes, in the order they paused."""
        found = sorted(self.ready.glob("ready-*"), key=lambda p: p.stat().st_mtime_ns)
        return [int(p.name.split("-")[1]) for p in found]

    def family(self) -> list:
        parent = psutil.Process(self.proc.pid)
        return [parent, *parent.children(recursive=True)]

    def release_all_but(self, killed: int) -> tuple[int, str, str]:
        """Let every paused process but ``killed`` go on (new workers too) until the batch ends."""
        deadline = time.monotonic() + 90
        while self.proc.poll() is None:
            for pid in set(self.paused()) - self.released - {killed}:
                (self.ready / f"continue-{pid}").touch()
                self.released.add(pid)
            assert time.monotonic() < deadline, "the batch did not end"
            time.sleep(0.02)
        out, err = self.proc.communicate()
        return self.proc.returncode, out, err


def _alive(processes: list) -> list:
    alive = []
    for p in processes:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


def _gone(processes: list, timeout: float) -> list:
    """The processes still alive (not zombies) after ``timeout`` seconds; those are then killed."""
    deadline = time.monotonic() + timeout
    while _alive(processes) and time.monotonic() < deadline:
        time.sleep(0.02)
    alive = _alive(processes)
    for p in alive:
        p.kill()                                          # a failed test leaves no process behind either
    return alive


@posix_only
def test_a_killed_worker_fails_only_its_own_map(maps: Path, tmp_path: Path) -> None:
    run = PausedBatch(maps, tmp_path)
    family = run.family()
    victim = run.paused()[0]
    assert victim in [p.pid for p in family[1:]]          # a worker of this batch, paused in its first map
    os.kill(victim, signal.SIGKILL)
    code, _, err = run.release_all_but(victim)
    assert code == 1, err
    line = one_error(err, "1 of 6 maps failed: ")
    failed = re.findall(r"/(\w)\.mrc \(", line)
    assert len(failed) == 1 and failed[0] in STEMS[:2], line          # one of the two maps that were running
    assert "killed by SIGKILL, perhaps out of memory; not run again" in line
    out_dir = tmp_path / "out"
    for stem in STEMS:
        produced = sorted(p.name for p in out_dir.glob(f"*_{stem}.*"))
        if stem == failed[0]:
            assert produced == [], produced                   # nothing published for the killed worker's map
            continue
        for name in (f"scale_occ_{stem}.mrc", f"ampl_3.0_{stem}.mrc"):
            np.testing.assert_array_equal(occupy.read_map(out_dir / name).data,
                                          occupy.read_map(maps / "single" / name).data, err_msg=name)
        assert (out_dir / f"log_{stem}.txt").is_file() and (out_dir / f"chimX_{stem}.cxc").is_file()
    assert sorted(p.name for p in out_dir.iterdir() if p.name.startswith(".")) == []     # no staging file
    assert _gone(family[1:], 5) == []                     # no process outlives the batch


@posix_only
def test_workers_of_a_killed_batch_stop_without_publishing(maps: Path, tmp_path: Path) -> None:
    run = PausedBatch(maps, tmp_path)
    family = run.family()
    out_dir = tmp_path / "out"
    staged = sorted(p.name for p in out_dir.iterdir())
    assert len(staged) == 2 and all(name.startswith(".") for name in staged), staged   # one staged file each
    run.proc.kill()                                       # SIGKILL: the batch cannot stop its workers itself
    run.proc.wait()
    run.proc.stdout.close()
    run.proc.stderr.close()                               # (its workers hold these pipes as long as they live)
    assert _gone(family[1:], 5) == [], "workers outlived the killed batch"
    time.sleep(0.5)
    assert sorted(p.name for p in out_dir.iterdir()) == []   # nothing published, staged files removed


def _write_outputs(folder: Path) -> list[str]:
    """Two maps in ``folder`` and every kind of output map of theirs beside them; the outputs' names."""
    for i, stem in enumerate(("a", "b")):
        write_demo_map(folder / f"{stem}.mrc", box=32, seed=60 + i)
    before = set(os.listdir(folder))
    run_batch([folder / "*.mrc"], jobs=1, threads_per_job=1, output_dir=str(folder), amplify=True,
              attenuate=True, gamma=3.0, exclude_solvent=True, save_all_maps=True, chimerax=False)
    return sorted(n for n in set(os.listdir(folder)) - before if n.endswith(".mrc"))


def test_a_glob_over_the_output_folder_skips_its_outputs(tmp_path: Path) -> None:
    outputs = _write_outputs(tmp_path)
    assert len(outputs) == 12 and "ampl_3.0_solExcl_a.mrc" in outputs and "conf_b.mrc" in outputs
    write_demo_map(tmp_path / "scale_res_theirs.mrc", box=32, seed=3)     # our kind of name, not our file
    (tmp_path / "mine.mrc").write_bytes((tmp_path / "ampl_3.0_solExcl_a.mrc").read_bytes())  # ours, renamed
    r = run_cli("occupy-batch", str(tmp_path / "*.mrc"), "-o", str(tmp_path), "--amplify", "--gamma", "3",
                "-j", "1")
    assert r.returncode == 0, r.stderr
    notes = [ln for ln in r.stderr.splitlines() if ln.startswith("warning:")]
    assert len(notes) == 1 and notes[0].startswith("warning: skipped 12 file(s) that the globs matched"), r.stderr
    assert "occupy-batch: 4/4 maps ok" in r.stdout
    assert (tmp_path / "ampl_3.0_mine.mrc").is_file() and (tmp_path / "ampl_3.0_scale_res_theirs.mrc").is_file()
    assert not list(tmp_path.glob("*_ampl_3.0_*")) and not list(tmp_path.glob("scale_occ_scale_occ*"))


def test_outputs_named_explicitly_are_run(tmp_path: Path) -> None:
    outputs = _write_outputs(tmp_path)
    named = tmp_path / "ampl_3.0_solExcl_a.mrc"
    assert batch_maps([named]).paths == [named]
    found = batch_maps([tmp_path / "*.mrc", named])
    assert [p.name for p in found.paths] == ["a.mrc", "b.mrc", named.name]
    assert sorted(p.name for p in found.skipped) == sorted(set(outputs) - {named.name})
    assert all(is_occupy_output(tmp_path / n) for n in outputs) and not is_occupy_output(tmp_path / "a.mrc")


def test_every_output_map_name_is_recognised() -> None:
    names = [scale_name("m_1", mode) for mode in ("res", "occ")] + [scale_name("m_1", "res", s0=True)]
    names += [modified_name("m_1", kind, g, exclude_solvent=x) for kind in ("amplify", "attenuate")
              for g in (1, 3.5, 1000) for x in (False, True)]
    names += [modified_name("m_1", "sigmoid", sigmoid=s, pivot=p, exclude_solvent=x)
              for s, p in ((1, 0.05), (10, 0.5)) for x in (False, True)]
    names += [exclude_name("m_1")] + [n for n in aux_names("m_1").values() if n.endswith(".mrc")]
    assert len(names) == 25
    for name in names:
        assert is_output_name(name), name
    for name in ("m_1.mrc", "scale_m_1.mrc", "ampl_m_1.mrc", "amplify_3.0_m_1.mrc", "log_m_1.txt"):
        assert not is_output_name(name), name


def test_a_hash_inside_a_listed_name_is_kept(tmp_path: Path) -> None:
    write_demo_map(tmp_path / "run#2.mrc", box=32, seed=5)
    write_demo_map(tmp_path / "b.mrc", box=32, seed=6)
    listing = tmp_path / "maps.txt"
    listing.write_text(f"# maps of run 2\n{tmp_path / 'run#2.mrc'}\n  # {tmp_path / 'b.mrc'}\n"
                       f"{tmp_path / 'b.mrc'}\t# the second\n\n")
    assert [p.name for p in batch_maps([listing]).paths] == ["run#2.mrc", "b.mrc"]
    report = run_batch([listing], jobs=1, threads_per_job=1, output_dir=str(tmp_path / "o"), chimerax=False)
    assert [o.ok for o in report.outcomes] == [True, True], [o.error for o in report.outcomes]
    assert (tmp_path / "o" / "scale_res_run#2.mrc").is_file()


@posix_only
def test_stopping_kills_a_worker_that_ignores_sigterm() -> None:
    """A stopped batch ends its workers: one that does not exit on SIGTERM within the grace is killed."""
    context = batch_workers._mp_context()
    stubborn = context.Process(target=os.execvp, args=("sh", ["sh", "-c", "trap '' TERM; exec sleep 60"]))
    stubborn.start()
    time.sleep(0.5)                                       # the shell has set its trap
    t0 = time.monotonic()
    batch_workers._end_workers([SimpleNamespace(process=stubborn, conn=context.Pipe()[0])], stop=True, grace=0.5)
    assert time.monotonic() - t0 < 3 and not stubborn.is_alive() and stubborn.exitcode == -signal.SIGKILL
