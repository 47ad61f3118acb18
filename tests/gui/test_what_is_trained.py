"""What Start trains is what the window shows (issue 11): the mapping, the task and the Train page's
summary come from the controller; settings do not leak between contexts; Resume then Start trains a
new run; stable names for automation; open_path opens what a drop opens."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from tests.conftest import make_tiny_model_dir
from tests.gui.conftest import error_dialogs, write_reviews

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")

FINE_TUNING = ("classification", "pair_classification", "multi_label")


def write_articles(path: Path) -> Path:
    """Two text columns (a description and its summary) and a section: suggested as sentence pairs."""
    words = ("good", "bad", "great", "boring", "fun", "sad")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "text_pair", "section"])
        for i in range(40):
            word = words[i % len(words)]
            writer.writerow(
                [
                    f"the movie was very {word} and the plot was long",
                    f"in short a {word} film with a story",
                    f"s{i % 2}",
                ]
            )
    return path


@pytest.fixture
def articles(window, qtbot, tmp_path, tiny_encoder_dir):
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path is not None, timeout=20_000)
    window.controller.import_data(write_articles(tmp_path / "articles.csv"))
    imported = window.controller.data_import
    qtbot.waitUntil(lambda: imported.whole and imported.usable, timeout=30_000)
    assert imported.mapping.task == "pair_classification" and imported.mapping.text_pair == "text_pair"
    return window


def choose_on_data_page(window, qtbot, task: str) -> None:
    """Pick the task on the Data page as a person would; a pair task gets its second text back."""
    tab = window.data_page.columns_tab
    tab.task_combo.setCurrentIndex(tab.task_combo.findData(task))
    if task == "pair_classification":
        tab.pair_combo.setCurrentText("text_pair")
    qtbot.waitUntil(lambda: window.controller.data_import.usable, timeout=20_000)


def assert_trains_as_shown(window, task: str) -> None:
    from bertstudio.tasks import get_task

    config = window.controller.run_config()
    form, tab = window.train_page.form, window.data_page.columns_tab
    assert config.task == task == form.task_combo.currentData() == tab.task_combo.currentData()
    shown_pair = "" if tab.pair_combo.currentText() == "(none)" else tab.pair_combo.currentText()
    if get_task(task).reads("text_pair"):  # read (optional for some tasks): trained as shown
        assert tab.pair_combo.isEnabled() and config.text_pair_column == shown_pair
    else:  # not read: cleared and greyed out, never trained on
        assert not tab.pair_combo.isEnabled() and shown_pair == "" and config.text_pair_column == ""
    if task == "pair_classification":
        assert config.text_pair_column == "text_pair"
    assert ("+ text_pair" in form.data_label.text()) == (config.text_pair_column == "text_pair")
    assert config.text_column == "text" and config.label_columns == ["section"]


@pytest.mark.parametrize("order", list(itertools.permutations(FINE_TUNING)))
def test_switching_tasks_in_any_order_trains_exactly_what_is_shown(articles, qtbot, order):
    window = articles
    for task in order:
        choose_on_data_page(window, qtbot, task)
        window.data_page.use_button.click()
        assert_trains_as_shown(window, task)
    for task in reversed(order):  # and on the Train page, after the data is in use
        form = window.train_page.form
        form.task_combo.setCurrentIndex(form.task_combo.findData(task))
        if task == "pair_classification" and not window.controller.run_config().text_pair_column:
            choose_on_data_page(window, qtbot, task)  # a task that reads no pair cleared it: choose it again
            window.data_page.use_button.click()
        assert_trains_as_shown(window, task)


def test_run_json_says_what_the_train_page_showed(articles, qtbot):
    """Found: pair -> text classification greyed 'Second text' out but still trained on the pair."""
    window = articles
    window.data_page.use_button.click()
    form = window.train_page.form
    form.task_combo.setCurrentIndex(form.task_combo.findData("classification"))
    shown = form.data_label.text()
    assert "text_pair" not in shown
    window.controller.apply_settings(max_steps=2, batch_size=8, max_length=24)
    window.train_page.controls.start_button.click()
    qtbot.waitUntil(lambda: not window.controller.is_running(), timeout=60_000)
    assert not error_dialogs()
    written = json.loads((window.controller.session.run_dir / "run.json").read_text())["config"]
    assert (written["task"], written["text_column"]) == ("classification", "text")
    assert not written.get("text_pair_column")  # not trained on, not even written down
    assert written["label_columns"] == ["section"] and written["max_steps"] == 2


def test_the_demos_learning_rate_gives_way_to_the_next_models_defaults(window, qtbot, tiny_encoder_dir):
    """Found: the demo's 1e-3 stayed when a real model was opened (its task default is 5e-5)."""
    controller, form = window.controller, window.train_page.form
    window.open_demo()
    qtbot.waitUntil(lambda: controller.data is not None, timeout=60_000)
    assert controller.settings.learning_rate == 1e-3 and form.field_value("learning_rate") == 1e-3
    form.fields["batch_size"].setValue(8)  # the person's own choice
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: controller.model_path == tiny_encoder_dir, timeout=20_000)
    assert form.field_value("learning_rate") == 5e-5 and controller.run_config().learning_rate == 5e-5
    assert controller.run_config().batch_size == 8 and "Kept your batch size 8" in form.notice_label.text()
    form.fields["learning_rate"].setCurrentText("2e-5")  # the person's rate does not carry to another model
    window.open_model(make_tiny_model_dir(controller.models_dir / "another"))
    qtbot.waitUntil(lambda: controller.model_path.name == "another", timeout=20_000)
    assert controller.run_config().learning_rate == 5e-5
    assert "learning rate 5e-05" in form.notice_label.text() and "did not apply" in form.notice_label.text()


