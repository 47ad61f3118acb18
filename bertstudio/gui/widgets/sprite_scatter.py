"""Many same-looking points drawn fast: one pre-rendered sprite stamped at every point's pixel position
with a single QPainter.drawPixmapFragments call, positions mapped with numpy.

pyqtgraph's ScatterPlotItem draws the same way, but on setData it builds a per-point style key in a
Python loop (about 3 ms per 1,000 points, 0.3 s for 100,000) and keeps per-point records; this item keeps
only the two coordinate arrays, so refilling it with 100,000 points costs a few milliseconds.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import functions as fn
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap


class SpriteScatter(pg.GraphicsObject):
    def __init__(self, colour: str, size: int = 5, hollow: bool = False) -> None:
        super().__init__()
        self.size = size
        # what a legend reads to draw this item's sample
        pen = pg.mkPen(colour, width=1.5) if hollow else None
        self.opts = {"pen": pen, "brush": None if hollow else pg.mkBrush(colour), "symbol": "o", "size": 8}
        self.x = np.empty(0)
        self.y = np.empty(0)
        self.bounds = QRectF()
        self.sprite = _sprite(QColor(colour), size, hollow)
        self.fragments = PrimitiveArray(QPainter.PixmapFragment, 10)

    def setData(self, x, y) -> None:  # noqa: N802 (pyqtgraph's name)
        self.prepareGeometryChange()
        self.x = np.asarray(x, np.float64)
        self.y = np.asarray(y, np.float64)
        if len(self.x):
            left, right, bottom, top = self.x.min(), self.x.max(), self.y.min(), self.y.max()
            self.bounds = QRectF(left, bottom, right - left, top - bottom)
        else:
            self.bounds = QRectF()
        self.informViewBoundsChanged()
        self.update()

    def __len__(self) -> int:
        return len(self.x)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        padding = self.pixelPadding()
        width, height = self.pixelVectors()[0], self.pixelVectors()[1]
        if width is None or height is None:
            return QRectF(self.bounds)
        dx, dy = abs(width.x()) * padding, abs(height.y()) * padding
        return self.bounds.adjusted(-dx, -dy, dx, dy)

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):  # noqa: N802 (pyqtgraph's name)
        values = self.x if ax == 0 else self.y
        if not len(values):
            return None, None
        return float(values.min()), float(values.max())

    def pixelPadding(self) -> float:  # noqa: N802 (pyqtgraph's name)
        return self.size / 2 + 1

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self.x):
            return
        points = fn.transformCoordinates(painter.transform(), np.vstack([self.x, self.y]))  # (2, n) pixels
        device = painter.device()
        width, height = device.width(), device.height()
        margin = self.size
        visible = (
            (points[0] > -margin)
            & (points[0] < width + margin)
            & (points[1] > -margin)
            & (points[1] < height + margin)
        )
        shown = points[:, visible].T
        self.fragments.resize(len(shown))
        frames = self.fragments.ndarray()
        ratio = self.sprite.devicePixelRatio()
        side = self.sprite.width()
        frames[:, 0:2] = shown
        frames[:, 2:6] = (0, 0, side, side)  # the whole sprite
        frames[:, 6:10] = (1 / ratio, 1 / ratio, 0.0, 1.0)  # scale, rotation, opacity
        painter.resetTransform()
        painter.drawPixmapFragments(*self.fragments.drawargs(), self.sprite)


def _sprite(colour: QColor, size: int, hollow: bool) -> QPixmap:
    side = size + 2
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if hollow:
        painter.setPen(pg.mkPen(colour, width=1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
    painter.drawEllipse(QPointF(side / 2, side / 2), size / 2, size / 2)
    painter.end()
    return pixmap
