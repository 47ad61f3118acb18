"""The main window: pages and stable names, menus and shortcuts, status bar, settings, drag and drop."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QTextBrowser, QWidget

from tests.gui.conftest import error_dialogs, write_reviews

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")

NAMES = (
    "modelPage",
    "dataPage",
    "trainPage",
    "evaluatePage",
    "inspectPage",
    "runsPage",
    "openModelButton",
    "importDataButton",
    "startTrainingButton",
    "pauseTrainingButton",
    "cancelTrainingButton",
    "lossPlot",
    "predictInput",
)


def test_every_main_control_has_a_stable_name_and_an_accessible_name(window):
    for name in NAMES:
        widget = window.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName(), name
    pages = [window.stack.widget(i).objectName() for i in range(window.stack.count())]
    assert pages == [
        "modelPage",
        "dataPage",
        "trainPage",
        "evaluatePage",
        "inspectPage",
        "runsPage",
        "embeddingsPage",
    ]


def test_menus_follow_desktop_conventions(window):
    actions = {
        a.text().replace("&", ""): a for menu in window.menuBar().actions() for a in menu.menu().actions()
    }
    assert actions["Open Model..."].shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert actions["Quit"].shortcut() == QKeySequence(QKeySequence.StandardKey.Quit)
    assert actions["User Guide"].shortcut().toString() == "F1"
    assert actions["Import Data..."].shortcut().toString() == "Ctrl+I"
    actions["Data"].trigger()
    assert window.stack.currentWidget() is window.data_page


def test_status_bar_names_the_device(window, qtbot):
    qtbot.waitUntil(lambda: "checking" not in window.device_label.text(), timeout=20_000)
    assert window.device_label.text().startswith(("CPU", "CUDA", "Apple"))


def test_geometry_page_and_recent_files_persist(make_window, settings, tmp_path, qtbot, tiny_encoder_dir):
    first = make_window(settings)
    first.resize(1250, 777)
    first.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: first.controller.model_path is not None, timeout=20_000)
    first.go_to("Runs")
    geometry = first.saveGeometry()
    first.close()
    second = make_window(settings)
    assert second.stack.currentWidget() is second.runs_page
    # the offscreen screen is smaller than the window, so Qt clamps what it restores; the saved state is exact
    assert settings.get("window/geometry") == geometry
    assert settings.recent("models") == [str(tiny_encoder_dir)]
    recent = [a.text() for a in second.recent_menu.actions()]
    assert any(str(tiny_encoder_dir) in text for text in recent)


def _drop(window, path: Path) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)


def test_dropping_a_csv_imports_it_and_a_folder_opens_the_model(window, tmp_path, qtbot, tiny_encoder_dir):
    _drop(window, write_reviews(tmp_path / "dropped.csv"))
    assert window.stack.currentWidget() is window.data_page
    qtbot.waitUntil(lambda: window.data_page.preview.preview_model.rowCount() == 60, timeout=20_000)
    _drop(window, tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path == tiny_encoder_dir, timeout=20_000)
    assert window.model_page.summary_labels["hidden_size"].text() == "32"


def test_dropping_something_else_explains_what_is_accepted(window, tmp_path):
    other = tmp_path / "notes.pdf"
    other.write_bytes(b"%PDF-1.4")
    _drop(window, other)
    dialogs = error_dialogs()
    assert len(dialogs) == 1 and "neither a model folder nor a data file" in dialogs[0].what_label.text()
    dialogs[0].close()
    window.open_path(tmp_path / "moved.csv")  # e.g. a recent file deleted since
    dialogs = error_dialogs()
    assert len(dialogs) == 1 and "no longer exists" in dialogs[0].what_label.text()
    dialogs[0].close()


def test_help_and_theme(window, qtbot):
    window.show_help()
    help_dialog = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "helpDialog")
    assert "Use for Training" in help_dialog.findChild(QTextBrowser).toPlainText()
    help_dialog.close()
    plots = [
        window.train_page.monitor.curves.loss_plot,
        window.runs_page.overlay_plot,
        window.data_page.lengths_tab.label_chart,
        window.evaluate_page.results.matrix_view,
    ]

    def plot_backgrounds() -> list[int]:
        return [plot.backgroundBrush().color().lightness() for plot in plots]

    window.set_theme("dark")
    assert QApplication.instance().property("bertstudioDark") is True
    assert QApplication.palette().window().color().lightness() < 100
    assert max(plot_backgrounds()) < 100  # every plot follows, not only the live curves
    window.set_theme("light")
    assert QApplication.palette().window().color().lightness() > 200
    assert min(plot_backgrounds()) > 200
    assert window.settings.get("theme") == "light"


@pytest.mark.parametrize("choice", ["light", "dark"])
def test_the_sidebar_fits_its_page_names(window, qtbot, choice):
    """Found under Xvfb: the themed sidebar's padded items were wider than its fixed width, so it showed
    a sideways scroll bar and cut the selected item's highlight."""
    window.set_theme(choice)
    sidebar = window.sidebar
    qtbot.waitUntil(lambda: sidebar.viewport().width() >= sidebar.sizeHintForColumn(0), timeout=5_000)
    assert sidebar.horizontalScrollBar().maximum() == 0
