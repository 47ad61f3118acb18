"""Export from the window: the Runs page's Export... and File > Export Model... open the dialog, which
exports off the GUI thread with progress and shows the comparison table."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QDesktopServices

from bertstudio.gui.widgets.export_dialog import ExportDialog
from bertstudio.training import run_training
from tests.core.training_fixtures import run_config, sentiment_csv, tiny_model

pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


def test_exporting_a_run_as_onnx_int8_shows_the_comparison_and_opens_the_folder(
    window, qtbot, tmp_path, monkeypatch
):
    run_dir = window.controller.runs_dir / "sentiment"
    data, model = sentiment_csv(tmp_path, count=60), tiny_model(tmp_path)
    assert run_training(run_config(model, data, run_dir, max_steps=4)).status == "completed"
    page = window.runs_page
    page.refresh()
    qtbot.waitUntil(lambda: str(run_dir) in page.runs, timeout=20_000)
    assert not page.export_button.isEnabled()
    page.select_run(str(run_dir))
    assert page.export_button.isEnabled()
    page.export_button.click()
    dialog = window.findChild(ExportDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.model_edit.text() == str(run_dir)
    assert dialog.choice() == "onnx-int8"
    assert dialog.out_edit.text() == str(window.controller.workspace / "exports" / "sentiment-onnx-int8")

    progress: list[int] = []
    dialog.progress_bar.valueChanged.connect(progress.append)
    dialog.export_button.click()
    assert dialog.is_running() and not dialog.export_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=120_000)
    assert len(set(progress)) > 3 and progress[-1] == 100  # progress arrived while it ran
    out = window.controller.workspace / "exports" / "sentiment-onnx-int8"
    assert (out / "model_quantized.onnx").is_file() and (out / "README.md").is_file()
    table = dialog.table
    assert table.isVisible() and table.rowCount() == 3
    assert [table.item(r, 0).text() for r in range(3)] == ["torch fp32", "ONNX fp32", "ONNX int8"]
    header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert "accuracy (test)" in header and "agreement" in header

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    dialog.open_folder_button.click()
    assert opened == [str(out)]

    dialog.export_button.click()  # again: the folder exists and "replace" is not ticked
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=60_000)
    assert "failed" in dialog.status_label.text()
    from tests.gui.conftest import error_dialogs

    errors = error_dialogs()
    assert any("already exists" in d.what_label.text() for d in errors)
    for error in errors:
        error.close()
    dialog.close()


def test_file_menu_export_opens_the_dialog_on_the_open_model(window, qtbot, tmp_path):
    window.controller.model_path = tmp_path / "some-model"
    action = next(a for a in window.menuBar().actions()[0].menu().actions() if a.text() == "&Export Model...")
    action.trigger()
    dialog = window.findChild(ExportDialog)
    assert dialog.model_edit.text() == str(tmp_path / "some-model")
    dialog.set_choice("hf")
    assert dialog.out_edit.text().endswith("some-model-hf")
    dialog.close()
