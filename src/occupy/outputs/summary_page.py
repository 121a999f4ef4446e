"""A first page for a PDF of plots (RELION's ``logfile.pdf``): every map's numbers and warnings.

``summary_figure`` returns a matplotlib ``Figure`` (Agg canvas, no pyplot) that a
``PdfPages`` saves as a page of its own, before the plots.
"""
from __future__ import annotations

import textwrap
from typing import Sequence

from ..results import MapOutcome
from .report import fmt_value

__all__ = ["summary_figure", "summary_lines"]

_WIDTH = 100            # characters a line on an A4 page at 8 pt monospace


def summary_lines(outcomes: Sequence[MapOutcome], title: str) -> list[str]:
    """The page's text: a table of every map's numbers, then each warning, wrapped.

    Parameters
    ----------
    outcomes : sequence of MapOutcome
        The maps (classes), in order.
    title : str
        The first line.

    Returns
    -------
    list of str
        Lines of at most 100 characters.

    Examples
    --------
    >>> from pathlib import Path
    >>> lines = summary_lines([MapOutcome(Path("m.mrc"), ok=True, s_full=0.5, warnings=["w"])], "t")
    >>> lines[0], lines[-1]
    ('t', '  m.mrc: w')
    """
    head = f"{'map':<28} {'s_full':>10} {'solv. mean':>11} {'solv. width':>11} {'partial':>8}  status"
    lines = [title, "", head, "-" * len(head)]
    for o in outcomes:
        name = f"class {o.class_map.number}" if o.class_map else o.input_path.name
        lines.append(f"{name[:28]:<28} {fmt_value(o.s_full):>10} {fmt_value(o.solvent_mean):>11} "
                     f"{fmt_value(o.solvent_width):>11} {fmt_value(o.partial_fraction):>8}  {o.status[:30]}")
    warned = [(o, w) for o in outcomes for w in o.warnings]
    lines += ["", "warnings:" if warned else "warnings: none"]
    for o, w in warned:
        name = f"class {o.class_map.number}" if o.class_map else o.input_path.name
        lines += textwrap.wrap(f"{name}: {w}", _WIDTH, initial_indent="  ", subsequent_indent="    ")
    return lines


def summary_figure(outcomes: Sequence[MapOutcome], title: str):
    """An A4 page (matplotlib Figure, Agg canvas) with ``summary_lines`` in monospace.

    Parameters
    ----------
    outcomes : sequence of MapOutcome
        The maps (classes), in order.
    title : str
        The first line, e.g. ``occupy-relion: Class3D/job001``.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with ``PdfPages.savefig(figure)`` as the PDF's first page.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(8.27, 11.69), dpi=100)
    FigureCanvasAgg(fig)
    lines = summary_lines(outcomes, title)[:95]        # what fits on the page
    fig.text(0.05, 0.96, "\n".join(lines), family="monospace", fontsize=8, va="top", ha="left")
    return fig
