"""Small plots as inline SVG for the HTML report: axes with ticks, lines, bars, images, legends.

Nothing is rasterised and nothing is imported: a plot is a string. Legends go to the right
of the plot area, never over the data.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SvgAxes", "nice_ticks"]

_FONT = 'font-family="sans-serif" font-size="11"'


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[lo, hi]``.

    Parameters
    ----------
    lo, hi : float
        The range.
    count : int, optional
        About how many ticks.

    Returns
    -------
    list of float
        Ticks inside the range, multiples of 1, 2 or 5 times a power of ten.

    Examples
    --------
    >>> nice_ticks(0, 1)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    """
    span = hi - lo
    if not math.isfinite(span) or span <= 0:
        return [lo]
    raw = span / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9)
    return [round(k * step, 12) for k in range(first, int(math.floor(hi / step + 1e-9)) + 1)]


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


@dataclass
class SvgAxes:
    """One plot area: data ranges, pixel box, and the SVG pieces drawn so far.

    Parameters
    ----------
    x_range, y_range : (float, float)
        Data limits of the axes.
    width, height : int
        Size of the plot area in pixels (margins for labels and legend are added).
    log_y : bool
        Logarithmic y axis (``y_range`` must be positive).
    legend_width : int
        Pixels right of the plot (and of a right-hand axis) kept for the legend.
    left, top : int
        Margins (pixels) left of and above the plot area, for the y labels and the title.
    y_ticks : bool
        Label the y axis with ticks.
    parts, outside : list of str
        SVG drawn so far inside the plot area (clipped to it), and outside it.
    right_margin : int
        Pixels right of the plot taken by a right-hand axis.
    legend : list of (str, str, str)
        Colour, label and dash pattern (``bar`` for a filled box) of each legend entry.
    """

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    width: int = 420
    height: int = 240
    log_y: bool = False
    legend_width: int = 200
    left: int = 62
    y_ticks: bool = True
    top: int = 26
    parts: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    right_margin: int = 0
    legend: list[tuple[str, str, str]] = field(default_factory=list)

    def px(self, x: np.ndarray | float) -> np.ndarray:
        """Convert data x to pixels.

        Parameters
        ----------
        x : numpy.ndarray or float
            Data values.

        Returns
        -------
        numpy.ndarray
            Pixel columns.
        """
        lo, hi = self.x_range
        return self.left + (np.asarray(x, dtype=float) - lo) / ((hi - lo) or 1.0) * self.width

    def py(self, y: np.ndarray | float, y_range: tuple[float, float] | None = None) -> np.ndarray:
        """Convert data y to pixels (the left axis, or another range drawn on the right).

        Parameters
        ----------
        y : numpy.ndarray or float
            Data values.
        y_range : (float, float), optional
            A linear range other than the left axis's.

        Returns
        -------
        numpy.ndarray
            Pixel rows.
        """
        lo, hi = y_range or self.y_range
        y = np.asarray(y, dtype=float)
        if self.log_y and y_range is None:
            y, lo, hi = np.log10(np.clip(y, lo, None)), math.log10(lo), math.log10(hi)
        frac = np.clip((y - lo) / ((hi - lo) or 1.0), -0.02, 1.02)
        return self.top + (1 - frac) * self.height

    def line(self, x, y, colour: str, label: str = "", width: float = 1.6, dash: str = "",
             y_range: tuple[float, float] | None = None) -> None:
        """Draw a polyline (points with NaN are left out).

        Parameters
        ----------
        x, y : array_like
            Data points.
        colour : str
            SVG colour.
        label : str, optional
            Legend entry (none if empty).
        width : float, optional
            Line width, pixels.
        dash : str, optional
            SVG dash pattern, e.g. ``4,3``.
        y_range : (float, float), optional
            Draw against this linear range instead of the left axis.
        """
        xs, ys = self.px(x), self.py(y, y_range)
        ok = np.isfinite(xs) & np.isfinite(ys)
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs[ok], ys[ok]))
        style = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{width}"{style}/>')
        if label:
            self.legend.append((colour, label, dash))

    def bars(self, edges: np.ndarray, heights: np.ndarray, colour: str, label: str = "",
             y_range: tuple[float, float] | None = None) -> None:
        """Draw a histogram as one filled step path.

        Parameters
        ----------
        edges : numpy.ndarray
            Bin edges (one more than heights).
        heights : numpy.ndarray
            Bin heights.
        colour : str
            Fill colour.
        label : str, optional
            Legend entry.
        y_range : (float, float), optional
            Draw against this linear range instead of the left axis.
        """
        edges, heights = np.asarray(edges, dtype=float), np.asarray(heights, dtype=float)
        base = self.py(y_range[0] if y_range else self.y_range[0], y_range)
        xs, ys = self.px(edges), self.py(heights, y_range)
        path = [f"M{xs[0]:.1f},{base:.1f}"]
        for i, h in enumerate(ys):
            path.append(f"L{xs[i]:.1f},{h:.1f}L{xs[i + 1]:.1f},{h:.1f}")
        path.append(f"L{xs[-1]:.1f},{base:.1f}Z")
        self.parts.append(f'<path d="{"".join(path)}" fill="{colour}" stroke="none"/>')
        if label:
            self.legend.append((colour, label, "bar"))

    def vline(self, x: float, colour: str, label: str = "", dash: str = "4,3") -> None:
        """Draw a vertical line across the plot.

        Parameters
        ----------
        x : float
            Where, in data x.
        colour : str
            SVG colour.
        label : str, optional
            Legend entry.
        dash : str, optional
            SVG dash pattern.
        """
        self.line([x, x], [self.y_range[0], self.y_range[1]], colour, label, 1.3, dash)

    def image(self, uri: str, extent: tuple[float, float, float, float]) -> None:
        """Draw a picture filling a data box, pixel-sharp.

        Parameters
        ----------
        uri : str
            The picture, a ``data:`` URI.
        extent : (float, float, float, float)
            ``(x0, x1, y0, y1)`` in data units.
        """
        x0, x1, y0, y1 = extent
        left, right, top, bottom = self.px(x0), self.px(x1), self.py(y1), self.py(y0)
        self.parts.append(f'<image href="{uri}" x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" '
                          f'height="{bottom - top:.1f}" preserveAspectRatio="none" '
                          'style="image-rendering:pixelated"/>')

    def _ticks(self, x_label: str, y_label: str) -> list[str]:
        out = []
        bottom = self.top + self.height
        for t in nice_ticks(*self.x_range):
            x = float(self.px(t))
            out.append(f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" stroke="#333"/>'
                       f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" {_FONT}>{t:g}</text>')
        lo, hi = self.y_range
        if not self.y_ticks:
            yt: list[float] = []
        elif self.log_y:
            yt = [10.0 ** k for k in range(math.ceil(math.log10(lo)), math.floor(math.log10(hi)) + 1)]
        else:
            yt = nice_ticks(lo, hi, 4)
        for t in yt:
            y = float(self.py(t))
            out.append(f'<line x1="{self.left - 4}" y1="{y:.1f}" x2="{self.left}" y2="{y:.1f}" stroke="#333"/>'
                       f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>{t:g}</text>')
        out.append(f'<text x="{self.left + self.width / 2:.0f}" y="{bottom + 31}" text-anchor="middle" '
                   f'{_FONT}>{_esc(x_label)}</text>')
        out.append(f'<text transform="translate(14,{self.top + self.height / 2:.0f}) rotate(-90)" '
                   f'text-anchor="middle" {_FONT}>{_esc(y_label)}</text>')
        return out

    def right_axis(self, y_range: tuple[float, float], label: str) -> None:
        """Label a second y range on the right.

        Parameters
        ----------
        y_range : (float, float)
            The range.
        label : str
            Its axis label.
        """
        x = self.left + self.width
        for t in nice_ticks(*y_range, 4):
            y = float(self.py(t, y_range))
            self.outside.append(f'<line x1="{x}" y1="{y:.1f}" x2="{x + 4}" y2="{y:.1f}" stroke="#333"/>'
                                f'<text x="{x + 6}" y="{y + 4:.1f}" {_FONT}>{t:g}</text>')
        self.outside.append(f'<text transform="translate({x + 40},{self.top + self.height / 2:.0f}) rotate(90)" '
                          f'text-anchor="middle" {_FONT}>{_esc(label)}</text>')
        self.right_margin = 52

    def svg(self, title: str, x_label: str, y_label: str) -> str:
        """Finish the plot.

        Parameters
        ----------
        title : str
            Drawn above the plot.
        x_label, y_label : str
            Axis labels.

        Returns
        -------
        str
            The ``<svg>`` element, legend right of the plot.
        """
        gap = self.right_margin + 12
        total_w = self.left + self.width + gap + (self.legend_width if self.legend else 10)
        total_h = self.top + self.height + 40
        lx = self.left + self.width + gap
        legend = []
        for i, (colour, label, dash) in enumerate(self.legend):
            y = self.top + 8 + 16 * i
            mark = (f'<rect x="{lx}" y="{y - 5}" width="18" height="9" fill="{colour}"/>' if dash == "bar" else
                    f'<line x1="{lx}" y1="{y}" x2="{lx + 18}" y2="{y}" stroke="{colour}" stroke-width="2"'
                    + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
            legend.append(mark + f'<text x="{lx + 24}" y="{y + 4}" {_FONT}>{_esc(label)}</text>')
        frame = (f'<rect x="{self.left}" y="{self.top}" width="{self.width}" height="{self.height}" '
                 'fill="none" stroke="#333"/>')
        clip_id = f"c{id(self) & 0xFFFFFF:x}"
        body = (f'<clipPath id="{clip_id}"><rect x="{self.left}" y="{self.top}" width="{self.width}" '
                f'height="{self.height}"/></clipPath><g clip-path="url(#{clip_id})">{"".join(self.parts)}</g>')
        head = (f'<text x="{self.left}" y="16" {_FONT} font-weight="bold">{_esc(title)}</text>')
        return (f'<svg width="{total_w:.0f}" height="{total_h:.0f}" '
                f'viewBox="0 0 {total_w:.0f} {total_h:.0f}">{head}{body}{frame}'
                f'{"".join(self._ticks(x_label, y_label))}{"".join(self.outside)}{"".join(legend)}</svg>')
