"""Application start-up (placeholder until the workbench window lands)."""

from __future__ import annotations

import sys


def run_app(demo: bool = False, self_test: bool = False, workspace: str | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(sys.argv)
    window = QLabel("BERT Studio")
    window.resize(800, 500)
    window.show()
    if self_test:
        QTimer.singleShot(200, app.quit)
    return app.exec()
