"""Confusion-matrix heatmap: ImageItem + ColorBarItem + labelled ticks; clicking a cell emits (true, predicted)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QFontMetrics

from bertstudio.gui import theme
from bertstudio.gui.widgets.charts import LABEL_PADDING
from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget

MAX_ANNOTATED = 15  # write the counts in the cells up to this many classes
MAX_LABEL_CHARACTERS = 12  # a longer class name is cut with "…"


def matrix_labels(names: Sequence[str], slot: float, width) -> tuple[list[str], list[str]]:
    """(column labels, row labels): the class names when each fits its column's `slot` pixels, else the
    columns are numbered and the rows say which number is which class ("3  libs"): cut names would
    read alike ("sect…", "sect…") and whole ones overlap."""
    short = [n if len(n) <= MAX_LABEL_CHARACTERS else n[: MAX_LABEL_CHARACTERS - 1] + "…" for n in names]
    if all(width(name) + LABEL_PADDING <= slot for name in short):
        return short, short
    return [str(i + 1) for i in range(len(short))], [f"{i + 1}  {name}" for i, name in enumerate(short)]


class _ClickableImage(pg.ImageItem):
    def __init__(self, on_click) -> None:
        super().__init__(axisOrder="row-major")
        self._on_click = on_click

    def mouseClickEvent(self, event) -> None:  # noqa: N802 - Qt naming
        pos = event.pos()
        self._on_click(int(pos.y()), int(pos.x()))
        event.accept()


class ConfusionMatrixView(ThemedPlotWidget):
    cell_clicked = Signal(int, int)  # true class, predicted class

    def __init__(self) -> None:
        super().__init__("confusionMatrix", "Confusion matrix (rows: true, columns: predicted)", "true")
        self.setAccessibleName("Confusion matrix")
        self.setLabel("bottom", "predicted", color=theme.plot_colors()[1])
        self.showGrid(x=False, y=False)
        self.getPlotItem().invertY(True)
        self.setMouseEnabled(x=False, y=False)
        self.image = _ClickableImage(self._clicked)
        self.addItem(self.image)
        self.color_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12)
        self.color_bar.setImageItem(self.image, insert_in=self.getPlotItem())
        self.texts: list[pg.TextItem] = []
        self.matrix = np.zeros((0, 0))
        self.labels: list[str] = []
        self.column_labels: list[str] = []  # as the axes show them
        self.row_labels: list[str] = []

    def set_matrix(self, matrix: Sequence[Sequence[float]], labels: Sequence[str]) -> None:
        self.matrix = np.asarray(matrix, dtype=float)
        self.labels = list(labels)
        for text in self.texts:
            self.removeItem(text)
        self.texts = []
        n = len(self.labels)
        if not n:
            self.image.clear()
            return
        self.image.setImage(self.matrix, autoLevels=False)
        self.color_bar.setLevels((0, max(float(self.matrix.max()), 1.0)))
        self._label_axes()
        if n <= MAX_ANNOTATED:
            high = float(self.matrix.max()) or 1.0
            for row in range(n):
                for col in range(n):
                    value = self.matrix[row, col]
                    color = "#000000" if value > 0.6 * high else "#ffffff"
                    text = pg.TextItem(f"{value:.0f}", color=color, anchor=(0.5, 0.5))
                    text.setPos(col + 0.5, row + 0.5)
                    self.addItem(text)
                    self.texts.append(text)
        self.setXRange(0, n, padding=0.02)
        self.setYRange(0, n, padding=0.02)

    def _label_axes(self) -> None:
        axis = self.getAxis("bottom")
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        slot = (self.getPlotItem().vb.width() or max(self.width() - 120, 1)) / max(len(self.labels), 1)
        self.column_labels, self.row_labels = matrix_labels(self.labels, slot, metrics.horizontalAdvance)
        axis.setTicks([[(i + 0.5, label) for i, label in enumerate(self.column_labels)]])
        self.getAxis("left").setTicks([[(i + 0.5, label) for i, label in enumerate(self.row_labels)]])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.__dict__.get("labels"):  # (Qt sends a resize while the plot is still being built)
            self._label_axes()

    def _clicked(self, row: int, col: int) -> None:
        if 0 <= row < len(self.labels) and 0 <= col < len(self.labels):
            self.cell_clicked.emit(row, col)
