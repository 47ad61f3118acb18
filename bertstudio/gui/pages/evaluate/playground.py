"""Evaluate > Playground: type a text (and a second one for pairs), see the chosen model's prediction
as one bar per class; for a question-answering model, paste a context and ask a question: the answer
is highlighted in the context, every token's start / end probability drawn above it, with the n-best
list. The model is picked: the open model, or any run's exported model or checkpoint."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.controller import AppController
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.widgets.answer_view import ContextView, NBestTable, TokenProbabilityChart
from bertstudio.gui.widgets.model_picker import ModelPicker
from bertstudio.gui.workers import run_in_background
from bertstudio.training.run_models import ModelChoice, load_model_choice

TEXT_HINTS = (
    "Type or paste a text, then press Predict (Ctrl+Return).",
    "Second text (for sentence-pair models; leave empty otherwise)",
)
QUESTION_HINTS = ("Paste the context the answer is in.", "Question about the context, then press Predict")


def answers_questions(choice: ModelChoice | None) -> bool:
    """Whether the chosen model is a question-answering one (read from its config.json)."""
    from bertstudio.training.qa_inference import is_qa_model

    return choice is not None and is_qa_model(choice.model_dir)


def explain(model: Any, tokenizer: Any, context: str, question: str) -> Any:
    from bertstudio.inspect.answer_spans import explain_answer

    return explain_answer(model, tokenizer, context, question)


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


class Playground(QWidget):
    def __init__(self, controller: AppController) -> None:
        super().__init__()
        self.controller = controller
        self._loaded: tuple[str, Any, Any] | None = None  # (choice key, model, tokenizer)
        self.picker = ModelPicker(controller, "playgroundModelCombo")
        self.picker.chosen.connect(self._model_chosen)
        self.predict_input = QPlainTextEdit()
        self.predict_input.setObjectName("predictInput")
        self.predict_input.setAccessibleName("Text to predict")
        self.predict_input.setPlaceholderText(TEXT_HINTS[0])
        self.predict_input.setMaximumHeight(140)
        self.pair_input = QLineEdit()
        self.pair_input.setObjectName("predictPairInput")
        self.pair_input.setAccessibleName("Second text of a pair")
        self.pair_input.setPlaceholderText(TEXT_HINTS[1])
        self.predict_button = QPushButton("Predict")
        self.predict_button.setObjectName("predictButton")
        self.predict_button.setProperty("role", "primary")
        self.predict_button.setShortcut("Ctrl+Return")
        self.predict_button.clicked.connect(self.predict)
        self.prediction_label = QLabel("")
        self.prediction_label.setObjectName("predictionLabel")
        self.prediction_label.setStyleSheet("font-size: 13pt;")
        self.bars = ProbabilityBars()
        self.questions = False  # the chosen model answers questions: context + question, spans shown
        self.token_chart = TokenProbabilityChart()
        self.answer_context = ContextView("playgroundAnswerView")
        self.answer_context.setMaximumHeight(160)
        self.n_best = NBestTable()
        self.n_best.setMaximumHeight(170)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picker)
        layout.addWidget(self.predict_input)
        layout.addWidget(self.pair_input)
        row = QHBoxLayout()
        row.addWidget(self.predict_button)
        row.addWidget(self.prediction_label, 1)
        layout.addLayout(row)
        layout.addWidget(self.bars)
        layout.addWidget(self.token_chart)
        layout.addWidget(self.answer_context)
        layout.addWidget(self.n_best)
        self._model_chosen(self.picker.current())

    def model(self) -> ModelChoice | None:
        return self.picker.current()

    def _model_chosen(self, choice: ModelChoice | None) -> None:
        self.predict_button.setEnabled(choice is not None)
        self.predict_button.setToolTip(
            "" if choice else "Open a model (Model page) or finish a run to try it here."
        )
        self.prediction_label.setText("")  # a prediction of another model is not this one's
        self.bars.set_scores([], [], "")
        self.questions = answers_questions(choice)
        hints = QUESTION_HINTS if self.questions else TEXT_HINTS
        self.predict_input.setPlaceholderText(hints[0])
        self.pair_input.setPlaceholderText(hints[1])
        self.pair_input.setAccessibleName("Question" if self.questions else "Second text of a pair")
        for widget in (self.token_chart, self.answer_context, self.n_best):
            widget.setVisible(self.questions)
        self.answer_context.clear()
        self.n_best.set_candidates([])

    def try_text(self, text: str, pair: str) -> None:
        self.predict_input.setPlainText(text)
        self.pair_input.setText(pair)
        self.predict()

    def predict(self) -> None:
        text, choice = self.predict_input.toPlainText().strip(), self.model()
        if not text or choice is None:
            return
        pair = self.pair_input.text().strip() or None
        if self.questions and not pair:
            self.prediction_label.setText("Ask a question about the context first.")
            return
        self.predict_button.setEnabled(False)
        self.prediction_label.setText("Predicting...")
        self.controller.busy.emit("Predicting...")
        if self._loaded is not None and self._loaded[0] == choice.key:
            _, model, tokenizer = self._loaded
            self._predict_with(choice, model, tokenizer, text, pair)
            return
        run_in_background(
            load_model_choice,
            choice,
            owner=self,
            on_done=lambda loaded: self._model_loaded(choice, loaded, text, pair),
            on_error=self._predict_failed,
        )

    def _model_loaded(
        self, choice: ModelChoice, loaded: tuple[Any, Any], text: str, pair: str | None
    ) -> None:
        self._loaded = (choice.key, *loaded)
        self._predict_with(choice, *loaded, text, pair)

    def _predict_with(
        self, choice: ModelChoice, model: Any, tokenizer: Any, text: str, pair: str | None
    ) -> None:
        if self.questions:
            run_in_background(
                explain,
                model,
                tokenizer,
                text,
                pair or "",
                owner=self,
                on_done=lambda result: self._answered(choice, text, result),
                on_error=self._predict_failed,
            )
            return
        run_in_background(
            predict_one,
            model,
            tokenizer,
            text,
            pair,
            owner=self,
            on_done=lambda result: self._predicted(choice, result),
            on_error=self._predict_failed,
        )

    def _predicted(self, choice: ModelChoice, result: tuple[str, list[str], Any]) -> None:
        self.controller.busy.emit("")
        self.predict_button.setEnabled(self.model() is not None)
        if self.model() is None or choice.key != self.model().key:
            self.prediction_label.setText("")
            return  # another model was chosen meanwhile
        task, labels, scores = result
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

    def _answered(self, choice: ModelChoice, context: str, result: Any) -> None:
        self.controller.busy.emit("")
        self.predict_button.setEnabled(self.model() is not None)
        if self.model() is None or choice.key != self.model().key:
            self.prediction_label.setText("")
            return  # another model was chosen meanwhile
        answer, tokens = result.answer, result.tokens
        best = answer.candidates[0].probability if answer.candidates else 0.0
        shown = f"<b>{answer.text}</b>" if answer.text else "<b>no answer</b> in this context"
        self.prediction_label.setText(f"{shown}  ({best:.1%}; {result.windows} window(s))")
        words = [context[s:e] for s, e in zip(tokens.char_starts, tokens.char_ends, strict=True)]
        self.token_chart.set_tokens(words, tokens.start, tokens.end)
        span = (answer.char_start, answer.char_end) if answer.text else None
        self.answer_context.show_spans(context, [], span)
        self.n_best.set_candidates(answer.candidates)

    def _predict_failed(self, exc: BaseException) -> None:
        self.controller.busy.emit("")
        self.predict_button.setEnabled(self.model() is not None)
        self.prediction_label.setText("")
        show_error(self, exc, "Prediction failed")
