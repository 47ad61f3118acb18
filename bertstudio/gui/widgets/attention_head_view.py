"""Head view: tokens in two columns (queries left, keys right) joined by lines whose opacity and width
follow the attention weight relative to the query's strongest one (raw weights of long inputs are too
small to see); the head chosen in the Head box, in its colour; hover a token to see only its lines."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from bertstudio.inspect.view_filters import ViewMatrix

HEAD_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
)
ROW = 20
GUTTER = 220  # horizontal room for the lines
MIN_RELATIVE = 0.1  # lines under this share of their query's strongest weight are not drawn
LINE_WIDTH = (1.0, 3.5)  # pen width of the weakest and the strongest line drawn


def line_strengths(matrix: np.ndarray) -> np.ndarray:
    """Each weight over its row's (query's) largest, in [0, 1]: the strongest line of a query is opaque."""
    peaks = matrix.max(axis=1, keepdims=True) if matrix.size else matrix
    return np.divide(matrix, peaks, out=np.zeros_like(matrix, dtype=float), where=peaks > 0)


def head_color(head: int) -> QColor:
    return QColor(HEAD_COLORS[head % len(HEAD_COLORS)])


class AttentionHeadView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heads: list[tuple[str, QColor, ViewMatrix]] = []
        self.focus: tuple[str, int] | None = None  # ("query" | "key", row index) under the mouse
        self.label_width = 80
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_heads(self, heads: list[tuple[str, QColor, ViewMatrix]]) -> None:
        """(legend name, colour, matrix) per head shown; all share the same rows and columns."""
        self.heads = heads
        self.focus = None
        metrics = QFontMetrics(self.font())
        labels = [*self.row_labels, *self.col_labels]
        self.label_width = max((metrics.horizontalAdvance(t) for t in labels), default=40) + 12
        self.setFixedSize(self.sizeHint())
        self.update()

    @property
    def row_labels(self) -> list[str]:
        return self.heads[0][2].row_labels if self.heads else []

    @property
    def col_labels(self) -> list[str]:
        return self.heads[0][2].col_labels if self.heads else []

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        rows = max(len(self.row_labels), len(self.col_labels), 1)
        return QSize(2 * self.label_width + GUTTER + 20, 30 + rows * ROW + 10)

    def token_y(self, index: int) -> float:
        """The vertical centre of token `index`'s label, on both sides."""
        return 30 + index * ROW + ROW / 2

    def token_at(self, point: QPointF) -> tuple[str, int] | None:
        index = int((point.y() - 30) // ROW)
        if point.x() < self.label_width + 10 and 0 <= index < len(self.row_labels):
            return ("query", index)
        if point.x() > self.label_width + GUTTER + 10 and 0 <= index < len(self.col_labels):
            return ("key", index)
        return None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(self.rect(), QColor("white"))
        left_edge = 10 + self.label_width
        right_edge = left_edge + GUTTER
        x = 10.0
        for name, color, _ in self.heads:
            painter.setPen(color)
            painter.drawText(QPointF(x, 18), f"■ {name}")
            x += QFontMetrics(self.font()).horizontalAdvance(f"■ {name}") + 14
        low, high = LINE_WIDTH
        for _, color, view in self.heads:
            strengths = line_strengths(view.matrix)
            for row, col in zip(*np.nonzero(self.visible_lines(view.matrix)), strict=True):
                strength = float(strengths[row, col])
                line = QColor(color)
                line.setAlphaF(0.25 + 0.75 * strength)
                painter.setPen(QPen(line, low + (high - low) * strength))
                painter.drawLine(
                    QPointF(left_edge + 4, self.token_y(row)), QPointF(right_edge - 4, self.token_y(col))
                )
        self._draw_labels(painter, self.row_labels, 10, Qt.AlignmentFlag.AlignRight, "query")
        self._draw_labels(painter, self.col_labels, right_edge, Qt.AlignmentFlag.AlignLeft, "key")
        painter.end()

    def visible_lines(self, matrix: np.ndarray) -> np.ndarray:
        """Which lines the view draws (a query x key mask): visible weights, only the hovered token's lines while one is hovered."""
        visible = line_strengths(matrix) >= MIN_RELATIVE
        if self.focus is not None:
            side, index = self.focus
            keep = np.zeros_like(visible)
            if side == "query":
                keep[index, :] = True
            else:
                keep[:, index] = True
            visible &= keep
        return visible

    def _draw_labels(self, painter: QPainter, labels: list[str], x: float, align, side: str) -> None:
        for index, text in enumerate(labels):
            rect = QRectF(x, self.token_y(index) - ROW / 2, self.label_width, ROW)
            if self.focus == (side, index):
                painter.fillRect(rect, QColor("#ffe08a"))
            painter.setPen(QColor("#222222"))
            painter.drawText(rect.adjusted(4, 0, -4, 0), int(align | Qt.AlignmentFlag.AlignVCenter), text)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        focus = self.token_at(event.position())
        if focus != self.focus:
            self.focus = focus
            self.update()

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.focus is not None:
            self.focus = None
            self.update()
