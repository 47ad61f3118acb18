"""The window offers every task of the registry, titled and defaulted by its spec."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox

from bertstudio.tasks import all_tasks, fine_tuning_tasks, get_task

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


def combo_items(combo: QComboBox) -> dict[str, str]:
    return {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}


def test_task_combos_offer_every_task_with_its_title(window):
    train_combo = window.train_page.findChild(QComboBox, "taskCombo")
    data_combo = window.data_page.findChild(QComboBox, "taskCombo")
    assert combo_items(train_combo) == {spec.name: spec.title for spec in all_tasks()}
    assert combo_items(data_combo) == {spec.name: spec.title for spec in fine_tuning_tasks()}


@pytest.mark.parametrize("task", [spec.name for spec in all_tasks()])
def test_choosing_a_task_fills_its_spec_defaults(window, task):
    window.controller.apply_settings(learning_rate=0.25, epochs=9)  # the person's, for another task
    combo = window.train_page.findChild(QComboBox, "taskCombo")
    combo.setCurrentIndex(combo.findData(task))
    window.controller.apply_task_defaults()
    spec = get_task(task)
    config = window.controller.run_config()
    assert config.task == task
    assert config.learning_rate == spec.defaults.learning_rate
    assert config.epochs == spec.defaults.epochs
    assert config.batch_size == spec.defaults.batch_size
    assert config.best_metric == (spec.best_metric_without_label or spec.best_metric)  # no label mapped
    metric_box = window.findChild(QComboBox, "field_metric_for_best")
    assert [metric_box.itemText(i) for i in range(metric_box.count())] == list(spec.metrics)
