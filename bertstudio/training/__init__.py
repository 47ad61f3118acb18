"""The training engine: fine-tuning, pretraining, evaluation, checkpoints and resume. No Qt.

Entry points (what the GUI worker thread and the CLI call)::

    from bertstudio.training import RunConfig, TrainingControl, run_training, resume_training

    config = RunConfig(task="classification", model_path="models/minilm", data_path="reviews.csv",
                       text_column="text", label_columns=["label"], output_dir="runs/reviews")
    control = TrainingControl()          # control.pause() / .resume() / .cancel() from any thread
    result = run_training(config, on_event=print, control=control)   # blocks until the run ends
    result = resume_training("runs/reviews", on_event=print, control=control)

- `RunConfig` (config.py): one flat dataclass; `RunConfig.load_toml(path)` / `config.save_toml(path)`;
  `to_dict()` / `from_dict()` (the `config` entry of run.json); `validate()` raises ConfigError.
- `on_event(event)` is called on the training thread with small dataclasses from events.py:
  StartedEvent, StepEvent, EvalEvent, LogEvent, CheckpointEvent, FinishedEvent, FailedEvent
  (`event.kind` is "started", "step", "eval", "log", "checkpoint", "finished", "failed"). Each is also
  a line of the run's metrics.jsonl. Events carry numbers, strings and lists only.
- `run_training` / `resume_training` return a `RunResult` (results.py: status "completed",
  "early_stopped", "cancelled" or "failed"; on failure `result.error` holds the BertStudioError, after
  a FailedEvent). They never raise BertStudioError; an unexpected exception is reported as a
  FailedEvent and re-raised. `resume_training(..., overrides={"device": "cuda"})` may change only the
  settings in RESUME_OVERRIDES (hardware, checkpoint and log frequency).
- The run folder layout is in run_store.py; `RunFolder(path).read_events()` reads the curves back,
  `run_status(path)` says whether a run is running, finished, failed or resumable.
- Under `torchrun --nproc_per_node N` the same calls train with DistributedDataParallel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bertstudio.training.config import RunConfig
from bertstudio.training.control import TrainingControl
from bertstudio.training.events import (
    CheckpointEvent,
    EvalEvent,
    Event,
    FailedEvent,
    FinishedEvent,
    LogEvent,
    StartedEvent,
    StepEvent,
)
from bertstudio.training.run_store import RunFolder, run_status

# Settings a resume may change: where and how fast it computes, how often it saves and logs.
RESUME_OVERRIDES = (
    "device",
    "precision",
    "cpu_threads",
    "save_every_steps",
    "save_every_minutes",
    "keep_checkpoints",
    "log_every_steps",
)

__all__ = [
    "CheckpointEvent",
    "EvalEvent",
    "Event",
    "FailedEvent",
    "FinishedEvent",
    "LogEvent",
    "RunConfig",
    "RunFolder",
    "StartedEvent",
    "StepEvent",
    "TrainingControl",
    "resume_training",
    "run_status",
    "run_training",
]


def run_training(
    config: RunConfig,
    on_event: Callable[[Event], None] | None = None,
    control: TrainingControl | None = None,
):
    """Train a new run into `config.output_dir` (which must not hold a run yet). Returns a RunResult."""
    from bertstudio.training.trainer import Trainer, run_with_events

    return run_with_events(Trainer(config, on_event, control or TrainingControl(), resume=False))


def resume_training(
    run_dir: str | Path,
    on_event: Callable[[Event], None] | None = None,
    control: TrainingControl | None = None,
    overrides: dict | None = None,
):
    """Continue a run from its newest checkpoint with the config saved in its run.json.
    `overrides` may change only settings that leave the step sequence alone (RESUME_OVERRIDES:
    device, precision, threads, checkpoint and log frequency); others are a ConfigError."""
    from bertstudio.errors import BertStudioError, ConfigError
    from bertstudio.training.results import RunResult
    from bertstudio.training.trainer import Trainer, run_with_events

    try:
        config = _resume_config(RunFolder(run_dir))
        refused = sorted(set(overrides or {}) - set(RESUME_OVERRIDES))
        if refused:
            raise ConfigError(
                f"{', '.join(refused)} cannot change when resuming: the run continues with its saved settings.",
                f"Resume without them, or start a new run. Changeable on resume: {', '.join(RESUME_OVERRIDES)}.",
            )
        for name, value in (overrides or {}).items():
            setattr(config, name, value)
    except BertStudioError as exc:
        if on_event is not None:
            on_event(FailedEvent(exc.located(), exc.hint))
        return RunResult("failed", str(run_dir), "", 0, error=exc)
    config.output_dir = str(run_dir)
    return run_with_events(Trainer(config, on_event, control or TrainingControl(), resume=True))


def _resume_config(folder: RunFolder) -> RunConfig:
    """run.json's config; when run.json is lost or damaged, the copy in the newest whole checkpoint."""
    from bertstudio.errors import RunStoreError
    from bertstudio.training.checkpoint import RUN_COPY, saved_run_info

    try:
        return folder.read_config()
    except RunStoreError:
        saved = saved_run_info(folder.checkpoints)
        if saved is None:
            raise
        info, checkpoint = saved
        return RunConfig.from_dict(info["config"], source=checkpoint / RUN_COPY)
