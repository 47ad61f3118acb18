"""Evaluate page: a finished run's metrics, confusion matrix (click a cell to list its examples), per-class
scores, the misclassified examples by loss; a playground for typed text; batch prediction CSV -> CSV."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.settings import Settings
from bertstudio.gui.state import Workbench, model_display_name
from bertstudio.gui.widgets.common import page_header
from bertstudio.gui.widgets.heatmap import ConfusionMatrixView
from bertstudio.gui.workers import run_in_background

SPLITS = ("test", "validation")
MAX_EXAMPLES_SHOWN = 2000


def read_evaluation(run_dir: Path) -> dict[str, Any]:
    """Metrics and predictions of a run's eval/ folder: {split: {"metrics": ..., "rows": [...]}}."""
    result: dict[str, Any] = {}
    eval_dir = run_dir / "eval"
    for split in SPLITS:
        metrics_file = eval_dir / f"{split}_metrics.json"
        if not metrics_file.is_file():
            continue
        metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
        rows: list[dict[str, str]] = []
        predictions = eval_dir / f"{split}_predictions.csv"
        if predictions.is_file():
            with open(predictions, encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
        result[split] = {"metrics": metrics, "rows": rows}
    return result


def example_loss(row: dict[str, str]) -> float | None:
    """How wrong one prediction row is: cross-entropy -log p(true) for single-label rows, binary
    cross-entropy over the labels for multi-label rows ("a|b"), squared error for regression."""
    label = row.get("label", "")
    scores = {
        key[2:]: float(value)
        for key, value in row.items()
        if key.startswith("p_") and value not in ("", None)
    }
    if label in scores:
        return -math.log(max(scores[label], 1e-12))
    if scores:
        wanted = set(label.split("|")) if label else set()
        return -sum(math.log(max(p if name in wanted else 1 - p, 1e-12)) for name, p in scores.items())
    try:
        return (float(row.get("predicted", "")) - float(label)) ** 2
    except ValueError:
        return None


def _rounded(value: str) -> str:
    try:
        return f"{float(value):.4g}"
    except ValueError:
        return value


def is_wrong(row: dict[str, str]) -> bool:
    """Misclassified (labels differ); for regression, every row is listed, largest error first."""
    try:
        float(row.get("predicted", "")), float(row.get("label", ""))
    except ValueError:
        return row.get("label") != row.get("predicted")
    return True


SCORE_TABLES = {"per_class": "Class", "per_label": "Label", "per_type": "Entity type"}


def runs_with_evaluation(runs_dir: Path) -> list[Path]:
    if not runs_dir.is_dir():
        return []
    found = [
        p for p in runs_dir.iterdir() if (p / "eval").is_dir() and any((p / "eval").glob("*_metrics.json"))
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def predict_file(
    model_dir: Path, data: Path, text_column: str, out: Path, pair_column: str | None, read_options: dict
) -> Any:  # bertstudio.training.inference.PredictionSummary
    from bertstudio.training.inference import predict_file as engine_predict_file

    return engine_predict_file(
        model_dir, data, text_column, out, pair_column=pair_column, read_options=read_options
    )


def load_for_playground(model_dir: Path) -> tuple[Any, Any]:
    from bertstudio.model import load_pretrained

    return load_pretrained(model_dir)


def predict_one(model: Any, tokenizer: Any, text: str, pair: str | None) -> tuple[str, list[str], Any]:
    """(task, label names, scores as numpy) of one example."""
    from bertstudio.inspect.probes import predict

    prediction, _ = predict(model, tokenizer, text, pair)
    return prediction.task, prediction.labels, prediction.scores


class ProbabilityBars(QWidget):
    """One labelled bar per class, most likely first."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("probabilityBars")
        self.setAccessibleName("Predicted probabilities")
        self.form = QFormLayout(self)
        self.bars: list[tuple[str, float]] = []

    def set_scores(self, labels: list[str], scores: list[float], kind: str) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.bars = sorted(zip(labels, scores, strict=True), key=lambda pair: -pair[1])
        if kind == "regression":
            value = QLabel(f"<span style='font-size:16pt'><b>{scores[0]:.4g}</b></span>")
            self.form.addRow("Predicted value", value)
            return
        for label, score in self.bars[:20]:
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(int(round(score * 1000)))
            bar.setFormat(f"{score:.1%}")
            bar.setAccessibleName(f"{label} {score:.1%}")
            self.form.addRow(label, bar)


class EvaluatePage(QWidget):
    def __init__(self, state: Workbench, settings: Settings) -> None:
        super().__init__()
        self.setObjectName("evaluatePage")
        self.state = state
        self.settings = settings
        self.evaluation: dict[str, Any] = {}
        self.model_dir: Path | None = None
        self._loaded: tuple[Path, Any, Any] | None = None  # (model dir, model, tokenizer)

        self.run_combo = QComboBox()
        self.run_combo.setObjectName("evaluateRunCombo")
        self.run_combo.setAccessibleName("Run to evaluate")
        self.run_combo.setMinimumWidth(320)
        self.run_combo.currentIndexChanged.connect(self._run_chosen)
        self.split_combo = QComboBox()
        self.split_combo.setObjectName("evaluateSplitCombo")
        self.split_combo.currentIndexChanged.connect(self._show_split)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_runs)

        # ----- results -----
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
        self.examples.itemDoubleClicked.connect(self._example_to_playground)
        self.empty_label = QLabel("Finish a training run to see its evaluation here.")
        self.empty_label.setObjectName("evaluateEmptyLabel")
        self.empty_label.setProperty("role", "muted")

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.metrics_table)
        left.addWidget(self.per_class_table)
        left.setSizes([260, 240])
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
        results = QSplitter(Qt.Orientation.Vertical)
        results.addWidget(top)
        results.addWidget(examples_box)
        results.setSizes([420, 300])
        results_tab = QWidget()
        results_layout = QVBoxLayout(results_tab)
        source_row = QHBoxLayout()
        source_row.addWidget(QLabel("Run"))
        source_row.addWidget(self.run_combo, 1)
        source_row.addWidget(QLabel("Split"))
        source_row.addWidget(self.split_combo)
        source_row.addWidget(refresh)
        results_layout.addLayout(source_row)
        results_layout.addWidget(self.empty_label)
        results_layout.addWidget(results, 1)

        # ----- playground -----
        self.model_label = QLabel("")
        self.model_label.setObjectName("playgroundModelLabel")
        self.model_label.setWordWrap(True)
        self.predict_input = QPlainTextEdit()
        self.predict_input.setObjectName("predictInput")
        self.predict_input.setAccessibleName("Text to predict")
        self.predict_input.setPlaceholderText("Type or paste a text, then press Predict (Ctrl+Return).")
        self.predict_input.setMaximumHeight(140)
        self.pair_input = QLineEdit()
        self.pair_input.setObjectName("predictPairInput")
        self.pair_input.setAccessibleName("Second text of a pair")
        self.pair_input.setPlaceholderText("Second text (for sentence-pair models; leave empty otherwise)")
        self.predict_button = QPushButton("Predict")
        self.predict_button.setObjectName("predictButton")
        self.predict_button.setProperty("role", "primary")
        self.predict_button.setShortcut("Ctrl+Return")
        self.predict_button.clicked.connect(self.predict)
        self.prediction_label = QLabel("")
        self.prediction_label.setObjectName("predictionLabel")
        self.prediction_label.setStyleSheet("font-size: 13pt;")
        self.bars = ProbabilityBars()
        playground_tab = QWidget()
        playground = QVBoxLayout(playground_tab)
        playground.addWidget(self.model_label)
        playground.addWidget(self.predict_input)
        playground.addWidget(self.pair_input)
        row = QHBoxLayout()
        row.addWidget(self.predict_button)
        row.addWidget(self.prediction_label, 1)
        playground.addLayout(row)
        playground.addWidget(self.bars)
        playground.addStretch(1)

        # ----- batch -----
        self.batch_input = QLineEdit()
        self.batch_input.setObjectName("batchInputEdit")
        self.batch_input.setPlaceholderText("CSV / TSV / JSONL file to predict")
        browse_in = QPushButton("Browse...")
        browse_in.clicked.connect(self._choose_batch_input)
        self.batch_text = QComboBox()
        self.batch_text.setObjectName("batchTextColumnCombo")
        self.batch_pair = QComboBox()
        self.batch_pair.setObjectName("batchPairColumnCombo")
        self.batch_output = QLineEdit()
        self.batch_output.setObjectName("batchOutputEdit")
        browse_out = QPushButton("Browse...")
        browse_out.clicked.connect(self._choose_batch_output)
        self.batch_button = QPushButton("Predict File")
        self.batch_button.setObjectName("batchPredictButton")
        self.batch_button.clicked.connect(self.predict_file)
        self.batch_status = QLabel("")
        self.batch_status.setObjectName("batchStatusLabel")
        self.batch_status.setWordWrap(True)
        batch_box = QGroupBox("Predict a whole file")
        batch_form = QFormLayout(batch_box)
        input_row = QHBoxLayout()
        input_row.addWidget(self.batch_input, 1)
        input_row.addWidget(browse_in)
        output_row = QHBoxLayout()
        output_row.addWidget(self.batch_output, 1)
        output_row.addWidget(browse_out)
        batch_form.addRow("Input", input_row)
        batch_form.addRow("Text column", self.batch_text)
        batch_form.addRow("Second text", self.batch_pair)
        batch_form.addRow("Output CSV", output_row)
        batch_form.addRow("", self.batch_button)
        batch_form.addRow(self.batch_status)
        playground.addWidget(batch_box)

        tabs = QTabWidget()
        tabs.setObjectName("evaluateTabs")
        tabs.addTab(results_tab, "Results")
        tabs.addTab(playground_tab, "Playground && batch prediction")
        self.tabs = tabs

        layout = QVBoxLayout(self)
        layout.addLayout(
            page_header("Evaluate", "How well the model does, where it fails, and what it says.")
        )
        layout.addWidget(tabs, 1)

        state.run_finished.connect(self._run_finished)
        state.model_changed.connect(self._model_changed)
        state.workspace_changed.connect(self.refresh_runs)
        self._model_changed()
        self.refresh_runs()

    # ----- runs -----
    def refresh_runs(self, select: str | None = None) -> None:
        current = select or self.run_combo.currentData()
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        for path in runs_with_evaluation(self.state.runs_dir):
            self.run_combo.addItem(path.name, str(path))
        self.run_combo.blockSignals(False)
        index = self.run_combo.findData(current) if current else 0
        self.run_combo.setCurrentIndex(max(index, 0))
        self._run_chosen()

    def _run_finished(self, run_dir: str) -> None:
        self.refresh_runs(select=run_dir)
        model = Path(run_dir) / "model"
        if (model / "config.json").is_file():
            self.set_model_dir(model)

    def _run_chosen(self, *_: object) -> None:
        path = self.run_combo.currentData()
        self.empty_label.setVisible(path is None)
        if path is None:
            self.evaluation = {}
            self._show_split()
            return
        run_in_background(
            read_evaluation,
            Path(path),
            owner=self,
            on_done=self._evaluation_read,
            on_error=lambda e: show_error(self, e),
        )

    def _evaluation_read(self, evaluation: dict[str, Any]) -> None:
        self.evaluation = evaluation
        self.split_combo.blockSignals(True)
        self.split_combo.clear()
        self.split_combo.addItems(list(evaluation))
        self.split_combo.blockSignals(False)
        self._show_split()
        run = self.run_combo.currentData()
        if run and (Path(run) / "model" / "config.json").is_file():
            self.set_model_dir(Path(run) / "model")

    def current(self) -> dict[str, Any]:
        return self.evaluation.get(self.split_combo.currentText(), {"metrics": {}, "rows": []})

    def _show_split(self, *_: object) -> None:
        metrics = self.current()["metrics"]
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
        matrix = metrics.get("confusion_matrix")
        self.matrix_view.setVisible(matrix is not None)
        if matrix is not None:
            self.matrix_view.set_matrix(matrix, metrics.get("labels") or [str(i) for i in range(len(matrix))])
        self.show_misclassified()

    def _is_regression(self) -> bool:
        return "mse" in self.current()["metrics"]

    def show_misclassified(self) -> None:
        rows = [r for r in self.current()["rows"] if "predicted" in r and is_wrong(r)]
        if self._is_regression():
            self.show_errors_button.setText("All Examples")
            self._show_examples(rows, "Examples, largest squared error first")
        else:
            self.show_errors_button.setText("All Misclassified")
            self._show_examples(rows, "Misclassified examples, highest loss first")

    def show_cell(self, true_index: int, predicted_index: int) -> None:
        """List the examples of one confusion-matrix cell."""
        labels = self.matrix_view.labels
        true_label, predicted = labels[true_index], labels[predicted_index]
        rows = [
            r
            for r in self.current()["rows"]
            if r.get("label") == true_label and r.get("predicted") == predicted
        ]
        self._show_examples(rows, f"True {true_label}, predicted {predicted}")

    def _show_examples(self, rows: list[dict[str, str]], title: str) -> None:
        scored = [(example_loss(r), r) for r in rows]
        scored.sort(key=lambda pair: -(pair[0] if pair[0] is not None else 0.0))
        shown = scored[:MAX_EXAMPLES_SHOWN]
        self.examples_title.setText(f"{title} ({len(rows):,})")
        self.examples.setRowCount(len(shown))
        regression = self._is_regression()
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

    def _example_to_playground(self, item: QTableWidgetItem) -> None:
        text = self.examples.item(item.row(), 1).text().split("  ‖  ")
        self.predict_input.setPlainText(text[0])
        self.pair_input.setText(text[1] if len(text) > 1 else "")
        self.tabs.setCurrentIndex(1)
        self.predict()

    # ----- playground -----
    def _model_changed(self) -> None:
        if self.state.model_path is not None:
            self.set_model_dir(self.state.model_path)
        else:
            self.model_label.setText("Open a fine-tuned model (Model page) or finish a run to try it here.")
            self.predict_button.setEnabled(False)
            self.batch_button.setEnabled(False)

    def set_model_dir(self, path: Path) -> None:
        self.model_dir = Path(path)
        self.model_label.setText(f"Model: <b>{model_display_name(self.model_dir)}</b>  ({self.model_dir})")
        self.predict_button.setEnabled(True)
        self.batch_button.setEnabled(True)

    def predict(self) -> None:
        text = self.predict_input.toPlainText().strip()
        if not text or self.model_dir is None:
            return
        pair = self.pair_input.text().strip() or None
        self.predict_button.setEnabled(False)
        self.prediction_label.setText("Predicting...")
        if self._loaded is not None and self._loaded[0] == self.model_dir:
            _, model, tokenizer = self._loaded
            run_in_background(
                predict_one,
                model,
                tokenizer,
                text,
                pair,
                owner=self,
                on_done=self._predicted,
                on_error=self._predict_failed,
            )
        else:
            model_dir = self.model_dir
            run_in_background(
                load_for_playground,
                model_dir,
                owner=self,
                on_done=lambda loaded: self._model_loaded(model_dir, loaded, text, pair),
                on_error=self._predict_failed,
            )

    def _model_loaded(self, model_dir: Path, loaded: tuple[Any, Any], text: str, pair: str | None) -> None:
        self._loaded = (model_dir, *loaded)
        run_in_background(
            predict_one,
            *loaded,
            text,
            pair,
            owner=self,
            on_done=self._predicted,
            on_error=self._predict_failed,
        )

    def _predicted(self, result: tuple[str, list[str], Any]) -> None:
        task, labels, scores = result
        self.predict_button.setEnabled(True)
        scores = [float(s) for s in scores]
        if not scores:
            self.prediction_label.setText(f"This model has no prediction head (task {task}).")
            self.bars.set_scores([], [], task)
            return
        if task == "regression":
            self.prediction_label.setText("")
        elif task == "multi_label":
            chosen = [label for label, s in zip(labels, scores, strict=True) if s >= 0.5]
            self.prediction_label.setText("Labels: <b>" + (", ".join(chosen) or "none above 50%") + "</b>")
        else:
            best = max(range(len(scores)), key=scores.__getitem__)
            self.prediction_label.setText(f"<b>{labels[best]}</b>  ({scores[best]:.1%})")
        self.bars.set_scores(labels, scores, task)

    def _predict_failed(self, exc: BaseException) -> None:
        self.predict_button.setEnabled(True)
        self.prediction_label.setText("")
        show_error(self, exc, "Prediction failed")

    # ----- batch -----
    def _choose_batch_input(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "File to predict", "", "Tables (*.csv *.tsv *.jsonl *.txt);;All files (*)"
        )
        if path:
            self.set_batch_input(Path(path))

    def set_batch_input(self, path: Path) -> None:
        from bertstudio.data.reading import preview_table

        try:
            table = preview_table(path, n_rows=20, **self._read_options(path))
        except Exception as exc:  # noqa: BLE001 - shown to the user
            show_error(self, exc, "Cannot read the file")
            return
        self.batch_input.setText(str(path))
        self.batch_text.clear()
        self.batch_text.addItems(table.columns)
        self.batch_pair.clear()
        self.batch_pair.addItems(["(none)", *table.columns])
        if self.state.data is not None and self.state.data.mapping.text in table.columns:
            self.batch_text.setCurrentText(self.state.data.mapping.text)
        if not self.batch_output.text():
            self.batch_output.setText(str(path.with_name(f"{path.stem}_predictions.csv")))

    def _read_options(self, path: Path) -> dict:
        """The Data page's encoding / delimiter / header choices when `path` is the imported file."""
        data = self.state.data
        if data is not None and Path(path).resolve() == Path(data.path).resolve():
            return dict(data.read_options)
        return {}

    def _choose_batch_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Write predictions to", self.batch_output.text(), "CSV (*.csv)"
        )
        if path:
            self.batch_output.setText(path)

    def predict_file(self) -> None:
        if self.model_dir is None or not self.batch_input.text() or not self.batch_output.text():
            self.batch_status.setText("Choose an input file and an output file.")
            return
        pair = self.batch_pair.currentText()
        self.batch_button.setEnabled(False)
        self.batch_status.setText("Predicting...")
        self.state.busy.emit("Predicting a file...")
        run_in_background(
            predict_file,
            self.model_dir,
            Path(self.batch_input.text()),
            self.batch_text.currentText(),
            Path(self.batch_output.text()),
            None if pair in ("", "(none)") else pair,
            self._read_options(Path(self.batch_input.text())),
            on_done=self._file_predicted,
            on_error=self._file_failed,
        )

    def _file_predicted(self, summary: Any) -> None:
        self.batch_button.setEnabled(True)
        self.state.busy.emit("")
        self.batch_status.setText(summary.describe(self.batch_output.text()))

    def _file_failed(self, exc: BaseException) -> None:
        self.batch_button.setEnabled(True)
        self.state.busy.emit("")
        self.batch_status.setText("Batch prediction failed.")
        show_error(self, exc, "Batch prediction failed")
