"""One training run on a worker thread at a time: start, resume, pause, cancel; its events arrive as a
Qt signal in batches. The controller owns it; the Train page shows what it reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from bertstudio.gui.workers import BackgroundJob, TrainingWorker
from bertstudio.training.config import RunConfig


def start_new_run(config: RunConfig, on_event, control) -> Any:
    from bertstudio.training import run_training

    return run_training(config, on_event=on_event, control=control)


def resume_run(run_dir: Path, on_event, control) -> Any:
    from bertstudio.training import resume_training

    return resume_training(run_dir, on_event=on_event, control=control)


class TrainingSession(QObject):
    launched = Signal()  # a run was handed to the worker thread (it prepares data and model first)
    events = Signal(list)  # engine events (bertstudio.training.events), in order
    crashed = Signal(object)  # an exception the engine did not turn into a failed event
    ended = Signal()  # the worker thread ended
    pause_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.job: BackgroundJob | None = None
        self.worker: TrainingWorker | None = None
        self.run_dir: Path | None = None  # the run training now (or last trained), once the engine says
        self.config: RunConfig | None = None  # what the run training now (or last) trains with
        self.resumed_config: RunConfig | None = None  # the config of the run being resumed, while it trains
        self.planned_epochs: int | None = None  # the run's epochs, None when max steps limits it

    def is_running(self) -> bool:
        return self.job is not None and self.job.is_running()

    @property
    def paused(self) -> bool:
        return self.worker is not None and self.worker.control.paused

    def start(self, config: RunConfig) -> None:
        self.resumed_config = None
        self._launch(start_new_run, config, config)

    def resume(self, run_dir: Path, config: RunConfig) -> None:
        """Continue `run_dir` (whose config is `config`) from its last checkpoint."""
        self.resumed_config = config
        self.run_dir = Path(run_dir)
        self._launch(resume_run, Path(run_dir), config)

    def _launch(self, start, argument, config: RunConfig) -> None:
        self.config = config
        self.planned_epochs = None if config.max_steps else config.epochs
        self.worker = TrainingWorker(start, argument)
        self.worker.events.connect(self._events)
        self.worker.crashed.connect(self.crashed)
        self.job = BackgroundJob(self.worker)
        self.job.thread.finished.connect(self._ended)
        self.job.start()
        self.launched.emit()

    def _events(self, events: list) -> None:
        for event in events:
            if event.kind == "started":
                self.run_dir = Path(event.run_dir)
        self.events.emit(events)

    def toggle_pause(self) -> None:
        if not self.is_running():
            return
        control = self.worker.control
        if control.paused:
            control.resume()
        else:
            control.pause()
        self.pause_changed.emit(control.paused)

    def cancel(self) -> None:
        """Stop after the current step; the engine saves a checkpoint first."""
        if self.is_running():
            self.worker.control.cancel()

    def wait(self, timeout_ms: int) -> None:
        if self.job is not None:
            self.job.thread.wait(timeout_ms)

    def _ended(self) -> None:
        self.job = None
        self.worker = None
        self.resumed_config = None
        self.ended.emit()
