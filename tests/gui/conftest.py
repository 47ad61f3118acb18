"""GUI fixtures: a main window on a temporary workspace and settings file, and a check that a test
leaves no top-level widget behind (use `pytestmark = pytest.mark.usefixtures("no_leaked_widgets")`)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication, QMenu

from bertstudio.gui.settings import Settings
from bertstudio.gui.workers import BackgroundJob
from tests.conftest import TINY_WORDS, make_tiny_model_dir

POSITIVE = ("good", "great", "love", "fun", "funny", "happy", "liked")
NEGATIVE = ("bad", "terrible", "boring", "hate", "sad")


def _flush_deletes() -> None:
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QApplication.processEvents()


@pytest.fixture
def no_leaked_widgets(qapp):
    """Fail the test if it leaves parentless top-level widgets alive (windows, dialogs)."""
    _flush_deletes()
    before = {id(w) for w in QApplication.topLevelWidgets()}
    yield
    assert BackgroundJob.wait_all(30_000), "a background thread did not end"
    _flush_deletes()
    # pyqtgraph creates its plots' context menus without a parent; they are not windows of ours
    leaked = [
        f"{type(w).__name__}({w.objectName()!r})"
        for w in QApplication.topLevelWidgets()
        if id(w) not in before and w.parent() is None and not isinstance(w, QMenu)
    ]
    assert not leaked, f"leaked top-level widgets: {leaked}"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(qtbot, tmp_path):
    """MainWindow factory on a temporary workspace; every window is closed and deleted afterwards."""
    from bertstudio.gui.main_window import MainWindow

    windows = []

    def make(settings: Settings):
        window = MainWindow(settings, tmp_path / "workspace")
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.controller.cancel_run()
        BackgroundJob.wait_all(60_000)
        QApplication.processEvents()  # the ended run's thread-finished slots (a test failed mid-run)
        window.close()
        window.deleteLater()
    for dialog in error_dialogs():
        dialog.close()
    _flush_deletes()


@pytest.fixture
def window(make_window, settings):
    return make_window(settings)


def error_dialogs() -> list:
    from bertstudio.gui.error_dialog import ErrorDialog

    return [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog) and w.isVisible()]


def write_reviews(path: Path, rows: int = 60, extra: list[list[str]] | None = None) -> Path:
    """A small sentiment CSV in the tiny vocabulary (positive / negative, balanced)."""
    subjects = [w for w in ("movie", "film", "book", "plot", "acting", "story") if w in TINY_WORDS]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "sentiment"])
        for i in range(rows):
            positive = i % 2 == 0
            word = (POSITIVE if positive else NEGATIVE)[i % 5]
            writer.writerow(
                [f"the {subjects[i % len(subjects)]} was very {word}", "pos" if positive else "neg"]
            )
        for row in extra or []:
            writer.writerow(row)
    return path


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory) -> Path:
    return make_tiny_model_dir(tmp_path_factory.mktemp("gui_tiny"), "base")
