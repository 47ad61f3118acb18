"""The train / pretrain / predict / evaluate commands, progress output, and Ctrl-C as a clean cancel."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import time

import pytest

from bertstudio.cli import main
from bertstudio.training import RunConfig, RunFolder, run_status
from bertstudio.training.console import ConsoleReporter
from bertstudio.training.events import EvalEvent, StepEvent
from tests.core.test_training_tasks import write_corpus
from tests.core.training_fixtures import run_config, sentiment_csv, step_losses, tiny_model


@pytest.mark.slow
def test_train_predict_evaluate_with_flags(tmp_path, capsys):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    run = tmp_path / "run"
    code = main(
        [
            "train",
            "--model",
            str(model),
            "--data",
            str(data),
            "--text",
            "text",
            "--label",
            "label",
            "--out",
            str(run),
            "--epochs",
            "4",
            "--batch-size",
            "8",
            "--lr",
            "3e-3",
            "--max-length",
            "24",
            "--warmup",
            "0",
            "--plain",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "validation at step" in out and "finished: completed" in out and "\r" not in out
    assert RunFolder(run).read_config().learning_rate == 3e-3

    predictions = tmp_path / "predictions.csv"
    assert (
        main(
            [
                "predict",
                "--model",
                str(run / "model"),
                "--data",
                str(data),
                "--text",
                "text",
                "--out",
                str(predictions),
            ]
        )
        == 0
    )
    with open(predictions, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["text", "label", "predicted", "p_neg", "p_pos"] and len(rows) == 96
    right = sum(row["predicted"] == row["label"] for row in rows)
    assert right >= 90  # the model learned the keyword rule
    assert abs(float(rows[0]["p_neg"]) + float(rows[0]["p_pos"]) - 1) < 1e-4

    capsys.readouterr()
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(run / "model"),
                "--data",
                str(data),
                "--text",
                "text",
                "--label",
                "label",
                "--json",
                "--out",
                str(tmp_path / "eval"),
            ]
        )
        == 0
    )
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["accuracy"] == right / 96
    assert (tmp_path / "eval" / "test_predictions.csv").is_file()


def test_config_file_with_flag_overrides_and_save_config(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    run_config(model, data, tmp_path / "run").save_toml(tmp_path / "run.toml")
    assert (
        main(
            [
                "train",
                "--config",
                str(tmp_path / "run.toml"),
                "--max-steps",
                "2",
                "--save-config",
                str(tmp_path / "saved.toml"),
            ]
        )
        == 0
    )
    saved = RunConfig.load_toml(tmp_path / "saved.toml")
    assert saved.max_steps == 2 and saved.data_path == str(data)
    assert not (tmp_path / "run").exists()
    assert main(["train", "--config", str(tmp_path / "saved.toml"), "--plain"]) == 0
    assert sorted(step_losses(tmp_path / "run")) == [1, 2]


def test_bad_input_exits_2_with_the_problem_on_stderr(tmp_path, capsys):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    code = main(
        [
            "train",
            "--model",
            str(model),
            "--data",
            str(data),
            "--text",
            "review",
            "--label",
            "label",
            "--out",
            str(tmp_path / "run"),
            "--plain",
        ]
    )
    assert code == 2
    assert "no column 'review'" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "nowhere")]) == 2


def test_pretrain_command(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt", documents=80)
    run = tmp_path / "run"
    assert (
        main(
            [
                "pretrain",
                "--corpus",
                str(corpus),
                "--preset",
                "tiny",
                "--vocab-size",
                "100",
                "--out",
                str(run),
                "--max-steps",
                "3",
                "--max-length",
                "32",
                "--plain",
            ]
        )
        == 0
    )
    config = RunFolder(run).read_config()
    assert config.task == "pretraining" and config.vocab_size == 100
    assert (run / "model" / "model.safetensors").is_file()


@pytest.mark.slow
def test_ctrl_c_saves_a_checkpoint_exits_130_and_the_run_resumes(tmp_path):
    data, model = sentiment_csv(tmp_path, count=120), tiny_model(tmp_path)
    config = run_config(model, data, tmp_path / "run", epochs=50)
    config.save_toml(tmp_path / "run.toml")
    process = subprocess.Popen(
        [sys.executable, "-m", "bertstudio", "train", "--config", str(tmp_path / "run.toml"), "--plain"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and max(step_losses(tmp_path / "run"), default=0) < 3:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "cancelling" in err and "finished: cancelled" in out
    assert run_status(tmp_path / "run") == "cancelled"
    cancelled_at = max(step_losses(tmp_path / "run"))
    assert (tmp_path / "run" / "checkpoints" / f"step-{cancelled_at:08d}").is_dir()
    folder = RunFolder(tmp_path / "run")
    info = folder.read_info()
    info["config"]["max_steps"] = cancelled_at + 2  # finish quickly
    folder.write_info(info)
    assert main(["train", "--resume", str(tmp_path / "run"), "--epochs", "9"]) == 2  # would change the steps
    assert main(["train", "--resume", str(tmp_path / "run"), "--threads", "1", "--plain"]) == 0
    assert max(step_losses(tmp_path / "run")) == cancelled_at + 2


def test_progress_bar_on_a_terminal_and_plain_lines_otherwise():
    def step(number):
        return StepEvent(number, 10, number / 10, 0.5, 1e-4, 1.0, 100.0, number, tokens_per_second=12_345.0)

    terminal = io.StringIO()
    reporter = ConsoleReporter(terminal, interactive=True)
    for number in range(1, 11):
        reporter(step(number))
    reporter(EvalEvent(10, 1.0, "validation", {"accuracy": 0.75}, is_best=True))
    text = terminal.getvalue()
    assert "\r" in text and "10/10" in text and "ETA" in text and "#" * 24 in text and "12,345 tok/s" in text
    assert "validation at step 10: accuracy 0.7500 (best so far)\n" in text

    plain = io.StringIO()
    reporter = ConsoleReporter(plain, interactive=False)
    reporter(step(1))
    reporter(EvalEvent(10, 1.0, "validation", {"accuracy": 0.75}))
    assert plain.getvalue() == "validation at step 10: accuracy 0.7500\n"


def test_read_options_train_on_a_headerless_cp1252_semicolon_file(tmp_path, capsys):
    from tests.core.training_fixtures import sentiment_rows

    data = tmp_path / "export.csv"
    lines = [f"{text} café;{label}" for text, label in sentiment_rows(48)]
    data.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    model = tiny_model(tmp_path)
    common = ["train", "--model", str(model), "--data", str(data), "--max-steps", "2", "--plain"]

    assert main([*common, "--text", "column_1", "--label", "column_2", "--out", str(tmp_path / "a")]) == 2
    assert "cp1252" in capsys.readouterr().err  # undecodable as UTF-8: the error names the fix

    options = ["--encoding", "cp1252", "--delimiter", ";", "--header", "no"]
    run = tmp_path / "b"
    assert main([*common, *options, "--text", "column_1", "--label", "column_2", "--out", str(run)]) == 0
    config = RunFolder(run).read_config()
    assert (config.encoding, config.delimiter, config.header) == ("cp1252", ";", "no")
    assert (run / "model").is_dir()

    # the trained model predicts and evaluates the same file, read the same way
    model_dir = str(run / "model")
    predictions = tmp_path / "predictions.csv"
    columns = ["--text", "column_1"]
    predict = ["predict", "--model", model_dir, "--data", str(data), *columns, "--out", str(predictions)]
    assert main([*predict, *options]) == 0
    written = predictions.read_text(encoding="utf-8").splitlines()
    assert len(written) == 49 and written[0].startswith("column_1,column_2,predicted")
    assert "café" in written[1]
    evaluate = ["evaluate", "--model", model_dir, "--data", str(data), *columns, "--label", "column_2"]
    capsys.readouterr()
    assert main([*evaluate, *options, "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert sum(map(sum, metrics["confusion_matrix"])) == 48
    assert main([*evaluate, *options, "--header", "maybe"]) == 2
    assert "header 'maybe' is not supported" in capsys.readouterr().err

    # a row without text is kept, without a made-up prediction, and the summary says where it is
    gaps = tmp_path / "gaps.csv"
    gaps.write_text("text,note\ngood movie,a\n,b\n   ,c\nbad film,d\n", encoding="utf-8")
    out = tmp_path / "gaps_predicted.csv"
    assert (
        main(["predict", "--model", model_dir, "--data", str(gaps), "--text", "text", "--out", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    assert f"Wrote 4 rows to {out}; 2 had no text and no prediction (line 3, 4)." in printed
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["note"] for r in rows] == ["a", "b", "c", "d"]
    assert rows[0]["predicted"] and rows[3]["predicted"]
    assert rows[1]["predicted"] == rows[2]["predicted"] == "" and rows[1]["p_pos"] == ""


def test_find_lr_prints_the_loss_per_rate_and_a_suggestion_and_writes_nothing(tmp_path, capsys):
    data, model = sentiment_csv(tmp_path, count=120), tiny_model(tmp_path)
    flags = ["--model", str(model), "--data", str(data), "--text", "text", "--label", "label"]
    code = main(["train", *flags, "--batch-size", "8", "--out", str(tmp_path / "run"), "--find-lr"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "rate      loss    smoothed" and lines[1].startswith("1.0e-07  ")
    assert lines[-1].startswith("Suggested learning rate ")
    assert not (tmp_path / "run").exists()


def test_a_run_too_short_to_learn_is_warned_about_on_stderr(tmp_path, capsys):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    flags = ["--model", str(model), "--data", str(data), "--text", "text", "--label", "label"]
    code = main(["train", *flags, "--epochs", "1", "--plain", "--out", str(tmp_path / "run")])
    assert code == 0
    assert "warning: Only 5 optimizer steps: too short to learn." in capsys.readouterr().err
