"""One writer per run folder: the OS lock on run.lock, seen by other processes and threads."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from bertstudio.cli import main
from bertstudio.training import RunFolder, TrainingControl, resume_training, run_status, run_training
from bertstudio.training.run_lock import RunBusyError, hold_run_lock, run_lock_holder
from tests.core.training_fixtures import run_config, sentiment_csv, tiny_model

HOLD_LOCK = """
import sys
from bertstudio.training.run_lock import hold_run_lock
with hold_run_lock(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.read()
"""


class LockingProcess:
    """Another real process holding a run folder's lock until it is closed."""

    def __init__(self, folder) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "locked"

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def folder_snapshot(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_holder_is_seen_by_other_processes_and_the_kernel_frees_it_on_exit(tmp_path):
    assert run_lock_holder(tmp_path) is None
    with LockingProcess(tmp_path) as holder:
        seen = run_lock_holder(tmp_path)
        assert seen is not None and seen.pid == holder.process.pid
        with pytest.raises(RunBusyError) as caught:
            with hold_run_lock(tmp_path):
                pass
        assert str(holder.process.pid) in caught.value.message
    assert run_lock_holder(tmp_path) is None
    with hold_run_lock(tmp_path):  # free again once the holder has gone
        assert run_lock_holder(tmp_path) is not None


def test_a_second_holder_in_the_same_process_is_refused(tmp_path):
    with hold_run_lock(tmp_path):
        with pytest.raises(RunBusyError):
            with hold_run_lock(tmp_path):
                pass


def test_train_into_a_folder_locked_by_another_process_exits_2_and_writes_nothing(tmp_path, capsys):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    out = tmp_path / "run"
    with LockingProcess(out) as holder:
        before = folder_snapshot(out)
        code = main(
            ["train", "--model", str(model), "--data", str(data), "--text", "text", "--label", "label"]
            + ["--out", str(out), "--max-steps", "2", "--plain"]
        )
        assert code == 2
        assert f"process {holder.process.pid}" in capsys.readouterr().err
        assert folder_snapshot(out) == before


def test_a_run_training_in_another_process_is_running_and_not_resumed(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    control = TrainingControl()
    run_training(
        run_config(model, data, tmp_path / "run", max_steps=4),
        lambda e: e.kind == "step" and control.cancel(),
        control,
    )
    assert run_status(tmp_path / "run") == "cancelled"
    RunFolder(tmp_path / "run").update_info(status="running")  # as a run that is training writes it
    assert run_status(tmp_path / "run") == "interrupted"  # ...but nobody holds the lock
    with LockingProcess(tmp_path / "run") as holder:
        assert run_status(tmp_path / "run") == "running"
        result = resume_training(tmp_path / "run")
        assert result.status == "failed" and isinstance(result.error, RunBusyError)
        assert f"process {holder.process.pid}" in result.error.message
    assert resume_training(tmp_path / "run").status == "completed"


def test_the_lock_is_released_when_an_in_process_run_ends_and_held_while_it_runs(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    seen_while_running = []

    def watch(event):
        if event.kind == "step":
            seen_while_running.append(run_lock_holder(tmp_path / "run"))

    thread = threading.Thread(
        target=run_training, args=(run_config(model, data, tmp_path / "run", max_steps=2), watch)
    )
    thread.start()
    thread.join(timeout=120)
    assert seen_while_running and all(h is not None and h.pid == os.getpid() for h in seen_while_running)
    assert run_lock_holder(tmp_path / "run") is None
    failed = run_training(run_config(model, data, tmp_path / "bad", text_column="nope"))
    assert failed.status == "failed" and run_lock_holder(tmp_path / "bad") is None
