"""Helpers the test modules share, so each thing a test needs is done one way.

- Front ends as a user runs them: :func:`run_cli` (:func:`console_script`, :func:`cli_env`),
  :func:`occupy_peak` (with its peak memory), and :func:`one_error` for what a failed run must say.
- Files: :func:`write_demo_map`, :func:`write_mrc` (mrcfile, independent of occupy's writer),
  :func:`mrc_header` (a hand-made, possibly lying header), :func:`log_value`, :func:`read_star`.
- Warnings and a server: :func:`occupy_warnings`, :func:`http_server` (a local stand-in for the EMDB).

Imported as ``from helpers import ...`` (conftest.py puts this folder on ``sys.path``).
"""
from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import gemmi
import mrcfile
import numpy as np

import occupy
from occupy.errors import OccupyWarning


# ---------------------------------------------------------------- front ends

def console_script(name: str) -> str:
    """Path of the console script ``name`` (``occupy``, ``occupy-batch``, ``occupy-relion``) installed
    beside the running interpreter, so a test runs this environment's front end and no other."""
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    assert path is not None, f"console script {name} not installed next to {sys.executable}"
    return path


def cli_env(env: dict[str, str] | None = None, *, threads: int = 2, columns: int = 120) -> dict[str, str]:
    """The environment of a front-end run: this one, with ``threads`` OpenMP threads and a terminal of
    ``columns`` (so runs and help text do not depend on the machine); ``env`` is laid over it."""
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "COLUMNS": str(columns), **(env or {})}


def run_cli(program: str, *args: str, cwd: Path | str | None = None, env: dict[str, str] | None = None,
            columns: int = 120, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the console script ``program`` with ``args`` as a user would, in ``cwd``; output captured as text.

    The environment is :func:`cli_env` (two OpenMP threads, ``columns`` wide) with ``env`` laid over it.
    """
    return subprocess.run([console_script(program), *args], cwd=cwd, capture_output=True, text=True,
                          env=cli_env(env, columns=columns), timeout=timeout)


# runs a command and reports its peak RSS in MB (Linux: ru_maxrss in kB)
_PEAK = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
         "print('PEAK', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, rc, file=sys.stderr)")


def occupy_peak(*args: str, cwd: Path, env: dict | None = None) -> tuple[int, str, int, float]:
    """(exit status, stderr without the PEAK line, peak RSS in MB, seconds) of one ``occupy`` run."""
    t0 = time.monotonic()
    with subprocess.Popen([sys.executable, "-c", _PEAK, console_script("occupy"), *args], cwd=cwd, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(env, columns=200),
                          start_new_session=True) as proc:
        try:
            _, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)     # the run too, not only the wrapper: a hung run left no process
            proc.communicate()
            raise
    seconds = time.monotonic() - t0
    lines = stderr.splitlines()
    _, peak, code = lines[-1].split()
    return int(code), "\n".join(lines[:-1]), int(peak), seconds


def one_error(stderr: str, text: str) -> str:
    """Check that a failed run said exactly one thing: one ``error: `` line, containing ``text``, and no
    traceback. Returns that line, for further checks."""
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and text in errors[0], stderr
    assert stderr.count("error: ") == 1, stderr        # not repeated inside another line either
    assert "Traceback" not in stderr, stderr
    return errors[0]


# ---------------------------------------------------------------- files

def write_demo_map(path: Path, **demo) -> Path:
    """Write ``occupy.make_demo_map(**demo)`` (e.g. ``box=32, seed=2``) to ``path`` with its voxel size;
    returns ``path``."""
    m = occupy.make_demo_map(**demo)
    return occupy.write_map(path, m.data, voxel_size=m.voxel_size)


def write_mrc(path: Path, data, voxel: float | tuple[float, float, float] = 1.0, **header) -> Path:
    """Write ``data`` with mrcfile, not occupy's writer (so the reader meets files it did not make), with
    voxel size ``voxel`` and the header fields ``header`` (e.g. ``mapc=3``). Float64 data are stored as
    float32, other types as given. Returns ``path``."""
    data = np.asarray(data)
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(data.astype(np.float32) if data.dtype == np.float64 else data)
        mrc.voxel_size = voxel
        for name, value in header.items():
            setattr(mrc.header, name, value)
    return path


def mrc_header(nx: int, ny: int, nz: int, mode: int = 2, nsymbt: int = 0, order: str = "<") -> bytes:
    """A bare 1024-byte MRC header, made by hand so it can lie: ``nx*ny*nz`` voxels of ``mode``, ``nsymbt``
    bytes of extended header, byte order ``order`` (``"<"`` or ``">"``), 1 Å voxels."""
    head = bytearray(1024)
    struct.pack_into(f"{order}4i", head, 0, nx, ny, nz, mode)
    struct.pack_into(f"{order}3i", head, 28, nx, ny, nz)          # MX, MY, MZ
    struct.pack_into(f"{order}3f", head, 40, nx, ny, nz)          # cell (1 Å voxels)
    struct.pack_into(f"{order}3i", head, 64, 1, 2, 3)
    struct.pack_into(f"{order}2i", head, 88, 1, nsymbt)
    head[208:212] = b"MAP "
    head[212:214] = b"\x44\x44" if order == "<" else b"\x11\x11"
    return bytes(head)


def log_value(log: Path, name: str) -> str:
    """The value (last word) of the first line of an occupy log file that starts with ``name``."""
    line = next(ln for ln in log.read_text().splitlines() if ln.strip().startswith(name))
    return line.split()[-1]


def read_star(path: Path) -> dict[str, list[dict[str, str]]]:
    """The tables of a STAR file occupy wrote, read with gemmi (the library occupy writes them with):
    ``{block name: rows}``, each row ``{label without the underscore: unquoted value}``. Every block
    must hold exactly one loop."""
    tables: dict[str, list[dict[str, str]]] = {}
    for block in gemmi.cif.read_file(str(path)):
        loops = [item.loop for item in block if item.loop is not None]
        assert len(loops) == 1, f"{path}: block {block.name} has {len(loops)} loops"
        tags = list(loops[0].tags)
        tables[block.name] = [{t[1:]: gemmi.cif.as_string(row[i]) for i, t in enumerate(tags)}
                              for row in block.find(tags)]
    return tables


# ---------------------------------------------------------------- warnings, a server

@contextlib.contextmanager
def occupy_warnings(action: str) -> Iterator[None]:
    """Inside the block, an ``OccupyWarning`` is handled by ``action``: ``"error"`` makes it fail the test,
    ``"ignore"`` silences it; other warnings are left as they were."""
    with warnings.catch_warnings():
        warnings.simplefilter(action, OccupyWarning)
        yield


@contextlib.contextmanager
def http_server(handler) -> Iterator[http.server.ThreadingHTTPServer]:
    """A local HTTP server answering with ``handler`` on a free port of 127.0.0.1, served from a daemon
    thread while the block runs, then shut down; ``server.base`` is its URL (no trailing slash)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
