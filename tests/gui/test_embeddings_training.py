"""The Embeddings page's Across training tab: a run's validation rows at each stored checkpoint,
scrubbed with the slider and by clicking the loss curve, coloured by label, prediction or correctness."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from tests.core.training_fixtures import checkpointed_run
from tests.gui.conftest import error_dialogs

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return checkpointed_run(tmp_path_factory.mktemp("across_training"))


@pytest.fixture
def tab(qtbot, run_dir, tmp_path, monkeypatch):
    from bertstudio.gui.pages.embeddings_page import EmbeddingsPage
    from bertstudio.gui.workers import BackgroundJob

    monkeypatch.setenv("BERTSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    page = EmbeddingsPage()
    qtbot.addWidget(page)
    page.resize(1100, 800)
    page.set_runs_dir(run_dir.parent)
    page.show()
    page.tabs.setCurrentWidget(page.training_tab)
    yield page.training_tab
    BackgroundJob.wait_all(60_000)


def test_the_workspace_runs_are_listed_and_projected_at_each_checkpoint(qtbot, tab, run_dir):
    assert tab.run_combo.count() == 1 and tab.run_combo.currentData() == run_dir
    tab.project_button.click()
    assert tab.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: tab.projection is not None, timeout=60_000)
    assert "24 validation rows at 3 checkpoints" in tab.label.text()
    assert tab.slider.maximum() == 2 and tab.slider.value() == 2  # the last checkpoint first
    last = tab.projection.frames[2]
    np.testing.assert_array_equal(tab.projector.points, last.points)
    assert "checkpoint step 6" in tab.frame_label.text() and "accuracy" in tab.frame_label.text()
    tab.slider.setValue(0)
    np.testing.assert_array_equal(tab.projector.points, tab.projection.frames[0].points)
    assert "start (step 0)" in tab.frame_label.text() and "no predictions" in tab.frame_label.text()
    assert tab.marker.value() == 0
    assert not error_dialogs()


def test_colour_by_label_prediction_and_correctness(qtbot, tab):
    tab.open_run(tab.run_combo.currentData())
    qtbot.waitUntil(lambda: tab.projection is not None, timeout=60_000)
    projection, view = tab.projection, tab.projector
    assert view.groups == projection.rows.labels and sorted(view.group_names) == ["neg", "pos"]
    tab.colour_combo.setCurrentText("Prediction")
    assert view.groups == projection.frames[2].predicted
    tab.colour_combo.setCurrentText("Correct / wrong")
    assert view.groups == projection.correctness(projection.frames[2])
    assert set(view.group_names) <= {"correct", "wrong"}
    tab.slider.setValue(0)  # the start model has no head: said so, not guessed
    assert view.group_names == ["(no prediction: no head yet)"]


def test_clicking_the_loss_curve_jumps_to_the_nearest_checkpoint(qtbot, tab):
    tab.open_run(tab.run_combo.currentData())
    qtbot.waitUntil(lambda: tab.projection is not None, timeout=60_000)
    curve = tab.curve
    box = curve.getPlotItem().vb
    losses = dict(tab.projection.losses)
    qtbot.waitUntil(lambda: box.viewRange()[0][1] >= 6, timeout=5_000)  # the curve is drawn
    spot = curve.mapFromScene(box.mapViewToScene(QPointF(3.2, losses[3])))
    QTest.mouseClick(curve.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, spot)
    assert tab.slider.value() == 1 and tab.current_frame().step == 3
    np.testing.assert_array_equal(tab.projector.points, tab.projection.frames[1].points)


def test_clicking_a_point_lists_its_neighbours_at_that_checkpoint(qtbot, tab):
    tab.open_run(tab.run_combo.currentData())
    qtbot.waitUntil(lambda: tab.projection is not None, timeout=60_000)
    view = tab.projector
    found = view.point_near(*view.points[5])
    spot = view.mapFromScene(view.view_box.mapViewToScene(QPointF(*view.points[5])))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, spot)
    vectors = tab.current_frame().vectors
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = unit @ unit[found]
    scores[found] = -np.inf
    expected = np.argsort(-scores, kind="stable")[:10]
    texts = tab.projection.rows.texts
    assert [tab.neighbours.item(r, 3).text() for r in range(10)] == [texts[i] for i in expected]
    assert texts[found][:100] in tab.neighbours_label.text()


def test_the_table_projector_colours_by_the_open_models_predictions_and_correctness(qtbot, tab, run_dir):
    """The run's exported classifier opened as the page's model, its own table projected."""
    import csv

    from bertstudio.data import DETECT

    page = tab.parent()
    while not hasattr(page, "projector_tab"):
        page = page.parent()
    projector = page.projector_tab
    page.set_model(run_dir / "model")
    page.set_data(run_dir.parent / "sentiment.csv", DETECT, "text")
    page.tabs.setCurrentWidget(projector)
    page.build_button.click()
    qtbot.waitUntil(lambda: page.index is not None, timeout=30_000)
    colours = [projector.colour_combo.itemText(i) for i in range(projector.colour_combo.count())]
    assert colours == ["(none)", "text", "label", "prediction (the model's head)", "correct / wrong vs label"]
    projector.project_button.click()
    qtbot.waitUntil(lambda: projector.positions_shown, timeout=30_000)
    projector.colour_combo.setCurrentText("prediction (the model's head)")
    qtbot.waitUntil(lambda: projector.predictions is not None, timeout=30_000)
    with open(run_dir / "eval" / "validation_predictions.csv", encoding="utf-8", newline="") as handle:
        expected = {int(r["line"]): (r["predicted"], r["label"]) for r in csv.DictReader(handle)}
    lines = page.index.table.line_numbers[page.index.entry.rows]
    shown = dict(zip(map(int, lines), projector.projector.groups))
    assert {line: shown[line] for line in expected} == {line: p for line, (p, _) in expected.items()}
    projector.colour_combo.setCurrentText("correct / wrong vs label")
    shown = dict(zip(map(int, lines), projector.projector.groups))
    assert {line: shown[line] for line in expected} == {
        line: "correct" if p == g else "wrong" for line, (p, g) in expected.items()
    }
    page.set_model(run_dir.parent / "tiny_model")  # no head: the prediction colours go
    assert "prediction (the model's head)" not in [
        projector.colour_combo.itemText(i) for i in range(projector.colour_combo.count())
    ]
