"""Small pyqtgraph charts: a labelled bar chart (label balance, per-class scores) and a histogram
with a marker (token lengths against the max length)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from bertstudio.gui import theme
from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget

MAX_BARS = 40
LABEL_PADDING = 6  # pixels kept free between neighbouring bar labels
MIN_LABEL_CHARACTERS = 3  # shorter than this, a label is left out (every k-th shown) instead


def fit_labels(names: Sequence[str], slot: float, width: Callable[[str], float]) -> list[str]:
    """Bar labels that never overlap: each shortened with "…" to fit its `slot` pixels; when not even
    a few characters fit, only every k-th bar is labelled (and given k slots)."""
    if not names:
        return []
    step = 1
    while True:
        room = slot * step - LABEL_PADDING
        fitted = [_fit(name, room, width) if i % step == 0 else "" for i, name in enumerate(names)]
        shown = [label for label in fitted if label]
        if all(width(label) <= room for label in shown) and all(
            len(label) >= min(MIN_LABEL_CHARACTERS, len(name)) for label, name in zip(fitted, names) if label
        ):
            return fitted
        if step >= len(names):
            return fitted
        step += 1


def _fit(name: str, room: float, width: Callable[[str], float]) -> str:
    if width(name) <= room:
        return name
    for length in range(len(name) - 1, 0, -1):
        short = name[:length] + "…"
        if width(short) <= room:
            return short
    return name[:1] + "…"


class BarChart(ThemedPlotWidget):
    """Vertical bars with category names on the x axis (the most frequent MAX_BARS when there are more)."""

    def __init__(self, name: str, title: str, y_label: str = "rows") -> None:
        super().__init__(name, title, y_label)
        self.setMouseEnabled(x=False, y=False)
        self.bars: pg.BarGraphItem | None = None
        self.categories: list[str] = []
        self.values = np.empty(0)
        self._labels: list[str] = []

    def set_bars(self, categories: Sequence[str], values: Sequence[float]) -> None:
        categories, values = list(categories), np.asarray(values, dtype=float)
        if len(categories) > MAX_BARS:
            top = np.argsort(-values, kind="stable")[:MAX_BARS]
            categories, values = [categories[i] for i in top], values[top]
        self.categories, self.values = categories, values
        if self.bars is not None:
            self.removeItem(self.bars)
        x = np.arange(len(values))
        self.bars = pg.BarGraphItem(x=x, height=values, width=0.7, brush=pg.mkBrush(theme.SERIES_COLORS[0]))
        self.addItem(self.bars)
        self.setXRange(-0.6, max(len(values) - 0.4, 0.6), padding=0)
        self.setYRange(0, float(values.max()) * 1.1 if len(values) else 1, padding=0)
        self._label_bars()

    def shown_labels(self) -> list[str]:
        """The x labels as drawn now ("" for a bar left unlabelled to make room)."""
        return list(self._labels)

    def _label_bars(self) -> None:
        axis = self.getAxis("bottom")
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        plot_width = self.getPlotItem().vb.width() or max(self.width() - 80, 1)
        slot = plot_width / (len(self.categories) + 0.2)  # the x range is -0.6 .. n - 0.4
        self._labels = fit_labels(self.categories, slot, metrics.horizontalAdvance)
        axis.setTicks([[(i, label) for i, label in enumerate(self._labels) if label]])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.__dict__.get("categories"):  # (Qt sends a resize while the plot is still being built)
            self._label_bars()


class Histogram(ThemedPlotWidget):
    """A histogram of integer values with a vertical marker line; bars beyond the marker are red."""

    def __init__(self, name: str, title: str, x_label: str) -> None:
        super().__init__(name, title, "rows")
        self.setLabel("bottom", x_label, color=theme.plot_colors()[1])
        self.setMouseEnabled(x=False, y=False)
        self.kept = pg.BarGraphItem(x0=[], x1=[], height=[], brush=pg.mkBrush(theme.SERIES_COLORS[0]))
        self.cut = pg.BarGraphItem(x0=[], x1=[], height=[], brush=pg.mkBrush(theme.SERIES_COLORS[3]))
        self.addItem(self.kept)
        self.addItem(self.cut)
        self.marker = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(theme.SERIES_COLORS[3], width=2, style=Qt.PenStyle.DashLine)
        )
        self.addItem(self.marker)
        # the model's own limit (its position table): a solid line labelled with it, when known
        self.limit = pg.InfiniteLine(
            angle=90,
            movable=False,
            pen=pg.mkPen(theme.plot_colors()[1], width=2),
            label="model limit {value:.0f}",
            labelOpts={"position": 0.9, "color": theme.plot_colors()[1]},
        )
        self.limit.setVisible(False)
        self.addItem(self.limit)

    def set_limit(self, limit: float | None) -> None:
        """Draw the model's own limit (None hides it)."""
        self.limit.setVisible(limit is not None)
        if limit is not None:
            self.limit.setPos(limit)

    def set_histogram(
        self, edges: Sequence[float], counts: Sequence[int], marker: float, limit: float | None = None
    ) -> None:
        """Bars from bin edges and counts; bins starting at or beyond the marker (or the model's limit, when
        that is lower) are drawn red."""
        self.set_limit(limit)
        edges, counts = np.asarray(edges, dtype=float), np.asarray(counts, dtype=float)
        if not len(counts):
            self.kept.setOpts(x0=[], x1=[], height=[])
            self.cut.setOpts(x0=[], x1=[], height=[])
            return
        over = edges[:-1] >= min(marker, limit if limit is not None else marker)
        self.kept.setOpts(x0=edges[:-1][~over], x1=edges[1:][~over], height=counts[~over])
        self.cut.setOpts(x0=edges[:-1][over], x1=edges[1:][over], height=counts[over])
        self.setXRange(0, max(float(edges[-1]), min(marker, limit or marker)) * 1.05, padding=0)
        self.setYRange(0, float(counts.max()) * 1.1 or 1.0, padding=0)
        self.set_marker(marker)

    def set_marker(self, marker: float) -> None:
        self.marker.setPos(marker)
