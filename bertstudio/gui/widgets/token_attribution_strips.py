"""Attributions as coloured text: one strip per class, each token's background red where it raises the
class's output and blue where it lowers it, the strength scaled to the strip's largest score."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

if TYPE_CHECKING:
    from bertstudio.inspect.attributions import Attribution


POSITIVE = QColor(214, 39, 40)
NEGATIVE = QColor(31, 119, 180)
LINE = 24


def score_color(score: float, scale: float) -> QColor:
    color = QColor(POSITIVE if score >= 0 else NEGATIVE)
    color.setAlphaF(min(1.0, abs(score) / scale) if scale > 0 else 0.0)
    return color


class AttributionStrips(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attributions: list[Attribution] = []
        self.cells: list[tuple[QRectF, str]] = []  # for hover read-outs
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    def set_attributions(self, attributions: list[Attribution]) -> None:
        self.attributions = attributions
        self.updateGeometry()
        self.setMinimumHeight(self._height(self.width() or 800))
        self.update()

    def _rows(self, width: int) -> list[list[tuple[int, float]]]:
        """Per strip, the token indices wrapped into lines that fit `width`."""
        metrics = QFontMetrics(self.font())
        lines_per_strip = []
        for attribution in self.attributions:
            lines, x = [[]], 8.0
            for index, token in enumerate(attribution.tokens):
                advance = metrics.horizontalAdvance(token) + 10
                if lines[-1] and x + advance > width - 8:
                    lines.append([])
                    x = 8.0
                lines[-1].append((index, x))
                x += advance
            lines_per_strip.append(lines)
        return lines_per_strip

    def _height(self, width: int) -> int:
        return sum(LINE * (len(lines) + 1) + 10 for lines in self._rows(width)) + 10

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(800, self._height(self.width() or 800))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.setMinimumHeight(self._height(event.size().width()))
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        metrics = QFontMetrics(self.font())
        self.cells = []
        y = 8.0
        for attribution, lines in zip(self.attributions, self._rows(self.width()), strict=True):
            painter.setPen(QColor("#111827"))
            header = (
                f"{attribution.label}: {attribution.output:.3f} (baseline {attribution.baseline_output:.3f}) · "
                f"sum of scores {float(attribution.scores.sum()):+.4f} · completeness error "
                f"{attribution.completeness_error:.2g}"
            )
            painter.drawText(
                QRectF(8, y, self.width() - 16, LINE), int(Qt.AlignmentFlag.AlignVCenter), header
            )
            y += LINE
            scale = float(np.abs(attribution.scores).max()) if attribution.scores.size else 0.0
            for line in lines:
                for index, x in line:
                    token = attribution.tokens[index]
                    rect = QRectF(x, y + 2, metrics.horizontalAdvance(token) + 8, LINE - 4)
                    painter.fillRect(rect, score_color(float(attribution.scores[index]), scale))
                    painter.setPen(QColor("#111827"))
                    painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), token)
                    self.cells.append(
                        (rect, f"{token}: {attribution.scores[index]:+.4f} ({attribution.label})")
                    )
                y += LINE
            y += 10
        painter.end()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        for rect, text in self.cells:
            if rect.contains(event.position()):
                self.setToolTip(text)
                return
        self.setToolTip("")
