"""2D scatter of a table's embeddings (one ScatterPlotItem, created once and refilled with setData),
coloured by a column's values; hovering shows a point's text, clicking one emits its position."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget

MAX_GROUPS = 12  # colours; the rarer values share "other"
OTHER = "(other)"


class ProjectorView(ThemedPlotWidget):
    hovered = Signal(str)  # the text of the point under the mouse, "" when none
    point_clicked = Signal(int)  # position of the clicked point in the projected rows

    def __init__(self) -> None:
        super().__init__(
            "projectorView", "Embedding projector (PCA): hover a point, click it for its neighbours"
        )
        self.scatter = pg.ScatterPlotItem(size=6, pen=None, hoverable=True)
        self.scatter.sigClicked.connect(self._clicked)
        self.scatter.sigHovered.connect(self._hovered)
        self.addItem(self.scatter)
        self.legend = self.addLegend(offset=(-10, 10))
        self.legend_items: list[pg.ScatterPlotItem] = []
        self.texts: list[str] = []
        self.groups: list[str] = []

    def set_points(self, points: np.ndarray, texts: Sequence[str], groups: Sequence[str] | None) -> None:
        self.texts = list(texts)
        self.groups = _grouped(groups) if groups is not None else [""] * len(self.texts)
        names = sorted(set(self.groups), key=lambda g: (g == OTHER, g))
        colours = {name: pg.intColor(i, hues=max(len(names), 1)) for i, name in enumerate(names)}
        brush_of = {name: pg.mkBrush(colour) for name, colour in colours.items()}  # shared: 100k points
        brushes = [brush_of[group] for group in self.groups]
        self.scatter.setData(pos=np.asarray(points), data=np.arange(len(self.texts)), brush=brushes)
        self.legend.clear()
        if groups is not None:
            for name in names:
                self.legend.addItem(
                    pg.ScatterPlotItem(brush=colours[name], pen=None, size=8), name or "(empty)"
                )
        self.autoRange()

    def _hovered(self, _item, points, _event) -> None:
        if len(points):
            index = int(points[0].data())
            group = f" [{self.groups[index]}]" if self.groups[index] else ""
            text = self.texts[index]
            self.hovered.emit((text if len(text) <= 150 else text[:147] + "...") + group)

    def _clicked(self, _item, points, _event=None) -> None:
        if len(points):
            self.point_clicked.emit(int(points[0].data()))


def _grouped(values: Sequence[str]) -> list[str]:
    """The values, with all but the MAX_GROUPS - 1 most common replaced by OTHER when there are more."""
    counts = Counter(values)
    if len(counts) <= MAX_GROUPS:
        return list(values)
    kept = {value for value, _ in counts.most_common(MAX_GROUPS - 1)}
    return [value if value in kept else OTHER for value in values]
