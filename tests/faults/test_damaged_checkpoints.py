"""Damaged checkpoints and a lost run.json: resume verifies, falls back to the newest whole checkpoint,
says which and why, and still ends with the uninterrupted run's result."""

from __future__ import annotations

import json
import os

import pytest

from bertstudio.training import RunFolder, resume_training
from bertstudio.training.checkpoint import list_checkpoints
from tests.core.training_fixtures import EventLog
from tests.faults.resumed import assert_same_run


def flip_a_bit(path) -> None:
    with open(path, "r+b") as handle:
        handle.seek(os.path.getsize(path) - 100)  # inside the tensor data, past the header
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0x10]))


def truncate(path) -> None:
    os.truncate(path, os.path.getsize(path) // 2)


DAMAGE = {
    "bit flip in the weights": lambda c: flip_a_bit(c / "model.safetensors"),
    "bit flip in the optimizer state": lambda c: flip_a_bit(c / "optimizer.safetensors"),
    "truncated weights": lambda c: truncate(c / "model.safetensors"),
    "state.json rewritten": lambda c: (c / "state.json").write_text("{}"),
}


def warnings(events: EventLog) -> list[str]:
    return [e.message for e in events.kinds("log") if e.level == "warning"]


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_newest_checkpoint_is_set_aside_and_the_one_before_is_resumed(tmp_path, fault_runs, damage):
    run = fault_runs.cancelled_copy(tmp_path)
    newest = list_checkpoints(run / "checkpoints")[-1]
    assert newest.name == "step-00000008"
    DAMAGE[damage](newest)
    events = EventLog()
    assert resume_training(run, events).ok
    said = warnings(events)
    assert (
        said and "step-00000008 is damaged" in said[0] and "resuming from checkpoint step-00000006" in said[0]
    )
    assert (run / "checkpoints" / "damaged-step-00000008").is_dir()
    assert_same_run(fault_runs.reference, run)


def test_when_no_checkpoint_is_whole_the_run_starts_over_and_says_so(tmp_path, fault_runs):
    run = fault_runs.cancelled_copy(tmp_path)
    for checkpoint in list_checkpoints(run / "checkpoints"):
        truncate(checkpoint / "model.safetensors")
    events = EventLog()
    assert resume_training(run, events).ok
    assert "resuming from the start" in warnings(events)[0]
    assert_same_run(fault_runs.reference, run)


@pytest.mark.parametrize("loss", ["deleted", "damaged", "not a run config"])
def test_a_lost_run_json_is_rebuilt_from_the_checkpoint_copy(tmp_path, fault_runs, loss):
    run = fault_runs.cancelled_copy(tmp_path)
    run_json = run / "run.json"
    if loss == "deleted":
        run_json.unlink()
    elif loss == "damaged":
        run_json.write_bytes(run_json.read_bytes()[:100])
    else:
        run_json.write_text(json.dumps({"hello": 1}))
    events = EventLog()
    assert resume_training(run, events).ok
    assert "rebuilt from the copy in checkpoint step-00000008" in warnings(events)[0]
    assert RunFolder(run).read_info()["label_names"] == ["neg", "pos"]
    assert_same_run(fault_runs.reference, run)
