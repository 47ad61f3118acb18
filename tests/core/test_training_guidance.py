"""Advice before and after a run, and the learning-rate range test on a tiny real model."""

from __future__ import annotations

import math

import pytest

from bertstudio.errors import ConfigError
from bertstudio.training import RunConfig, TrainingControl
from bertstudio.training.guidance import advise, loss_progress_note, plan_steps
from bertstudio.training.lr_range_test import find_learning_rate
from tests.core.training_fixtures import EventLog, run_config, sentiment_csv, tiny_model


def test_the_plan_counts_steps_as_the_trainer_does():
    plan = plan_steps(RunConfig(epochs=3, batch_size=16, gradient_accumulation=2, warmup_ratio=0.1), 480)
    assert (plan.steps_per_epoch, plan.total_steps, plan.warmup_steps) == (15, 45, 5)
    assert (
        plan.describe()
        == "45 optimizer steps (15 per epoch over 480 training examples), 5 of them warming up"
    )
    assert plan_steps(RunConfig(max_steps=7, warmup_ratio=0.5), 480).total_steps == 7


def test_a_run_too_short_to_learn_is_warned_about():
    # the run that barely moved: 600 rows (480 to train), one epoch at 5e-5
    config = RunConfig(epochs=1, batch_size=16, learning_rate=5e-5)
    (warning,) = advise(config, plan_steps(config, 480))
    assert warning.startswith(
        "30 steps at learning rate 5e-05 are likely too few to learn: raise the learning"
    )
    assert "about 1e-04" in warning and "about 60 steps" in warning
    assert advise(RunConfig(epochs=1, batch_size=16, learning_rate=2e-4), plan_steps(config, 480)) == []
    few = RunConfig(epochs=1, batch_size=16, learning_rate=1e-3)
    assert advise(few, plan_steps(few, 100))[0].startswith("Only 7 optimizer steps: too short to learn.")
    pretraining = RunConfig(task="pretraining", epochs=1, learning_rate=1e-6)
    assert advise(pretraining, plan_steps(pretraining, 100)) == []


def test_a_loss_that_barely_moved_is_said():
    still = [2.08 - 0.0027 * i for i in range(30)]
    assert loss_progress_note(still) == (
        "The training loss barely moved (2.08 to 2.00 over 30 steps): the model learned little. "
        "Try a higher learning rate (Find LR suggests one) or more epochs."
    )
    assert loss_progress_note([2.0 - 0.05 * i for i in range(30)]) is None
    assert loss_progress_note([2.0, 2.0]) is None


@pytest.fixture
def scan_config(tmp_path):
    data, model = sentiment_csv(tmp_path, count=120), tiny_model(tmp_path, dropout=False)
    return run_config(model, data, tmp_path / "never-written", batch_size=8)


def test_the_range_test_suggests_a_rate_where_the_loss_falls(scan_config, tmp_path):
    events = EventLog()
    scan = find_learning_rate(scan_config, events, steps=60, min_rate=1e-5, max_rate=10.0)
    assert scan.status in ("completed", "diverged")
    assert len(scan.rates) == len(scan.losses) == len(events.kinds("step")) >= 30
    assert scan.rates == sorted(scan.rates) and scan.rates[0] == pytest.approx(1e-5)
    assert [e.learning_rate for e in events.kinds("step")] == scan.rates
    assert scan.suggested_rate is not None and math.isfinite(scan.suggested_rate)
    assert scan.rates[0] < scan.suggested_rate < scan.rates[-1]
    lowest = scan.smoothed.index(min(scan.smoothed))
    assert scan.smoothed[lowest] < scan.smoothed[0] - 0.1  # the loss fell ...
    assert scan.smoothed[-1] >= scan.smoothed[lowest]  # ... then rose or stayed flat
    assert scan.note.startswith(f"Suggested learning rate {scan.suggested_rate:.1e}")
    assert not (tmp_path / "never-written").exists()


def test_the_range_test_stops_when_cancelled_and_refuses_a_bad_range(scan_config):
    control = TrainingControl()
    control.cancel()
    scan = find_learning_rate(scan_config, control=control, steps=20)
    assert (scan.status, scan.rates, scan.suggested_rate) == ("cancelled", [], None)
    with pytest.raises(ConfigError, match="0 < min_rate < max_rate"):
        find_learning_rate(scan_config, steps=20, min_rate=1e-2, max_rate=1e-3)
