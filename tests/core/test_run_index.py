"""The run index (list / describe / delete as records) and `bertstudio runs`, on real run folders:
a completed run, a cancelled one, one whose process died, and a damaged run.json."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bertstudio.cli import main
from bertstudio.errors import RunStoreError
from bertstudio.training.run_index import delete_run, describe_run, list_runs
from tests.conftest import make_tiny_model_dir


def _reviews(path: Path) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for i in range(40):
            writer.writerow([f"the film was {'good' if i % 2 else 'bad'} {i}", "pos" if i % 2 else "neg"])
    return path


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A workspace with a completed run and a cancelled (resumable) one."""
    from bertstudio.training import RunConfig, TrainingControl, run_training

    root = tmp_path_factory.mktemp("workspace")
    model = make_tiny_model_dir(root / "tiny")
    data = _reviews(root / "reviews.csv")

    def config(name: str) -> RunConfig:
        return RunConfig(
            model_path=str(model),
            data_path=str(data),
            text_column="text",
            label_columns=["label"],
            output_dir=str(root / "runs" / name),
            max_length=16,
            batch_size=8,
            max_steps=4,
            log_every_steps=0,
        )

    assert run_training(config("done")).status == "completed"
    control = TrainingControl()

    def cancel_after_two(event) -> None:
        if event.kind == "step" and event.step == 2:
            control.cancel()

    assert run_training(config("stopped"), on_event=cancel_after_two, control=control).status == "cancelled"
    return root


def test_runs_are_listed_as_records_newest_first(workspace):
    records = list_runs(workspace / "runs")
    assert [r.name for r in records] == ["stopped", "done"]
    stopped, done = records
    assert (done.status, done.task, done.model, done.step, done.resumable) == (
        "completed",
        "classification",
        "tiny",
        4,
        False,
    )
    assert (
        done.best_metric == "accuracy" and done.best_value is not None and done.best.startswith("accuracy ")
    )
    assert done.model_dir == workspace / "runs" / "done" / "model" and done.config["max_steps"] == 4
    assert (stopped.status, stopped.resumable, stopped.model_dir) == ("cancelled", True, None)
    assert stopped.step == 2 and stopped.updated_text


def test_a_run_whose_process_died_is_interrupted_and_resumable(workspace, tmp_path):
    import shutil

    from bertstudio.training import RunFolder

    copy = Path(shutil.copytree(workspace / "runs" / "stopped", tmp_path / "runs" / "killed"))
    RunFolder(copy).update_info(status="running", pid=2**22 + 12345)
    record = describe_run(copy)
    assert (record.status, record.resumable) == ("interrupted", True)


def test_a_damaged_run_json_is_listed_as_unreadable_without_hiding_the_others(workspace, tmp_path):
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(workspace / "runs" / "done", runs / "done")
    (runs / "broken").mkdir()
    (runs / "broken" / "run.json").write_text("{not json", encoding="utf-8")
    (runs / "odd").mkdir()
    (runs / "odd" / "run.json").write_text(
        json.dumps({"config": {"task": 3, "model_path": 5}}), encoding="utf-8"
    )
    records = {r.name: r for r in list_runs(runs)}
    assert records["done"].status == "completed"
    assert records["broken"].status == "unreadable" and "cannot be read" in records["broken"].problem.message
    assert records["odd"].status == "unreadable" and "unexpected value" in records["odd"].problem.message
    with pytest.raises(RunStoreError, match="cannot be read"):
        describe_run(runs / "broken")


def test_delete_refuses_a_running_run_and_a_folder_that_is_no_run(workspace, tmp_path):
    import shutil

    from bertstudio.training import RunFolder
    from bertstudio.training.run_lock import hold_run_lock

    live = Path(shutil.copytree(workspace / "runs" / "done", tmp_path / "live"))
    RunFolder(live).update_info(status="running")
    with hold_run_lock(live), pytest.raises(RunStoreError, match="training now"):  # as a training run does
        delete_run(live)
    assert live.is_dir()
    with pytest.raises(RunStoreError, match="not a run"):
        delete_run(tmp_path)
    RunFolder(live).update_info(status="completed")
    delete_run(live)
    assert not live.exists() and not list(tmp_path.glob(".deleting-*"))


