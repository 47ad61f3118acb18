"""Sentence similarity in the window: its column roles on the Data page, and what Start trains."""

from __future__ import annotations

import pytest

from tests.core.test_sentence_similarity import pair_rows
from tests.core.training_fixtures import write_csv

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


@pytest.mark.parametrize("score", [None, "score"], ids=["pairs", "scored"])
def test_similarity_columns_are_titled_by_role_and_trained_as_shown(
    window, qtbot, tmp_path, tiny_encoder_dir, score
):
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path is not None, timeout=20_000)
    rows = [(a, p, s, a[::-1]) for a, p, s in pair_rows(40)]
    columns = ["anchor", "positive", "score", "negative"]
    window.controller.import_data(write_csv(tmp_path / "pairs.csv", columns, rows))
    imported = window.controller.data_import
    qtbot.waitUntil(lambda: imported.whole, timeout=30_000)
    tab = window.data_page.columns_tab
    tab.task_combo.setCurrentIndex(tab.task_combo.findData("sentence_similarity"))
    tab.text_combo.setCurrentText("anchor")
    tab.pair_combo.setCurrentText("positive")
    tab.label_combo.setCurrentText(score or "(none)")
    tab.negative_combo.setCurrentText("(none)" if score else "negative")
    qtbot.waitUntil(lambda: imported.usable, timeout=20_000)
    assert [label.text() for label in tab.role_labels.values()] == [
        "Anchor text",
        "Positive / second text",
        "Hard negative (optional)",
        "Similarity score (optional)",
    ]
    assert tab.pair_combo.isEnabled() and tab.negative_combo.isEnabled()
    window.data_page.use_button.click()
    config = window.controller.run_config()
    assert config.task == "sentence_similarity" == window.train_page.form.task_combo.currentData()
    assert (config.text_column, config.text_pair_column) == ("anchor", "positive")
    assert config.label_columns == ([score] if score else [])
    assert config.negative_column == ("" if score else "negative")
    assert config.best_metric == ("spearman" if score else "mrr")
    form = window.train_page.form
    assert form.fields["metric_for_best"].currentText() == config.best_metric  # shown as trained
    shown = form.data_label.text()
    assert "anchor + positive" in shown and "?" not in shown
    assert ("hard negatives negative" in shown) == (score is None)
    tab.task_combo.setCurrentIndex(tab.task_combo.findData("classification"))  # reads no hard negative
    assert not tab.negative_combo.isEnabled() and imported.mapping.negative is None
