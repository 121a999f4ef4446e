"""Plots drawn straight into a PNG with Pillow (installed with matplotlib): axes, ticks, lines, legends.

The ``--plot`` figures need axes and text, not matplotlib's layout machinery: drawing them
here takes milliseconds instead of a few hundred. Data are drawn onto the plot area's own
image (so they never spill over the labels); legends go outside the plot area.
"""
from __future__ import annotations

import math
import os

import numpy as np

from ..errors import OccupyError
from .svgplot import nice_ticks

__all__ = ["Canvas", "RasterAxes"]


def _pillow():
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise OccupyError("--plot needs matplotlib: pip install matplotlib") from None
    return Image, ImageDraw, ImageFont


def _font(font_module, size: int):
    """DejaVu Sans from matplotlib's data (it has Å), else Pillow's own font."""
    import importlib.util
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin:
        path = os.path.join(os.path.dirname(spec.origin), "mpl-data", "fonts", "ttf", "DejaVuSans.ttf")
        if os.path.isfile(path):
            return font_module.truetype(path, size)
    return font_module.load_default(size=size)


class Canvas:
    """A white RGB picture with fonts, that axes draw on and ``save`` writes as PNG.

    Parameters
    ----------
    width, height : int
        Pixels.
    """

    def __init__(self, width: int, height: int):
        image, draw, font = _pillow()
        self._image_mod = image
        self.image = image.new("RGB", (int(width), int(height)), "white")
        self.draw = draw.Draw(self.image)
        self.font, self.small, self.big = (_font(font, size) for size in (13, 11, 16))

    def text(self, xy: tuple[float, float], text: str, anchor: str = "la", font=None, rotate: bool = False) -> None:
        """Write text at ``xy`` (Pillow anchor, e.g. ``mm`` centred); ``rotate`` turns it upwards.

        Parameters
        ----------
        xy : (float, float)
            Pixel position.
        text : str
            The text.
        anchor : str, optional
            Pillow's text anchor.
        font : optional
            A Pillow font (default: the normal size).
        rotate : bool, optional
            Draw it rotated 90 degrees anticlockwise, centred on ``xy``.
        """
        font = font or self.font
        if not rotate:
            self.draw.text(xy, text, fill="black", font=font, anchor=anchor)
            return
        left, top, right, bottom = self.draw.textbbox((0, 0), text, font=font)
        label = self._image_mod.new("RGBA", (right - left + 4, bottom - top + 4), (255, 255, 255, 0))
        self._draw_on(label).text((2 - left, 2 - top), text, fill="black", font=font)
        label = label.rotate(90, expand=True)
        self.image.paste(label, (int(xy[0] - label.width / 2), int(xy[1] - label.height / 2)), label)

    def _draw_on(self, image):
        from PIL import ImageDraw
        return ImageDraw.Draw(image)

    def save(self, path: str | os.PathLike) -> None:
        """Write the picture as PNG to ``path`` (any name, e.g. a staged ``.part``).

        Parameters
        ----------
        path : str or os.PathLike
            The file.
        """
        with open(os.fspath(path), "wb") as fh:
            self.image.save(fh, format="PNG", compress_level=1)


def _dashed(points: np.ndarray, dash: tuple[float, float]) -> list[np.ndarray]:
    """Pieces of a polyline that are drawn with a dash pattern (on, off) in pixels."""
    pieces, on, off = [], *dash
    seg = np.diff(points, axis=0)
    length = np.concatenate([[0.0], np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))])
    start = 0.0
    while start < length[-1]:
        ts = np.linspace(start, min(start + on, length[-1]), 4)
        pieces.append(np.stack([np.interp(ts, length, points[:, 0]), np.interp(ts, length, points[:, 1])], 1))
        start += on + off
    return pieces