def test_resume_then_start_trains_a_new_run_and_speaks_of_the_windows_controls(
    window, qtbot, tmp_path, tiny_encoder_dir
):
    """Found: after Resume from the Runs page, Start failed with 'bertstudio train --resume RUN_DIR'."""
    controller = window.controller
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: controller.model_path is not None, timeout=20_000)
    controller.import_data(write_reviews(tmp_path / "reviews.csv", rows=60))
    qtbot.waitUntil(lambda: controller.data_import.usable, timeout=30_000)
    controller.use_data()
    controller.apply_settings(max_steps=200, batch_size=8, max_length=24, run_name="mine")
    controller.start_run()
    assert window.train_page.form.run_name.text() == ""  # a typed name names one run
    monitor = window.train_page.monitor
    qtbot.waitUntil(lambda: monitor.curves.point_count() >= 2, timeout=60_000)
    window.train_page.cancel()
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=60_000)
    first = controller.runs_dir / "mine"
    runs = window.runs_page
    qtbot.waitUntil(lambda: str(first) in runs.runs and runs.runs[str(first)].resumable, timeout=20_000)
    runs.select_run(str(first))
    runs.resume_button.click()
    assert controller.is_running() and window.train_page.form.run_name.text() == "mine"  # its own, shown
    qtbot.waitUntil(lambda: monitor.curves.point_count() >= 4, timeout=60_000)
    window.train_page.cancel()
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=60_000)
    assert window.train_page.form.run_name.text() == ""  # the form shows the next run again
    controller.apply_settings(max_steps=2)
    window.train_page.controls.start_button.click()
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=60_000)
    assert not error_dialogs(), [d.what_label.text() for d in error_dialogs()]
    assert controller.session.run_dir != first and (controller.session.run_dir / "model").is_dir()

    window.train_page.form.run_name.setText("mine")
    window.train_page.form.run_name.textEdited.emit("mine")
    window.train_page.controls.start_button.click()  # that name is taken: the dialog names the controls
    dialogs = error_dialogs()
    assert len(dialogs) == 1 and "already exists" in dialogs[0].what_label.text()
    hint = dialogs[0].hint_label.text()
    assert "Run name" in hint and "Runs page" in hint and "bertstudio" not in hint
    dialogs[0].close()


AUTOMATION_NAMES = {
    "dataPage": ("taskCombo", "textColumnCombo", "textPairColumnCombo", "labelColumnCombo", "useDataButton"),
    "trainPage": ("taskCombo", "learningRateInput"),
}


def test_stable_object_names_for_automation(window):
    for page_name, names in AUTOMATION_NAMES.items():
        page = window.findChild(QWidget, page_name)
        for name in names:
            assert page.findChild(QWidget, name) is not None, (page_name, name)


def test_open_path_opens_a_model_folder_or_imports_a_data_file(window, qtbot, tmp_path, tiny_encoder_dir):
    window.open_path(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path == tiny_encoder_dir, timeout=20_000)
    assert window.stack.currentWidget() is window.model_page
    data = write_reviews(tmp_path / "reviews.csv")
    window.open_path(data)
    assert window.stack.currentWidget() is window.data_page
    qtbot.waitUntil(lambda: window.controller.data_import.usable, timeout=30_000)
    assert window.controller.data_import.path == data
    window.open_path(tmp_path / "gone.csv")
    dialogs = error_dialogs()
    assert len(dialogs) == 1 and "no longer exists" in dialogs[0].what_label.text()
    dialogs[0].close()
