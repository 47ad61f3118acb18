"""Find LR: a learning-rate range test of the run the form describes (bertstudio.training.lr_range_test)
on a worker thread, its loss-vs-rate curve drawn as it runs, and the suggested rate one click away."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from bertstudio.gui import theme
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.widgets.curves import make_curve
from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget
from bertstudio.gui.workers import BackgroundJob, TrainingWorker
from bertstudio.training.config import RunConfig

PLOT_HEIGHT = 190
SHOWN_ABOVE_START = 1.5  # the y axis ends at this multiple of the first loss: divergence would hide the dip


class LearningRateFinder(QWidget):
    """`config_of_run()` gives the run to scan (what Start would train); rate_chosen(rate) when the
    person takes the suggestion."""

    rate_chosen = Signal(float)
    finished = Signal()

    def __init__(self, config_of_run: Callable[[], RunConfig]) -> None:
        super().__init__()
        self.setObjectName("learningRateFinder")
        self.config_of_run = config_of_run
        self.rates: list[float] = []
        self.losses: list[float] = []
        self.scan = None  # the last RateScan
        self.job: BackgroundJob | None = None
        self.worker: TrainingWorker | None = None
        self.available = True  # a scan may start (not while a run trains: it would share the CPU)

        self.find_button = QPushButton("Find LR")
        self.find_button.setObjectName("findLearningRateButton")
        self.find_button.setToolTip(
            "A learning-rate range test: 100 steps of this run with the rate rising from 1e-7 to 0.1; "
            "suggests the rate where the loss falls fastest. Nothing is saved."
        )
        self.find_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopLearningRateButton")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.use_button = QPushButton("Use Suggested Rate")
        self.use_button.setObjectName("useSuggestedRateButton")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._use)
        self.status = QLabel("")
        self.status.setObjectName("learningRateFinderStatus")
        self.status.setWordWrap(True)
        self.plot = ThemedPlotWidget("learningRatePlotScan", "Loss by learning rate", "loss")
        self.plot.setLabel("bottom", "learning rate")
        self.plot.setLogMode(x=True, y=False)
        self.plot.setMinimumHeight(140)
        self.plot.setMaximumHeight(PLOT_HEIGHT)  # the form above keeps its room
        self.raw = make_curve(self.plot, theme.SERIES_COLORS[0], "loss", width=1.0, alpha=90)
        self.smoothed = make_curve(self.plot, theme.SERIES_COLORS[0], "smoothed")
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen(theme.SERIES_COLORS[3], width=2))
        self.marker.hide()
        self.plot.addItem(self.marker, ignoreBounds=True)
        self.plot.hide()

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.find_button, self.stop_button, self.use_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.plot)

    def is_running(self) -> bool:
        return self.job is not None

    def set_available(self, available: bool) -> None:
        """Whether Find LR may start a scan now (the page says no while a run trains)."""
        self.available = available
        self.find_button.setEnabled(available and not self.is_running())

    def start(self) -> None:
        from bertstudio.errors import BertStudioError
        from bertstudio.training.lr_range_test import find_learning_rate

        if not self.available or self.is_running():
            return
        try:
            config = self.config_of_run()
            config.validate()
        except BertStudioError as exc:
            show_error(self, exc, "Cannot run the range test")
            return
        self.rates, self.losses, self.scan = [], [], None
        self.raw.setData([], [])
        self.smoothed.setData([], [])
        self.marker.hide()
        self.plot.show()
        self.use_button.setEnabled(False)
        self.status.setText("Range test: preparing data and model...")

        def scan(on_event, control):
            self.scan = find_learning_rate(config, on_event, control)

        self.worker = TrainingWorker(scan)
        self.worker.events.connect(self._events)
        self.worker.crashed.connect(self._crashed)
        self.job = BackgroundJob(self.worker)
        self.job.thread.finished.connect(self._ended)
        self.job.start()
        self.find_button.setEnabled(False)
        self.stop_button.setEnabled(True)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.control.cancel()

    def _events(self, events: list) -> None:
        for event in events:
            if event.kind == "step":
                self.rates.append(event.learning_rate)
                self.losses.append(event.loss)
                self.status.setText(
                    f"Range test: step {event.step} / {event.total_steps}, rate {event.learning_rate:.1e}, "
                    f"loss {event.loss:.3f}"
                )
        if self.rates:
            self.raw.setData(np.asarray(self.rates), np.asarray(self.losses))

    def _crashed(self, exc: BaseException) -> None:
        self.status.setText("The range test stopped with an error.")
        show_error(self, exc, "The range test failed")

    def _ended(self) -> None:
        self.job = self.worker = None
        self.find_button.setEnabled(self.available)
        self.stop_button.setEnabled(False)
        scan = self.scan
        if scan is not None:
            self.raw.setData(np.asarray(scan.rates), np.asarray(scan.losses))
            self.smoothed.setData(np.asarray(scan.rates), np.asarray(scan.smoothed))
            if scan.smoothed:
                low, start = min(scan.smoothed), scan.smoothed[0]
                self.plot.setYRange(low * 0.9, max(start * SHOWN_ABOVE_START, low * 1.1), padding=0)
            stopped = {"cancelled": " (stopped)", "diverged": " (stopped when the loss diverged)"}
            self.status.setText(f"{scan.note}{stopped.get(scan.status, '')}")
            if scan.suggested_rate is not None:
                self.marker.setValue(np.log10(scan.suggested_rate))
                self.marker.show()
                self.use_button.setEnabled(True)
                self.use_button.setText(f"Use {scan.suggested_rate:.1e}")
        self.finished.emit()

    def _use(self) -> None:
        if self.scan is not None and self.scan.suggested_rate is not None:
            rate = float(f"{self.scan.suggested_rate:.1e}")
            self.rate_chosen.emit(rate)
            self.status.setText(f"Learning rate set to {rate:.1e}.")
