"""Model view: every layer x head attention map as a thumbnail in one grid; click one to open it.

The grid is one image built with numpy (max-pooled maps through a colour table), painted in one go,
so 144 thumbnails of 512-token maps draw in a fraction of a second.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from bertstudio.gui.widgets.attention_heatmap import COLORMAP

THUMB = 64  # 512 and 384 tokens pool in whole blocks
GAP = 6
MIN_THUMB = 28  # thumbnails shrink to this to fit every head in the view's width, then it scrolls
MARGIN_LEFT = 34
KIND_MARGIN_LEFT = 96  # room for "L10 local ±64"
MASKED_RGB = (229, 231, 235)  # light grey: keys a local layer's window hides (a zero weight is dark)
MARGIN_TOP = 22


def _max_pool(maps: np.ndarray, block: int, axis: int) -> np.ndarray:
    """Max over consecutive blocks of `axis`, as `block` element-wise maxima of strided slices
    (numpy reduces a short inner axis slowly; whole-array maxima run vectorised)."""

    def along(part: slice) -> tuple:
        index = [slice(None)] * maps.ndim
        index[axis] = part
        return tuple(index)

    result = maps[along(slice(0, None, block))].copy()
    for offset in range(1, block):
        part = maps[along(slice(offset, None, block))]
        head = result[along(slice(0, part.shape[axis]))]  # the last block may be shorter
        np.maximum(head, part, out=head)
    return result


def pooled(maps: np.ndarray, size: int) -> np.ndarray:
    """(layers, heads, rows, cols) -> at most (layers, heads, size, size) by max over blocks, so a
    single strong weight stays visible in a small thumbnail. Rows first: their slices are contiguous."""
    for axis in (2, 3):
        block = -(-maps.shape[axis] // size)
        if block > 1:
            maps = _max_pool(maps, block, axis)
    return maps


def thumbnail_grid(
    maps: np.ndarray, size: int = THUMB, gap: int = GAP, masked: np.ndarray | None = None
) -> np.ndarray:
    """An RGB (height, width, 3) uint8 image of all thumbnails, each scaled to its own maximum.
    masked: optional (layers, rows, cols) bool; a pooled cell that is masked throughout is drawn grey."""
    layers, heads = maps.shape[:2]
    small = pooled(maps.astype(np.float32, copy=False), size)
    peak = small.max(axis=(2, 3), keepdims=True)
    small = small / np.where(peak > 0, peak, 1.0)
    rows = np.arange(size) * small.shape[2] // size
    cols = np.arange(size) * small.shape[3] // size
    scaled = small[:, :, rows][:, :, :, cols]  # (L, H, size, size)
    lut = pg.colormap.get(COLORMAP).getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)
    colors = lut[(scaled * 255).astype(np.uint8)]  # (L, H, size, size, 3)
    if masked is not None:
        # a block is masked when every cell of it is: 1 - max over blocks of (1 - masked)
        kept = pooled((~masked[:, None]).astype(np.float32), size)[:, :, rows][:, :, :, cols]
        colors[np.broadcast_to(kept == 0, scaled.shape)] = MASKED_RGB
    grid = np.full((layers * (size + gap), heads * (size + gap), 3), 255, dtype=np.uint8)
    view = grid.reshape(layers, size + gap, heads, size + gap, 3)
    view[:, :size, :, :size] = colors.transpose(0, 2, 1, 3, 4)
    return grid


class AttentionModelView(QWidget):
    """Emits opened(layer, head) when a thumbnail is clicked. Thumbnails shrink (down to MIN_THUMB) so
    that all heads fit the width the view is given (the scroll area's); `thumb` is their current size."""

    opened = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self._pixels: np.ndarray | None = None  # keeps the QImage's buffer alive
        self.layers = self.heads = 0
        self.thumb = THUMB
        self.selected: tuple[int, int] | None = None
        self.kinds: list[str] = []  # per layer "global" / "local ±w"; empty without local layers
        self.margin_left = MARGIN_LEFT
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_maps(
        self,
        maps: np.ndarray,
        selected: tuple[int, int] | None = None,
        masked: np.ndarray | None = None,
        kinds: list[str] | None = None,
    ) -> None:
        """maps: (layers, heads, rows, cols) as filtered for display; masked: (layers, rows, cols) bool,
        the keys each layer's local window hides; kinds: per layer "global" / "local ±w" labels."""
        self.layers, self.heads = maps.shape[:2]
        self.kinds = list(kinds or [])
        self.margin_left = KIND_MARGIN_LEFT if any(self.kinds) else MARGIN_LEFT
        self._pixels = np.ascontiguousarray(thumbnail_grid(maps, masked=masked))
        height, width = self._pixels.shape[:2]
        self.image = QImage(self._pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        self.selected = selected
        self.setMinimumWidth(self.margin_left + self.heads * (MIN_THUMB + GAP))
        self._fit(self.width())
        self.update()

    def _fit(self, width: int) -> None:
        fitting = (width - self.margin_left) // max(self.heads, 1) - GAP
        self.thumb = int(min(THUMB, max(MIN_THUMB, fitting)))
        self.setFixedHeight(MARGIN_TOP + self.layers * self._pitch())

    def _pitch(self) -> int:
        return self.thumb + GAP

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._fit(event.size().width())
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.margin_left + self.heads * (THUMB + GAP), MARGIN_TOP + self.layers * (THUMB + GAP))

    def cell_at(self, point: QPoint) -> tuple[int, int] | None:
        x, y = point.x() - self.margin_left, point.y() - MARGIN_TOP
        if x < 0 or y < 0:
            return None
        pitch = self._pitch()
        layer, head = y // pitch, x // pitch
        if layer < self.layers and head < self.heads and x % pitch < self.thumb and y % pitch < self.thumb:
            return int(layer), int(head)
        return None

    def cell_rect(self, layer: int, head: int) -> QRect:
        pitch = self._pitch()
        return QRect(self.margin_left + head * pitch, MARGIN_TOP + layer * pitch, self.thumb, self.thumb)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        if self.image is None:
            return
        scale = self._pitch() / (THUMB + GAP)
        target = QRect(
            self.margin_left,
            MARGIN_TOP,
            round(self.image.width() * scale),
            round(self.image.height() * scale),
        )
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, self.image)
        painter.setPen(QColor("#333333"))
        for head in range(self.heads):
            rect = self.cell_rect(0, head)
            rect = QRect(rect.left() - GAP // 2, 0, self._pitch(), MARGIN_TOP - 4)
            painter.drawText(
                rect, int(Qt.AlignmentFlag.AlignCenter | Qt.AlignmentFlag.AlignBottom), f"H{head}"
            )
        for layer in range(self.layers):
            rect = QRect(0, self.cell_rect(layer, 0).top(), self.margin_left - 6, self.thumb)
            painter.drawText(
                rect,
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                self.layer_label(layer),
            )
        if self.selected is not None:
            painter.setPen(QPen(QColor("#d62728"), 2))
            painter.drawRect(self.cell_rect(*self.selected).adjusted(-2, -2, 2, 2))
        painter.end()

    def layer_label(self, layer: int) -> str:
        kind = self.kinds[layer] if self.kinds else ""
        return f"L{layer} {kind}" if kind else f"L{layer}"

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        cell = self.cell_at(event.position().toPoint())
        kind = f" ({self.kinds[cell[0]]})" if cell and self.kinds and self.kinds[cell[0]] else ""
        self.setToolTip(f"Layer {cell[0]}{kind}, head {cell[1]}: click to open" if cell else "")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        cell = self.cell_at(event.position().toPoint())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.selected = cell
            self.update()
            self.opened.emit(*cell)
