"""Probe panels: fill-mask predictions, and head masking (switch heads off, rank heads by effect)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.widgets.attention_worker import Job, LatestJobs

if TYPE_CHECKING:
    from bertstudio.inspect.probes import MaskPrediction


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return table


class FillMaskPanel(QGroupBox):
    def __init__(self, jobs: LatestJobs, parent: QWidget | None = None) -> None:
        super().__init__("Fill mask", parent)
        self.jobs = jobs
        self.model = self.tokenizer = None
        self.sentence = QLineEdit("The capital of France is [MASK].")
        self.sentence.setToolTip("Write [MASK] where a word should be predicted")
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 50)
        self.top_k.setValue(5)
        self.run_button = QPushButton("Predict")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.results = _table(["Mask", "Rank", "Token", "Probability"])
        row = QHBoxLayout()
        row.addWidget(self.sentence, 1)
        row.addWidget(QLabel("Top"))
        row.addWidget(self.top_k)
        row.addWidget(self.run_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(self.results, 1)
        self.run_button.clicked.connect(self.run)
        self.sentence.returnPressed.connect(self.run)

    def set_model(self, model, tokenizer) -> None:
        from bertstudio.text.tokenizer import SPECIAL_ROLES, special_token

        self.model, self.tokenizer = model, tokenizer
        mask = special_token(tokenizer, "mask")  # [MASK] for BERT, <mask> for RoBERTa
        text = self.sentence.text()
        for spelling in SPECIAL_ROLES["mask"]:
            text = text.replace(spelling, mask)
        self.sentence.setText(text)
        self.sentence.setToolTip(f"Write {mask} where a word should be predicted")
        from bertstudio.inspect.probes import fill_mask_unavailable

        unavailable = fill_mask_unavailable(model)
        self.run_button.setEnabled(unavailable is None)
        self.note.setText(unavailable or "")

    def run(self) -> None:
        if self.model is None or not self.run_button.isEnabled():
            return
        from bertstudio.inspect.probes import fill_mask

        model, tokenizer, text, top_k = self.model, self.tokenizer, self.sentence.text(), self.top_k.value()
        self.note.setText("Predicting…")
        self.jobs.submit(
            "fill_mask", lambda job: fill_mask(model, tokenizer, text, top_k), self.show, self._failed
        )

    def show(self, predictions: list[MaskPrediction]) -> None:
        self.note.setText(f"{len(predictions)} masked position(s)")
        rows = [
            (n, rank, token, p)
            for n, pr in enumerate(predictions, 1)
            for rank, (token, p) in enumerate(pr.candidates, 1)
        ]
        self.results.setRowCount(len(rows))
        for r, (n, rank, token, p) in enumerate(rows):
            for c, value in enumerate((str(n), str(rank), token, f"{p:.4f}")):
                self.results.setItem(r, c, QTableWidgetItem(value))

    def _failed(self, exc: BaseException) -> None:
        self.results.setRowCount(0)  # the candidates listed belong to another sentence
        self.note.setText(str(exc))


class HeadMaskPanel(QGroupBox):
    """A toggle per head (on = used); emits mask_changed(mask) with the (layers, heads) multipliers."""

    mask_changed = Signal(object)

    def __init__(self, jobs: LatestJobs, parent: QWidget | None = None) -> None:
        super().__init__("Head masking", parent)
        self.jobs = jobs
        self.model = self.tokenizer = None
        self.buttons: list[list[QToolButton]] = []
        self.effects: np.ndarray | None = None
        self.grid = QGridLayout()
        self.grid.setSpacing(2)
        self.prediction = QLabel("Load a model to switch heads off.")
        self.prediction.setWordWrap(True)
        reset = QPushButton("All heads on")
        reset.clicked.connect(self.reset)
        self.examples = QPlainTextEdit()
        self.examples.setPlaceholderText("Examples to rank heads on, one per line (empty: the current text)")
        self.examples.setMaximumHeight(90)
        self.rank_button = QPushButton("Rank heads")
        self.rank_button.setToolTip("Switch each head off in turn and measure how much the output changes")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.ranking = _table(["Layer", "Head", "Effect of removing"])
        self.current_text = ""
        top = QHBoxLayout()
        top.addLayout(self.grid)
        top.addStretch(1)
        rank_row = QHBoxLayout()
        rank_row.addWidget(self.rank_button)
        rank_row.addWidget(self.stop_button)
        rank_row.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        explanation = QLabel(
            "Click a head to switch it off (red outline = off); the prediction and the attention tab update. "
            "After ranking, the darker a head, the more removing it changes the output."
        )
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        layout.addLayout(top)
        layout.addWidget(reset)
        layout.addWidget(self.prediction)
        layout.addWidget(self.examples)
        layout.addLayout(rank_row)
        layout.addWidget(self.ranking, 1)
        self.rank_button.clicked.connect(self.rank)
        self.stop_button.clicked.connect(self.stop_ranking)

    def set_model(self, model, tokenizer) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.effects = None
        while self.grid.count():
            self.grid.takeAt(0).widget().deleteLater()
        layers, heads = model.config.num_hidden_layers, model.config.num_attention_heads
        for head in range(heads):
            self.grid.addWidget(QLabel(f"H{head}"), 0, head + 1)
        self.buttons = []
        for layer in range(layers):
            self.grid.addWidget(QLabel(f"L{layer}"), layer + 1, 0)
            row = []
            for head in range(heads):
                button = QToolButton()
                button.setCheckable(True)
                button.setChecked(True)
                button.setFixedSize(22, 18)
                button.setToolTip(f"Layer {layer}, head {head}")
                button.toggled.connect(self._toggled)
                self.grid.addWidget(button, layer + 1, head + 1)
                row.append(button)
            self.buttons.append(row)
        self._paint_buttons()

    def mask(self) -> np.ndarray:
        return np.array(
            [[1.0 if b.isChecked() else 0.0 for b in row] for row in self.buttons], dtype=np.float32
        )

    def set_head(self, layer: int, head: int, on: bool) -> None:
        self.buttons[layer][head].setChecked(on)

    def reset(self) -> None:
        for row in self.buttons:
            for button in row:
                button.blockSignals(True)
                button.setChecked(True)
                button.blockSignals(False)
        self._toggled()

    def _toggled(self) -> None:
        self._paint_buttons()
        self.mask_changed.emit(self.mask())

    def _paint_buttons(self) -> None:
        """On: dark, or after ranking light-to-dark blue by the effect of removing the head; off: white."""
        peak = float(self.effects.max()) if self.effects is not None else 0.0
        low, high = QColor("#dbeafe"), QColor("#1e3a8a")
        for layer, row in enumerate(self.buttons):
            for head, button in enumerate(row):
                if not button.isChecked():
                    style = "background-color: #ffffff; border: 2px solid #dc2626;"
                else:
                    color = QColor("#374151")
                    if peak > 0:
                        t = float(self.effects[layer, head]) / peak
                        color = QColor.fromRgbF(
                            low.redF() + t * (high.redF() - low.redF()),
                            low.greenF() + t * (high.greenF() - low.greenF()),
                            low.blueF() + t * (high.blueF() - low.blueF()),
                        )
                    style = f"background-color: {color.name()}; border: 1px solid #9ca3af;"
                button.setStyleSheet(style)

    def show_prediction(self, text: str) -> None:
        off = int((self.mask() == 0).sum())
        self.prediction.setText(f"<b>Prediction</b> ({off} head(s) off): {text}")

    def rank(self) -> None:
        if self.model is None:
            return
        texts = [line.strip() for line in self.examples.toPlainText().splitlines() if line.strip()]
        texts = texts or ([self.current_text] if self.current_text else [])
        model, tokenizer = self.model, self.tokenizer

        def work(job: Job) -> np.ndarray:
            from bertstudio.inspect.probes import head_effects

            return head_effects(model, tokenizer, texts, progress=job.progress, should_stop=job.stopped)

        self.rank_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.progress.setValue(0)
        self.jobs.submit("rank_heads", work, self._ranked, self._rank_failed, self._progress)

    def stop_ranking(self) -> None:
        self.jobs.cancel("rank_heads")
        self._ranking_ended()

    def _progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def _ranked(self, effects: np.ndarray) -> None:
        self._ranking_ended()
        self.effects = effects
        from bertstudio.inspect.probes import rank_heads

        ranking = rank_heads(effects)
        self.ranking.setRowCount(len(ranking))
        for r, (layer, head, effect) in enumerate(ranking):
            for c, value in enumerate((str(layer), str(head), f"{effect:.5f}")):
                self.ranking.setItem(r, c, QTableWidgetItem(value))
        for layer, row in enumerate(self.buttons):
            for head, button in enumerate(row):
                button.setToolTip(
                    f"Layer {layer}, head {head}: effect of removing {effects[layer, head]:.5f}"
                )
        self._paint_buttons()

    def _rank_failed(self, exc: BaseException) -> None:
        self._ranking_ended()
        if not isinstance(exc, InterruptedError):
            show_error(self, exc, "Could not rank the heads")

    def _ranking_ended(self) -> None:
        self.rank_button.setEnabled(True)
        self.stop_button.setEnabled(False)
