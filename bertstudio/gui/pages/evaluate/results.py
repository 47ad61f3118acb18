"""Evaluate > Results: a run's metrics, per-class scores, confusion matrix (click a cell to list its
examples) and the misclassified examples, most wrong first."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.controller import AppController
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.pages.evaluate.answers_panel import AnswersPanel
from bertstudio.gui.widgets.heatmap import ConfusionMatrixView
from bertstudio.gui.workers import run_in_background
from bertstudio.training.eval_results import SplitEvaluation, by_loss, read_evaluation, runs_with_evaluation

MAX_EXAMPLES_SHOWN = 2000
COMPACT_ROW = 22  # row height of the metric tables: all classes of a typical task fit without scrolling
ROWS_IN_VIEW = 30  # a metric table shows this many rows without scrolling; the page scrolls instead
EXAMPLES_MINIMUM_HEIGHT = 200  # the examples below the tables keep room to read a few rows
SCORE_TABLES = {"per_class": "Class", "per_label": "Label", "per_type": "Entity type"}


def _rounded(value: str) -> str:
    try:
        return f"{float(value):.4g}"
    except ValueError:
        return value


class ResultsView(QWidget):
    example_chosen = Signal(str, str)  # (text, second text) of a double-clicked example
    run_chosen = Signal(str)  # the run folder now shown

    def __init__(self, controller: AppController) -> None:
        super().__init__()
        self.controller = controller
        self.evaluation: dict[str, SplitEvaluation] = {}

        self.run_combo = QComboBox()
        self.run_combo.setObjectName("evaluateRunCombo")
        self.run_combo.setAccessibleName("Run to evaluate")
        self.run_combo.setMinimumWidth(320)
        self.run_combo.currentIndexChanged.connect(self._run_chosen)
        self.split_combo = QComboBox()
        self.split_combo.setObjectName("evaluateSplitCombo")
        self.split_combo.currentIndexChanged.connect(self._show_split)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(lambda: self.refresh_runs())
        self.metrics_table = QTableWidget(0, 2)
        self.metrics_table.setObjectName("metricsTable")
        self.metrics_table.setAccessibleName("Metrics")
        self.metrics_table.setHorizontalHeaderLabels(["Metric", "Value"])
        self.metrics_table.horizontalHeader().setStretchLastSection(True)
        self.metrics_table.setColumnWidth(0, 180)
        self.metrics_table.verticalHeader().hide()
        self.metrics_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.per_class_table = QTableWidget(0, 5)
        self.per_class_table.setObjectName("perClassTable")
        self.per_class_table.setHorizontalHeaderLabels(["Class", "Precision", "Recall", "F1", "Support"])
        self.per_class_table.verticalHeader().hide()
        self.per_class_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.per_class_table.setSortingEnabled(True)
        self.per_class_table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # Qt starts descending
        self.per_class_table.horizontalHeader().setStretchLastSection(True)
        self.matrix_view = ConfusionMatrixView()
        self.matrix_view.cell_clicked.connect(self.show_cell)
        self.examples_title = QLabel("Misclassified examples, highest loss first")
        self.examples_title.setObjectName("examplesTitle")
        self.examples_title.setStyleSheet("font-weight: 600;")
        self.show_errors_button = QPushButton("All Misclassified")
        self.show_errors_button.clicked.connect(self.show_misclassified)
        self.examples = QTableWidget(0, 5)
        self.examples.setObjectName("examplesTable")
        self.examples.setAccessibleName("Examples")
        self.examples.setHorizontalHeaderLabels(["Line", "Text", "True", "Predicted", "Loss"])
        self.examples.verticalHeader().hide()
        self.examples.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.examples.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.examples.setWordWrap(False)
        self.examples.setColumnWidth(0, 60)
        self.examples.setColumnWidth(1, 560)
        self.examples.horizontalHeader().setStretchLastSection(True)
        self.examples.itemDoubleClicked.connect(self._example_double_clicked)
        self.empty_label = QLabel("Finish a training run to see its evaluation here.")
        self.empty_label.setObjectName("evaluateEmptyLabel")
        self.empty_label.setProperty("role", "muted")

        for table in (self.metrics_table, self.per_class_table):
            table.verticalHeader().setDefaultSectionSize(COMPACT_ROW)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.metrics_table)
        left.addWidget(self.per_class_table)
        left.setSizes([260, 240])
        self.tables_splitter = left
        top = QSplitter()
        top.addWidget(left)
        top.addWidget(self.matrix_view)
        top.setSizes([380, 520])
        examples_box = QWidget()
        examples_layout = QVBoxLayout(examples_box)
        examples_layout.setContentsMargins(0, 0, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(self.examples_title, 1)
        title_row.addWidget(self.show_errors_button)
        examples_layout.addLayout(title_row)
        examples_layout.addWidget(self.examples, 1)
        self.examples_box = examples_box
        self.answers_panel = AnswersPanel()
        self.answers_panel.hide()
        results = QSplitter(Qt.Orientation.Vertical)
        results.addWidget(top)
        results.addWidget(examples_box)
        results.addWidget(self.answers_panel)
        results.setSizes([420, 300, 0])
        results.setChildrenCollapsible(False)
        examples_box.setMinimumHeight(EXAMPLES_MINIMUM_HEIGHT)
        self.results_splitter = results
        scroll = QScrollArea()  # when the tables need more height than the window has, the page scrolls
        scroll.setObjectName("resultsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(results)
        layout = QVBoxLayout(self)
        source_row = QHBoxLayout()
        source_row.addWidget(QLabel("Run"))
        source_row.addWidget(self.run_combo, 1)
        source_row.addWidget(QLabel("Split"))
        source_row.addWidget(self.split_combo)
        source_row.addWidget(refresh)
        layout.addLayout(source_row)
        layout.addWidget(self.empty_label)
        layout.addWidget(scroll, 1)
        controller.run_finished.connect(lambda run_dir: self.refresh_runs(select=run_dir))
        controller.workspace_changed.connect(lambda: self.refresh_runs())
        self.refresh_runs()

    def _fit_tables(self) -> None:
        """Every column of the per-class table in view, and both tables tall enough for all their rows
        (up to ROWS_IN_VIEW): the page scrolls when the window is shorter than that."""
        self.per_class_table.resizeColumnsToContents()
        needs = [
            _table_height(table) if not table.isHidden() else 0
            for table in (self.metrics_table, self.per_class_table)
        ]
        for table, need in zip((self.metrics_table, self.per_class_table), needs, strict=True):
            table.setMinimumHeight(need)
        total = max(sum(self.tables_splitter.sizes()), sum(needs))
        self.tables_splitter.setSizes([needs[0], total - needs[0]])

    # ----- runs -----
    def refresh_runs(self, select: str | None = None) -> None:
        current = select or self.run_combo.currentData()
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        for path in runs_with_evaluation(self.controller.runs_dir):
            self.run_combo.addItem(path.name, str(path))
        self.run_combo.blockSignals(False)
        index = self.run_combo.findData(current) if current else 0
        self.run_combo.setCurrentIndex(max(index, 0))
        self._run_chosen()

    def _run_chosen(self, *_: object) -> None:
        path = self.run_combo.currentData()
        self.empty_label.setVisible(path is None)
        if path is None:
            self.show_evaluation({})
            return
        run_in_background(
            read_evaluation,
            Path(path),
            owner=self,
            on_done=lambda evaluation: self._evaluation_read(path, evaluation),
            on_error=lambda e: show_error(self, e),
        )

    def _evaluation_read(self, path: str, evaluation: dict[str, SplitEvaluation]) -> None:
        if path == self.run_combo.currentData():  # still the chosen run
            self.show_evaluation(evaluation)
            self.run_chosen.emit(path)

    def show_evaluation(self, evaluation: dict[str, SplitEvaluation]) -> None:
        self.evaluation = evaluation
        self.split_combo.blockSignals(True)
        self.split_combo.clear()
        self.split_combo.addItems(list(evaluation))
        self.split_combo.blockSignals(False)
        self._show_split()

    def current(self) -> SplitEvaluation:
        return self.evaluation.get(self.split_combo.currentText()) or SplitEvaluation()

    # ----- showing a split -----
    def _show_split(self, *_: object) -> None:
        metrics = self.current().metrics
        scalars = [
            (k, v) for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
        ]
        self.metrics_table.setRowCount(len(scalars))
        for row, (name, value) in enumerate(scalars):
            self.metrics_table.setItem(row, 0, QTableWidgetItem(name))
            self.metrics_table.setItem(
                row, 1, QTableWidgetItem(f"{value:.4f}" if isinstance(value, float) else str(value))
            )
        # per class (single-label), per label (multi-label) or per entity type (token tagging)
        kind, per_class = next(
            ((title, metrics[key]) for key, title in SCORE_TABLES.items() if metrics.get(key)), ("Class", {})
        )
        self.per_class_table.setHorizontalHeaderItem(0, QTableWidgetItem(kind))
        self.per_class_table.setSortingEnabled(False)
        self.per_class_table.setRowCount(len(per_class))
        for row, (name, scores) in enumerate(per_class.items()):
            self.per_class_table.setItem(row, 0, QTableWidgetItem(name))
            for col, key in enumerate(("precision", "recall", "f1", "support"), start=1):
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.DisplayRole, round(scores.get(key, 0), 4))
                self.per_class_table.setItem(row, col, item)
        self.per_class_table.setSortingEnabled(True)
        self.per_class_table.setVisible(bool(per_class))
        self._fit_tables()
        matrix = metrics.get("confusion_matrix")
        self.matrix_view.setVisible(matrix is not None)
        if matrix is not None:
            self.matrix_view.set_matrix(matrix, metrics.get("labels") or [str(i) for i in range(len(matrix))])
        answers = self.current().answers  # question answering: questions and spans, not labelled rows
        if not answers and not self.results_splitter.sizes()[1]:  # after a QA run: the examples back
            self.results_splitter.setSizes([420, 300, 0])
        self.examples_box.setVisible(not answers)
        self.answers_panel.setVisible(bool(answers))
        if answers:
            self.results_splitter.setSizes([300, 0, 600])
            self.answers_panel.set_answers(answers)
            return
        self.show_misclassified()

    def show_misclassified(self) -> None:
        split = self.current()
        if split.is_regression:
            self.show_errors_button.setText("All Examples")
            self._show_examples(split.wrong_rows(), "Examples, largest squared error first")
        else:
            self.show_errors_button.setText("All Misclassified")
            self._show_examples(split.wrong_rows(), "Misclassified examples, highest loss first")

    def show_cell(self, true_index: int, predicted_index: int) -> None:
        """List the examples of one confusion-matrix cell."""
        labels = self.matrix_view.labels
        true_label, predicted = labels[true_index], labels[predicted_index]
        rows = [
            r for r in self.current().rows if r.get("label") == true_label and r.get("predicted") == predicted
        ]
        self._show_examples(rows, f"True {true_label}, predicted {predicted}")

    def _show_examples(self, rows: list[dict[str, str]], title: str) -> None:
        shown = by_loss(rows)[:MAX_EXAMPLES_SHOWN]
        self.examples_title.setText(f"{title} ({len(rows):,})")
        self.examples.setRowCount(len(shown))
        regression = self.current().is_regression
        for row, (loss, record) in enumerate(shown):
            text = record.get("text", "")
            if record.get("text_pair"):
                text += "  ‖  " + record["text_pair"]
            cells = [
                record.get("line", ""),
                text,
                record.get("label", ""),
                _rounded(record.get("predicted", "")) if regression else record.get("predicted", ""),
                f"{loss:.3f}" if loss is not None else "",
            ]
            for col, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setToolTip(value if col == 1 else "")
                self.examples.setItem(row, col, item)

    def _example_double_clicked(self, item: QTableWidgetItem) -> None:
        text = self.examples.item(item.row(), 1).text().split("  ‖  ")
        self.example_chosen.emit(text[0], text[1] if len(text) > 1 else "")


def _table_height(table: QTableWidget) -> int:
    """Pixels a table needs to show its header and every row (up to ROWS_IN_VIEW) without scrolling."""
    rows = min(table.rowCount(), ROWS_IN_VIEW)
    return table.horizontalHeader().height() + 2 * table.frameWidth() + rows * COMPACT_ROW + 2
