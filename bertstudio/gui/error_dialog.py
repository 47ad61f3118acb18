"""Errors become dialogs: what happened, what to do, details on demand, a "Copy details" button.

A BertStudioError's message and hint are written for the user; any other exception is shown as an
unexpected error with its traceback. Dialogs are non-blocking so the app stays usable.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from bertstudio.errors import BertStudioError


def describe(exc: BaseException) -> tuple[str, str, str]:
    """(what happened, what to do, details) for any exception."""
    details = getattr(exc, "details", None) or "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__)
    )
    if isinstance(exc, BertStudioError):
        what = str(exc).removesuffix(f"\n{exc.hint}") if exc.hint else str(exc)
        return what, exc.window_hint, f"{type(exc).__name__}: {exc}\n\n{details}"
    what = f"Unexpected error: {type(exc).__name__}: {exc}"
    hint = "The app is still usable. If this keeps happening, copy the details into a bug report."
    return what, hint, details


class ErrorDialog(QDialog):
    def __init__(self, exc: BaseException, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        what, hint, self.details = describe(exc)

        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(40, 40))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.what_label = QLabel(what)
        self.what_label.setObjectName("errorWhat")
        self.what_label.setWordWrap(True)
        self.what_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.what_label.setStyleSheet("font-weight: 600;")
        self.hint_label = QLabel(hint)
        self.hint_label.setObjectName("errorHint")
        self.hint_label.setWordWrap(True)
        self.hint_label.setVisible(bool(hint))

        self.details_view = QPlainTextEdit(self.details)
        self.details_view.setReadOnly(True)
        self.details_view.setVisible(False)
        self.details_view.setMinimumHeight(180)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.toggle_button = QPushButton("Show details")
        self.toggle_button.setCheckable(True)
        self.toggle_button.toggled.connect(self._toggle_details)
        copy_button = QPushButton("Copy details")
        copy_button.setObjectName("copyDetailsButton")
        copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.details))
        buttons.addButton(self.toggle_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)

        text = QVBoxLayout()
        text.addWidget(self.what_label)
        text.addWidget(self.hint_label)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details_view, 1)
        layout.addWidget(buttons)

    def _toggle_details(self, shown: bool) -> None:
        self.details_view.setVisible(shown)
        self.toggle_button.setText("Hide details" if shown else "Show details")
        self.adjustSize()


def show_error(parent: QWidget | None, exc: BaseException, title: str = "BERT Studio") -> ErrorDialog:
    """Show exc in a non-blocking dialog and return it."""
    dialog = ErrorDialog(exc, title, parent)
    dialog.open()
    return dialog


def install_exception_hook() -> None:
    """Unhandled exceptions in slots become error dialogs instead of silent console output."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        previous(kind, exc, tb)
        if QApplication.instance() is not None and not isinstance(exc, KeyboardInterrupt):
            show_error(QApplication.activeWindow(), exc.with_traceback(tb))

    sys.excepthook = hook
