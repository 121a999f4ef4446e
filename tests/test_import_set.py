"""What a run imports: never SciPy or Dask, even where they are installed (docs/usage.md, "Speed").

pyFFTW's package import pulls in SciPy's and Dask's FFT interfaces; occupy loads pyFFTW's compiled
core alone (``occupy.stages.fftw_core``). Each front end runs here in fresh processes with a
``sitecustomize`` that records every import of a watched package (with the importing frames) in a
log file; the same hook in every process, batch workers included. The control test shows the hook
records ``import pyfftw``'s SciPy and Dask imports, so an empty log means something.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import in_ci
from helpers import cli_env, console_script, write_demo_map

WATCHED = ("scipy", "dask")

_SITECUSTOMIZE = '''
import os, sys, traceback

class _Watch:
    """Meta-path finder that logs imports of the watched top-level packages and lets them go on."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {watched!r} and "." not in name:
            frames = [f for f in traceback.format_stack()[:-1] if "importlib" not in f][-4:]
            with open(os.environ["OCCUPY_IMPORT_LOG"], "a") as log:
                log.write("IMPORT " + name + " pid " + str(os.getpid()) + "\\n" + "".join(frames))
        return None

sys.meta_path.insert(0, _Watch())
'''


@pytest.fixture(scope="module", autouse=True)
def _watched_packages_installed() -> None:
    """The test means something only where SciPy and Dask are installed (the test extra has both)."""
    missing = [name for name in WATCHED if importlib.util.find_spec(name) is None]
    if missing:
        message = f"{', '.join(missing)} not installed: install '.[test]' to check the import set"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture()
def watched_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Environment whose Python processes log watched imports to the returned file."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(watched=WATCHED))
    log = tmp_path / "imports.log"
    log.write_text("")
    path = os.pathsep.join(p for p in (str(hook), os.environ.get("PYTHONPATH", "")) if p)
    return cli_env({"PYTHONPATH": path, "OCCUPY_IMPORT_LOG": str(log)}), log


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_the_hook_sees_pyfftw_import_scipy_and_dask(watched_env, tmp_path: Path) -> None:
    env, log = watched_env
    _run([sys.executable, "-c", "import pyfftw"], env, tmp_path)
    assert "IMPORT scipy" in log.read_text() and "IMPORT dask" in log.read_text()


def test_occupy_run_imports_neither(watched_env, tmp_path: Path) -> None:
    env, log = watched_env
    write_demo_map(tmp_path / "map.mrc", box=48, seed=1)
    _run([console_script("occupy"), "-i", "map.mrc", "--amplify", "--attenuate", "-o", "out"], env, tmp_path)
    assert (tmp_path / "out").is_dir()
    assert log.read_text() == ""


def test_api_imports_neither(watched_env, tmp_path: Path) -> None:
    env, log = watched_env
    write_demo_map(tmp_path / "map.mrc", box=48, seed=1)
    code = ("import occupy; m = occupy.read_map('map.mrc'); occupy.estimate_scale(m.data, m.voxel_size);"
            "occupy.run('map.mrc', output_dir='out', amplify=True)")
    _run([sys.executable, "-c", code], env, tmp_path)
    assert log.read_text() == ""


def test_classification_and_batch_workers_import_neither(watched_env, tmp_path: Path) -> None:
    from occupy.demo import write_demo_classification
    env, log = watched_env
    write_demo_classification(tmp_path, n_classes=3, box=40, seed=2)
    (tmp_path / "External" / "job020").mkdir(parents=True)
    _run([console_script("occupy-relion"), "--o", "External/job020/", "--in_3dref", "Class3D/job001/",
          "--j", "2"], env, tmp_path)
    maps = sorted(str(p) for p in (tmp_path / "Class3D" / "job001").glob("*class*.mrc"))
    assert len(maps) == 3
    _run([console_script("occupy-batch"), *maps, "--jobs", "2", "-j", "1", "-o", "batch", "-q"], env, tmp_path)
    assert len(list((tmp_path / "batch").glob("scale_*.mrc"))) == 3
    assert log.read_text() == ""


def test_a_later_import_pyfftw_gets_the_whole_package(tmp_path: Path) -> None:
    code = ("from occupy.stages.fftw_core import fftw_core; core = fftw_core(); import pyfftw, sys;"
            "assert pyfftw.pyfftw is core and pyfftw.FFTW is core.FFTW;"
            "import pyfftw.interfaces.scipy_fft, pyfftw.builders; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "ok", proc.stderr


def test_an_imported_pyfftw_is_used_as_it_is() -> None:
    code = ("import pyfftw; from occupy.stages.fftw_core import fftw_core; assert fftw_core() is pyfftw;"
            "print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "ok", proc.stderr
