"""The whole flow on a tiny real model: import -> map -> train a few steps on the worker thread ->
curves have points -> evaluate -> predict -> batch predict; pause / resume / cancel, and resuming a
cancelled run from the Runs page; a soak test of the live curves while a run trains."""

from __future__ import annotations

import csv
import time

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import error_dialogs, write_reviews

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


@pytest.fixture
def ready(window, qtbot, tmp_path, tiny_encoder_dir):
    """A window with the tiny model open and the reviews imported and handed to the Train page."""
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path is not None, timeout=20_000)
    page = window.data_page
    page.import_file(write_reviews(tmp_path / "reviews.csv", rows=80))
    qtbot.waitUntil(
        lambda: page.data_import.report is not None and page.use_button.isEnabled(), timeout=30_000
    )
    page.use_button.click()
    train = window.train_page
    assert train.controller.task == "classification" and train.controls.start_button.isEnabled()
    train.controller.apply_settings(batch_size=8, learning_rate=1e-3, max_length=32)
    return window


def test_import_train_evaluate_predict(ready, qtbot, tmp_path):
    window, train = ready, ready.train_page
    qtbot.waitUntil(lambda: window.inspect_page.page is not None, timeout=30_000)
    assert "reviews.csv, review" in window.inspect_page.page.imported_data_action.text()  # statistics ready
    train.controller.apply_settings(max_steps=12)
    train.controller.apply_settings(eval_every_steps=4)
    train.controls.start_button.click()
    assert (
        train.is_running()
        and not train.controls.start_button.isEnabled()
        and train.controls.cancel_button.isEnabled()
    )
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    assert not error_dialogs()
    train.monitor.curves.redraw()
    assert train.monitor.curves.point_count() == 12
    assert len(train.monitor.curves.smooth_curve.xData) == 12
    assert train.monitor.curves.eval_series["loss"].size == 3  # validation at steps 4, 8, 12
    assert (
        train.monitor.progress.value() == 12 and "Finished (completed)" in train.monitor.result_label.text()
    )
    assert (
        "samples/s" in train.monitor.throughput_label.text()
        and "tokens/s" in train.monitor.throughput_label.text()
    )
    assert (
        "Step 12 / 12" in train.monitor.progress_label.text()
        or "Finished" in train.monitor.progress_label.text()
    )

    evaluate = window.evaluate_page
    qtbot.waitUntil(lambda: evaluate.results.split_combo.count() > 0, timeout=20_000)
    metrics = {
        evaluate.results.metrics_table.item(r, 0).text()
        for r in range(evaluate.results.metrics_table.rowCount())
    }
    assert {"accuracy", "macro_f1", "loss"} <= metrics
    assert evaluate.results.matrix_view.labels == ["neg", "pos"]
    total = int(evaluate.results.matrix_view.matrix.sum())
    assert total == len(evaluate.results.current().rows) > 0
    evaluate.results.show_cell(1, 1)
    assert evaluate.results.examples.rowCount() == int(evaluate.results.matrix_view.matrix[1, 1])

    trained = train.controller.session.run_dir / "model"  # the playground tries the model just trained
    qtbot.waitUntil(
        lambda: evaluate.playground.model() is not None and evaluate.playground.model().model_dir == trained,
        timeout=20_000,
    )
    assert "best model" in evaluate.playground.picker.combo.currentText()
    evaluate.playground.predict_input.setPlainText("the movie was very good")
    evaluate.playground.predict_button.click()
    qtbot.waitUntil(lambda: bool(evaluate.playground.bars.bars), timeout=30_000)
    assert {label for label, _ in evaluate.playground.bars.bars} == {"neg", "pos"}
    assert sum(score for _, score in evaluate.playground.bars.bars) == pytest.approx(1.0, abs=1e-5)

    source = write_reviews(tmp_path / "unlabelled.csv", rows=10)
    evaluate.batch.set_batch_input(source)
    evaluate.batch.batch_output.setText(str(tmp_path / "out.csv"))
    evaluate.batch.batch_button.click()
    qtbot.waitUntil(lambda: "Wrote" in evaluate.batch.batch_status.text(), timeout=30_000)
    with open(tmp_path / "out.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 10 and {"review", "predicted", "p_neg", "p_pos"} <= set(rows[0])


def test_curves_export_png_and_csv_after_training(ready, qtbot, tmp_path):
    train = ready.train_page
    train.controller.apply_settings(max_steps=5)
    train.start()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    train.monitor.curves.export_csv(tmp_path / "curves.csv")
    lines = (tmp_path / "curves.csv").read_text().splitlines()
    assert lines[0].startswith("step,epoch,train_loss,train_loss_smoothed,learning_rate")
    assert len(lines) == 6
    train.monitor.curves.export_png(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pause_resume_cancel_then_resume_from_the_runs_page(ready, qtbot):
    window, train = ready, ready.train_page
    train.controller.apply_settings(max_steps=400)
    train.start()
    qtbot.waitUntil(lambda: train.monitor.curves.point_count() >= 3, timeout=60_000)
    train.controls.pause_button.click()
    assert train.controls.pause_button.text() == "Resume"
    time.sleep(0.5)
    qtbot.wait(300)
    paused_at = train.monitor.curves.point_count()
    qtbot.wait(700)
    assert train.monitor.curves.point_count() == paused_at  # no step while paused
    train.controls.pause_button.click()
    qtbot.waitUntil(lambda: train.monitor.curves.point_count() > paused_at, timeout=30_000)
    train.controls.cancel_button.click()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    assert "Cancelled" in train.monitor.result_label.text()
    stopped_at = train.monitor.curves.point_count()
    assert stopped_at < 400

    runs = window.runs_page
    run_dir = str(train.controller.session.run_dir)
    qtbot.waitUntil(lambda: run_dir in runs.runs and runs.runs[run_dir].resumable, timeout=20_000)
    assert runs.runs[run_dir].status == "cancelled"
    runs.select_run(run_dir)
    assert runs.resume_button.isEnabled()
    qtbot.waitUntil(lambda: runs.curve_count() == 1, timeout=20_000)
    from tests.conftest import make_tiny_model_dir

    other_model = make_tiny_model_dir(ready.controller.models_dir / "other")  # not what the run trains
    ready.open_model(other_model)
    qtbot.waitUntil(lambda: ready.controller.model_path == other_model, timeout=20_000)
    runs.resume_button.click()
    assert train.is_running()
    assert "(this run's)" in train.form.model_label.text() and "reviews.csv" in train.form.data_label.text()
    qtbot.waitUntil(lambda: train.monitor.curves.point_count() > stopped_at + 2, timeout=60_000)
    train.cancel()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    assert train.form.model_label.text() == "other"  # back to what is open
    steps = train.monitor.curves.train_loss.steps
    assert list(steps) == sorted(set(steps))  # the resumed curve continues, no doubled stretch

    # a run whose process died (status still "running", its pid gone) shows as interrupted and resumable
    from bertstudio.training.run_store import RunFolder

    RunFolder(run_dir).update_info(status="running", pid=2**22 + 12345)
    runs.refresh()
    qtbot.waitUntil(lambda: runs.runs[run_dir].status == "interrupted", timeout=20_000)
    assert runs.runs[run_dir].resumable
    runs.select_run(run_dir)
    assert runs.resume_button.isEnabled()
    assert runs.table.selectedItems()[0].text(1) == "interrupted (resumable)"


def test_the_runs_page_shows_the_step_a_paused_run_reached(ready, qtbot):
    """Found in the new-user pass: a paused run read "Step 0" (or its last checkpoint's step)."""
    window, train = ready, ready.train_page
    train.controller.apply_settings(max_steps=400)
    train.start()
    qtbot.waitUntil(lambda: train.monitor.curves.point_count() >= 3, timeout=60_000)
    train.controls.pause_button.click()
    qtbot.waitUntil(lambda: "Paused." in window.log_panel.toPlainText(), timeout=30_000)
    curves = train.monitor.curves
    reached = int(curves.train_loss.steps[-1])
    assert reached >= 3
    runs = window.runs_page
    run_dir = str(train.controller.session.run_dir)

    def row() -> list[str]:
        items = [runs.table.topLevelItem(i) for i in range(runs.table.topLevelItemCount())]
        item = next((i for i in items if i.data(0, Qt.ItemDataRole.UserRole) == run_dir), None)
        return [item.text(c) for c in range(item.columnCount())] if item is not None else []

    qtbot.waitUntil(lambda: row()[5:6] == [f"{reached:,}"], timeout=20_000)
    assert row()[1] == "paused (this window)"
    assert int(curves.train_loss.steps[-1]) == reached  # still paused
    train.controls.pause_button.click()
    qtbot.waitUntil(lambda: row()[1:2] == ["running (this window)"], timeout=20_000)
    train.cancel()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)


def test_resuming_a_run_another_holder_is_writing_is_refused_in_a_dialog(ready, qtbot):
    from bertstudio.training.run_lock import hold_run_lock

    train = ready.train_page
    train.controller.apply_settings(max_steps=400)
    train.start()
    qtbot.waitUntil(lambda: train.monitor.curves.point_count() >= 2, timeout=60_000)
    train.cancel()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    run_dir = train.controller.session.run_dir
    with hold_run_lock(run_dir):  # as another window or `bertstudio train --resume` would
        train.controller.resume_run(run_dir)
        qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
        dialogs = error_dialogs()
        assert len(dialogs) == 1 and "in use" in dialogs[0].what_label.text()
        assert str(run_dir) in dialogs[0].what_label.text()
        dialogs[0].close()
    train.controller.resume_run(run_dir)  # free again: the window's own run took the lock and released it
    qtbot.waitUntil(lambda: train.monitor.curves.point_count() > 2, timeout=60_000)
    train.cancel()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    assert not error_dialogs()


def test_a_run_folder_on_a_read_only_disk_is_a_dialog_with_the_message(ready, qtbot, read_only):
    train = ready.train_page
    train.controller.apply_settings(max_steps=400)
    train.start()
    qtbot.waitUntil(lambda: train.monitor.curves.point_count() >= 2, timeout=60_000)
    train.cancel()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    run_dir = train.controller.session.run_dir
    read_only(run_dir)
    train.controller.resume_run(run_dir)
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    dialogs = error_dialogs()
    assert len(dialogs) == 1
    text = dialogs[0].what_label.text()
    assert "read-only" in text.lower() and str(run_dir) in text and "Internal error" not in text
    dialogs[0].close()


def test_starting_without_data_explains_why(window):
    train = window.train_page
    assert not train.controls.start_button.isEnabled()
    assert "Open a model" in train.controls.start_button.toolTip()


def test_soak_live_curves_update_for_30_seconds_while_training(ready, qtbot):
    """Catches binding regressions such as PySide6 6.12.0's abort under pyqtgraph updates."""
    train = ready.train_page
    ready.resize(1000, 700)  # narrow: the step / throughput text is as wide as the plots
    train.controller.apply_settings(max_steps=1_000_000)
    train.start()
    deadline = time.monotonic() + 30
    redraws = 0
    plot_sizes = set()
    while time.monotonic() < deadline:
        qtbot.wait(100)
        train.monitor.curves.log_check.setChecked(redraws % 50 == 25)
        redraws += 1
        assert train.is_running(), train.monitor.result_label.text()
        if redraws > 20:
            plot_sizes.add(train.monitor.curves.loss_plot.size().toTuple())
    points = train.monitor.curves.point_count()
    progress = train.monitor.progress_label.text()  # max steps limits this run: no "epoch x / 3"
    assert "Step " in progress and "epoch " in progress and " / 3" not in progress.split("epoch ")[1]
    train.cancel()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    train.monitor.curves.redraw()  # the timer's next frame, now: every point received is drawn
    assert (
        points > 50
        and len(train.monitor.curves.raw_curve.xData) == train.monitor.curves.point_count() >= points
    )
    assert len(plot_sizes) == 1  # text changing every step never resizes (and so repaints) the plots


def test_pretraining_from_scratch_on_text_files(window, qtbot, tmp_path):
    from PySide6.QtWidgets import QLabel

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(f"the movie number {i} was good and the book was bad" for i in range(200)))
    train = window.train_page
    train.controller.apply_settings(learning_rate=3e-5)
    train.form.task_combo.setCurrentIndex(train.form.task_combo.findData("pretraining"))
    assert not train.controls.start_button.isEnabled()  # no text files yet
    assert train.form.field_value("learning_rate") == 5e-4  # pretraining's defaults, not fine-tuning's
    assert "Pretrain on text files" in train.findChild(QLabel, "pageSubtitle").text()
    train.form.add_corpus_files([corpus])
    assert train.controls.start_button.isEnabled()
    train.form.vocab_spin.setValue(600)
    train.controller.apply_settings(max_steps=3)
    train.controller.apply_settings(batch_size=8)
    train.controller.apply_settings(max_length=32)
    assert train.form.nsp_check.isVisibleTo(train) and train.form.whole_word_check.isVisibleTo(train)
    train.form.nsp_check.setChecked(True)
    train.form.whole_word_check.setChecked(True)
    train.form.probe_edit.setPlainText("the movie was good\n\n  the book was bad  \n")
    config = train.controller.run_config()
    assert (config.task, config.preset, config.vocab_size, config.corpus_paths) == (
        "pretraining",
        "tiny",
        600,
        [str(corpus)],
    )
    assert config.nsp and config.whole_word_mask
    assert config.probe_sentences == ["the movie was good", "the book was bad"]
    train.controls.start_button.click()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=90_000)
    assert not error_dialogs(), [d.what_label.text() for d in error_dialogs()]
    assert (
        train.monitor.curves.point_count() == 3
        and "Finished (completed)" in train.monitor.result_label.text()
    )
    assert train.form.fields["metric_for_best"].currentText() == "loss"
    from bertstudio.inspect import list_probe_steps
    from bertstudio.training import RunFolder

    evals = [r for r in RunFolder(train.controller.session.run_dir).read_events() if r["kind"] == "eval"]
    assert evals and "nsp_accuracy" in evals[-1]["metrics"]  # trained with next-sentence prediction
    assert list_probe_steps(train.controller.session.run_dir)  # the probe sentences were recorded

    saved = tmp_path / "pretrain.toml"  # Load Config brings the objectives and probes back
    config.save_toml(saved)
    train.form.nsp_check.setChecked(False)
    train.form.probe_edit.clear()
    train.controller.apply_settings(corpus_paths=[])
    train.form.load_config(saved)
    again = train.controller.run_config()
    assert again.nsp and again.probe_sentences == config.probe_sentences
    assert again.corpus_paths == [str(corpus)] and again.vocab_size == 600


