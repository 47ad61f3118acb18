"""Cosine-similarity matrix of N sentences: ImageItem + ColorBarItem + numbered ticks; hovering a cell
shows the two sentences and their similarity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget

MAX_ANNOTATED = 12  # write the values in the cells up to this many sentences


class SimilarityHeatmap(ThemedPlotWidget):
    hovered = Signal(str)  # what the cell under the mouse holds, "" when outside

    def __init__(self) -> None:
        super().__init__("similarityHeatmap", "Cosine similarity (hover a cell for its value)", "sentence")
        self.setLabel("bottom", "sentence")
        self.getPlotItem().invertY(True)
        self.setMouseEnabled(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self.color_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12)
        self.color_bar.setImageItem(self.image, insert_in=self.getPlotItem())
        self.color_bar.setLevels((-1.0, 1.0))
        self.texts: list[pg.TextItem] = []
        self.matrix = np.zeros((0, 0), np.float32)
        self.sentences: list[str] = []
        self.scene().sigMouseMoved.connect(self._mouse_moved)

    def set_matrix(self, matrix: np.ndarray, sentences: Sequence[str]) -> None:
        self.matrix = np.asarray(matrix, np.float32)
        self.sentences = list(sentences)
        for text in self.texts:
            self.removeItem(text)
        self.texts = []
        n = len(self.sentences)
        if not n:
            self.image.clear()
            return
        self.image.setImage(self.matrix, autoLevels=False)
        self.color_bar.setLevels((min(0.0, float(self.matrix.min())), 1.0))
        ticks = [(i + 0.5, str(i + 1)) for i in range(n)]
        self.getAxis("bottom").setTicks([ticks])
        self.getAxis("left").setTicks([ticks])
        if n <= MAX_ANNOTATED:
            for row in range(n):
                for col in range(n):
                    value = float(self.matrix[row, col])
                    text = pg.TextItem(
                        f"{value:.2f}", color="#000000" if value > 0.6 else "#ffffff", anchor=(0.5, 0.5)
                    )
                    text.setPos(col + 0.5, row + 0.5)
                    self.addItem(text)
                    self.texts.append(text)
        self.setXRange(0, n, padding=0.02)
        self.setYRange(0, n, padding=0.02)

    def cell_text(self, row: int, col: int) -> str:
        """The read-out for one cell: both sentences (shortened) and their similarity."""
        if not (0 <= row < len(self.sentences) and 0 <= col < len(self.sentences)):
            return ""

        def short(text: str) -> str:
            return text if len(text) <= 60 else text[:57] + "..."

        value = float(self.matrix[row, col])
        return f"{row + 1} × {col + 1}: {value:.4f}   ({short(self.sentences[row])} | {short(self.sentences[col])})"

    def _mouse_moved(self, position) -> None:
        point = self.getPlotItem().vb.mapSceneToView(position)
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        text = self.cell_text(row, col)
        self.setToolTip(text)
        self.hovered.emit(text)
