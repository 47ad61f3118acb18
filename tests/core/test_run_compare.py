"""run.json holds the settings that apply to its run; runs compare on the settings that differ."""

from __future__ import annotations

import json

from bertstudio.training import RunConfig, RunFolder
from bertstudio.training.run_compare import NOT_APPLICABLE, SettingDifference, config_differences


def fine_tuning(**changes) -> RunConfig:
    settings = dict(model_path="models/minilm", data_path="reviews.csv", text_column="review")
    return RunConfig(**{**settings, "label_columns": ["sentiment"], **changes})


def test_run_json_holds_only_the_settings_that_apply_and_reads_back(tmp_path):
    config = fine_tuning(output_dir=str(tmp_path / "run"))
    RunFolder(tmp_path / "run").create(config)
    saved = json.loads((tmp_path / "run" / "run.json").read_text())["config"]
    for absent in (
        "preset",
        "vocab_size",
        "lowercase",
        "corpus_paths",
        "nsp",
        "label_delimiter",
        "text_pair_column",
    ):
        assert absent not in saved
    assert saved["model_path"] == "models/minilm" and saved["learning_rate"] == 5e-5
    assert RunFolder(tmp_path / "run").read_config() == config
    scratch = RunConfig(task="pretraining", preset="mini", corpus_paths=["wiki.txt"])
    assert {"preset", "corpus_paths", "nsp"} <= set(scratch.applicable_dict())
    assert not {"model_path", "data_path", "text_column", "label_columns"} & set(scratch.applicable_dict())
    pair = fine_tuning(task="pair_classification", text_pair_column="answer")
    assert pair.applicable_dict()["text_pair_column"] == "answer"


def test_an_old_run_json_listing_every_setting_still_resumes(tmp_path):
    config = fine_tuning(output_dir=str(tmp_path / "run"))
    RunFolder(tmp_path / "run").create(config)
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    info["config"] = config.to_dict()  # as earlier versions wrote it, preset: tiny included
    (tmp_path / "run" / "run.json").write_text(json.dumps(info))
    assert RunFolder(tmp_path / "run").read_config() == config


def test_saved_toml_holds_only_the_settings_that_apply(tmp_path):
    fine_tuning().save_toml(tmp_path / "run.toml")
    text = (tmp_path / "run.toml").read_text()
    assert "preset" not in text and "vocab_size" not in text
    assert RunConfig.load_toml(tmp_path / "run.toml") == fine_tuning()


def test_differences_list_only_the_settings_that_differ():
    first = fine_tuning(output_dir="runs/a").applicable_dict()
    second = fine_tuning(output_dir="runs/b", learning_rate=2e-4, epochs=5).applicable_dict()
    third = {**fine_tuning(output_dir="runs/c").to_dict(), "preset": "tiny"}  # an old run.json
    assert config_differences([first, second, third]) == [
        SettingDifference("epochs", [3, 5, 3]),
        SettingDifference("learning_rate", [5e-5, 2e-4, 5e-5]),
    ]
    pair = fine_tuning(task="pair_classification", text_pair_column="answer").applicable_dict()
    assert config_differences([first, pair]) == [
        SettingDifference("task", ["classification", "pair_classification"]),
        SettingDifference("text_pair_column", [NOT_APPLICABLE, "answer"]),
    ]
    assert config_differences([first, first]) == []
