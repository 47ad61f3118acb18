"""A full disk is a message and a failed (resumable) run, never a traceback or a half-written file."""

from __future__ import annotations

import json
import subprocess
import sys

from bertstudio.errors import StorageError
from bertstudio.training import RunConfig, RunFolder, resume_training, run_training
from bertstudio.training.checkpoint import list_checkpoints, verify_folder
from bertstudio.training.events import LogEvent
from tests.core.training_fixtures import EventLog, run_config, sentiment_csv, step_losses, tiny_model
from tests.faults.resumed import assert_same_run
from tests.mounts import fill

SETTINGS = dict(max_steps=12, save_every_steps=3, eval_every_steps=6)


def assert_whole_lines(path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n")
    for line in text.splitlines():
        json.loads(line)


def test_a_metrics_line_is_written_whole_or_not_at_all(small_disk):
    disk = small_disk("1m")
    folder = RunFolder(disk / "run")
    folder.create(RunConfig(model_path="m", data_path="d.csv", text_column="t", label_columns=["l"]))
    folder.append_event(LogEvent("before the disk filled"))
    before = folder.metrics_file.read_bytes()
    fill(disk)
    try:
        folder.append_event(LogEvent("x" * 50_000))  # spans pages the disk no longer has
    except StorageError as exc:
        assert "metrics.jsonl" in exc.located() and "free" in exc.message
    assert folder.metrics_file.read_bytes() == before


def test_a_disk_filling_up_mid_run_fails_the_run_and_it_resumes_to_the_same_result(tmp_path, small_disk):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    assert run_training(run_config(model, data, tmp_path / "reference", **SETTINGS)).ok
    disk = small_disk("4m")
    run = disk / "run"
    events = EventLog()
    filler = []

    def fill_at_step_4(event):
        events(event)
        if event.kind == "step" and event.step == 4:
            filler.append(fill(disk))

    result = run_training(run_config(model, data, run, **SETTINGS), fill_at_step_4)
    assert result.status == "failed" and isinstance(result.error, StorageError)
    failure = events.kinds("failed")[0]
    assert str(run) in failure.message and "free" in failure.message and "Free space" in failure.hint
    assert failure.last_checkpoint.endswith("step-00000003")
    assert_whole_lines(run / "metrics.jsonl")
    assert [p.name for p in list_checkpoints(run / "checkpoints")] == ["step-00000003"]
    assert verify_folder(run / "checkpoints" / "step-00000003") is None
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")]

    filler[0].unlink()
    assert resume_training(run).ok
    assert_same_run(tmp_path / "reference", run)


def test_too_little_space_for_a_checkpoint_is_said_at_the_start_and_writes_none(tmp_path, small_disk):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    disk = small_disk("3m")
    fill(disk, leave=100_000)  # room for run.json and metrics, not for a 320 KB checkpoint
    config_file = tmp_path / "run.toml"
    run_config(model, data, disk / "run", **SETTINGS).save_toml(config_file)
    done = subprocess.run(
        [sys.executable, "-m", "bertstudio", "train", "--config", str(config_file), "--plain"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Internal error" not in done.stderr
    assert "Not enough free space" in done.stderr and str(disk / "run") in done.stderr
    assert "The run will stop at the first save" in done.stdout  # said before step 1
    assert done.stdout.index("The run will stop") < done.stdout.index("Training: 12 steps")
    assert RunFolder(disk / "run").read_info()["status"] == "failed"
    assert sorted(step_losses(disk / "run")) == [1, 2, 3]
    assert not list((disk / "run" / "checkpoints").iterdir())
    assert_whole_lines(disk / "run" / "metrics.jsonl")


def test_a_run_that_filled_the_disk_resumes_after_keeping_fewer_checkpoints(tmp_path, small_disk, fault_runs):
    disk = small_disk("2m")
    run = disk / "run"
    # every checkpoint kept: the disk is full by the final model
    result = run_training(fault_runs.config(run, keep_checkpoints=20, save_every_steps=1))
    assert result.status == "failed" and isinstance(result.error, StorageError)
    assert "Free space" in result.error.hint
    assert resume_training(run, overrides={"keep_checkpoints": 1}).ok  # drops the old ones first
    assert len(list_checkpoints(run / "checkpoints")) <= 2  # the newest and the best
    assert_same_run(fault_runs.reference, run)
