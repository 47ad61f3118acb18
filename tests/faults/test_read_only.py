"""A read-only run folder or output: every command says so and exits 2, with no traceback."""

from __future__ import annotations

import pytest

from bertstudio.cli import main
from bertstudio.training import TrainingControl, run_training
from tests.core.training_fixtures import run_config, sentiment_csv, tiny_model


@pytest.fixture
def bertstudio(capsys):
    """Run a command in this process (an uncaught exception fails the test); its code and stderr."""

    def command(*args: str) -> tuple[int, str]:
        code = main(list(args))
        return code, capsys.readouterr().err

    return command


@pytest.fixture
def protected_runs(tmp_path, read_only):
    """A read-only folder holding a cancelled run and a finished one, and what they were trained on."""
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    runs = tmp_path / "runs"
    control = TrainingControl()
    run_training(
        run_config(model, data, runs / "cancelled", max_steps=6, save_every_steps=2),
        lambda e: e.kind == "step" and e.step == 3 and control.cancel(),
        control,
    )
    assert run_training(run_config(model, data, runs / "done", max_steps=3)).ok
    read_only(runs)
    return runs, data, model


def assert_refused(done: tuple[int, str], where) -> None:
    code, stderr = done
    assert code == 2, stderr
    assert "Internal error" not in stderr
    assert "read-only" in stderr and str(where) in stderr


def test_every_command_refuses_a_read_only_folder_with_a_message(protected_runs, bertstudio):
    runs, data, model = protected_runs
    flags = ["--data", str(data), "--text", "text"]
    train = ["train", "--model", str(model), *flags, "--label", "label", "--max-steps", "2", "--plain"]
    assert_refused(bertstudio(*train, "--out", str(runs / "new")), runs / "new")
    assert_refused(bertstudio("train", "--resume", str(runs / "cancelled"), "--plain"), runs / "cancelled")
    assert_refused(bertstudio(*train, "--out", str(runs / "x"), "--save-config", str(runs / "r.toml")), runs)
    trained = runs / "done" / "model"
    assert_refused(bertstudio("predict", "--model", str(trained), *flags, "--out", str(runs / "p.csv")), runs)
    assert_refused(
        bertstudio(
            "evaluate", "--model", str(trained), *flags, "--label", "label", "--out", str(runs / "ev")
        ),
        runs / "ev",
    )
