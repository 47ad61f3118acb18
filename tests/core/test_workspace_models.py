"""Models on this machine and `bertstudio model create --preset`: a loadable model of the preset's size."""

from __future__ import annotations

import json

from bertstudio.cli import main
from bertstudio.workspace import create_from_preset, local_models


def test_model_create_writes_a_loadable_model_of_the_preset_size(tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "models" / "fresh"
    assert (
        main(["model", "create", "--preset", "tiny", "--out", str(out), "--tokenizer", str(tiny_model_dir)])
        == 0
    )
    assert "random weights" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert (config["num_hidden_layers"], config["hidden_size"]) == (2, 128)
    from bertstudio.model import load_pretrained

    model, tokenizer = load_pretrained(out)
    assert tokenizer.get_vocab_size() == config["vocab_size"]
    assert main(["model", "create", "--preset", "tiny", "--out", str(out)]) == 2  # never over a model
    assert "not empty" in capsys.readouterr().err
    import pytest

    with pytest.raises(SystemExit, match="2"):  # argparse names the presets
        main(["model", "create", "--preset", "huge", "--out", str(tmp_path / "x")])
    assert "choose from 'tiny', 'mini', 'small', 'base'" in capsys.readouterr().err


def test_local_models_list_the_demo_and_the_workspace_models_once(tmp_path, tiny_model_dir):
    models_dir = tmp_path / "models"
    create_from_preset("tiny", tiny_model_dir, models_dir / "mine")
    found = local_models([models_dir, models_dir / "mine"])
    names = [model.name for model in found]
    assert "BERT Studio demo model" in names
    assert names.count("mine") == 1
    mine = next(model for model in found if model.name == "mine")
    assert (mine.source, mine.path) == ("workspace", models_dir / "mine")
