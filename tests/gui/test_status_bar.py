"""The status bar says what the window computes (found in the new-user pass: "Ready" while the
playground predicted and while attributions computed) and returns to the real state afterwards."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import make_tiny_model_dir
from tests.gui.conftest import error_dialogs

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


@pytest.fixture
def classifier(tmp_path):
    return make_tiny_model_dir(tmp_path / "classifier", "classification", ["neg", "pos"])


def open_model(window, qtbot, path) -> None:
    window.open_model(path)
    qtbot.waitUntil(lambda: window.controller.model_path == path, timeout=20_000)
    qtbot.waitUntil(lambda: window.activity_label.text() == "Ready", timeout=20_000)


def test_the_status_bar_says_predicting_while_the_playground_predicts(window, qtbot, classifier):
    open_model(window, qtbot, classifier)
    window.go_to("Evaluate")
    playground = window.evaluate_page.playground
    qtbot.waitUntil(lambda: playground.predict_button.isEnabled(), timeout=10_000)
    playground.try_text("the movie was good", "")
    assert window.activity_label.text() == "Predicting..."
    qtbot.waitUntil(lambda: "%" in playground.prediction_label.text(), timeout=30_000)
    assert window.activity_label.text() == "Ready"


def test_the_status_bar_comes_back_when_a_prediction_fails(window, qtbot, classifier, tmp_path):
    broken = shutil.copytree(classifier, tmp_path / "broken")
    open_model(window, qtbot, broken)
    for weights in broken.glob("*.safetensors"):
        weights.write_bytes(b"not weights")  # damaged after it was opened: loading it fails
    window.go_to("Evaluate")
    playground = window.evaluate_page.playground
    qtbot.waitUntil(lambda: playground.predict_button.isEnabled(), timeout=10_000)
    playground.try_text("the movie was good", "")
    assert window.activity_label.text() == "Predicting..."
    qtbot.waitUntil(lambda: bool(error_dialogs()), timeout=30_000)
    assert window.activity_label.text() == "Ready"


def test_the_status_bar_says_computing_attributions_until_they_are_shown(window, qtbot, classifier):
    open_model(window, qtbot, classifier)
    window.go_to("Inspect")
    slot = window.inspect_page
    qtbot.waitUntil(lambda: slot.page is not None, timeout=60_000)
    page = slot.page
    qtbot.waitUntil(lambda: page.model is not None, timeout=30_000)
    qtbot.waitUntil(lambda: window.activity_label.text() == "Ready", timeout=30_000)
    page.compute_attributions()
    assert window.activity_label.text() == "Computing attributions..."
    qtbot.waitUntil(lambda: "completeness error" in page.attribution_note.text(), timeout=60_000)
    assert window.activity_label.text() == "Ready"

    page.compute_attributions()
    page.text.setText("the book was bad")  # changed meanwhile: the result is not shown, nor is "computing"
    assert window.activity_label.text() == "Computing attributions..."
    qtbot.waitUntil(lambda: "text changed" in page.attribution_note.text(), timeout=60_000)
    qtbot.waitUntil(lambda: window.activity_label.text() == "Ready", timeout=60_000)
