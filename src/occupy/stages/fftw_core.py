"""pyFFTW's compiled core (``FFTW``, aligned arrays), loaded without the package's interfaces.

``import pyfftw`` runs ``pyfftw/__init__.py``, which imports ``pyfftw.interfaces``, which
imports SciPy's and Dask's FFT modules whenever they are installed: 0.3-1.3 s of start-up
and ~40 MB per process in a typical cryo-EM environment (bench/README.md, "The same speed
whatever else is installed"). occupy uses only the compiled extension ``pyfftw.pyfftw``
(``FFTW``, ``empty_aligned``, ``zeros_aligned``), whose own imports are NumPy and the
standard library, so it is loaded from the installed package's directory by itself.

The result is the same code and the same plans, flags and threads as through ``import
pyfftw``: only the interface modules are left out. A later ``import pyfftw`` in the same
process (by the user, or by another library) gets the whole package as usual, with this
very extension module as its ``pyfftw.pyfftw``. If the package is already imported, or its
layout is not the expected one, the plain ``import pyfftw`` is used.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
from functools import lru_cache
from types import ModuleType

__all__ = ["fftw_core"]

_PACKAGE = "pyfftw"
_CORE = "pyfftw.pyfftw"
_LOADING = threading.Lock()


@lru_cache(maxsize=None)
def _load_core() -> ModuleType:
    """The extension module alone, or the package when that is not possible."""
    package = sys.modules.get(_PACKAGE)
    if package is not None:
        return package
    spec = importlib.util.find_spec(_PACKAGE)  # finds, does not run, the package's __init__
    locations = None if spec is None else spec.submodule_search_locations
    core_spec = (importlib.machinery.PathFinder.find_spec(_CORE, locations)
                 if locations else None)
    if core_spec is None or not isinstance(core_spec.loader, importlib.machinery.ExtensionFileLoader):
        import pyfftw
        return pyfftw
    core = importlib.util.module_from_spec(core_spec)
    core_spec.loader.exec_module(core)
    # The extension registers itself in sys.modules; take it out so that a later
    # ``import pyfftw`` imports it through the package (which binds ``pyfftw.pyfftw`` and
    # gets this same initialised module back) instead of finding an orphan submodule.
    sys.modules.pop(_CORE, None)
    return core


def fftw_core() -> ModuleType:
    """pyFFTW's ``FFTW`` class and aligned-array functions, without SciPy or Dask imports.

    Returns
    -------
    module
        The compiled ``pyfftw.pyfftw`` module (or the ``pyfftw`` package if it was
        already imported); both provide ``FFTW``, ``empty_aligned`` and ``zeros_aligned``.
    """
    with _LOADING:
        return _load_core()
