"""Light and dark palettes (Fusion style) that follow the system colour scheme unless the user picks one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")

ACCENT = "#2f7de1"
# Curve colours that read well on light and dark backgrounds.
SERIES_COLORS = ("#2f7de1", "#e8710a", "#12b5cb", "#d93025", "#9334e6", "#188038", "#f9ab00", "#e52592")


def system_is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#26282b",
        QPalette.ColorRole.ToolTipBase: "#303134",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2d2f33",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.BrightText: "#ff8a80",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#8ab4f8",
        QPalette.ColorRole.Mid: "#3c4043",
        QPalette.ColorRole.Dark: "#151617",
        QPalette.ColorRole.Light: "#3c4043",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f7378"))
    return palette


def light_palette() -> QPalette:
    palette = QApplication.style().standardPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#f6f7f9"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f1f3f4"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    return palette


def apply_theme(app: QApplication, choice: str = "system") -> bool:
    """Set the Fusion style and the palette for `choice`; returns whether the result is dark."""
    app.setStyle("Fusion")
    dark = system_is_dark() if choice == "system" else choice == "dark"
    app.setPalette(dark_palette() if dark else light_palette())
    app.setProperty("bertstudioDark", dark)
    app.setStyleSheet(_stylesheet(dark))
    return dark


def is_dark() -> bool:
    app = QApplication.instance()
    return bool(app and app.property("bertstudioDark"))


def plot_colors() -> tuple[str, str]:
    """(background, foreground) for pyqtgraph plots under the current palette."""
    return ("#17181a", "#c8cacd") if is_dark() else ("#ffffff", "#3c4043")


def _stylesheet(dark: bool) -> str:
    sidebar_bg = "#17181a" if dark else "#e9ecf0"
    hover = "#2d2f33" if dark else "#dde2e8"
    muted = "#9aa0a6" if dark else "#5f6368"
    return f"""
QListWidget#sidebar {{ background: {sidebar_bg}; border: none; padding-top: 8px; font-size: 11pt; outline: 0; }}
QListWidget#sidebar::item {{ padding: 10px 14px; border-radius: 6px; margin: 2px 8px; }}
QListWidget#sidebar::item:hover {{ background: {hover}; }}
QListWidget#sidebar::item:selected {{ background: {ACCENT}; color: white; }}
QLabel[role="title"] {{ font-size: 15pt; font-weight: 600; }}
QLabel[role="muted"] {{ color: {muted}; }}
QPushButton[role="primary"] {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT};
    border-radius: 4px; padding: 5px 14px; font-weight: 600; }}
QPushButton[role="primary"]:disabled {{ background: {hover}; color: {muted}; border-color: {hover}; }}
QGroupBox {{ font-weight: 600; }}
"""
