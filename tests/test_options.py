"""One declaration per option: every front end parses it alike, and each value is checked once, one message."""
from __future__ import annotations

import dataclasses
import math

import pytest

from occupy.cli import batch as batch_cli
from occupy.cli import occupy as occupy_cli
from occupy.cli.common import COMMAND_OPTIONS, run_options
from occupy.errors import OptionError
from occupy.options import RunOptions, check_option, option_table
from occupy.optionspec import FRONT_ENDS, PANELS, check_value, resolve_switches
from occupy.relion import parse_relion_args
from occupy.resolve import resolve_options

EMBEDDING_ONLY = {"command_line", "keep_arrays", "progress", "check_abort", "output_set"}


def test_every_user_field_is_declared_once() -> None:
    fields = [f.name for f in dataclasses.fields(RunOptions)]
    assert [o.name for o in option_table()] == [f for f in fields if f not in EMBEDDING_ONLY]
    spellings = [s for o in (*option_table(), *COMMAND_OPTIONS)
                 for s in (*[p for f in o.flags for p in f.split("/")], *[f for w in o.switches for f in w.flags])]
    assert len(spellings) == len(set(spellings)), "a command-line spelling is declared twice"


@pytest.mark.parametrize("opt", option_table(), ids=lambda o: o.name)
def test_declaration_is_complete_and_its_default_valid(opt) -> None:
    assert opt.panel in PANELS and opt.help and opt.kind in (int, float, str, bool)
    assert opt.front_ends <= FRONT_ENDS
    assert all(f.startswith("-") for f in opt.flags) and (opt.flags or opt.switches)
    assert check_value(opt, opt.default) == opt.default
    assert getattr(RunOptions(), opt.name) == opt.default


def _sample(opt):
    """A valid value that differs from the default."""
    if opt.kind is bool:
        return not opt.default
    if opt.choices:           # the last choice: never the default
        return next(c for c in reversed(opt.choices) if c != opt.default)
    if opt.kind is str:       # an existing file for the mask, a file in an existing directory for --json
        return {"solvent_def": __file__, "json": "tests/run.json"}.get(opt.name, "some/dir")
    if opt.odd:
        return 5
    if opt.name == "max_box":
        return 32
    low = 0.5 if opt.low is None else opt.low
    value = low + (0.25 if opt.low_open or opt.kind is float else 1)
    return int(value) if opt.kind is int else value


def _long(opt) -> str:
    return [f for f in opt.flags if f.startswith("--")][0]


def _cli_args(opt, value) -> list[str]:
    if opt.switches:
        return [opt.switches[-1].flags[0]]
    if opt.kind is bool:
        assert value is True and "/" not in _long(opt)
        return [_long(opt)]
    return [_long(opt), str(value)]


CASES = [(o, _sample(o)) for o in option_table()]


@pytest.mark.parametrize("opt, value", CASES, ids=[o.name for o, _ in CASES])
def test_front_ends_parse_an_option_alike(opt, value) -> None:
    """occupy, occupy-batch and occupy-relion turn the same option into the same run keyword."""
    expected = opt.switches[-1].value if opt.switches else value
    check_option(opt.name, expected)
    got = {}
    for program, build, extra in (("occupy", occupy_cli.build_command, []),
                                  ("occupy-batch", batch_cli.build_command, ["m.mrc"])):
        if program not in opt.front_ends:
            continue
        ctx = build().make_context(program, [*extra, *_cli_args(opt, value)])
        got[program] = run_options(ctx.params)[opt.name]
    if "occupy-relion" in opt.front_ends:
        name = (opt.switches[-1].flags[0] if opt.switches else _long(opt))[2:].replace("-", "_")
        raw = "true" if opt.kind is bool or opt.switches else str(value)
        _, _, options = parse_relion_args(["--o", "job/", "--in_3dref", "m.mrc", f"--{name}", raw])
        got["occupy-relion"] = options[opt.name]
    assert got and all(v == expected for v in got.values()), got


def test_relion_offers_no_output_dir_and_batch_no_input() -> None:
    with pytest.raises(OptionError, match="unknown parameter --output_dir"):
        parse_relion_args(["--o", "job/", "--in_3dref", "m.mrc", "--output_dir", "x"])
    params = {p.name for p in batch_cli.build_command().params}
    assert not params & {"input_map", "emdb", "demo", "show_chimerax"}


