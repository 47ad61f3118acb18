"""torchrun with 2 CPU processes (gloo) takes the same steps as one process with the same global batch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bertstudio.training import RunFolder, run_training
from tests.core.test_training_resume import assert_same_weights
from tests.core.training_fixtures import eval_records, run_config, sentiment_csv, step_losses, tiny_model


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path):
    data, model = sentiment_csv(tmp_path, count=100), tiny_model(tmp_path, dropout=False)
    settings = dict(max_steps=8, batch_size=8, eval_every_steps=4)
    single = run_config(model, data, tmp_path / "single", **settings)
    assert run_training(single).status == "completed"

    config_file = tmp_path / "run.toml"
    run_config(model, data, tmp_path / "ddp", **settings).save_toml(config_file)
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "bertstudio",
        "train",
        "--config",
        str(config_file),
        "--plain",
        "--threads",
        "1",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-3000:]

    records = RunFolder(tmp_path / "ddp").read_events()
    started = next(r for r in records if r["kind"] == "started")
    assert started["world_size"] == 2
    assert [r["step"] for r in records if r["kind"] == "step"] == list(range(1, 9))  # rank 0 alone writes
    single_losses, ddp_losses = step_losses(tmp_path / "single"), step_losses(tmp_path / "ddp")
    assert list(ddp_losses.values()) == pytest.approx(list(single_losses.values()), abs=1e-5)
    single_evals, ddp_evals = eval_records(tmp_path / "single"), eval_records(tmp_path / "ddp")
    for one, two in zip(single_evals, ddp_evals, strict=True):  # evaluation gathered from both ranks
        assert two["metrics"]["confusion_matrix"] == one["metrics"]["confusion_matrix"]
        assert two["metrics"]["loss"] == pytest.approx(one["metrics"]["loss"], abs=1e-5)
    assert_same_weights(tmp_path / "single", tmp_path / "ddp")
