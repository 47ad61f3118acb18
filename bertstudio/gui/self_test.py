"""`bertstudio --self-test`: build the main window offscreen, open the demo, train a few steps on the
worker thread, check the loss curve received points, and exit 0 (1 on any failure). Installers run it."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

SELF_TEST_STEPS = 4
TIMEOUT_SECONDS = 180


class SelfTestFailure(Exception):
    pass


def wait_until(app: QApplication, condition, what: str, timeout: float = TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SelfTestFailure(f"timed out after {timeout:.0f} s waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def stop_training(app: QApplication, controller, timeout: float = 30.0) -> None:
    """Cancel a run still going, so closing the window asks no question (nobody would answer it)."""
    controller.cancel_run()
    try:
        wait_until(app, lambda: not controller.is_running(), "the run to stop", timeout)
    except SelfTestFailure as exc:
        print(f"self-test: {exc}", file=sys.stderr)


def run_self_test(app: QApplication, workspace: Path | None = None) -> int:
    from bertstudio.gui import theme
    from bertstudio.gui.error_dialog import ErrorDialog
    from bertstudio.gui.main_window import MainWindow
    from bertstudio.gui.settings import Settings

    theme.apply_theme(app, "light")
    with tempfile.TemporaryDirectory(prefix="bertstudio-self-test-") as temp:
        settings = Settings(QSettings(str(Path(temp) / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings, workspace or Path(temp) / "workspace")
        window.show()
        started = time.monotonic()
        try:

            def errors() -> list[str]:
                return [
                    w.what_label.text()
                    for w in app.topLevelWidgets()
                    if isinstance(w, ErrorDialog) and w.isVisible()
                ]

            def check_no_errors() -> None:
                if errors():
                    raise SelfTestFailure("error dialog: " + " | ".join(errors()))

            controller = window.controller
            window.open_demo()
            wait_until(app, lambda: controller.model_path is not None or errors(), "the demo model to open")
            check_no_errors()
            print(f"self-test: model opened ({controller.model_summary['parameters']:,} parameters)")
            wait_until(app, lambda: controller.data is not None or errors(), "the demo data to be checked")
            check_no_errors()
            print(f"self-test: data previewed and checked ({controller.data_import.report.rows} rows)")
            controller.apply_settings(max_steps=SELF_TEST_STEPS, eval_every_steps=2)
            start = window.train_page.controls.start_button
            if not start.isEnabled():
                raise SelfTestFailure(f"Start is disabled: {start.toolTip()}")
            start.click()
            wait_until(app, lambda: not controller.is_running(), "the training steps")
            app.processEvents()
            monitor = window.train_page.monitor
            monitor.curves.redraw()
            check_no_errors()
            points = monitor.curves.point_count()
            if points < SELF_TEST_STEPS:
                raise SelfTestFailure(f"the loss curve has {points} points, expected {SELF_TEST_STEPS}")
            if (
                monitor.curves.smooth_curve.xData is None
                or len(monitor.curves.smooth_curve.xData) < SELF_TEST_STEPS
            ):
                raise SelfTestFailure("the loss curve was not drawn")
            print(f"self-test: trained {points} steps, curve drawn; {monitor.result_label.text()}")
        except Exception as exc:  # any failure ends the smoke test with a message, never a hang
            print(f"self-test FAILED: {exc}", file=sys.stderr)
            stop_training(app, window.controller)
            return 1
        finally:
            window.close()
            window.deleteLater()
            app.processEvents()
        print(f"self-test passed in {time.monotonic() - started:.1f} s")
        return 0
