"""Evaluate > Predict a whole file with the model chosen in the playground (the open model, a run's
exported model or one of its kept checkpoints): a CSV / TSV / JSONL in, the predictions as CSV out; for a
question-answering model, a SQuAD .json file or a table of questions in, {id: answer} JSON or a CSV out
(the core function `bertstudio predict` runs)."""

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
    QProgressBar,
    QPushButton,
)

from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.gui.controller import AppController
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.workers import ProgressRelay, run_in_background
from bertstudio.training.run_models import ModelChoice

NONE = "(none)"
TABLE_FILES = "Tables (*.csv *.tsv *.jsonl *.txt);;All files (*)"
QUESTION_FILES = "SQuAD questions (*.json);;Tables of questions (*.csv *.tsv *.jsonl *.txt);;All files (*)"


def predict_file(
    model: ModelChoice,
    data: Path,
    text_column: str,
    out: Path,
    pair_column: str | None,
    read_options: ReadOptions,
    progress,
) -> str:
    """The predictions of a table as a CSV; returns the line saying what was written."""
    from bertstudio.training.inference import predict_file as engine_predict_file

    summary = engine_predict_file(
        model.model_dir,
        data,
        text_column,
        out,
        pair_column=pair_column,
        read_options=read_options,
        checkpoint=model.checkpoint,
        progress=progress,
    )
    return summary.describe(out)


def answer_file(
    model: ModelChoice, data: Path, columns: Any, out: Path, read_options: ReadOptions, progress
) -> str:
    """The answers to a file of questions, as `bertstudio predict` writes them; the line saying so."""
    from bertstudio.training.qa_inference import predict_questions_file

    return predict_questions_file(
        model.model_dir,
        data,
        out,
        columns=columns,
        read_options=read_options,
        checkpoint=model.checkpoint,
        progress=progress,
    )


