"""Render the app icon SVG to the PNG that installers and icon conversion use (.ico, .icns, hicolor).

Run after changing bertstudio/resources/icons/bertstudio.svg:
    QT_QPA_PLATFORM=offscreen python packaging/render_icon.py
"""

from __future__ import annotations

import sys

import bundle_plan
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICON_SIZE = 256


def render_icon(size: int = ICON_SIZE) -> None:
    renderer = QSvgRenderer(str(bundle_plan.ICON_SVG))
    if not renderer.isValid():
        raise SystemExit(f"{bundle_plan.ICON_SVG}: not a valid SVG; fix it and run again")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(bundle_plan.ICON_PNG)):
        raise SystemExit(f"could not write {bundle_plan.ICON_PNG}")
    print(f"wrote {bundle_plan.ICON_PNG} ({size}x{size})")


if __name__ == "__main__":
    app = QGuiApplication(sys.argv[:1])
    render_icon()
