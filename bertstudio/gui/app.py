"""Application start-up: the QApplication, theme, main window; `--demo` and `--self-test`.

The window is shown before torch is imported (pages load it on worker threads), so it appears fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def run_app(demo: bool = False, self_test: bool = False, workspace: str | None = None) -> int:
    if self_test and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from bertstudio import __version__
    from bertstudio.gui import theme
    from bertstudio.gui.error_dialog import install_exception_hook
    from bertstudio.gui.settings import Settings
    from bertstudio.resources import resource_path

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("BERT Studio")
    app.setApplicationName("BERT Studio")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("bertstudio")
    app.setWindowIcon(QIcon(str(resource_path("icons", "bertstudio.svg"))))
    install_exception_hook()

    if self_test:
        from bertstudio.gui.self_test import run_self_test

        code = run_self_test(app, Path(workspace) if workspace else None)
        if code:
            # A failed smoke test may leave a worker thread behind; installers need the exit, not a hang.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code

    from bertstudio.gui.main_window import MainWindow

    settings = Settings()
    choice = settings.get("theme", "system")
    theme.apply_theme(app, choice)
    app.styleHints().colorSchemeChanged.connect(
        lambda _scheme: (
            theme.apply_theme(app, settings.get("theme", "system"))
            if settings.get("theme", "system") == "system"
            else None
        )
    )
    window = MainWindow(settings, Path(workspace) if workspace else None)
    window.show()
    if demo:
        window.open_demo()
    return app.exec()
