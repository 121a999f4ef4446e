"""The public API documents itself: numpydoc docstrings that say every parameter, and doctests that run.

The reference site (``mkdocs build --strict``) is generated from these docstrings, so a
parameter documented nowhere, or documented under a wrong name, fails here first.
"""
from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

# Every module whose names are public: occupy's namespace and each module of the package
# (found by walking it, so a new module is checked without being listed), but not the
# compiled kernels (their stubs are checked by test_stubs) or private modules.
def _public_modules() -> list[str]:
    import occupy
    names = ["occupy"]
    for info in pkgutil.walk_packages(occupy.__path__, "occupy."):
        parts = info.name.split(".")
        if not any(p.startswith("_") for p in parts[1:]):
            names.append(info.name)
    return names


PUBLIC_MODULES = _public_modules()
# numpydoc checks that must pass: a docstring exists (GL08), every parameter is documented
# (PR01) under its real name (PR02) with a description (PR07), a value-returning function
# says what it returns (RT01), and sections are known and in order (GL06, GL07).
REQUIRED = {"GL08", "PR01", "PR02", "PR07", "RT01", "GL06", "GL07"}


def _public_objects() -> list[tuple[str, object]]:
    seen: dict[int, str] = {}
    out = []
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or id(obj) in seen:
                continue
            seen[id(obj)] = name
            qual = f"{obj.__module__}.{obj.__qualname__}"
            out.append((qual, obj))
            if inspect.isclass(obj):
                out += [(f"{qual}.{attr}", member) for attr, member in vars(obj).items()
                        if not attr.startswith("_") and (inspect.isfunction(member) or
                                                         isinstance(member, (classmethod, property)))]
    return out


PUBLIC = _public_objects()


@pytest.mark.parametrize("qualname", [q for q, _ in PUBLIC])
def test_public_docstring_is_complete(qualname: str) -> None:
    report = numpydoc_validate.validate(qualname)
    problems = [f"{code}: {message}" for code, message in report["errors"] if code in REQUIRED]
    assert not problems, f"{qualname}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("modname", PUBLIC_MODULES)
def test_doctests_pass(modname: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)   # examples that write files write them here
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    module = importlib.import_module(modname)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {modname}"


def test_examples_exist_where_they_help() -> None:
    """The entry points a newcomer reads first each show a runnable example."""
    import occupy
    for obj in (occupy.run, occupy.estimate_scale, occupy.fit_solvent, occupy.confidence, occupy.modify,
                occupy.maximum_filter_ball, occupy.tile_search, occupy.read_map, occupy.write_map,
                occupy.derive_parameters, occupy.make_demo_map, occupy.RunOptions):
        assert "Examples\n" in inspect.getdoc(obj), obj.__qualname__
