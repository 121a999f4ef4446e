"""The run log ``log_<stem>.txt``: every parameter and number a user may need later."""
from __future__ import annotations

from typing import Any

__all__ = ["format_log"]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, tuple):
        return " x ".join(_fmt(x) for x in v) if all(isinstance(x, int) for x in v) \
            else "(" + ", ".join(_fmt(x) for x in v) + ")"
    return str(v)


def format_log(sections: list[tuple[str, list[tuple[str, Any]]]], warnings: list[str],
               timings: dict[str, float]) -> str:
    """Render titled sections of (name, value) rows, the warnings and per-stage wall times."""
    out: list[str] = []
    width = max((len(k) for _, rows in sections for k, _ in rows), default=10) + 2
    for title, rows in sections:
        out.append(f"[{title}]")
        out += [f"  {k:<{width}}{_fmt(v)}" for k, v in rows]
        out.append("")
    out.append("[warnings]")
    out += [f"  - {w}" for w in warnings] or ["  none"]
    out.append("")
    out.append("[wall time, s]")
    out += [f"  {k:<{width}}{v:.3f}" for k, v in timings.items()]
    out.append(f"  {'total':<{width}}{sum(timings.values()):.3f}")
    return "\n".join(out) + "\n"
