"""The installed package: metadata, typing marker, stubs, and what `import occupy` does not load."""
from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import occupy


def test_metadata() -> None:
    meta = metadata.metadata("occupy")
    assert meta["Version"] == occupy.__version__
    assert meta["License-Expression"] == "BSD-3-Clause"
    assert "matplotlib" in " ".join(metadata.requires("occupy"))      # --plot works after `pip install .`
    files = [str(f) for f in metadata.files("occupy")]
    assert any(f.endswith("licenses/LICENSE") for f in files)
    assert not [f for f in files if f.endswith((".pyx", ".pxd"))]     # kernel sources: compiled in


def test_typed_package_with_stubs() -> None:
    root = Path(occupy.__file__).parent
    assert (root / "py.typed").is_file()
    assert sorted(p.name for p in (root / "_ext").glob("*.pyi")) == [
        "_confidence.pyi", "_maxfilter.pyi", "_modification.pyi", "_regions.pyi", "_stats.pyi", "_threads.pyi",
        "_tiles.pyi"]


def test_imports_stay_light() -> None:
    """matplotlib only when plotting; pyFFTW (and SciPy/Dask, which its import pulls in) only for a transform;
    rich and rich-click only for help or a terminal; gemmi only for STAR files."""
    code = ("import sys, occupy, occupy.pipeline, occupy.cli.occupy; "
            "print(sorted(m for m in ('matplotlib', 'pyfftw', 'scipy', 'dask', 'rich', 'rich_click', 'gemmi') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