def test_the_status_bar_says_training_while_a_run_trains(ready, qtbot):
    window, train = ready, ready.train_page
    train.controller.apply_settings(max_steps=400)
    train.start()
    qtbot.waitUntil(lambda: train.monitor.curves.point_count() >= 2, timeout=60_000)
    assert window.activity_label.text().startswith("Training on CPU, ")
    assert (
        window.activity_label.text().count("fp32") == 1 and " 1 threads" not in window.activity_label.text()
    )
    window.controller.busy.emit("Loading the model for inspection...")  # another short task comes and goes
    window.controller.busy.emit("")
    assert window.activity_label.text().startswith("Training on CPU, ")
    train.cancel()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    assert window.activity_label.text() == "Ready"


def test_a_second_run_starts_with_nothing_of_the_first_on_screen(ready, qtbot):
    """Between Start and the first step of the next run: no old throughput, result, curve or read-out."""
    train = ready.train_page
    monitor = train.monitor
    train.controller.apply_settings(max_steps=4)
    train.controls.start_button.click()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    monitor.curves.redraw()
    assert "samples/s" in monitor.throughput_label.text() and monitor.curves.point_count() == 4
    monitor.curves.readout.setText(monitor.curves.describe_point(1))  # as a hover over the curve leaves it
    first_run = train.controller.session.run_dir

    train.controls.start_button.click()  # the same event-loop turn: the worker has sent nothing yet
    assert monitor.throughput_label.text() == "" and monitor.result_label.text() == ""
    assert monitor.progress_label.text().startswith("Preparing")
    assert monitor.curves.point_count() == 0
    assert "step" not in monitor.curves.readout.text()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    assert "Finished (completed)" in monitor.result_label.text()
    assert train.controller.session.run_dir != first_run  # a fresh folder, not the first run's


def test_while_a_run_trains_no_config_is_loaded_and_no_range_test_starts(ready, qtbot, tmp_path):
    """Found under Xvfb: Load Config... and Find LR stayed enabled during a run; loading a config then
    changed the task and settings the form showed while the run trained with others."""
    train = ready.train_page
    form, controller = train.form, train.controller
    controller.apply_task_defaults()
    controller.set_task("multi_label")
    form.save_config(tmp_path / "other.toml")
    controller.set_task("classification")
    controller.apply_settings(max_steps=400, batch_size=8, max_length=32)
    train.start()
    qtbot.waitUntil(lambda: train.monitor.curves.point_count() >= 1, timeout=60_000)
    assert not form.load_config_button.isEnabled() and not train.lr_finder.find_button.isEnabled()
    form.load_config(tmp_path / "other.toml")  # asked directly: refused, nothing changes
    assert controller.task == "classification" and controller.settings.max_steps == 400
    dialogs = error_dialogs()
    assert len(dialogs) == 1 and "training" in dialogs[0].what_label.text()
    dialogs[0].close()
    train.cancel()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    assert form.load_config_button.isEnabled() and train.lr_finder.find_button.isEnabled()