def test_help_all_shows_every_option_and_help_only_the_everyday_ones() -> None:
    def help_text(show_all: bool) -> str:
        cmd = occupy_cli.build_command(show_all=show_all)
        ctx = cmd.make_context("occupy", [])
        return cmd.get_help(ctx)
    full, short = help_text(True), help_text(False)
    for opt in (*option_table(), *COMMAND_OPTIONS):
        if "occupy" not in opt.front_ends:
            continue
        for spelling in [f.split("/")[0] for f in opt.flags if f.startswith("--")][:1] + \
                [s.flags[0] for s in opt.switches]:
            assert spelling in full, spelling
            assert (spelling in short) == opt.everyday, spelling


@pytest.mark.parametrize("name, value, message", [
    ("gamma", 0.5, "--gamma must be in [1, 1000], got 0.5; values below 1 would swap"),
    ("gamma", 5000, "--gamma must be in [1, 1000], got 5000"),
    ("gamma", math.inf, "--gamma must be a finite number, got inf"),
    ("gamma", "4", "--gamma must be a number, got '4'"),
    ("tau", 0, "--tau must be in (0, 1], got 0"),
    ("kernel_size", 6, "--kernel-size must be odd, got 6"),
    ("kernel_size", 33, "--kernel-size must be between 3 and 31, got 33"),
    ("kernel_size", 5.5, "--kernel-size must be an integer, got 5.5"),
    ("max_box", 8, "--max-box must be 0 (off) or at least 16, got 8"),
    ("threads", 0, "--threads must be at least 1, got 0"),
    ("seed", -1, "--seed must be at least 0, got -1"),
    ("lowpass", -2.0, "--lowpass must be positive, got -2.0"),
    ("scale_limit", 1.0, "--scale-limit must be in [0, 1), got 1.0"),
    ("amplify", "yes", "--amplify must be true or false, got 'yes'"),
    ("scale_mode", "both", "--lp-scale/--raw-scale must be one of auto, occ, res, got 'both'"),
    ("json", "tests", "--json tests: is a directory; give a file name"),
    ("json", "no/such/dir/r.json", "--json no/such/dir/r.json: directory "),
])
def test_one_validation_one_message(name, value, message) -> None:
    with pytest.raises(OptionError) as info:
        check_option(name, value)
    assert str(info.value) == message or str(info.value).startswith(message)


def test_the_same_message_from_every_entry_point(tmp_path) -> None:
    """The API function, the pipeline and the parameters give the CLI's message for a value."""
    import numpy as np

    import occupy
    data = np.random.default_rng(0).random((24, 24, 24), dtype=np.float32)
    expected = "--kernel-size must be odd, got 4"
    for call in (lambda: occupy.estimate_scale(data, 1.0, kernel_size=4),
                 lambda: occupy.derive_parameters(data.shape, 1.0, kernel_size=4),
                 lambda: occupy.run(tmp_path / "none.mrc", kernel_size=4)):
        with pytest.raises(OptionError) as info:
            call()
        assert str(info.value) == expected
    assert not list(tmp_path.iterdir())


def test_combinations() -> None:
    with pytest.raises(OptionError, match="--sigmoid G needs --pivot P"):
        RunOptions(sigmoid=4).validate()
    scale_mode = next(o for o in option_table() if o.name == "scale_mode")
    with pytest.raises(OptionError, match="--lp-scale and --raw-scale contradict each other"):
        resolve_switches(scale_mode, {"occ": True, "res": True})
    assert resolve_switches(scale_mode, {"occ": False, "res": True}) == "res"
    assert resolve_switches(scale_mode, {}) == "auto"
    with pytest.raises(TypeError, match="unknown option"):
        RunOptions.from_kwargs(gamm=4)


def test_resolve_reports_ignored_options_and_default_gamma() -> None:
    warnings: list[str] = []
    with pytest.warns(UserWarning):
        mode, gamma = resolve_options(RunOptions(amplify=True, pivot=0.5, hist_match=False), warnings)
    assert (mode, gamma) == ("occ", 2.0)
    assert any("using --gamma 2" in w for w in warnings) and any("--pivot has no effect" in w for w in warnings)
    assert resolve_options(RunOptions(scale_mode="res", amplify=True, gamma=3), []) == ("res", 3)


def test_an_occ_filter_given_for_a_res_mode_run_is_reported() -> None:
    warnings: list[str] = []
    with pytest.warns(UserWarning, match="--occ-filter lowpass has no effect on the res-mode scale"):
        assert resolve_options(RunOptions(occ_filter="lowpass"), warnings) == ("res", None)
    assert len(warnings) == 1
    assert resolve_options(RunOptions(occ_filter="lowpass", scale_mode="occ"), []) == ("occ", None)
    assert resolve_options(RunOptions(amplify=True, gamma=2, occ_filter="lowpass"), []) == ("occ", 2)
