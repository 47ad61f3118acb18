"""Loading never executes code from a file, and every broken checkpoint gives a clear error."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import zipfile

import pytest
import torch

from bertstudio.errors import BertStudioError, CheckpointError, ConfigError, TokenizerError
from bertstudio.model import load_pretrained
from tests.conftest import make_tiny_model_dir


def copy_of(tiny_model_dir, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(tiny_model_dir, target)
    return target


class Payload:
    """Unpickling this calls os.system, which would create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_with_a_payload_is_refused_and_never_runs(tiny_model_dir, tmp_path):
    folder = copy_of(tiny_model_dir, tmp_path)
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "payload_ran"
    state = {"embeddings.word_embeddings.weight": torch.zeros(2, 2), "evil": Payload(marker)}
    torch.save(state, folder / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="never runs code") as info:
        load_pretrained(folder)
    assert "pytorch_model.bin" in str(info.value)
    assert not marker.exists()


def test_plain_pickle_file_is_refused(tiny_model_dir, tmp_path):
    folder = copy_of(tiny_model_dir, tmp_path)
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "payload_ran"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(Payload(marker), protocol=2))
    with pytest.raises(CheckpointError):
        load_pretrained(folder)
    assert not marker.exists()


def test_weights_only_torch_file_loads(tiny_model_dir, tmp_path):
    reference, _ = load_pretrained(tiny_model_dir)
    folder = copy_of(tiny_model_dir, tmp_path)
    (folder / "model.safetensors").unlink()
    torch.save({"bert." + k: v for k, v in reference.state_dict().items()}, folder / "pytorch_model.bin")
    model, _ = load_pretrained(folder)
    for key, value in reference.state_dict().items():
        assert torch.equal(model.state_dict()[key], value)


