"""Inspect > Attributions for a question-answering model: how much the answer span's tokens attend to
each question word, one row per layer (mean over its heads), the cell shaded by its share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

if TYPE_CHECKING:
    from bertstudio.inspect.span_attributions import SpanInspection

SHADE = QColor(214, 39, 40)


class SpanAttentionTable(QTableWidget):
    def __init__(self) -> None:
        super().__init__(0, 0)
        self.setObjectName("spanAttentionTable")
        self.setAccessibleName("Attention of the answer span to the question words")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

    def show_inspection(self, inspection: SpanInspection | None) -> None:
        self.clear()
        if inspection is None:
            self.setRowCount(0)
            self.setColumnCount(0)
            return
        per_layer = inspection.attention.mean(axis=1)  # (layers, words)
        self.setRowCount(per_layer.shape[0])
        self.setColumnCount(per_layer.shape[1])
        self.setHorizontalHeaderLabels(inspection.question_words)
        self.setVerticalHeaderLabels([f"layer {layer + 1}" for layer in range(per_layer.shape[0])])
        top = float(per_layer.max()) if per_layer.size else 0.0
        for layer, row in enumerate(per_layer):
            for word, value in enumerate(row):
                item = QTableWidgetItem(f"{value:.3f}")
                shade = QColor(SHADE)
                shade.setAlphaF(float(value) / top if top > 0 else 0.0)
                item.setBackground(shade)
                item.setToolTip(
                    f"layer {layer + 1}: the span's tokens give {inspection.question_words[word]!r} "
                    f"{value:.1%} of their attention (mean over heads)"
                )
                self.setItem(layer, word, item)
        self.resizeColumnsToContents()
