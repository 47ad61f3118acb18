"""The Embeddings page's Across training tab: a fine-tuning run's evaluation set as the model saw it at
each stored checkpoint, scrubbed with a slider or by clicking the loss curve, so a person sees the
classes separate as training goes. Frames are aligned to each other (bertstudio.embeddings.projection),
so between two steps the points move only as much as the model moved them."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.pages.embeddings_projector import NEIGHBOURS, fill_table, read_only_table
from bertstudio.gui.widgets.projector_view import ProjectorView
from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget
from bertstudio.gui.workers import ProgressRelay, run_in_background

COLOURINGS = ("Label", "Prediction", "Correct / wrong", "(none)")
PROJECTABLE_TASKS = ("classification", "multi_label", "regression", "sentence_similarity")


class TrainingProjectionTab(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.runs_dir: Path | None = None
        self.run_dir: Path | None = None
        self.projection = None  # bertstudio.embeddings.run_projection.RunProjection, once computed
        self._stop = threading.Event()
        self._relay = ProgressRelay(self)
        self._relay.progressed.connect(self._show_progress)

        self.run_combo = QComboBox()
        self.run_combo.setObjectName("projectionRun")
        self.run_combo.setAccessibleName("Run")
        self.run_combo.setMinimumContentsLength(24)
        open_button = QPushButton("Open run folder…")
        open_button.clicked.connect(self._choose_run)
        self.project_button = QPushButton("Project checkpoints")
        self.project_button.setObjectName("projectRunButton")
        self.project_button.setToolTip(
            "Embed the run's evaluation rows with the model at each stored checkpoint (cached)"
        )
        self.project_button.clicked.connect(lambda: self.open_run(self.run_combo.currentData()))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelRunProjectionButton")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._stop.set)
        self.progress = QProgressBar()
        self.progress.setObjectName("runProjectionProgress")
        self.progress.setFormat("%v / %m rows embedded")
        self.progress.hide()
        self.label = QLabel("Choose a fine-tuning run, then press Project checkpoints.")
        self.label.setObjectName("runProjectionLabel")
        self.label.setWordWrap(True)

        self.curve = ThemedPlotWidget("runProjectionCurve", "Training loss: click to jump to a checkpoint")
        self.curve.setLabel("bottom", "step")
        self.curve.setLabel("left", "loss")
        self.curve.apply_colors()
        self.curve.setMaximumHeight(170)
        self.loss_line = self.curve.plot(pen=pg.mkPen("#1f77b4", width=2))
        self.frame_marks = self.curve.plot(pen=None, symbol="o", symbolBrush="#ff7f0e", symbolSize=9)
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#d62728", width=2))
        self.marker.hide()
        self.curve.addItem(self.marker, ignoreBounds=True)
        self.curve.scene().sigMouseClicked.connect(self._curve_clicked)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("runProjectionSlider")
        self.slider.setAccessibleName("Checkpoint")
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self.show_frame)
        self.frame_label = QLabel("")
        self.frame_label.setObjectName("runProjectionFrame")
        self.colour_combo = QComboBox()
        self.colour_combo.setObjectName("runProjectionColour")
        self.colour_combo.setAccessibleName("Colour by")
        self.colour_combo.addItems(list(COLOURINGS))
        self.colour_combo.currentTextChanged.connect(lambda _: self._recolour())
        self.projector = ProjectorView("Evaluation rows at the chosen checkpoint: hover a point, click it")
        self.hover_label = QLabel("")
        self.hover_label.setObjectName("runProjectionHover")
        self.hover_label.setWordWrap(True)
        self.projector.hovered.connect(self.hover_label.setText)
        self.projector.point_clicked.connect(self.show_neighbours)
        self.neighbours_label = QLabel("Click a point for its nearest neighbours at this checkpoint.")
        self.neighbours_label.setWordWrap(True)
        self.neighbours = read_only_table("runProjectionNeighbours", ["Cosine", "Line", "Label", "Text"])

        top = QHBoxLayout()
        for widget in (QLabel("Run:"), self.run_combo, open_button, self.project_button, self.progress):
            top.addWidget(widget)
        top.addWidget(self.cancel_button)
        top.addStretch(1)
        scrub = QHBoxLayout()
        scrub.addWidget(QLabel("Checkpoint:"))
        scrub.addWidget(self.slider, 1)
        scrub.addWidget(self.frame_label)
        scrub.addWidget(QLabel("Colour by:"))
        scrub.addWidget(self.colour_combo)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.neighbours_label)
        side_layout.addWidget(self.neighbours, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.projector)
        splitter.addWidget(side)
        splitter.setSizes([700, 350])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.label)
        layout.addWidget(self.curve)
        layout.addLayout(scrub)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.hover_label)

    # ----- runs -----
    def set_runs_dir(self, runs_dir: Path | None) -> None:
        """Where the runs are; they are listed when the tab is shown (not while the window starts)."""
        self.runs_dir = Path(runs_dir) if runs_dir else None
        if self.isVisible():
            self.refresh_runs()

    def refresh_runs(self) -> None:
        """List the workspace's runs that have an exported model and a table to project, newest first."""
        from bertstudio.training.run_index import list_runs

        current = self.run_combo.currentData()
        self.run_combo.clear()
        records = list_runs(self.runs_dir) if self.runs_dir is not None and self.runs_dir.is_dir() else []
        for record in records:
            if record.model_dir is not None and record.task in PROJECTABLE_TASKS:
                self.run_combo.addItem(f"{record.name} ({record.task}, step {record.step:,})", record.path)
        if current is not None and self.run_combo.findData(current) >= 0:
            self.run_combo.setCurrentIndex(self.run_combo.findData(current))
        self.project_button.setEnabled(self.run_combo.count() > 0)
        if not self.run_combo.count() and self.projection is None:
            self.label.setText(
                "No finished fine-tuning run in this workspace yet: train one on the Train page, or open a run folder."
            )

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.refresh_runs()
        super().showEvent(event)

    def _choose_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a run folder")
        if folder:
            self.open_run(Path(folder))

    # ----- projecting -----
    def open_run(self, run_dir: Path | None) -> None:
        """Project the run's evaluation rows at each of its stored checkpoints (in the background)."""
        if run_dir is None:
            return
        from bertstudio.embeddings.run_projection import project_run

        self.run_dir = Path(run_dir)
        self._stop.clear()
        self.project_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.label.setText(f"{self.run_dir.name}: embedding the evaluation rows at each stored checkpoint...")
        run_in_background(
            lambda: project_run(
                self.run_dir, progress=self._relay.progressed.emit, should_stop=self._stop.is_set
            ),
            owner=self,
            on_done=self._projected,
            on_error=self._failed,
        )

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _finished(self) -> None:
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self.project_button.setEnabled(self.run_combo.count() > 0)

    def _failed(self, exc: BaseException) -> None:
        from bertstudio.embeddings.umap_projection import ProjectionCancelled

        self._finished()
        if isinstance(exc, ProjectionCancelled):
            self.label.setText(
                "Cancelled; the checkpoints done so far are cached. Press Project checkpoints to go on."
            )
        else:
            self.label.setText(f"{self.run_dir.name}: the checkpoints could not be projected.")
            show_error(self, exc, "Could not project the run")

    def _projected(self, projection) -> None:
        self._finished()
        self.projection = projection
        rows = projection.rows
        sampled = f" (a seeded sample of {rows.total:,})" if rows.total > len(rows.texts) else ""
        self.label.setText(
            f"{projection.run_dir.name}: {len(rows.texts):,} {rows.split} rows{sampled} at "
            f"{len(projection.frames)} checkpoints (step 0 is the model the run started from). Drag the slider "
            "or click the loss curve; each frame is PCA, rotated to match the one before."
        )
        self.loss_line.setData([s for s, _ in projection.losses], [v for _, v in projection.losses])
        losses = dict(projection.losses)
        marks = [(f.step, losses[f.step]) for f in projection.frames if f.step in losses]
        self.frame_marks.setData([s for s, _ in marks], [v for _, v in marks])
        frame = projection.frames[0]
        self.projector.set_points(frame.points, rows.texts, self._groups(frame))
        everything = np.concatenate([f.points for f in projection.frames]).astype(np.float64)
        (x0, y0), (x1, y1) = everything.min(axis=0), everything.max(axis=0)
        self.projector.view_box.setRange(xRange=(float(x0), float(x1)), yRange=(float(y0), float(y1)))
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(projection.frames) - 1)
        self.slider.setValue(len(projection.frames) - 1)
        self.slider.blockSignals(False)
        self.slider.setEnabled(True)
        self.show_frame(self.slider.value())

    def show_frame(self, number: int) -> None:
        """Show the frame at slider position `number` (same rows, same zoom, new positions)."""
        if self.projection is None:
            return
        from bertstudio.embeddings.run_projection import describe_frame

        frame = self.projection.frames[number]
        self.projector.move_points(frame.points)
        self._recolour()
        self.frame_label.setText(describe_frame(self.projection, frame))
        self.marker.setValue(frame.step)
        self.marker.show()

    def current_frame(self):
        return self.projection.frames[self.slider.value()] if self.projection is not None else None

    def jump_to_step(self, step: float) -> None:
        """Show the stored checkpoint nearest `step` (a click on the loss curve)."""
        if self.projection is not None:
            frames = self.projection.frames
            self.slider.setValue(min(range(len(frames)), key=lambda i: abs(frames[i].step - step)))

    def _curve_clicked(self, event) -> None:
        if self.projection is not None and self.curve.sceneBoundingRect().contains(event.scenePos()):
            self.jump_to_step(self.curve.getPlotItem().vb.mapSceneToView(event.scenePos()).x())

    def _groups(self, frame) -> list[str] | None:
        colouring = self.colour_combo.currentText()
        if colouring == "Label" and any(self.projection.rows.labels):
            return self.projection.rows.labels
        if colouring == "Prediction":
            return frame.predicted or ["(no prediction: no head yet)"] * len(frame.vectors)
        if colouring == "Correct / wrong":
            return self.projection.correctness(frame) or ["(no prediction: no head yet)"] * len(frame.vectors)
        return None

    def _recolour(self) -> None:
        frame = self.current_frame()
        if frame is not None:
            self.projector.set_groups(self._groups(frame))

    def show_neighbours(self, position: int) -> None:
        """The rows nearest the clicked one at this checkpoint (cosine in the model's embedding space)."""
        from bertstudio.embeddings.index import cosine_scores, row_norms, top_k

        frame, rows = self.current_frame(), self.projection.rows
        scores = cosine_scores(frame.vectors, row_norms(frame.vectors), frame.vectors[position])
        scores[position] = -np.inf
        found = top_k(scores, NEIGHBOURS)
        fill_table(
            self.neighbours,
            [[f"{scores[i]:.4f}", str(rows.lines[i]), rows.labels[i], rows.texts[i]] for i in found],
        )
        self.neighbours_label.setText(f"Nearest at {frame.title}: {rows.texts[position][:150]}")
