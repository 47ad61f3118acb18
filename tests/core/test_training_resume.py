"""Resume continues the exact step sequence: after a cancel, and after kill -9 at a random moment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from safetensors.torch import load_file

from bertstudio.training import RunFolder, TrainingControl, resume_training, run_status, run_training
from bertstudio.training.checkpoint import list_checkpoints
from tests.core.training_fixtures import (
    EventLog,
    eval_records,
    run_config,
    sentiment_csv,
    step_losses,
    tiny_model,
)


def assert_same_curve(reference: dict[int, float], resumed: dict[int, float]) -> None:
    assert sorted(resumed) == sorted(reference)
    for step, loss in reference.items():
        assert resumed[step] == pytest.approx(loss, abs=1e-5), f"step {step}"


def assert_same_weights(run_a, run_b) -> None:
    a = load_file(str(run_a / "model" / "model.safetensors"))
    b = load_file(str(run_b / "model" / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert (a[key] - b[key]).abs().max().item() < 1e-5, key


@pytest.mark.parametrize("accumulation", [1, 2])
def test_cancel_then_resume_matches_an_uninterrupted_run(tmp_path, accumulation):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)  # dropout on: resumed masks must match too
    settings = dict(
        epochs=3,
        max_steps=12,
        eval_every_steps=5,
        gradient_accumulation=accumulation,
        batch_size=8 // accumulation,
    )
    reference = run_config(model, data, tmp_path / "reference", **settings)
    assert run_training(reference).status == "completed"

    control = TrainingControl()
    events = EventLog()

    def cancel_at_step_7(event):
        events(event)
        if event.kind == "step" and event.step == 7:
            control.cancel()

    interrupted = run_config(model, data, tmp_path / "interrupted", **settings)
    result = run_training(interrupted, cancel_at_step_7, control)
    assert result.status == "cancelled" and result.step == 7
    assert [e.reason for e in events.kinds("checkpoint")][-1] == "cancel"
    assert run_status(tmp_path / "interrupted") == "cancelled"
    kept = RunFolder(tmp_path / "interrupted").read_info()["result"]  # the Runs page shows the best so far
    assert (
        kept["step"] == 7 and kept["best_step"] == 5 and kept["best_metric"] == result.best_metric is not None
    )
    assert list_checkpoints(tmp_path / "interrupted" / "checkpoints")[-1].name == "step-00000007"

    resumed = resume_training(tmp_path / "interrupted")
    assert resumed.status == "completed" and resumed.step == 12
    assert_same_curve(step_losses(tmp_path / "reference"), step_losses(tmp_path / "interrupted"))
    reference_evals = [(r["step"], r["metrics"]["loss"]) for r in eval_records(tmp_path / "reference")]
    resumed_evals = [(r["step"], r["metrics"]["loss"]) for r in eval_records(tmp_path / "interrupted")]
    assert [s for s, _ in resumed_evals] == [s for s, _ in reference_evals]
    assert [v for _, v in resumed_evals] == pytest.approx([v for _, v in reference_evals], abs=1e-5)
    assert_same_weights(tmp_path / "reference", tmp_path / "interrupted")


def test_pause_waits_at_a_step_boundary_and_resume_continues(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    control = TrainingControl()
    steps_while_paused = []

    def pause_at_step_2(event):
        if event.kind == "step" and event.step == 2:
            control.pause()
            # Another thread resumes later; until then no further step may happen.
            import threading

            def later():
                time.sleep(0.5)
                steps_while_paused.append(max(step_losses(tmp_path / "run")))
                control.resume()

            threading.Thread(target=later).start()

    result = run_training(run_config(model, data, tmp_path / "run", max_steps=4), pause_at_step_2, control)
    assert result.status == "completed" and result.step == 4
    assert steps_while_paused == [2]


@pytest.mark.slow
def test_kill_9_at_any_moment_leaves_a_readable_resumable_run(tmp_path):
    data, model = sentiment_csv(tmp_path, count=120), tiny_model(tmp_path)
    settings = dict(epochs=3, max_steps=30, eval_every_steps=10, save_every_steps=3)
    reference = run_config(model, data, tmp_path / "reference", **settings)
    assert run_training(reference).status == "completed"

    config = run_config(model, data, tmp_path / "killed", **settings)
    config_file = tmp_path / "run.toml"
    config.save_toml(config_file)
    process = subprocess.Popen(
        [sys.executable, "-m", "bertstudio", "train", "--config", str(config_file), "--plain"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and max(step_losses(tmp_path / "killed"), default=0) < 8:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)  # mid-step, maybe mid-checkpoint: no chance to clean up
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL

    folder = RunFolder(tmp_path / "killed")
    assert folder.read_config().max_steps == 30  # readable
    assert run_status(folder.path) == "interrupted"
    assert list_checkpoints(folder.checkpoints), "a checkpoint every 3 steps was written before step 8"
    result = resume_training(folder.path)
    assert result.status == "completed" and result.step == 30
    assert_same_curve(step_losses(tmp_path / "reference"), step_losses(tmp_path / "killed"))
    assert_same_weights(tmp_path / "reference", tmp_path / "killed")
    assert not [p for p in folder.checkpoints.iterdir() if p.name.startswith(".")]


def test_resume_of_a_folder_that_is_not_a_run_fails_clearly(tmp_path):
    events = EventLog()
    result = resume_training(tmp_path, events)
    assert result.status == "failed"
    assert "run.json" in result.error.message
    assert events.kinds("failed")


def test_resume_warns_when_the_data_changed_underneath(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    control = TrainingControl()

    def cancel_at_once(event):
        if event.kind == "step":
            control.cancel()

    run_training(run_config(model, data, tmp_path / "run", max_steps=3), cancel_at_once, control)
    with open(data, "a", encoding="utf-8") as handle:
        handle.write("a new row,pos\n")
    events = EventLog()
    assert resume_training(tmp_path / "run", events).status == "completed"
    warnings = [e.message for e in events.kinds("log") if e.level == "warning"]
    assert warnings and "data changed" in warnings[0] and str(data) in warnings[0]


def test_a_resume_exactly_at_an_epoch_end_continues_with_the_next_epochs_shuffle(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)  # 76 training rows: 10 batches an epoch
    settings = dict(max_steps=14, eval_every_steps=0)
    reference = run_config(model, data, tmp_path / "reference", **settings)
    assert run_training(reference).status == "completed"
    control = TrainingControl()
    run_training(
        run_config(model, data, tmp_path / "run", **settings),
        lambda e: e.kind == "step" and e.step == 10 and control.cancel(),
        control,
    )
    assert resume_training(tmp_path / "run").status == "completed"
    assert_same_curve(step_losses(tmp_path / "reference"), step_losses(tmp_path / "run"))
    assert_same_weights(tmp_path / "reference", tmp_path / "run")
