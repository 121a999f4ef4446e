"""Every compiled module has a stub that matches it: the same functions, the same parameters."""
from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import occupy._ext

EXT = Path(occupy._ext.__file__).parent
# the compiled modules, found from the sources the build compiles (one .pyx each)
MODULES = sorted(p.stem for p in EXT.glob("*.pyx")) or sorted(
    p.name.split(".")[0] for p in EXT.iterdir() if p.suffix in (".so", ".pyd"))


def _stub_functions(stub: Path) -> dict[str, list[tuple[str, bool]]]:
    """Function name -> [(parameter name, has a default)] from a .pyi file."""
    out = {}
    for node in ast.parse(stub.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            args = node.args
            names = [a.arg for a in args.posonlyargs + args.args]
            n_default = len(args.defaults)
            out[node.name] = [(n, i >= len(names) - n_default) for i, n in enumerate(names)]
    return out


def _compiled_functions(module) -> dict[str, list[tuple[str, bool]]]:
    out = {}
    for name, obj in vars(module).items():
        if name.startswith("_") or not callable(obj) or inspect.isclass(obj) or inspect.ismodule(obj):
            continue
        params = inspect.signature(obj).parameters.values()
        out[name] = [(p.name, p.default is not inspect.Parameter.empty) for p in params]
    return out


def test_every_compiled_module_is_found() -> None:
    assert set(MODULES) == {"_threads", "_maxfilter", "_tiles", "_stats", "_regions", "_confidence", "_modification"}


@pytest.mark.parametrize("name", MODULES)
def test_stub_matches_compiled_signatures(name: str) -> None:
    stub = EXT / f"{name}.pyi"
    assert stub.is_file(), f"{name} has no stub {stub.name}"
    module = importlib.import_module(f"occupy._ext.{name}")
    assert module.__file__.endswith((".so", ".pyd")), f"{name} is not the compiled module"
    assert _stub_functions(stub) == _compiled_functions(module)


def test_stubs_are_shipped_with_the_package() -> None:
    """The installed package carries the stubs next to the compiled modules."""
    import occupy
    installed = Path(occupy.__file__).parent / "_ext"
    for name in MODULES:
        assert (installed / f"{name}.pyi").is_file()
