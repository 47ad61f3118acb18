"""Small layout helpers shared by the pages."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget


def page_header(title: str, subtitle: str, *actions: QWidget) -> QHBoxLayout:
    """A page title with a one-line explanation on the left and the page's main actions on the right."""
    title_label = QLabel(title)
    title_label.setProperty("role", "title")
    subtitle_label = QLabel(subtitle)
    subtitle_label.setObjectName("pageSubtitle")
    subtitle_label.setProperty("role", "muted")
    subtitle_label.setWordWrap(True)
    text = QVBoxLayout()
    text.setSpacing(2)
    text.addWidget(title_label)
    text.addWidget(subtitle_label)
    row = QHBoxLayout()
    row.addLayout(text, 1)
    for action in actions:
        row.addWidget(action)
    return row
