"""MkDocs hooks: the pages that are generated from what they describe.

- ``index.md`` from README.md, ``benchmarks.md`` from bench/README.md (links rewritten
  to the site's pages), so neither text exists twice;
- ``options.md`` from the option declarations (:class:`occupy.options.RunOptions` and
  :data:`occupy.cli.common.COMMAND_OPTIONS`): defaults, accepted values, help and where
  each option is offered, so the documentation cannot drift from the code.
"""
from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
_LINKS = {"docs/": "", "bench/README.md": "benchmarks.md"}


def on_files(files, config):
    """Add the generated pages to the site."""
    pages = {"index.md": _rewrite_links(ROOT / "README.md"),
             "benchmarks.md": _rewrite_links(ROOT / "bench" / "README.md"),
             "options.md": options_page()}
    for uri, text in pages.items():
        files.append(File.generated(config, uri, content=text))
    return files


def _rewrite_links(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    for old, new in _LINKS.items():
        text = text.replace(f"]({old}", f"]({new}")
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def _flags(opt) -> str:
    spellings = [f for f in opt.flags] + ["/".join(s.flags) for s in opt.switches]
    return "<br>".join(f"`{_cell(s)}`" for s in spellings)


def _default(opt) -> str:
    if opt.switches:
        return f"`{opt.default}`"
    if opt.default is None or (opt.kind is bool and opt.default is False):
        return "–"
    return f"`{opt.default}`"


def _accepted(opt) -> str:
    if opt.kind is bool or (opt.switches and not opt.flags):
        return "flag" if not opt.switches else ", ".join(f"`{s.flags[0]}`: `{s.value}`" for s in opt.switches)
    rule = opt.rule if (opt.low is not None or opt.high is not None or opt.choices) else ""
    kind = {int: "integer", float: "number", str: "text"}[opt.kind]
    if rule == "positive":
        return f"positive {kind}"
    return f"{kind}{' ' + _cell(rule) if rule else ''}{', odd' if opt.odd else ''}"


def _where(opt, run_option: bool) -> str:
    names = {"occupy": "occupy", "occupy-batch": "batch", "occupy-relion": "RELION"}
    where = [names[f] for f in ("occupy", "occupy-batch", "occupy-relion") if f in opt.front_ends]
    return ", ".join(where + ([f"API `{opt.name}`"] if run_option else []))


def _explain(opt) -> str:
    texts = [opt.help, opt.details] + [f"`{s.flags[0]}`: {s.help} {s.details}" for s in opt.switches]
    return _cell(" ".join(t for t in texts if t))


def options_page() -> str:
    """Markdown of every option, grouped as ``occupy --help-all`` groups them."""
    sys.path.insert(0, str(ROOT / "src"))
    try:
        from occupy.cli.common import COMMAND_OPTIONS
        from occupy.options import option_table
        from occupy.optionspec import PANELS
    finally:
        sys.path.pop(0)
    run_names = {o.name for o in option_table()}
    lines = ["# Options", "",
             "Generated from the declarations in `occupy/options.py` (the run's settings, also the keyword",
             "arguments of `occupy.run` and the fields of `RunOptions`) and `occupy/cli/common.py` (what only",
             "a command line has). `occupy --help-all` shows the same texts. In a RELION External job",
             "every option marked RELION is given as `--name value` (`_` or `-` in names; true/false for",
             "flags), e.g. `--gamma 4 --amplify true`.", ""]
    for panel in PANELS:
        rows = [o for o in (*COMMAND_OPTIONS, *option_table()) if o.panel == panel]
        lines += [f"## {panel}", "", "| option | default | accepts | offered by | what it does |",
                  "|---|---|---|---|---|"]
        lines += [f"| {_flags(o)} | {_default(o)} | {_accepted(o)} | {_where(o, o.name in run_names)} | "
                  f"{_explain(o)} |" for o in rows]
        lines.append("")
    return "\n".join(lines)

