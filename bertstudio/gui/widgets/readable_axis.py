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
TWO_LABELS_PITCH = 2.0  # ... and when a wider spacing would leave fewer than two labels in view


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
    levels: list[tuple[float, float]], low: float, high: float, pixels: float, label_height: float
) -> list[tuple[float, float]]:
    """pyqtgraph's tick levels thinned for an axis of `pixels` showing low .. high: the labelled (first)
    level as is when its labels are LABEL_PITCH apart, else widened (without the finer levels) until
    they are, or until widening would leave fewer than two labels and these are TWO_LABELS_PITCH apart;
    no ticks on an axis shorter than one label."""
    if not levels or high <= low:
        return levels
    if pixels < label_height:
        return []

    def apart(spacing: float) -> float:  # pixels between two labelled ticks
        return spacing * pixels / (high - low)

    spacing = levels[0][0]
    if apart(spacing) >= LABEL_PITCH * label_height:
        return levels
    while apart(spacing) < LABEL_PITCH * label_height:
        wider = next_round_spacing(spacing)
        ticks_left = math.floor(high / wider) - math.ceil(low / wider) + 1
        if ticks_left < 2 and apart(spacing) >= TWO_LABELS_PITCH * label_height:
            break
        spacing = wider
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
        low, high = sorted((minVal, maxVal))
        return fitting_levels(levels, low, high, size, QFontMetricsF(font).height())

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 (pyqtgraph's names)
        return log_ticks(minVal, maxVal)

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        return [log_label(value) for value in values]
