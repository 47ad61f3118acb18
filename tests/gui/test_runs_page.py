"""Runs page over run folders written through the engine's run store: statuses, overlay, delete."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from bertstudio.training import RunConfig, RunFolder
from bertstudio.training.events import EvalEvent, StepEvent

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


def make_run(path, status: str, losses: list[float], **settings) -> str:
    folder = RunFolder(path)
    folder.create(
        RunConfig(
            model_path="m",
            data_path="d.csv",
            text_column="t",
            label_columns=["l"],
            output_dir=str(path),
            **settings,
        )
    )
    for step, loss in enumerate(losses, start=1):
        folder.append_event(StepEvent(step, len(losses), step / len(losses), loss, 1e-4, 1.0, 10.0, step))
    folder.append_event(EvalEvent(len(losses), 1.0, "validation", {"loss": losses[-1], "accuracy": 0.75}))
    folder.update_info(status=status, result={"best_metric": 0.75, "step": len(losses)})
    return str(path)


def test_runs_are_listed_compared_and_deleted_after_confirmation(window, qtbot, monkeypatch):
    runs_dir = window.controller.runs_dir
    first = make_run(runs_dir / "first", "completed", [1.0, 0.8, 0.6])
    second = make_run(runs_dir / "second", "failed", [1.2, 1.1])
    page = window.runs_page
    page.refresh()
    qtbot.waitUntil(lambda: set(page.runs) == {first, second}, timeout=20_000)
    assert page.runs[first].best == "accuracy 0.75"
    assert page.runs[second].status == "failed" and not page.runs[second].resumable  # no checkpoint
    page.table.selectAll()
    qtbot.waitUntil(lambda: page.curve_count() == 2, timeout=20_000)
    page.quantity_combo.setCurrentIndex(page.quantity_combo.findData("val_accuracy"))
    assert page.curve_count() == 2
    assert not page.resume_button.isEnabled() and page.delete_button.isEnabled()

    page.select_run(second)
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: QMessageBox.StandardButton.Cancel)
    page.delete_button.click()
    assert (runs_dir / "second").is_dir()
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: QMessageBox.StandardButton.Yes)
    page.delete_button.click()
    qtbot.waitUntil(lambda: set(page.runs) == {first}, timeout=20_000)
    assert not (runs_dir / "second").exists()


def test_a_run_training_in_another_process_cannot_be_deleted(window, qtbot):
    from bertstudio.training.run_lock import hold_run_lock
    from tests.gui.conftest import error_dialogs

    runs_dir = window.controller.runs_dir
    live = make_run(runs_dir / "live", "running", [1.0, 0.9])
    with hold_run_lock(live):  # as the training run holds it
        page = window.runs_page
        page.refresh()
        qtbot.waitUntil(lambda: live in page.runs, timeout=20_000)
        assert page.runs[live].status == "running"
        page.select_run(live)
        assert not page.delete_button.isEnabled() and "cancel it first" in page.delete_button.toolTip()
        page.delete_runs([live])  # even when asked directly
        dialogs = error_dialogs()
        assert len(dialogs) == 1 and "training now" in dialogs[0].what_label.text()
        dialogs[0].close()
        assert (runs_dir / "live" / "run.json").is_file()


def test_a_damaged_run_json_is_listed_with_what_to_do(window, qtbot):
    runs_dir = window.controller.runs_dir
    damaged = make_run(runs_dir / "damaged", "completed", [1.0])
    (runs_dir / "damaged" / "run.json").write_text('{"config": ', encoding="utf-8")
    page = window.runs_page
    page.refresh()
    qtbot.waitUntil(lambda: damaged in page.runs, timeout=20_000)
    assert page.runs[damaged].status == "unreadable"
    page.select_run(damaged)
    details = page.details.toPlainText()
    assert details.startswith("Error: run.json cannot be read") and "open model/ on the Model page" in details


def test_selected_runs_are_compared_on_the_settings_that_differ(window, qtbot):
    runs_dir = window.controller.runs_dir
    slow = make_run(runs_dir / "slow", "completed", [1.0, 0.9], learning_rate=5e-5)
    fast = make_run(runs_dir / "fast", "completed", [1.0, 0.5], learning_rate=2e-4, epochs=5)
    page = window.runs_page
    page.refresh()
    qtbot.waitUntil(lambda: set(page.runs) == {slow, fast}, timeout=20_000)
    page.select_run(slow)
    assert page.details.isVisibleTo(page) and not page.differences.isVisibleTo(page)
    assert '"learning_rate": 5e-05' in page.details.toPlainText()
    assert "preset" not in page.details.toPlainText()  # a fine-tuning run has no preset
    page.table.selectAll()
    assert page.differences.isVisibleTo(page) and not page.details.isVisibleTo(page)
    names = [page.differences.horizontalHeaderItem(c).text() for c in range(page.differences.columnCount())]
    rows = page.differences.rows()
    assert rows == {
        "epochs": [{"slow": "3", "fast": "5"}[name] for name in names],
        "learning_rate": [{"slow": "5e-05", "fast": "0.0002"}[name] for name in names],
    }


def test_the_list_follows_the_run_store_without_refresh(window, qtbot):
    runs_dir = window.controller.runs_dir
    page = window.runs_page
    first = make_run(runs_dir / "first", "running", [1.0])
    page.refresh()
    qtbot.waitUntil(lambda: first in page.runs, timeout=20_000)
    second = make_run(runs_dir / "second", "completed", [1.0, 0.5])  # written by another process, say
    qtbot.waitUntil(lambda: second in page.runs, timeout=20_000)
    RunFolder(first).update_info(status="completed")
    qtbot.waitUntil(lambda: page.runs[first].status == "completed", timeout=20_000)
    item = next(
        page.table.topLevelItem(r)
        for r in range(page.table.topLevelItemCount())
        if page.table.topLevelItem(r).text(0) == "first"
    )
    assert item.text(1) == "completed"


def test_a_finished_run_of_this_window_is_not_shown_running(window, qtbot):
    runs_dir = window.controller.runs_dir
    done = make_run(runs_dir / "done", "completed", [1.0, 0.5])
    window.controller.running_run = done  # the training thread has not ended yet
    page = window.runs_page
    page.refresh()
    qtbot.waitUntil(lambda: done in page.runs, timeout=20_000)
    assert page.table.topLevelItem(0).text(1) == "completed"
    window.controller.running_run = None


def test_the_settings_that_differ_are_shown_beside_the_curves(window, qtbot):
    """Found under Xvfb: with two runs selected the difference table got no width in the splitter."""
    runs_dir = window.controller.runs_dir
    slow = make_run(runs_dir / "slow", "completed", [1.0, 0.9], learning_rate=5e-5)
    fast = make_run(runs_dir / "fast", "completed", [1.0, 0.5], learning_rate=2e-4)
    window.go_to("Runs")
    page = window.runs_page
    qtbot.waitUntil(lambda: set(page.runs) == {slow, fast}, timeout=20_000)
    page.select_run(slow)
    qtbot.waitUntil(lambda: page.details.width() > 200, timeout=5_000)
    page.table.selectAll()
    qtbot.waitUntil(lambda: page.differences.isVisible(), timeout=5_000)
    assert page.differences.width() > 200 and page.differences.height() > 100
    assert page.differences.rows()["learning_rate"]


def test_the_compare_plot_without_runs_chosen_reads_whole_steps(window, qtbot):
    """Found in the new-user pass: the empty compare plot read step 0.1 .. 0.9 (pyqtgraph's 0 .. 1)."""
    runs_dir = window.controller.runs_dir
    page = window.runs_page
    make_run(runs_dir / "a", "completed", [0.9, 0.7, 0.5])
    page.refresh()
    qtbot.waitUntil(lambda: len(page.runs) == 1, timeout=10_000)
    page.select_run(str(runs_dir / "a"))
    qtbot.waitUntil(lambda: page.curve_count() == 1, timeout=10_000)
    page.table.clearSelection()
    qtbot.waitUntil(lambda: page.curve_count() == 0, timeout=10_000)
    x_range, y_range = page.overlay_plot.getViewBox().viewRange()
    assert x_range == pytest.approx([0.0, 10.0]) and y_range == pytest.approx([0.0, 1.0])
