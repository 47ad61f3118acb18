"""Runs that cannot go on stop with a clear failure, keep what was good, and say what to do."""

from __future__ import annotations

import pytest
from safetensors.torch import load_file

from bertstudio.errors import ConfigError, DataImportError, TrainingError
from bertstudio.training import RunFolder, run_status, run_training
from bertstudio.training.device import out_of_memory_error
from tests.core.training_fixtures import EventLog, run_config, sentiment_csv, step_losses, tiny_model


def test_divergence_stops_with_a_failure_event_and_keeps_the_last_checkpoint(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    # Step 1 moves every weight by about 1e30; step 2's forward pass overflows to NaN.
    config = run_config(model, data, tmp_path / "run", learning_rate=1e30, max_steps=5, save_every_steps=1)
    events = EventLog()
    result = run_training(config, events)
    assert result.status == "failed" and isinstance(result.error, TrainingError)
    failure = events.kinds("failed")[0]
    assert "diverged at step 2" in failure.message and "nan" in failure.message
    assert "learning rate" in failure.hint
    assert failure.last_checkpoint.endswith("step-00000001")
    assert sorted(step_losses(tmp_path / "run")) == [1]  # no step with a NaN loss was recorded
    assert run_status(tmp_path / "run") == "failed"
    weights = load_file(failure.last_checkpoint + "/model.safetensors")
    assert all(bool(t.isfinite().all()) for t in weights.values())


def test_out_of_memory_message_suggests_a_smaller_batch_with_accumulation():
    error = out_of_memory_error(batch_size=32, accumulation=1, max_length=256)
    assert "batch size 32" in error.message and "max length 256" in error.message
    assert "--batch-size 16 --gradient-accumulation 2" in error.hint


def test_bad_settings_fail_before_anything_is_written(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    events = EventLog()
    result = run_training(run_config(model, data, tmp_path / "run", text_column=""), events)
    assert result.status == "failed" and isinstance(result.error, ConfigError)
    assert "--text" in result.error.hint and events.kinds("failed")
    assert not (tmp_path / "run").exists()


def test_a_missing_column_names_the_columns_there_are(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    result = run_training(run_config(model, data, tmp_path / "run", text_column="review"))
    assert isinstance(result.error, DataImportError)
    assert "review" in result.error.message and "text" in result.error.hint and "label" in result.error.hint
    assert RunFolder(tmp_path / "run").read_info()["status"] == "failed"


def test_a_run_folder_is_never_overwritten(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    assert run_training(run_config(model, data, tmp_path / "run", max_steps=1)).ok
    records = RunFolder(tmp_path / "run").read_events()
    again = run_training(run_config(model, data, tmp_path / "run", max_steps=1))
    assert again.status == "failed" and "--resume" in again.error.hint
    assert run_status(tmp_path / "run") == "completed"  # the existing run is left as it was
    assert RunFolder(tmp_path / "run").read_events() == records


def test_early_stopping_keeps_the_best_checkpoint(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    config = run_config(
        model,
        data,
        tmp_path / "run",
        learning_rate=1e-9,
        epochs=10,
        eval_every_steps=2,
        early_stopping_patience=2,
        keep_checkpoints=1,
        metric_for_best="loss",
    )
    events = EventLog()
    result = run_training(config, events)
    evals = [e for e in events.kinds("eval") if e.split == "validation"]
    losses = [e.metrics["loss"] for e in evals]
    assert result.status == "early_stopped"
    best = losses.index(min(losses))
    assert len(evals) == best + 3  # two evaluations without improvement after the best
    assert result.best_step == evals[best].step
    kept = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert f"step-{result.best_step:08d}" in kept and len(kept) == 2  # the best and the last


def test_an_unknown_metric_for_best_lists_the_available_ones(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    result = run_training(
        run_config(model, data, tmp_path / "run", max_steps=2, eval_every_steps=1, metric_for_best="bleu")
    )
    assert result.status == "failed" and "accuracy" in result.error.hint


def test_gradient_accumulation_equals_the_larger_batch(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path, dropout=False)
    common = dict(max_steps=6, group_by_length=False, eval_each_epoch=False)
    run_training(run_config(model, data, tmp_path / "big", batch_size=16, **common))
    run_training(
        run_config(model, data, tmp_path / "accumulated", batch_size=8, gradient_accumulation=2, **common)
    )
    big, accumulated = step_losses(tmp_path / "big"), step_losses(tmp_path / "accumulated")
    assert list(accumulated.values()) == pytest.approx(list(big.values()), abs=1e-5)


def test_excluded_problem_rows_are_reported_not_dropped_silently(tmp_path):
    from tests.core.training_fixtures import sentiment_rows, write_csv

    rows = sentiment_rows(40) + [("", "pos"), ("a good film", "")]
    data = write_csv(tmp_path / "data.csv", ["text", "label"], rows)
    model = tiny_model(tmp_path)
    refused = run_training(run_config(model, data, tmp_path / "refused", max_steps=1))
    assert isinstance(refused.error, DataImportError) and "line 42" in str(refused.error)
    events = EventLog()
    config = run_config(model, data, tmp_path / "run", max_steps=1, exclude_problem_rows=True)
    assert run_training(config, events).ok
    warnings = [e.message for e in events.kinds("log") if e.level == "warning"]
    assert any("2 unusable rows" in w and "line 42" in w and "line 43" in w for w in warnings)
