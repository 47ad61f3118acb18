"""Events a run reports: small dataclasses of plain numbers and strings (never tensors).

The engine calls `on_event(event)` from the training thread; the GUI's worker turns events into Qt
signals, the CLI into a progress bar. Every event is also one line of the run's `metrics.jsonl`
(`event_to_record` / `record_to_event`).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StartedEvent:
    run_dir: str
    total_steps: int
    start_step: int  # > 0 when resuming
    device: str
    precision: str
    world_size: int = 1
    train_examples: int = 0
    eval_examples: int = 0
    threads: int = 0  # torch CPU threads of this process
    kind: str = "started"


@dataclass
class StepEvent:
    step: int  # optimizer steps done
    total_steps: int
    epoch: float  # fractional epochs done
    loss: float  # mean training loss of this step
    learning_rate: float
    grad_norm: float  # before clipping
    samples_per_second: float
    elapsed_seconds: float  # training time so far, across resumes
    tokens_per_second: float = 0.0  # real (non-padding) tokens of the step's batches, all processes
    kind: str = "step"


@dataclass
class EvalEvent:
    step: int
    epoch: float
    split: str  # "validation" or "test"
    metrics: dict[str, Any]  # scalars, plus per-class lists and the confusion matrix (lists of numbers)
    is_best: bool = False
    kind: str = "eval"


@dataclass
class LogEvent:
    message: str
    level: str = "info"  # info / warning
    kind: str = "log"


@dataclass
class CheckpointEvent:
    step: int
    path: str
    reason: str  # "eval", "interval", "time", "cancel", "epoch"
    kind: str = "checkpoint"


@dataclass
class FinishedEvent:
    step: int
    status: str  # "completed", "early_stopped" or "cancelled"
    model_dir: str  # the saved model ("" when cancelled before the end)
    best_step: int | None = None
    best_metric: float | None = None
    final_metrics: dict[str, Any] = field(default_factory=dict)  # test-set metrics when a test split exists
    kind: str = "finished"


@dataclass
class FailedEvent:
    message: str
    hint: str = ""
    step: int = 0
    last_checkpoint: str = ""  # the newest resumable checkpoint, "" if none
    kind: str = "failed"


Event = StartedEvent | StepEvent | EvalEvent | LogEvent | CheckpointEvent | FinishedEvent | FailedEvent
EVENT_TYPES = {
    cls.kind: cls
    for cls in (StartedEvent, StepEvent, EvalEvent, LogEvent, CheckpointEvent, FinishedEvent, FailedEvent)
}


def event_to_record(event: Event) -> dict[str, Any]:
    """The metrics.jsonl form: the event's fields plus `time` (seconds since the epoch)."""
    return {**dataclasses.asdict(event), "time": round(time.time(), 3)}


def record_to_event(record: dict[str, Any]) -> Event:
    cls = EVENT_TYPES[record["kind"]]
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in record.items() if k in names})