class BatchPrediction(QGroupBox):
    def __init__(self, controller: AppController) -> None:
        super().__init__("Predict a whole file")
        self.controller = controller
        self.model: ModelChoice | None = None
        self.questions = False  # the chosen model answers questions
        self._relay = ProgressRelay(self)
        self._relay.progressed.connect(self._show_progress)
        self.batch_input = QLineEdit()
        self.batch_input.setObjectName("batchInputEdit")
        browse_in = QPushButton("Browse...")
        browse_in.clicked.connect(self._choose_input)
        self.batch_text = QComboBox()
        self.batch_text.setObjectName("batchTextColumnCombo")
        self.batch_pair = QComboBox()
        self.batch_pair.setObjectName("batchPairColumnCombo")
        self.context_combo = QComboBox()
        self.context_combo.setObjectName("batchContextColumnCombo")
        self.question_combo = QComboBox()
        self.question_combo.setObjectName("batchQuestionColumnCombo")
        self.id_combo = QComboBox()
        self.id_combo.setObjectName("batchIdColumnCombo")
        self.id_combo.setToolTip("Each question's id in the answers (none: its line number)")
        self.batch_output = QLineEdit()
        self.batch_output.setObjectName("batchOutputEdit")
        browse_out = QPushButton("Browse...")
        browse_out.clicked.connect(self._choose_output)
        self.batch_button = QPushButton("Predict File")
        self.batch_button.setObjectName("batchPredictButton")
        self.batch_button.clicked.connect(self.predict_file)
        self.progress = QProgressBar()
        self.progress.setObjectName("batchProgress")
        self.progress.hide()
        self.batch_status = QLabel("")
        self.batch_status.setObjectName("batchStatusLabel")
        self.batch_status.setWordWrap(True)
        self.form = form = QFormLayout(self)
        input_row = QHBoxLayout()
        input_row.addWidget(self.batch_input, 1)
        input_row.addWidget(browse_in)
        output_row = QHBoxLayout()
        output_row.addWidget(self.batch_output, 1)
        output_row.addWidget(browse_out)
        self.output_label = QLabel("Output CSV")
        form.addRow("Input", input_row)
        form.addRow("Text column", self.batch_text)
        form.addRow("Second text", self.batch_pair)
        form.addRow("Context column", self.context_combo)
        form.addRow("Question column", self.question_combo)
        form.addRow("Id column", self.id_combo)
        form.addRow(self.output_label, output_row)
        form.addRow("", self.batch_button)
        form.addRow(self.progress)
        form.addRow(self.batch_status)
        self.set_model(None)

    def set_model(self, choice: ModelChoice | None) -> None:
        from bertstudio.gui.pages.evaluate.playground import answers_questions

        self.model = choice
        questions = answers_questions(choice)
        if questions != self.questions:
            self.questions = questions
            self.batch_input.clear()
            self.batch_output.clear()
            for combo in (
                self.batch_text,
                self.batch_pair,
                self.context_combo,
                self.question_combo,
                self.id_combo,
            ):
                combo.clear()
        self.batch_input.setPlaceholderText(
            "SQuAD .json file or CSV / TSV / JSONL table of questions"
            if questions
            else "CSV / TSV / JSONL file to predict"
        )
        self.output_label.setText("Output (.json or .csv)" if questions else "Output CSV")
        self.batch_output.setToolTip(
            ".json: {id: answer}; .csv: line, id, question, answer, its start and probability"
            if questions
            else ""
        )
        self._show_column_rows()
        self.batch_button.setEnabled(choice is not None)
        self.batch_button.setToolTip(
            "Open a model (Model page) or finish a run first"
            if choice is None
            else f"Answer every question with {choice.title}"
            if questions
            else f"Predict every row with {choice.title}"
        )

    def _show_column_rows(self) -> None:
        """Text columns for a classifier; context / question / id columns for a table of questions."""
        from bertstudio.data.squad import is_squad_file

        path = self.batch_input.text()
        table_of_questions = self.questions and bool(path) and not is_squad_file(path)
        for combo in (self.batch_text, self.batch_pair):
            self.form.setRowVisible(combo, not self.questions)
        for combo in (self.context_combo, self.question_combo, self.id_combo):
            self.form.setRowVisible(combo, table_of_questions)

    def _choose_input(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "File to predict", "", QUESTION_FILES if self.questions else TABLE_FILES
        )
        if path:
            self.set_batch_input(Path(path))

    def set_batch_input(self, path: Path) -> None:
        from bertstudio.data.reading import preview_table
        from bertstudio.data.squad import is_squad_file, qa_columns_by_name

        path = Path(path)
        columns: list[str] = []
        if not (self.questions and is_squad_file(path)):
            try:
                columns = list(preview_table(path, 20, self._read_options(path)).columns)
            except Exception as exc:  # noqa: BLE001 - shown to the user
                show_error(self, exc, "Cannot read the file")
                return
        self.batch_input.setText(str(path))
        self.batch_text.clear()
        self.batch_text.addItems(columns)
        self.batch_pair.clear()
        self.batch_pair.addItems([NONE, *columns])
        for combo, optional in (
            (self.context_combo, False),
            (self.question_combo, False),
            (self.id_combo, True),
        ):
            combo.clear()
            combo.addItems([NONE, *columns] if optional else columns)
        if self.questions:
            named = qa_columns_by_name(columns)
            if named is not None:
                self.context_combo.setCurrentText(named.context)
                self.question_combo.setCurrentText(named.question)
                self.id_combo.setCurrentText(named.id or NONE)
        else:
            mapping = self.controller.current_mapping()
            if mapping is not None and mapping.text in columns:
                self.batch_text.setCurrentText(mapping.text)
        suffix = ".json" if self.questions else ".csv"
        name = "answers" if self.questions else "predictions"
        self.batch_output.setText(str(path.with_name(f"{path.stem}_{name}{suffix}")))
        self._show_column_rows()

    def _read_options(self, path: Path) -> ReadOptions:
        """The Data page's encoding / delimiter / header choices when `path` is the data in use."""
        data = self.controller.data
        if data is not None and Path(path).resolve() == Path(data.path).resolve():
            return data.read_options
        return DETECT

    def _choose_output(self) -> None:
        kinds = "Answers by id (*.json);;CSV (*.csv)" if self.questions else "CSV (*.csv)"
        path, _ = QFileDialog.getSaveFileName(self, "Write predictions to", self.batch_output.text(), kinds)
        if path:
            self.batch_output.setText(path)

    def question_columns(self) -> Any:
        """The QAColumns of a table of questions (None for a SQuAD .json file)."""
        from bertstudio.data.squad import QAColumns, is_squad_file

        if is_squad_file(self.batch_input.text()):
            return None
        chosen = self.id_combo.currentText()
        return QAColumns(
            context=self.context_combo.currentText(),
            question=self.question_combo.currentText(),
            id="" if chosen in ("", NONE) else chosen,
        )

    def predict_file(self) -> None:
        if self.model is None or not self.batch_input.text() or not self.batch_output.text():
            self.batch_status.setText("Choose an input file and an output file.")
            return
        data, out = Path(self.batch_input.text()), Path(self.batch_output.text())
        if self.questions:
            job = (answer_file, self.model, data, self.question_columns(), out)
        else:
            pair = self.batch_pair.currentText()
            job = (
                predict_file,
                self.model,
                data,
                self.batch_text.currentText(),
                out,
                None if pair in ("", NONE) else pair,
            )
        self.batch_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.batch_status.setText("Answering..." if self.questions else "Predicting...")
        self.controller.busy.emit("Predicting a file...")
        run_in_background(
            *job,
            self._read_options(data),
            self._relay.progressed.emit,
            owner=self,
            on_done=self._predicted,
            on_error=self._failed,
        )

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"%v / %m {'windows' if self.questions else 'rows'}")

    def _predicted(self, said: str) -> None:
        self._finished()
        self.batch_status.setText(said[0].upper() + said[1:])  # "Wrote N answers to PATH ..."

    def _failed(self, exc: BaseException) -> None:
        self._finished()
        self.batch_status.setText("Batch prediction failed.")
        show_error(self, exc, "Batch prediction failed")

    def _finished(self) -> None:
        self.progress.hide()
        self.set_model(self.model)
        self.controller.busy.emit("")
