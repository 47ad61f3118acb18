"""The Model page says which family a checkpoint is and what it can (and cannot) be trained for."""

from __future__ import annotations

import pytest

from tests.core.family_references import save_reference

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")
pytest.importorskip("transformers")


def test_model_page_shows_the_family_and_its_capabilities(window, qtbot, tmp_path):
    folder = tmp_path / "tiny-roberta"
    save_reference(folder, "roberta", "RobertaForMaskedLM")
    window.open_model(folder)
    qtbot.waitUntil(lambda: window.controller.model_path == folder, timeout=20_000)
    labels = window.model_page.summary_labels
    assert labels["family"].text() == "RoBERTa"
    assert labels["task"].text() == "masked_lm"
    assert "token_classification" in labels["tasks"].text() and "pretraining" not in labels["tasks"].text()
    assert "masked_lm" in labels["capabilities"].text() and "token_types" not in labels["capabilities"].text()
