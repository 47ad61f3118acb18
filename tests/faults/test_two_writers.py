"""Two writers on one run folder: two trainings, or two resumes, started at once give one run."""

from __future__ import annotations

import subprocess
import sys

from bertstudio.training import RunFolder
from tests.faults.resumed import assert_same_run


def start_together(*commands: list[str]) -> list[tuple[int, str]]:
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]
    errors = [p.communicate(timeout=180)[1] for p in processes]
    return [(p.returncode, error) for p, error in zip(processes, errors, strict=True)]


def assert_one_ran(outcomes: list[tuple[int, str]], refusals: tuple[str, ...]) -> None:
    assert sorted(code for code, _ in outcomes) == [0, 2], outcomes
    refused = next(err for code, err in outcomes if code == 2)
    assert any(text in refused for text in refusals) and "Traceback" not in refused, refused


def test_two_trainings_and_two_resumes_started_at_once_give_one_run_each(tmp_path, fault_runs):
    train = [sys.executable, "-m", "bertstudio", "train", "--plain"]
    config_file = tmp_path / "run.toml"
    fault_runs.config(tmp_path / "run").save_toml(config_file)
    # the second either meets the lock ("in use") or, if the first already ended, the finished run
    outcomes = start_together(train + ["--config", str(config_file)], train + ["--config", str(config_file)])
    assert_one_ran(outcomes, ("in use", "already holds a run"))
    records = RunFolder(tmp_path / "run").read_events()
    assert [r["kind"] for r in records].count("started") == 1
    assert_same_run(fault_runs.reference, tmp_path / "run")

    resumed = fault_runs.cancelled_copy(tmp_path / "resumes")
    outcomes = start_together(train + ["--resume", str(resumed)], train + ["--resume", str(resumed)])
    assert_one_ran(outcomes, ("in use", "already finished"))
    assert [r["kind"] for r in RunFolder(resumed).read_events()].count("finished") == 2  # cancel, then end
    assert_same_run(fault_runs.reference, resumed)
