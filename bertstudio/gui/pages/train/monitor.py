"""The Train page's monitor: progress with ETA and throughput, the result line, and the live curves.
It turns the training session's events into text, curve points and log lines."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from bertstudio.errors import TrainingError
from bertstudio.gui.controller import AppController
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.widgets.curves import LiveCurves
from bertstudio.gui.widgets.log_panel import LogPanel
from bertstudio.training.duration import StepEta, format_duration
from bertstudio.training.guidance import loss_progress_note


def events_from_records(records: list[dict]) -> list:
    """metrics.jsonl records as event objects (the curves so far of a resumed run)."""
    from bertstudio.training.events import record_to_event

    return [record_to_event(r) for r in records if r.get("kind") in ("step", "eval")]


class TrainMonitor(QWidget):
    def __init__(self, controller: AppController, log_panel: LogPanel) -> None:
        super().__init__()
        self.setObjectName("trainMonitor")
        self.controller = controller
        self.session = controller.session
        self.log_panel = log_panel
        self.eta = StepEta()

        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setAccessibleName("Training progress")
        self.progress.setFormat("%p%")
        self.progress_label = QLabel("Not started")
        self.progress_label.setObjectName("progressLabel")
        self.throughput_label = QLabel("")
        self.throughput_label.setObjectName("throughputLabel")
        self.throughput_label.setProperty("role", "muted")
        self.throughput_label.setToolTip(
            "Examples and real (non-padding) tokens per second of the last training step"
        )
        self.result_label = QLabel("")
        self.result_label.setObjectName("resultLabel")
        self.result_label.setWordWrap(True)
        self.curves = LiveCurves()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # Text that changes every step must not resize the plots (a resize repaints them from scratch): the
        # labels take the width they are given instead of asking for their text's width.
        for label in (self.progress_label, self.throughput_label):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.throughput_label)
        layout.addWidget(self.result_label)
        layout.addWidget(self.curves, 1)

        self.session.launched.connect(self._launched)
        self.session.events.connect(self.handle_events)
        self.session.crashed.connect(self._crashed)
        self.session.pause_changed.connect(self._pause_changed)

    def show_ready(self, ready: bool, why: str) -> None:
        """Before any run of this window: say whether Start can train, or what to do first."""
        if not self.controller.is_running() and self.session.run_dir is None:
            self.progress_label.setText("Ready: press Start." if ready else why)

    def _launched(self) -> None:
        """A run was handed to the worker: nothing of the run before stays on screen."""
        self.eta.reset()
        self.result_label.setText("")
        self.throughput_label.setText("")
        self.curves.clear()
        self.curves.set_metric(self.session.config.best_metric)
        resumed = self.session.resumed_config
        if resumed is not None:  # a resumed run's curves so far come first
            from bertstudio.training.run_store import RunFolder

            self.handle_events(events_from_records(RunFolder(self.session.run_dir).read_events()))
        self.progress_label.setText("Preparing data and model...")

    def _pause_changed(self, paused: bool) -> None:
        if paused:
            self.progress_label.setText(self.progress_label.text() + "  (paused)")

    def cancelling(self) -> None:
        self.progress_label.setText("Cancelling: saving a checkpoint...")

    # ----- events -----
    def handle_events(self, events: list) -> None:
        for event in events:
            handler = getattr(self, f"_on_{event.kind}", None)
            if handler is not None:
                handler(event)

    def _on_started(self, event) -> None:
        self.progress.setRange(0, max(event.total_steps, 1))
        self.progress.setValue(event.start_step)
        where = event.device  # with its precision: 'CPU, 2 threads, fp32'
        self.curves.set_run_name(Path(event.run_dir).name)
        self.log_panel.append_line(
            f"Run {event.run_dir}: {event.train_examples:,} training / {event.eval_examples:,} validation "
            f"examples, {event.total_steps:,} steps on {where}"
            + (f", resuming at step {event.start_step:,}" if event.start_step else "")
        )

    def _on_step(self, event) -> None:
        self.curves.add_step(event.step, event.epoch, event.loss, event.learning_rate)
        self.progress.setMaximum(max(event.total_steps, 1))
        self.progress.setValue(event.step)
        if not self.controller.is_running():
            return  # the curves of a resumed run's earlier sessions: no ETA from them
        eta = self.eta.update(time.monotonic(), event.step, event.total_steps)
        planned = self.session.planned_epochs
        of_epochs = f" / {planned}" if planned else ""  # max steps limits the run: no epoch count
        paused = "  (paused)" if self.session.paused else ""
        self.progress_label.setText(
            f"Step {event.step:,} / {event.total_steps:,}  ·  epoch {event.epoch:.2f}{of_epochs}  ·  "
            f"ETA {format_duration(eta)}  ·  elapsed {format_duration(event.elapsed_seconds)}{paused}"
        )
        throughput = f"{event.samples_per_second:,.1f} samples/s  ·  {event.tokens_per_second:,.0f} tokens/s"
        self.throughput_label.setText(throughput + f"  ·  loss {event.loss:.4f}")

    def _on_eval(self, event) -> None:
        if event.split == "validation":
            self.curves.add_eval(event.step, event.epoch, event.metrics)
        if not self.controller.is_running():
            return
        scalars = ", ".join(
            f"{k} {v:.4g}"
            for k, v in event.metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        )
        self.log_panel.append_line(
            f"{event.split} at step {event.step:,}: {scalars}" + (" (best)" if event.is_best else "")
        )

    def _on_log(self, event) -> None:
        self.log_panel.append_line(
            event.message if event.level == "info" else f"{event.level.upper()}: {event.message}"
        )

    def _on_checkpoint(self, event) -> None:
        self.log_panel.append_line(f"Checkpoint at step {event.step:,} ({event.reason})")

    def _on_finished(self, event) -> None:
        self.progress.setValue(event.step)
        metric = self.session.config.best_metric if self.session.config else ""
        best = (
            f" Best {metric} {event.best_metric:.4g} at step {event.best_step:,}."
            if event.best_metric is not None and event.best_step is not None
            else ""
        )
        if event.status == "cancelled":
            text = f"Cancelled at step {event.step:,}. A checkpoint was saved: resume it from the Runs page."
        else:
            text = f"Finished ({event.status.replace('_', ' ')}) at step {event.step:,}.{best}"
            if event.model_dir:
                text += f" Model saved to {event.model_dir}."
            still = loss_progress_note(self.curves.train_loss.values.tolist())
            text += f" {still}" if still else ""
        self.progress_label.setText(text.split(".")[0] + ".")
        self.result_label.setText(text)
        self.log_panel.append_line(text)

    def _on_failed(self, event) -> None:
        hint = event.hint
        if event.last_checkpoint:
            hint = (
                hint + " " if hint else ""
            ) + "The run can be resumed from its last checkpoint (Runs page)."
        self.progress_label.setText("Training failed.")
        self.result_label.setText(event.message)
        self.log_panel.append_line(f"FAILED: {event.message}")
        show_error(self, TrainingError(event.message, hint), "Training failed")

    def _crashed(self, exc: BaseException) -> None:
        self.progress_label.setText("Training stopped with an error.")
        show_error(self, exc, "Training failed")
