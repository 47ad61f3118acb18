"""Runs the fault tests share: one uninterrupted reference, one run cancelled part-way (copied per test)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bertstudio.training import TrainingControl, run_training
from tests.core.training_fixtures import run_config, sentiment_csv, tiny_model

# One thread: a child forked by the kill -9 tests cannot use a torch thread pool made before the fork
# (headless runs use every core by default, and the child hung in its thread pool).
SETTINGS = dict(max_steps=12, save_every_steps=3, eval_every_steps=6, cpu_threads=1)


class FaultRuns:
    """A reference run and a template of the same run cancelled at step 8 (checkpoints at 6 and 8)."""

    def __init__(self, folder: Path) -> None:
        self.data, self.model = sentiment_csv(folder), tiny_model(folder)
        self.reference = folder / "reference"
        assert run_training(self.config(self.reference)).ok
        self.cancelled = folder / "cancelled"
        control = TrainingControl()
        result = run_training(
            self.config(self.cancelled),
            lambda e: e.kind == "step" and e.step == 8 and control.cancel(),
            control,
        )
        assert result.status == "cancelled" and result.step == 8

    def config(self, out: Path, **overrides):
        return run_config(self.model, self.data, out, **{**SETTINGS, **overrides})

    def cancelled_copy(self, folder: Path) -> Path:
        return Path(shutil.copytree(self.cancelled, folder / "run"))