def test_cli_runs_list_show_and_delete(workspace, tmp_path, capsys):
    import shutil

    copy = Path(shutil.copytree(workspace / "runs", tmp_path / "runs"))
    assert main(["runs", "list", "--workspace", str(tmp_path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["status"], r["resumable"]) for r in listed] == [
        ("stopped", "cancelled", True),
        ("done", "completed", False),
    ]
    assert main(["--workspace", str(tmp_path), "runs", "list"]) == 0  # the global flag works too
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["RUN", "STATUS", "TASK", "MODEL", "BEST", "STEP", "UPDATED"]
    assert table[1].startswith("stopped") and "cancelled (resumable)" in table[1]
    assert main(["runs", "show", "done", "--workspace", str(tmp_path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "completed" and shown["config"]["task"] == "classification"
    assert main(["runs", "show", "nothing", "--workspace", str(tmp_path)]) == 2
    assert "No run named 'nothing'" in capsys.readouterr().err
    assert main(["runs", "delete", "done", "--workspace", str(tmp_path)]) == 2  # no terminal to ask on
    assert "--yes" in capsys.readouterr().err and (copy / "done").is_dir()
    assert main(["runs", "delete", "done", "--workspace", str(tmp_path), "--yes"]) == 0
    assert not (copy / "done").exists() and (copy / "stopped").is_dir()


def test_the_workspace_comes_from_the_flag_then_the_environment_then_the_saved_choice(tmp_path, monkeypatch):
    from bertstudio.workspace import WORKSPACE_ENV, resolve_workspace, save_workspace, settings_file

    monkeypatch.setenv("BERTSTUDIO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv(WORKSPACE_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_workspace().root == tmp_path / "home" / "BERT Studio"  # no Documents folder there
    save_workspace(tmp_path / "chosen")
    assert json.loads(settings_file().read_text())["workspace"] == str(tmp_path / "chosen")
    assert resolve_workspace().runs_dir == tmp_path / "chosen" / "runs"
    monkeypatch.setenv(WORKSPACE_ENV, str(tmp_path / "from-env"))
    assert resolve_workspace().root == tmp_path / "from-env"
    assert resolve_workspace(tmp_path / "flag").models_dir == tmp_path / "flag" / "models"
    settings_file().write_text("{broken", encoding="utf-8")
    monkeypatch.delenv(WORKSPACE_ENV)
    from bertstudio.errors import ConfigError

    with pytest.raises(ConfigError, match="settings file cannot be read"):
        resolve_workspace()


def test_model_folders_are_named_as_a_person_knows_them(tmp_path, minilm_path):
    from bertstudio.training.run_index import model_display_name

    assert model_display_name(minilm_path) == "all-MiniLM-L6-v2"  # a package's model/, by its card
    snapshot = tmp_path / "models--org--encoder" / "snapshots" / "abc123"
    assert model_display_name(snapshot) == "org/encoder"
    export = tmp_path / "reviews-run" / "model"
    export.mkdir(parents=True)
    (tmp_path / "reviews-run" / "run.json").write_text("{}")
    (export / "README.md").write_text("---\n# a comment\nlicense: mit\n---\n# reviews-run\n")
    assert model_display_name(export) == "reviews-run/model"  # a run's export, by its run
    plain = tmp_path / "downloads" / "model"
    plain.mkdir(parents=True)
    assert model_display_name(plain) == "downloads/model"  # no card: where it lies
    (plain / "README.md").write_text("---\n# not a title\n---\nSome text\n# tiny-encoder\n")
    assert model_display_name(plain) == "tiny-encoder"
    assert model_display_name(tmp_path / "my-bert") == "my-bert"
