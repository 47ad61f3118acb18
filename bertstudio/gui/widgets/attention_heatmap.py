"""Heatmap of one attention matrix: queries down, keys across, token labels on both axes, a colour bar,
the exact weight under the mouse, arrow keys to step through layers (up/down) and heads (left/right)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QKeyEvent, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from bertstudio.inspect.maps import PooledMap
from bertstudio.inspect.view_filters import ViewMatrix

COLORMAP = "viridis"
SIGNED_COLORMAP = "CET-D1"  # blue - white - red, for scores that are negative as well as positive
MASKED_HATCH = "#9ca3af"  # the hatching that shows through cells a local layer's window hides
MAX_LABELS = 64  # beyond this, label every k-th token so the labels stay legible


def label_ticks(labels: list[str]) -> list[list[tuple[float, str]]]:
    """Ticks at cell centres; every k-th label when there are more than MAX_LABELS."""
    stride = max(1, -(-len(labels) // MAX_LABELS))
    return [[(i + 0.5, labels[i]) for i in range(0, len(labels), stride)]]


class VerticalLabelAxis(pg.AxisItem):
    """A bottom axis whose tick labels read upwards, so long tokens side by side do not overlap.

    pyqtgraph lays labels out as horizontal text and drops those that would overhang the axis ends;
    here every tick keeps its label, drawn rotated from the tick down."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self.labels: list[str] = []

    def set_labels(self, labels: list[str]) -> None:
        ticks = label_ticks(labels)
        self.labels = [text for _, text in ticks[0]]
        self.setTicks(ticks)
        metrics = QFontMetrics(self.style["tickFont"] or QFont())
        widest = max((metrics.horizontalAdvance(text) for text in self.labels), default=20)
        self.setHeight(min(160, widest + 16))

    def generateDrawSpecs(self, p):  # noqa: N802 - pyqtgraph's name
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis_spec, tick_specs, _ = specs
        if len(tick_specs) != len(self.labels):
            return axis_spec, tick_specs, []
        text_specs = []
        for (_, start, end), text in zip(tick_specs, self.labels, strict=True):
            text_specs.append((QRectF(start.x() - 1, max(start.y(), end.y()) + 3, 2, 2), 0, text))
        return axis_spec, tick_specs, text_specs

    def drawPicture(self, p, axisSpec, tickSpecs, textSpecs):  # noqa: N802 - pyqtgraph's name
        p.setRenderHint(p.RenderHint.Antialiasing, False)
        p.setRenderHint(p.RenderHint.TextAntialiasing, True)
        pen, start, end = axisSpec
        p.setPen(pen)
        p.drawLine(start, end)
        for pen, start, end in tickSpecs:
            p.setPen(pen)
            p.drawLine(start, end)
        if self.style["tickFont"] is not None:
            p.setFont(self.style["tickFont"])
        p.setPen(self.textPen())
        height = p.fontMetrics().height()
        for rect, _flags, text in textSpecs:
            p.save()
            p.translate(QPointF(rect.center().x(), rect.top()))
            p.rotate(-90)
            p.drawText(
                QRectF(-self.height(), -height / 2, self.height() - 4, height),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                text,
            )
            p.restore()


