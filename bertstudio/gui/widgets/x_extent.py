"""Live plots whose x range moves in steps instead of with every new point.

pyqtgraph repaints an axis (ticks, labels: Python code, the costliest part of a frame) whenever the view
range changes, and an automatic range changes with every point. An invisible XExtent item widens the
automatic x range to a round number ahead of the data, so the axes repaint about ten times per decade
of steps instead of ten times a second; pan, zoom and the auto-range button work as before.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QRectF

NICE_MULTIPLES = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is >= value (> 0)."""
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"nice_ceiling needs a positive finite value, not {value!r}")
    power = 10.0 ** math.floor(math.log10(value))
    for multiple in NICE_MULTIPLES:
        if multiple * power >= value * (1 - 1e-9):
            return multiple * power
    return 10.0 * power


def stepped_range(first: float, last: float, minimum_span: float) -> tuple[float, float]:
    """[first, first + a round span >= last - first]: it changes only when the data outgrows it."""
    return first, first + nice_ceiling(max(last - first, minimum_span))


class XExtent(pg.GraphicsObject):
    """Draws nothing; reports [left, right] as its x data bounds (and no y bounds) to auto-ranging."""

    def __init__(self) -> None:
        super().__init__()
        self.extent: tuple[float, float] | None = None

    def set_extent(self, extent: tuple[float, float] | None) -> None:
        if extent != self.extent:
            self.extent = extent
            self.informViewBoundsChanged()

    def dataBounds(self, axis: int, frac: float = 1.0, orthoRange=None):  # noqa: N802 (pyqtgraph's name)
        return self.extent if axis == 0 else None

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return QRectF()

    def paint(self, *args) -> None:
        pass
