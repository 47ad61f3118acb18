"""What a headless run does by default: threads and the split of a single data file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from bertstudio.cli import main
from bertstudio.training import RunFolder, run_training
from bertstudio.training.device import available_cores
from tests.core.training_fixtures import run_config, sentiment_csv, tiny_model, write_csv


def train(tmp_path, data, *extra: str) -> str:
    model = tiny_model(tmp_path)
    argv = ["train", "--model", str(model), "--data", str(data), "--text", "text", "--label", "label"]
    argv += ["--out", str(tmp_path / "run"), "--max-steps", "2", "--batch-size", "8", "--plain", *extra]
    assert main(argv) == 0
    return str(tmp_path / "run")


def started(run_dir: str) -> dict:
    return next(r for r in RunFolder(run_dir).read_events() if r["kind"] == "started")


def test_headless_training_uses_every_core_and_says_so(tmp_path, capsys):
    run_dir = train(tmp_path, sentiment_csv(tmp_path, count=40), "--max-length", "16")
    cores = available_cores()
    assert started(run_dir)["threads"] == cores
    out = capsys.readouterr().out
    logged = [r["message"] for r in RunFolder(run_dir).read_events() if r["kind"] == "log"]
    assert any(f"CPU, {cores} thread" in line for line in [*logged, *out.splitlines()])


def test_the_window_keeps_a_core_free(tmp_path):
    config = run_config(
        tiny_model(tmp_path), sentiment_csv(tmp_path, count=40), tmp_path / "run", max_steps=1
    )
    assert run_training(config, interface_cores=1).status == "completed"
    assert started(tmp_path / "run")["threads"] == max(1, available_cores() - 1)


def test_split_fractions_are_flags_and_the_log_counts_the_rows(tmp_path, capsys):
    run_dir = train(
        tmp_path, sentiment_csv(tmp_path, count=100), "--validation-fraction", "0.2", "--test-fraction", "0"
    )
    config = RunFolder(run_dir).read_config()
    assert (config.validation_fraction, config.test_fraction) == (0.2, 0.0)
    out = capsys.readouterr().out
    assert "Rows: 80 train, 20 validation, 0 test (split 80% / 20% / 0% (seed" in out
    logged = [r["message"] for r in RunFolder(run_dir).read_events() if r["kind"] == "log"]
    assert any(message.startswith("Rows: 80 train, 20 validation, 0 test") for message in logged)


def test_a_trained_model_is_applied_at_the_length_it_was_trained_with(tmp_path):
    """predict / evaluate without --max-length cut inputs where training did, not at the positions."""
    run_dir = train(tmp_path, sentiment_csv(tmp_path, count=40), "--max-length", "8")
    model_dir = f"{run_dir}/model"
    settings = json.loads(Path(model_dir, "tokenizer_config.json").read_text())
    assert settings["model_max_length"] == 8
    long_texts = write_csv(
        tmp_path / "long.csv", ["text"], [[" ".join(["good movie, really"] * (4 + i))] for i in range(6)]
    )

    def probabilities(*extra: str) -> list[str]:
        out = tmp_path / f"predicted{len(extra)}{extra[-1] if extra else ''}.csv"
        argv = ["predict", "--model", model_dir, "--data", str(long_texts), "--text", "text"]
        assert main([*argv, "--out", str(out), *extra]) == 0
        with open(out, newline="") as handle:
            return [row["p_pos"] for row in csv.DictReader(handle)]

    by_default = probabilities()
    assert by_default == probabilities("--max-length", "8")
    assert by_default != probabilities("--max-length", "64")
