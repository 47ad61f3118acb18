"""The log panel: engine log lines and Python log records, appended from any thread via a signal."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

MAX_LINES = 5000


class LogPanel(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("logPanel")
        self.setAccessibleName("Log")
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText("Log lines from loading, import and training appear here.")

    def append_line(self, line: str) -> None:
        self.appendPlainText(f"{time.strftime('%H:%M:%S')}  {line}")


class _Emitter(QObject):
    line = Signal(str)


class QtLogHandler(logging.Handler):
    """Forwards `bertstudio` log records to the panel; safe from worker threads (queued signal)."""

    def __init__(self, panel: LogPanel) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self._emitter = _Emitter()
        self._emitter.line.connect(panel.append_line)

    def emit(self, record: logging.LogRecord) -> None:
        self._emitter.line.emit(self.format(record))
