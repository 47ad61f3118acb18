"""Export a view as it is drawn: PNG at twice the screen's pixels (sharp in documents and on high-density
screens), SVG from its paint commands; an optional title (the run's name) heads the image. After an export
the window's status bar says where the file went."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QMainWindow, QWidget

from bertstudio.atomic import atomic_write
from bertstudio.errors import BertStudioError

EXPORT_FILTERS = "PNG image (*.png);;SVG vector image (*.svg)"
PNG_SCALE = 2
TITLE_HEIGHT = 28  # logical pixels above the view when the image carries a title
SAVED_MESSAGE_MS = 10_000


def export_widget(widget: QWidget, path: str | Path, title: str = "") -> None:
    """Write `widget` as it looks now to a .png or .svg file (atomically), headed by `title` in a PNG."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".png":
        atomic_write(path, lambda temp: _save_png(widget, temp, title))
    elif suffix == ".svg":
        atomic_write(path, lambda temp: _save_svg(widget, temp))
    else:
        raise BertStudioError(
            f"Cannot export to {path.name!r}.", "Choose a file name ending in .png or .svg."
        )


def announce_saved(widget: QWidget, path: str | Path) -> None:
    """'Saved to PATH' in the status bar of the window holding `widget`."""
    window = widget.window()
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(f"Saved to {path}", SAVED_MESSAGE_MS)


def render_png(widget: QWidget, title: str = "") -> QImage:
    """`widget` drawn at PNG_SCALE times its size, under a band with `title` when one is given."""
    top = TITLE_HEIGHT if title else 0
    image = QImage(
        widget.width() * PNG_SCALE, (widget.height() + top) * PNG_SCALE, QImage.Format.Format_ARGB32
    )
    image.setDevicePixelRatio(PNG_SCALE)
    image.fill(widget.palette().window().color())
    painter = QPainter(image)
    try:
        if title:
            painter.setPen(widget.palette().windowText().color())
            font = painter.font()
            font.setBold(True)
            painter.setFont(font)
            band = QRect(8, 0, widget.width() - 16, top)
            painter.drawText(band, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        QWidget.render(widget, painter, QPoint(0, top))  # QWidget's own: QGraphicsView overrides render()
    finally:
        painter.end()
    return image


def _save_png(widget: QWidget, temp: str, title: str) -> None:
    if not render_png(widget, title).save(temp, "PNG"):
        raise BertStudioError("The image could not be written.", "Check that the folder is writable.")


def _save_svg(widget: QWidget, temp: str) -> None:
    generator = QSvgGenerator()
    generator.setFileName(temp)
    generator.setSize(QSize(widget.width(), widget.height()))
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    generator.setTitle("BERT Studio attention view")
    painter = QPainter(generator)
    try:
        QWidget.render(widget, painter, QPoint())  # QWidget's own: QGraphicsView overrides render()
    finally:
        painter.end()