class AttentionHeatmap(QWidget):
    """Draws a ViewMatrix. Emits step_requested(d_layer, d_head) for the arrow keys."""

    step_requested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: ViewMatrix | None = None
        # a long input's map, pooled into blocks; hover looks the exact weight up through `exact`
        self.pooled: PooledMap | None = None
        self.pooled_tokens: list[str] = []
        self.exact: Callable[[int, int], float | None] | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.graphics.setBackground("w")
        self.bottom_axis = VerticalLabelAxis()
        self.plot = self.graphics.addPlot(axisItems={"bottom": self.bottom_axis})
        self.plot.invertY(True)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setLabel("left", "query (attends)")
        self.plot.setLabel("bottom", "key (attended to)")
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setPen("k")
            self.plot.getAxis(name).setTextPen("k")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        # masked cells are left transparent (NaN) over this hatched rectangle: a visibly masked band
        self.masked_band = QGraphicsRectItem()
        self.masked_band.setPen(QPen(Qt.PenStyle.NoPen))
        brush = QBrush(QColor(MASKED_HATCH), Qt.BrushStyle.BDiagPattern)
        self.masked_band.setBrush(brush)
        self.masked_band.setZValue(self.image.zValue() - 1)
        self.masked_band.setVisible(False)
        self.plot.addItem(self.masked_band)
        self.colormap = pg.colormap.get(COLORMAP)
        self.signed_colormap = pg.colormap.get(SIGNED_COLORMAP)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=self.colormap, interactive=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.colorbar.axis.setTextPen("k")
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        self.readout = QLabel("Hover a cell to read its weight.")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.readout)

    def set_view(self, view: ViewMatrix, title: str = "", signed: bool = False) -> None:
        """Draw `view`; signed: its values are scores of either sign (coloured around 0), not weights."""
        self.view, self.pooled = view, None
        matrix = view.matrix if view.matrix.size else np.zeros((1, 1), dtype=np.float32)
        top = float(np.abs(matrix).max() if signed else matrix.max()) or 1.0
        bottom = -top if signed else 0.0
        self.colorbar.setColorMap(self.signed_colormap if signed else self.colormap)
        masked = view.masked is not None and view.matrix.size and view.masked.any()
        shown = np.where(view.masked, np.float32(np.nan), matrix) if masked else matrix
        self.image.setImage(shown, autoLevels=False, levels=(bottom, top))
        rect = QRectF(0, 0, matrix.shape[1], matrix.shape[0])
        self.image.setRect(rect)
        self.masked_band.setRect(rect)
        self.masked_band.setVisible(bool(masked))
        self.colorbar.setLevels((bottom, top))
        self.plot.getAxis("left").setTicks(label_ticks(view.row_labels))
        self.bottom_axis.set_labels(view.col_labels)
        self.plot.setTitle(title, color="k")
        self.plot.setRange(xRange=(0, matrix.shape[1]), yRange=(0, matrix.shape[0]), padding=0)

    def set_pooled(
        self, pooled: PooledMap, tokens: list[str], title: str, exact: Callable[[int, int], float | None]
    ) -> None:
        """Draw a long input's map pooled into blocks over its token positions (so the axes and the mouse
        read positions); hover shows exact(row, col), the weight looked up at full resolution (None
        while it cannot be)."""
        self.view, self.pooled, self.pooled_tokens, self.exact = None, pooled, tokens, exact
        matrix = pooled.matrix
        top = float(matrix.max()) or 1.0
        self.colorbar.setColorMap(self.colormap)
        masked = pooled.masked is not None and pooled.masked.any()
        self.image.setImage(
            np.where(pooled.masked, np.float32(np.nan), matrix) if masked else matrix,
            autoLevels=False,
            levels=(0.0, top),
        )
        length = len(tokens)
        rect = QRectF(0, 0, length, length)
        self.image.setRect(rect)
        self.masked_band.setRect(rect)
        self.masked_band.setVisible(bool(masked))
        self.colorbar.setLevels((0.0, top))
        self.plot.getAxis("left").setTicks(label_ticks(tokens))
        self.bottom_axis.set_labels(tokens)
        block = int(np.diff(pooled.row_edges).max())
        self.plot.setTitle(f"{title} · {pooled.pooling} of {block}×{block}-token blocks", color="k")
        self.plot.setRange(xRange=(0, length), yRange=(0, length), padding=0)

    def pooled_weight_at(self, row: int, col: int) -> str:
        tokens, pooled = self.pooled_tokens, self.pooled
        cell = f"{tokens[row]} (#{row}) → {tokens[col]} (#{col})"
        i, j = pooled.block_of(row, pooled.row_edges), pooled.block_of(col, pooled.col_edges)
        if pooled.masked is not None and pooled.masked[i, j]:
            return f"{cell}: masked (outside this local layer's window)"
        value = self.exact(row, col)
        exact = "…" if value is None else f"{value:.4f}"
        return f"{cell}: {exact} (block {pooled.pooling} {pooled.matrix[i, j]:.4f})"

    def weight_at(self, row: int, col: int) -> str:
        view = self.view
        cell = f"{view.row_labels[row]} (#{view.rows[row]}) → {view.col_labels[col]} (#{view.cols[col]})"
        if view.masked is not None and view.masked[row, col]:
            return f"{cell}: masked (outside this local layer's window)"
        return f"{cell}: {view.matrix[row, col]:.4f}"

    def _mouse_moved(self, position: QPointF) -> None:
        if (self.view is None and self.pooled is None) or not self.plot.sceneBoundingRect().contains(
            position
        ):
            return
        point = self.plot.vb.mapSceneToView(position)
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        if self.pooled is not None:
            if 0 <= row < len(self.pooled_tokens) and 0 <= col < len(self.pooled_tokens):
                self.readout.setText(self.pooled_weight_at(row, col))
        elif 0 <= row < self.view.matrix.shape[0] and 0 <= col < self.view.matrix.shape[1]:
            self.readout.setText(self.weight_at(row, col))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        steps = {
            Qt.Key.Key_Up: (-1, 0),
            Qt.Key.Key_Down: (1, 0),
            Qt.Key.Key_Left: (0, -1),
            Qt.Key.Key_Right: (0, 1),
        }
        if event.key() in steps:
            self.step_requested.emit(*steps[event.key()])
            event.accept()
        else:
            super().keyPressEvent(event)
