"""The Evaluate page shows every task's scores: per label for multi-label, errors for regression."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from bertstudio.training.eval_results import SplitEvaluation
from bertstudio.training.metrics import compute_metrics

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


def table_rows(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_multi_label_scores_are_listed_per_label(window):
    probabilities = np.array([[0.9, 0.2, 0.7], [0.1, 0.8, 0.6], [0.7, 0.4, 0.2]])
    targets = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    metrics = compute_metrics("multi_label", probabilities, targets, ["sports", "politics", "tech"])
    rows = [{"line": "2", "text": "match report", "label": "sports|tech", "predicted": "sports|tech"}]
    page = window.evaluate_page.results
    page.show_evaluation({"test": SplitEvaluation(metrics=metrics, rows=rows)})
    assert page.per_class_table.isVisibleTo(page)
    assert page.per_class_table.horizontalHeaderItem(0).text() == "Label"
    listed = {row[0]: row for row in table_rows(page.per_class_table)}
    assert set(listed) == {"sports", "politics", "tech"}
    assert float(listed["politics"][2]) == pytest.approx(metrics["per_label"]["politics"]["recall"], abs=1e-4)


def test_regression_lists_the_largest_errors_with_rounded_predictions(window):
    metrics = compute_metrics("regression", np.array([2.94254970, 1.0, 4.5]), np.array([3.0, 1.0, 2.0]))
    rows = [
        {"line": "2", "text": "close", "label": "3.0", "predicted": "2.942549705505371"},
        {"line": "3", "text": "exact", "label": "1.0", "predicted": "1.0"},
        {"line": "4", "text": "far off", "label": "2.0", "predicted": "4.5"},
    ]
    page = window.evaluate_page.results
    page.show_evaluation({"test": SplitEvaluation(metrics=metrics, rows=rows)})
    assert not page.per_class_table.isVisibleTo(page)
    assert page.examples_title.text() == "Examples, largest squared error first (3)"
    assert page.show_errors_button.text() == "All Examples"
    shown = table_rows(page.examples)
    assert [row[1] for row in shown] == ["far off", "close", "exact"]
    assert shown[1][3] == "2.943"


def test_at_the_default_window_size_both_tables_show_every_row_of_an_eight_class_task(window, qtbot):
    names = [f"section{i}" for i in range(8)]
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(8), size=80)
    targets = np.arange(80) % 8
    metrics = compute_metrics("classification", probabilities, targets, names)
    window.go_to("Evaluate")
    page = window.evaluate_page.results
    page.show_evaluation({"test": SplitEvaluation(metrics=metrics, rows=[])})
    qtbot.waitUntil(lambda: page.per_class_table.viewport().height() > 0)
    for table in (page.metrics_table, page.per_class_table):
        rows = table.rowCount()
        assert rows >= (8 if table is page.per_class_table else 4)
        bottom = table.rowViewportPosition(rows - 1) + table.rowHeight(rows - 1)
        assert bottom <= table.viewport().height(), f"{table.objectName()}: the last row is cut off"
        right = table.columnViewportPosition(table.columnCount() - 1) + table.columnWidth(
            table.columnCount() - 1
        )
        assert right <= table.viewport().width() + 1, f"{table.objectName()}: the last column is cut off"


def test_batch_prediction_uses_the_checkpoint_chosen_in_the_picker(make_window, settings, qtbot, tmp_path):
    import csv

    from bertstudio.cli import main
    from tests.core.test_checkpoint_prediction import probabilities, train_tiny_run, write_reviews

    run = train_tiny_run(tmp_path, tmp_path / "workspace" / "runs" / "reviews")
    window = make_window(settings)
    window.go_to("Evaluate")
    picker, batch = window.evaluate_page.playground.picker, window.evaluate_page.batch
    qtbot.waitUntil(lambda: any(choice.checkpoint for choice in picker.choices), timeout=10_000)
    chosen = next(i for i, choice in enumerate(picker.choices) if choice.checkpoint)
    picker.combo.setCurrentIndex(chosen)
    assert "best checkpoint (step 2)" in picker.combo.currentText()
    assert batch.batch_button.isEnabled() and "best checkpoint" in batch.batch_button.toolTip()

    data = write_reviews(tmp_path / "unlabelled.csv", 12)
    batch.set_batch_input(data)
    batch.batch_output.setText(str(tmp_path / "window.csv"))
    batch.batch_button.click()
    qtbot.waitUntil(lambda: "Wrote" in batch.batch_status.text(), timeout=30_000)
    command = ["predict", "--model", str(run / "model"), "--data", str(data), "--text", "text"]
    assert (
        main([*command, "--out", str(tmp_path / "cli.csv"), "--checkpoint", str(picker.current().checkpoint)])
        == 0
    )
    assert main([*command, "--out", str(tmp_path / "export.csv")]) == 0
    shown = probabilities(tmp_path / "window.csv")
    assert shown == probabilities(tmp_path / "cli.csv")
    assert shown != pytest.approx(probabilities(tmp_path / "export.csv"), abs=1e-3)
    with open(tmp_path / "window.csv", newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 12


def test_the_per_class_table_lists_classes_in_the_confusion_matrixs_order(window):
    """Found under Xvfb: enabling sorting took Qt's default descending indicator, so the classes read
    x11, utils, ... admin beside a confusion matrix reading admin ... x11."""
    names = ["admin", "devel", "java", "libs", "python", "utils", "x11"]
    probabilities = np.random.default_rng(1).dirichlet(np.ones(7), size=70)
    metrics = compute_metrics("classification", probabilities, np.arange(70) % 7, names)
    page = window.evaluate_page.results
    page.show_evaluation({"test": SplitEvaluation(metrics=metrics, rows=[])})
    assert [row[0] for row in table_rows(page.per_class_table)] == names


def eleven_class_run(workspace, tmp_path):
    """A real tiny run over eleven sections, evaluated on its test split."""
    from bertstudio.training import run_training
    from tests.conftest import make_tiny_model_dir
    from tests.core.test_checkpoint_prediction import write_reviews
    from tests.core.training_fixtures import run_config

    sections = tuple(f"section{i:02d}" for i in range(11))
    data = write_reviews(tmp_path / "sections.csv", 440, sections)
    model = make_tiny_model_dir(tmp_path / "tiny")
    config = run_config(model, data, workspace / "runs" / "sections", max_length=16, max_steps=2)
    assert run_training(config).status == "completed"
    return sections


def test_at_the_default_window_size_the_per_class_table_of_eleven_classes_shows_every_row(
    make_window, settings, qtbot, tmp_path
):
    """Found in the new-user pass: eleven classes scrolled inside the table; the page may scroll instead."""
    sections = eleven_class_run(tmp_path / "workspace", tmp_path)
    window = make_window(settings)
    assert (window.width(), window.height()) == (1280, 820)
    window.go_to("Evaluate")
    page = window.evaluate_page.results
    qtbot.waitUntil(lambda: page.per_class_table.rowCount() == 11, timeout=20_000)
    qtbot.waitUntil(lambda: page.per_class_table.viewport().height() > 0)
    QApplication.processEvents()
    assert [row[0] for row in table_rows(page.per_class_table)] == list(sections)
    for table in (page.metrics_table, page.per_class_table):
        rows = table.rowCount()
        bottom = table.rowViewportPosition(rows - 1) + table.rowHeight(rows - 1)
        assert bottom <= table.viewport().height(), f"{table.objectName()}: the last row is cut off"
        assert not table.verticalScrollBar().isVisible(), f"{table.objectName()} scrolls"
        right = table.columnViewportPosition(table.columnCount() - 1) + table.columnWidth(
            table.columnCount() - 1
        )
        assert right <= table.viewport().width() + 1, f"{table.objectName()}: the last column is cut off"
    assert page.examples.height() >= 150  # the examples below keep room to read (the page scrolls to them)


def test_the_confusion_matrix_names_eleven_columns_without_overlapping_them(window, qtbot):
    """Found in the new-user pass: 'section00' .. 'section10' ran into each other under the columns."""
    names = [f"section{i:02d}" for i in range(11)]
    probabilities = np.random.default_rng(2).dirichlet(np.ones(11), size=110)
    metrics = compute_metrics("classification", probabilities, np.arange(110) % 11, names)
    window.go_to("Evaluate")
    page = window.evaluate_page.results
    page.show_evaluation({"test": SplitEvaluation(metrics=metrics, rows=[])})
    matrix = page.matrix_view
    qtbot.waitUntil(lambda: matrix.getPlotItem().vb.width() > 0)
    QApplication.processEvents()
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:  # the column labels as the bottom axis draws them, left to right
        texts = sorted(matrix.getAxis("bottom").generateDrawSpecs(painter)[2], key=lambda t: t[0].left())
    finally:
        painter.end()
    assert len({text for _, _, text in texts}) == len(names), [text for _, _, text in texts]
    for (left, _, first), (right, _, second) in zip(texts, texts[1:]):
        assert left.right() < right.left(), f"{first!r} runs into {second!r}"
    assert all(name in row for name, row in zip(names, matrix.row_labels, strict=True))  # which is which
