"""Plot axes people can read: no SI-prefix scale factors ("x0.001"); on a log scale, ticks at the
decades with 2 and 5 between them, labelled as plain numbers (0.001, 0.002, 0.005, 0.01); and on a short
vertical axis only as many labelled ticks as fit without touching (pyqtgraph draws all of its first
level: six labels 0 .. 1 on top of each other in a plot 60 pixels high)."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QFontMetricsF

LOG_STEPS = (1.0, 2.0, 5.0)  # the ticks of each decade on a log scale
FEW_LOG_TICKS = 3  # with fewer decade ticks in view than this, every 1..9 of a decade gets one
LABEL_PITCH = 2.5  # the least distance between two labelled ticks of a vertical axis, in label heights


def log_ticks(low: float, high: float) -> list[tuple[float, list[float]]]:
    """Tick levels for a log axis spanning 10**low .. 10**high (values in log10, as pyqtgraph wants):
    decades, then 2 and 5 times them, then (in a narrow range) the other digits."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return []
    first, last = math.floor(low), math.ceil(high)

    def inside(multiples) -> list[float]:
        values = [d + math.log10(m) for d in range(first, last + 1) for m in multiples]
        return [v for v in values if low - 1e-9 <= v <= high + 1e-9]

    levels = [(1.0, inside((1.0,))), (0.3, inside((2.0, 5.0)))]
    if len(levels[0][1]) + len(levels[1][1]) < FEW_LOG_TICKS:
        levels.append((0.1, inside((3.0, 4.0, 6.0, 7.0, 8.0, 9.0))))
    return levels


def next_round_spacing(spacing: float) -> float:
    """The next wider tick spacing of the 1, 2, 5 series: 0.2 -> 0.5 -> 1 -> 2."""
    power = 10.0 ** math.floor(math.log10(spacing))
    multiple = spacing / power
    return (2.0 if multiple < 1.5 else 5.0 if multiple < 3.5 else 10.0) * power


def fitting_levels(
    levels: list[tuple[float, float]], span: float, pixels: float, label_height: float
) -> list[tuple[float, float]]:
    """pyqtgraph's tick levels thinned for an axis of `pixels` showing `span`: the labelled (first)
    level as is when its labels do not touch, else widened until they do not, without the finer levels;
    no ticks on an axis shorter than one label."""
    if not levels or span <= 0:
        return levels
    if pixels < label_height:
        return []
    spacing = levels[0][0]
    if spacing * pixels / span >= LABEL_PITCH * label_height:
        return levels
    while spacing * pixels / span < LABEL_PITCH * label_height:
        spacing = next_round_spacing(spacing)
    return [(spacing, 0.0)]


def log_label(value: float) -> str:
    """A log-axis tick (log10 of the number) as the number itself: 1e-05, 0.002, 0.5, 20."""
    number = 10.0**value
    return f"{float(f'{number:.1g}'):g}"


class ReadableAxis(pg.AxisItem):
    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        levels = super().tickSpacing(minVal, maxVal, size)
        if self._tickSpacing is not None or self.orientation in ("top", "bottom"):
            return levels  # set by hand; or a horizontal axis, whose labels pyqtgraph spaces by their width
        font = self.style["tickFont"] or self.font()
        return fitting_levels(levels, abs(maxVal - minVal), size, QFontMetricsF(font).height())

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 (pyqtgraph's names)
        return log_ticks(minVal, maxVal)

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        return [log_label(value) for value in values]
