"""Across training: scrub through the probe sentences a run recorded at each evaluation, along its loss
curve, and see how their attention and the prediction changed."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.widgets.attention_heatmap import AttentionHeatmap
from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget
from bertstudio.gui.workers import run_in_background
from bertstudio.inspect.maps import AttentionMaps
from bertstudio.inspect.training_probes import ProbeSnapshot, ProbeStep, list_probe_steps, load_probe_step
from bertstudio.inspect.view_filters import ViewOptions, view_matrix
from bertstudio.text.tokenizer import SPECIAL_ROLES
from bertstudio.training.run_store import METRICS_FILE, read_jsonl

SPECIAL_SPELLINGS = {token for spellings in SPECIAL_ROLES.values() for token in spellings}


def snapshot_maps(snapshot: ProbeSnapshot, sentence: int) -> AttentionMaps:
    """One recorded sentence as AttentionMaps, so the usual view filters apply."""
    tokens = snapshot.tokens[sentence]
    special = [t in SPECIAL_SPELLINGS for t in tokens]
    return AttentionMaps(
        tokens=tokens,
        maps=snapshot.maps[sentence],
        segments=[0] * len(tokens),
        special=special,
        spans=[(0, 0, 0)] * len(tokens),
        words=list(range(len(tokens))),
        text=snapshot.sentences[sentence],
    )


class TrainingProbesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_dir: Path | None = None
        self.steps: list[ProbeStep] = []
        self.snapshot: ProbeSnapshot | None = None
        open_button = QPushButton("Open run…")
        open_button.setToolTip("A run folder trained with probe sentences (Train page: probe sentences)")
        open_button.clicked.connect(self._choose_run)
        self.run_label = QLabel("No run opened.")
        self.run_label.setWordWrap(True)
        self.add_probes_button = QPushButton("Add Probe Sentences…")
        self.add_probes_button.setObjectName("addProbeSentencesButton")
        self.add_probes_button.setToolTip(
            "Compute the attention and prediction of sentences you choose now at every checkpoint the run kept"
        )
        self.add_probes_button.setEnabled(False)
        self.add_probes_button.clicked.connect(self._choose_probe_sentences)
        self.curve = ThemedPlotWidget()
        self.curve.setLabel("bottom", "step")
        self.curve.setLabel("left", "loss")
        self.curve.apply_colors()
        self.curve.showGrid(x=True, y=True, alpha=0.2)
        self.curve.setMaximumHeight(200)
        self.train_curve = self.curve.plot(pen=pg.mkPen("#1f77b4", width=2), name="training loss")
        self.probe_points = self.curve.plot(
            pen=None, symbol="o", symbolBrush="#ff7f0e", name="recorded steps"
        )
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#d62728", width=2))
        self.curve.addItem(self.marker, ignoreBounds=True)  # the curve decides the range, not the marker
        self.curve.scene().sigMouseClicked.connect(self._curve_clicked)
        self.curve.setToolTip("Click the curve to jump to the nearest recorded step")
        self._empty_curve()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.step_label = QLabel()
        self.sentence = QComboBox()
        self.layer = QSpinBox()
        self.head = QComboBox()
        self.prediction = QLabel()
        self.prediction.setWordWrap(True)
        self.heatmap = AttentionHeatmap()
        self.heatmap.step_requested.connect(self._step_keys)

        top = QHBoxLayout()
        top.addWidget(open_button)
        top.addWidget(self.run_label, 1)
        top.addWidget(self.add_probes_button)
        scrub = QHBoxLayout()
        scrub.addWidget(QLabel("Step"))
        scrub.addWidget(self.slider, 1)
        scrub.addWidget(self.step_label)
        choice = QHBoxLayout()
        choice.addWidget(QLabel("Sentence"))
        choice.addWidget(self.sentence, 1)
        choice.addWidget(QLabel("Layer"))
        choice.addWidget(self.layer)
        choice.addWidget(QLabel("Head"))
        choice.addWidget(self.head)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addLayout(top)
        upper_layout.addWidget(self.curve)
        upper_layout.addLayout(scrub)
        upper_layout.addLayout(choice)
        upper_layout.addWidget(self.prediction)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(self.heatmap)
        self.heatmap.hide()  # until a run with probes is opened: no empty axes
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.slider.valueChanged.connect(self._load_step)
        for signal in (
            self.sentence.currentIndexChanged,
            self.layer.valueChanged,
            self.head.currentIndexChanged,
        ):
            signal.connect(self.redraw)

    def _choose_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a run folder")
        if folder:
            try:
                self.open_run(folder)
            except Exception as exc:  # shown to the user; the page stays usable
                show_error(self, exc, "Could not open the run's probes")

    def open_run(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.add_probes_button.setEnabled((self.run_dir / "run.json").is_file())
        if not (self.run_dir / "run.json").is_file():
            self._show_nothing(
                f"{self.run_dir.name} is not a run folder (it has no run.json): open one from the workspace's runs/."
            )
            return
        self.steps = list_probe_steps(self.run_dir)
        if not self.steps:
            self._show_nothing(
                f"{self.run_dir.name}: no probes recorded. Write probe sentences on the Train page (Advanced) before Start to follow "
                "them across training."
            )
            return
        self.heatmap.show()
        self.run_label.setText(f"{self.run_dir.name}: {len(self.steps)} recorded steps")
        records = read_jsonl(self.run_dir / METRICS_FILE)
        train = [(r["step"], r["loss"]) for r in records if r.get("kind") == "step" and "loss" in r]
        self.train_curve.setData([s for s, _ in train], [v for _, v in train])
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.steps) - 1)
        self.slider.setValue(len(self.steps) - 1)
        self.slider.blockSignals(False)
        self.slider.setEnabled(True)
        self._load_step(self.slider.value())
        self._mark_probe_steps(train)

    # ----- after the run -----
    def _choose_probe_sentences(self) -> None:
        current = "\n".join(self.snapshot.sentences) if self.snapshot is not None else ""
        text, ok = QInputDialog.getMultiLineText(
            self,
            "Probe sentences",
            "One sentence per line (at most 8); computed at every checkpoint the run kept:",
            current,
        )
        if ok:
            self.add_probe_sentences([line for line in text.splitlines() if line.strip()])

    def add_probe_sentences(self, sentences: list[str]) -> None:
        """Compute `sentences` at the run's kept checkpoints in the background, then show them."""
        from bertstudio.inspect.probes_after_training import record_probes_from_checkpoints

        run_dir = self.run_dir
        self.add_probes_button.setEnabled(False)
        self.run_label.setText(f"{run_dir.name}: computing the probes at each kept checkpoint…")
        run_in_background(
            record_probes_from_checkpoints,
            run_dir,
            sentences,
            owner=self,
            on_done=lambda _steps: self.open_run(run_dir),
            on_error=self._probes_failed,
        )

    def _probes_failed(self, exc: BaseException) -> None:
        self.add_probes_button.setEnabled(True)
        if self.run_dir is not None:
            self.open_run(self.run_dir)
        show_error(self, exc, "Could not compute the probes")

    def _curve_clicked(self, event) -> None:
        if self.steps and self.curve.sceneBoundingRect().contains(event.scenePos()):
            self.jump_to_step(self.curve.getPlotItem().vb.mapSceneToView(event.scenePos()).x())

    def jump_to_step(self, step: float) -> None:
        """Show the recorded step nearest to `step` (a click on the loss curve)."""
        if self.steps:
            nearest = min(range(len(self.steps)), key=lambda i: abs(self.steps[i].step - step))
            self.slider.setValue(nearest)

    def _show_nothing(self, message: str) -> None:
        """Say why there is nothing to show, and show nothing of a run opened before."""
        self.run_label.setText(message)
        self.steps, self.snapshot = [], None
        self.slider.setEnabled(False)
        self.step_label.setText("")
        self.prediction.setText("")
        self.train_curve.setData([], [])
        self.probe_points.setData([], [])
        self._empty_curve()
        self.heatmap.hide()

    def _empty_curve(self) -> None:
        """Axes from 0 with no marker: what a plot without a run shows."""
        self.marker.hide()
        self.curve.setRange(xRange=(0, 10), yRange=(0, 1), padding=0)
        self.curve.enableAutoRange()

    def _mark_probe_steps(self, train: list[tuple[int, float]]) -> None:
        losses = dict(train)
        points = [(s.step, s.metrics.get("loss", losses.get(s.step))) for s in self.steps]
        points = [(x, y) for x, y in points if y is not None]
        self.probe_points.setData([x for x, _ in points], [y for _, y in points])

    def _load_step(self, index: int) -> None:
        step = self.steps[index]
        self.snapshot = load_probe_step(self.run_dir, step.step)
        metrics = ", ".join(f"{k} {v:.4g}" for k, v in step.metrics.items())
        self.step_label.setText(f"{step.step}  {metrics}")
        self.marker.setValue(step.step)
        self.marker.show()
        shape = self.snapshot.maps[0].shape
        if self.sentence.count() != len(self.snapshot.sentences) or self.layer.maximum() != shape[0] - 1:
            for widget in (self.sentence, self.layer, self.head):
                widget.blockSignals(True)
            self.sentence.clear()
            self.sentence.addItems(self.snapshot.sentences)
            self.layer.setRange(0, shape[0] - 1)
            self.head.clear()
            self.head.addItems([f"Head {h}" for h in range(shape[1])] + ["Mean of heads", "Max of heads"])
            for widget in (self.sentence, self.layer, self.head):
                widget.blockSignals(False)
        self.redraw()

    def redraw(self) -> None:
        if self.snapshot is None:
            return
        sentence = max(self.sentence.currentIndex(), 0)
        maps = snapshot_maps(self.snapshot, sentence)
        heads = maps.num_heads
        index = self.head.currentIndex()
        head = index if index < heads else ("mean" if index == heads else "max")
        options = ViewOptions(layer=self.layer.value(), head=head)
        self.heatmap.set_view(
            view_matrix(maps, options),
            f"Step {self.snapshot.step} · layer {options.layer} · {self.head.currentText().lower()}",
        )
        scores = self.snapshot.scores[sentence]
        if scores and self.snapshot.labels:
            pairs = sorted(zip(self.snapshot.labels, scores, strict=True), key=lambda item: -item[1])
            self.prediction.setText(
                "<b>Prediction</b>: " + ", ".join(f"{label} {score:.3f}" for label, score in pairs)
            )
        else:
            self.prediction.setText("The model had no prediction head; only attention was recorded.")

    def _step_keys(self, layers: int, heads: int) -> None:
        if layers:
            self.layer.setValue((self.layer.value() + layers) % (self.layer.maximum() + 1))
        if heads:
            self.head.setCurrentIndex((self.head.currentIndex() + heads) % self.head.count())