def test_sharded_safetensors_load(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = copy_of(tiny_model_dir, tmp_path)
    state = load_file(folder / "model.safetensors")
    keys = sorted(state)
    halves = {"model-00001-of-00002.safetensors": keys[::2], "model-00002-of-00002.safetensors": keys[1::2]}
    for name, names in halves.items():
        save_file({k: state[k] for k in names}, folder / name)
    weight_map = {k: name for name, names in halves.items() for k in names}
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    (folder / "model.safetensors").unlink()
    model, _ = load_pretrained(folder)
    assert torch.equal(model.embeddings.word_embeddings.weight, state["embeddings.word_embeddings.weight"])


def test_truncated_safetensors_names_the_file(tiny_model_dir, tmp_path):
    folder = copy_of(tiny_model_dir, tmp_path)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated or corrupt") as info:
        load_pretrained(folder)
    assert "model.safetensors" in str(info.value)


def test_garbage_weights_file(tiny_model_dir, tmp_path):
    folder = copy_of(tiny_model_dir, tmp_path)
    (folder / "model.safetensors").write_bytes(os.urandom(4096))
    with pytest.raises(CheckpointError, match="model.safetensors"):
        load_pretrained(folder)


def test_truncated_torch_zip_is_reported(tiny_model_dir, tmp_path):
    reference, _ = load_pretrained(tiny_model_dir)
    folder = copy_of(tiny_model_dir, tmp_path)
    (folder / "model.safetensors").unlink()
    path = folder / "pytorch_model.bin"
    torch.save(reference.state_dict(), path)
    assert zipfile.is_zipfile(path)
    path.write_bytes(path.read_bytes()[:-300])
    with pytest.raises(CheckpointError, match="pytorch_model.bin"):
        load_pretrained(folder)


def test_config_with_a_wrong_shape_lists_the_weights(tiny_model_dir, tmp_path):
    folder = copy_of(tiny_model_dir, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["intermediate_size"] = 80
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(
        CheckpointError, match="intermediate.dense.weight: checkpoint \\(64, 32\\), model \\(80, 32\\)"
    ):
        load_pretrained(folder)


def test_missing_encoder_weight_is_an_error_with_names(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = copy_of(tiny_model_dir, tmp_path)
    state = load_file(folder / "model.safetensors")
    del state["encoder.layer.1.output.dense.weight"]
    save_file(state, folder / "model.safetensors")
    with pytest.raises(CheckpointError, match="encoder.layer.1.output.dense.weight"):
        load_pretrained(folder)


def test_unknown_weight_is_an_error(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = copy_of(tiny_model_dir, tmp_path)
    state = load_file(folder / "model.safetensors")
    state["encoder.layer.9.output.dense.weight"] = torch.zeros(1)
    save_file(state, folder / "model.safetensors")
    with pytest.raises(CheckpointError, match="(?s)unexpected.*encoder.layer.9"):
        load_pretrained(folder)


def test_new_head_is_reported_not_an_error(tiny_model_dir):
    model, _ = load_pretrained(tiny_model_dir, task="classification", num_labels=4)
    assert model.load_report.newly_initialized == ["classifier.bias", "classifier.weight"]
    assert model.classifier.out_features == 4
    masked, _ = load_pretrained(tiny_model_dir, task="masked_lm")
    assert "cls.predictions.bias" in masked.load_report.newly_initialized
    assert "bert.pooler.dense.weight" in masked.load_report.unused


def test_head_weights_load_into_a_saved_classifier(tmp_path):
    folder = make_tiny_model_dir(tmp_path / "clf", "classification", ["neg", "pos"], seed=5)
    model, _ = load_pretrained(folder)
    assert model.task == "classification"
    assert model.load_report.newly_initialized == []
    assert model.config.id2label == {0: "neg", 1: "pos"}


def test_missing_config(tiny_model_dir, tmp_path):
    folder = copy_of(tiny_model_dir, tmp_path)
    (folder / "config.json").unlink()
    with pytest.raises(ConfigError, match="config.json is missing") as info:
        load_pretrained(folder)
    assert str(folder) in str(info.value)


def test_config_not_json(tiny_model_dir, tmp_path):
    folder = copy_of(tiny_model_dir, tmp_path)
    (folder / "config.json").write_text("{oops")
    with pytest.raises(ConfigError, match="not valid JSON") as raised:
        load_pretrained(folder)
    assert "line 1" in raised.value.message and "trailing comma" in raised.value.hint  # where, and what to do


def test_non_bert_model_type(tiny_model_dir, tmp_path):
    folder = copy_of(tiny_model_dir, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "gpt2"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="not a model family BERT Studio can open"):
        load_pretrained(folder)


def test_missing_vocab(tiny_model_dir, tmp_path):
    folder = copy_of(tiny_model_dir, tmp_path)
    (folder / "tokenizer.json").unlink()
    (folder / "vocab.txt").unlink()
    with pytest.raises(TokenizerError, match="neither tokenizer.json nor vocab.txt"):
        load_pretrained(folder)


def test_missing_weights_and_not_a_folder(tiny_model_dir, tmp_path):
    folder = copy_of(tiny_model_dir, tmp_path)
    (folder / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="No weights found"):
        load_pretrained(folder)
    with pytest.raises(CheckpointError, match="not a model folder"):
        load_pretrained(tmp_path / "nowhere")


def test_every_error_is_a_bertstudio_error():
    for cls in (CheckpointError, ConfigError, TokenizerError):
        assert issubclass(cls, BertStudioError)


def test_old_gamma_beta_names_and_prefixed_keys_load(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file, save_file

    reference, _ = load_pretrained(tiny_model_dir)
    folder = copy_of(tiny_model_dir, tmp_path)
    state = load_file(folder / "model.safetensors")
    renamed = {
        "bert."
        + k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v
        for k, v in state.items()
    }
    save_file(renamed, folder / "model.safetensors")
    model, _ = load_pretrained(folder)
    for key, value in reference.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_model_found_in_the_huggingface_cache_by_repo_id(tiny_model_dir, tmp_path, monkeypatch):
    snapshot = tmp_path / "hub" / "models--acme--tiny-bert" / "snapshots" / "abc123"
    shutil.copytree(tiny_model_dir, snapshot)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    from bertstudio.model import find_cached_checkpoints

    found = find_cached_checkpoints()
    assert [(c.name, c.path) for c in found] == [("acme/tiny-bert", snapshot)]
    by_id, _ = load_pretrained("acme/tiny-bert")
    by_repo_folder, _ = load_pretrained(tmp_path / "hub" / "models--acme--tiny-bert")
    assert by_id.config == by_repo_folder.config


def test_classifier_for_a_new_label_set_starts_fresh(tmp_path):
    folder = make_tiny_model_dir(tmp_path / "clf", "classification", ["neg", "pos"], seed=5)
    model, _ = load_pretrained(folder, labels=["a", "b", "c"])
    assert model.classifier.out_features == 3
    assert model.config.id2label == {0: "a", 1: "b", 2: "c"}
    assert model.load_report.newly_initialized == ["classifier.bias", "classifier.weight"]
