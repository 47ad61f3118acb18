"""Export a view exactly as it is drawn: PNG from the widget's pixels, SVG from its paint commands."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

from bertstudio.atomic import atomic_write
from bertstudio.errors import BertStudioError

EXPORT_FILTERS = "PNG image (*.png);;SVG vector image (*.svg)"


def export_widget(widget: QWidget, path: str | Path) -> None:
    """Write `widget` as it looks now to a .png or .svg file (atomically)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".png":
        atomic_write(path, lambda temp: _save_png(widget, temp))
    elif suffix == ".svg":
        atomic_write(path, lambda temp: _save_svg(widget, temp))
    else:
        raise BertStudioError(
            f"Cannot export to {path.name!r}.", "Choose a file name ending in .png or .svg."
        )


def _save_png(widget: QWidget, temp: str) -> None:
    if not widget.grab().save(temp, "PNG"):
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
