"""kill -9 at every kind of write step (and at seeded random steps): the run folder stays readable,
resumes, and the resumed run ends exactly as the uninterrupted one."""

from __future__ import annotations

import json
import os
import random
import signal
import sys

import pytest

from bertstudio.training import RunFolder, resume_training, run_status, run_training
from tests.faults.kill_points import leftovers, train_in_child
from tests.faults.resumed import assert_same_run

pytestmark = pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "fork"), reason="needs fork()")

SEEDS = (11, 23, 37, 41, 53)


@pytest.fixture(scope="module")
def write_steps(fault_runs, tmp_path_factory):
    """The names of the write steps of the whole run, in order (counted in a child that is not killed)."""
    out = tmp_path_factory.mktemp("counted") / "run"
    code, names = train_in_child(lambda: run_training(fault_runs.config(out)), kill_at=None)
    assert code == 0 and names
    return names


def kill_points(names: list[str]) -> dict[str, int]:
    """One seeded point per kind of step, plus seeded points anywhere: label -> 1-based step number."""
    points = {}
    for kind in sorted(set(names)):
        where = [i + 1 for i, name in enumerate(names) if name == kind]
        points[f"{kind} #{where.index(random.Random(kind).choice(where)) + 1}"] = random.Random(kind).choice(
            where
        )
    for seed in SEEDS:
        points[f"seed {seed}"] = random.Random(seed).randint(1, len(names))
    return points


def test_kill_9_at_every_kind_of_write_step_leaves_a_resumable_run(tmp_path, fault_runs, write_steps):
    kinds = set(write_steps)
    assert {"open", "write", "fsync", "replace", "unlink", "rmdir", "mkdir", "chmod"} <= kinds
    for label, step in kill_points(write_steps).items():
        run = tmp_path / f"killed-{step}"
        code, _ = train_in_child(lambda: run_training(fault_runs.config(run)), kill_at=step)  # noqa: B023
        assert code == signal.SIGKILL, label
        folder = RunFolder(run)
        if not folder.exists():  # killed before run.json: nothing to resume, the folder takes a new run
            assert run_training(fault_runs.config(run)).ok, label
        else:
            folder.read_config()  # readable
            lines = (
                folder.metrics_file.read_text(encoding="utf-8").splitlines()
                if folder.metrics_file.exists()
                else []
            )
            assert all(json.loads(line) for line in lines), label  # whole lines only
            if run_status(run) != "completed":
                assert run_status(run) == "interrupted", label
                result = resume_training(run)
                assert result.ok, (label, result.error)
        assert_same_run(fault_runs.reference, run)
        assert not leftovers(run), (label, leftovers(run))