class RasterAxes:
    """A plot area on a canvas: data ranges, ticks, lines, bars, pictures and a legend.

    Parameters
    ----------
    canvas : Canvas
        Where it is drawn.
    box : (int, int, int, int)
        Left, top, width and height of the plot area, pixels.
    x_range, y_range : (float, float)
        Data limits.
    log_y : bool, optional
        Logarithmic y axis.
    """

    def __init__(self, canvas: Canvas, box: tuple[int, int, int, int], x_range: tuple[float, float],
                 y_range: tuple[float, float], log_y: bool = False):
        self.canvas, self.box = canvas, tuple(int(v) for v in box)
        self.x_range, self.y_range, self.log_y = x_range, y_range, log_y
        image, draw, _ = _pillow()
        self.area = image.new("RGB", self.box[2:], "white")
        self.draw = draw.Draw(self.area)
        self.legend: list[tuple[str, str, str]] = []

    def px(self, x) -> np.ndarray:
        """Convert data x to pixels of the plot area.

        Parameters
        ----------
        x : array_like
            Data values.

        Returns
        -------
        numpy.ndarray
            Columns.
        """
        lo, hi = self.x_range
        return (np.asarray(x, dtype=float) - lo) / ((hi - lo) or 1.0) * (self.box[2] - 1)

    def py(self, y, y_range: tuple[float, float] | None = None) -> np.ndarray:
        """Convert data y to pixels of the plot area (the left axis, or ``y_range``).

        Parameters
        ----------
        y : array_like
            Data values.
        y_range : (float, float), optional
            A linear range other than the left axis's.

        Returns
        -------
        numpy.ndarray
            Rows.
        """
        lo, hi = y_range or self.y_range
        y = np.asarray(y, dtype=float)
        if self.log_y and y_range is None:
            y, lo, hi = np.log10(np.clip(y, lo, None)), math.log10(lo), math.log10(hi)
        frac = np.clip((y - lo) / ((hi - lo) or 1.0), -0.05, 1.05)
        return (1 - frac) * (self.box[3] - 1)

    def line(self, x, y, colour: str, label: str = "", width: int = 2, dash: str = "",
             y_range: tuple[float, float] | None = None) -> None:
        """Draw a polyline (non-finite points are left out).

        Parameters
        ----------
        x, y : array_like
            Data points.
        colour : str
            Colour (``#rrggbb``).
        label : str, optional
            Legend entry.
        width : int, optional
            Pixels.
        dash : str, optional
            ``on,off`` dash lengths in pixels (empty: solid).
        y_range : (float, float), optional
            Draw against this linear range.
        """
        xs, ys = self.px(x), self.py(y, y_range)
        ok = np.isfinite(xs) & np.isfinite(ys)
        points = np.stack([xs[ok], ys[ok]], axis=1)
        if len(points) < 2:
            return
        pieces = _dashed(points, tuple(float(v) for v in dash.split(",")[:2])) if dash else [points]
        for piece in pieces:
            self.draw.line([tuple(p) for p in piece], fill=colour, width=width)
        if label:
            self.legend.append((colour, label, dash))

    def bars(self, edges, heights, colour: str, label: str = "", y_range: tuple[float, float] | None = None) -> None:
        """Draw a histogram as one filled step outline.

        Parameters
        ----------
        edges, heights : array_like
            Bin edges and heights.
        colour : str
            Fill colour.
        label : str, optional
            Legend entry.
        y_range : (float, float), optional
            Draw against this linear range.
        """
        xs, ys = self.px(edges), self.py(heights, y_range)
        base = float(self.py(y_range[0] if y_range else self.y_range[0], y_range))
        outline = [(xs[0], base)]
        for i, h in enumerate(ys):
            outline += [(xs[i], h), (xs[i + 1], h)]
        outline.append((xs[-1], base))
        self.draw.polygon(outline, fill=colour)
        if label:
            self.legend.append((colour, label, "bar"))

    def vline(self, x: float, colour: str, label: str = "", dash: str = "6,4") -> None:
        """Draw a vertical line across the plot area at data ``x``.

        Parameters
        ----------
        x : float
            Where.
        colour : str
            Colour.
        label : str, optional
            Legend entry.
        dash : str, optional
            Dash lengths.
        """
        self.line([x, x], [self.y_range[0], self.y_range[1]], colour, label, 2, dash)

    def picture(self, rgb: np.ndarray) -> None:
        """Fill the plot area with an RGB image (nearest-neighbour scaling, row 0 at the top).

        Parameters
        ----------
        rgb : numpy.ndarray
            ``(rows, columns, 3)`` uint8.
        """
        image, _, _ = _pillow()
        self.area.paste(image.fromarray(rgb, "RGB").resize(self.box[2:], image.Resampling.NEAREST))

    def right_axis(self, y_range: tuple[float, float], label: str) -> None:
        """Label a second, linear y range on the right.

        Parameters
        ----------
        y_range : (float, float)
            The range.
        label : str
            Its axis label.
        """
        left, top, width, height = self.box
        for t in nice_ticks(*y_range, 4):
            y = top + float(self.py(t, y_range))
            self.canvas.draw.line([(left + width, y), (left + width + 4, y)], fill="black")
            self.canvas.text((left + width + 7, y), f"{t:g}", "lm", self.canvas.small)
        self.canvas.text((left + width + 48, top + height / 2), label, rotate=True)

    def finish(self, title: str, x_label: str, y_label: str, legend_xy: tuple[int, int] | None = None,
               ticks: bool = True) -> None:
        """Paste the plot area, draw the frame, ticks, labels, title and legend.

        Parameters
        ----------
        title : str
            Above the plot.
        x_label, y_label : str
            Axis labels (empty: none).
        legend_xy : (int, int), optional
            Top left of the legend (default: right of the plot area).
        ticks : bool, optional
            Draw the ticks and their labels.
        """
        c, (left, top, width, height) = self.canvas, self.box
        c.image.paste(self.area, (left, top))
        c.draw.rectangle([left - 1, top - 1, left + width, top + height], outline="black")
        for t in nice_ticks(*self.x_range) if ticks else []:
            x = left + float(self.px(t))
            c.draw.line([(x, top + height), (x, top + height + 4)], fill="black")
            c.text((x, top + height + 6), f"{t:g}", "ma", c.small)
        lo, hi = self.y_range
        y_ticks = [10.0 ** k for k in range(math.ceil(math.log10(lo)), math.floor(math.log10(hi)) + 1)] \
            if self.log_y else nice_ticks(lo, hi, 4)
        for t in y_ticks if ticks else []:
            y = top + float(self.py(t))
            c.draw.line([(left - 4, y), (left, y)], fill="black")
            c.text((left - 6, y), f"{t:g}", "rm", c.small)
        if x_label:
            c.text((left + width / 2, top + height + 24), x_label, "ma")
        if y_label:
            c.text((left - 44, top + height / 2), y_label, rotate=True)
        c.text((left, top - 8), title, "ld")
        lx, ly = legend_xy or (left + width + 16, top)
        for i, (colour, label, dash) in enumerate(self.legend):
            y = ly + 8 + 18 * i
            if dash == "bar":
                c.draw.rectangle([lx, y - 5, lx + 20, y + 5], fill=colour)
            else:
                c.draw.line([(lx, y), (lx + 20, y)], fill=colour, width=2)
            c.text((lx + 26, y), label, "lm", c.small)
