"""Evaluate > Predict a whole file: a CSV / TSV / JSONL in, the predictions as CSV out, with the model
chosen in the playground (the open model, a run's exported model or one of its checkpoints)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
)

from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.gui.controller import AppController
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.workers import run_in_background
from bertstudio.training.run_models import ModelChoice

NONE = "(none)"


def predict_file(
    model_dir: Path,
    data: Path,
    text_column: str,
    out: Path,
    pair_column: str | None,
    read_options: ReadOptions,
    checkpoint: Path | None,
) -> Any:  # bertstudio.training.inference.PredictionSummary
    from bertstudio.training.inference import predict_file as engine_predict_file

    return engine_predict_file(
        model_dir,
        data,
        text_column,
        out,
        pair_column=pair_column,
        read_options=read_options,
        checkpoint=checkpoint,
    )


class BatchPrediction(QGroupBox):
    def __init__(self, controller: AppController) -> None:
        super().__init__("Predict a whole file")
        self.controller = controller
        self.model: ModelChoice | None = None
        self.batch_input = QLineEdit()
        self.batch_input.setObjectName("batchInputEdit")
        self.batch_input.setPlaceholderText("CSV / TSV / JSONL file to predict")
        browse_in = QPushButton("Browse...")
        browse_in.clicked.connect(self._choose_input)
        self.batch_text = QComboBox()
        self.batch_text.setObjectName("batchTextColumnCombo")
        self.batch_pair = QComboBox()
        self.batch_pair.setObjectName("batchPairColumnCombo")
        self.batch_output = QLineEdit()
        self.batch_output.setObjectName("batchOutputEdit")
        browse_out = QPushButton("Browse...")
        browse_out.clicked.connect(self._choose_output)
        self.batch_button = QPushButton("Predict File")
        self.batch_button.setObjectName("batchPredictButton")
        self.batch_button.clicked.connect(self.predict_file)
        self.batch_status = QLabel("")
        self.batch_status.setObjectName("batchStatusLabel")
        self.batch_status.setWordWrap(True)
        form = QFormLayout(self)
        input_row = QHBoxLayout()
        input_row.addWidget(self.batch_input, 1)
        input_row.addWidget(browse_in)
        output_row = QHBoxLayout()
        output_row.addWidget(self.batch_output, 1)
        output_row.addWidget(browse_out)
        form.addRow("Input", input_row)
        form.addRow("Text column", self.batch_text)
        form.addRow("Second text", self.batch_pair)
        form.addRow("Output CSV", output_row)
        form.addRow("", self.batch_button)
        form.addRow(self.batch_status)
        self.set_model(None)

    def set_model(self, choice: ModelChoice | None) -> None:
        self.model = choice
        from bertstudio.gui.pages.evaluate.playground import answers_questions

        questions = answers_questions(choice)  # a file of questions is answered by `bertstudio predict`
        self.batch_button.setEnabled(choice is not None and not questions)
        self.batch_button.setToolTip(
            "Question-answering models answer a file of questions with: bertstudio predict --model DIR "
            "--data QUESTIONS.json --out ANSWERS.json"
            if questions
            else f"Predict every row with {choice.title}"
            if choice is not None
            else "Open a model (Model page) or finish a run first"
        )
        self.batch_status.setText(
            "This model answers questions: try one above; for a whole file use bertstudio predict."
            if questions
            else ""
        )

    def _choose_input(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "File to predict", "", "Tables (*.csv *.tsv *.jsonl *.txt);;All files (*)"
        )
        if path:
            self.set_batch_input(Path(path))

    def set_batch_input(self, path: Path) -> None:
        from bertstudio.data.reading import preview_table

        try:
            table = preview_table(path, 20, self._read_options(path))
        except Exception as exc:  # noqa: BLE001 - shown to the user
            show_error(self, exc, "Cannot read the file")
            return
        self.batch_input.setText(str(path))
        self.batch_text.clear()
        self.batch_text.addItems(table.columns)
        self.batch_pair.clear()
        self.batch_pair.addItems([NONE, *table.columns])
        mapping = self.controller.current_mapping()
        if mapping is not None and mapping.text in table.columns:
            self.batch_text.setCurrentText(mapping.text)
        if not self.batch_output.text():
            self.batch_output.setText(str(path.with_name(f"{path.stem}_predictions.csv")))

    def _read_options(self, path: Path) -> ReadOptions:
        """The Data page's encoding / delimiter / header choices when `path` is the data in use."""
        data = self.controller.data
        if data is not None and Path(path).resolve() == Path(data.path).resolve():
            return data.read_options
        return DETECT

    def _choose_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Write predictions to", self.batch_output.text(), "CSV (*.csv)"
        )
        if path:
            self.batch_output.setText(path)

    def predict_file(self) -> None:
        if self.model is None or not self.batch_input.text() or not self.batch_output.text():
            self.batch_status.setText("Choose an input file and an output file.")
            return
        pair = self.batch_pair.currentText()
        self.batch_button.setEnabled(False)
        self.batch_status.setText("Predicting...")
        self.controller.busy.emit("Predicting a file...")
        run_in_background(
            predict_file,
            self.model.model_dir,
            Path(self.batch_input.text()),
            self.batch_text.currentText(),
            Path(self.batch_output.text()),
            None if pair in ("", NONE) else pair,
            self._read_options(Path(self.batch_input.text())),
            self.model.checkpoint,
            on_done=self._predicted,
            on_error=self._failed,
        )

    def _predicted(self, summary: Any) -> None:
        self.set_model(self.model)
        self.controller.busy.emit("")
        self.batch_status.setText(summary.describe(self.batch_output.text()))

    def _failed(self, exc: BaseException) -> None:
        self.set_model(self.model)
        self.controller.busy.emit("")
        self.batch_status.setText("Batch prediction failed.")
        show_error(self, exc, "Batch prediction failed")
