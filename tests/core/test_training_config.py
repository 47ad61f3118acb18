"""RunConfig round-trips through TOML (tomllib and the 3.10 fallback); optimizer groups, schedules, devices."""

from __future__ import annotations

import math

import pytest
import torch

from bertstudio.errors import ConfigError, TrainingError
from bertstudio.training import RunConfig
from bertstudio.training.device import cap_cpu_threads, choose_device, choose_precision
from bertstudio.training.optim import build_scheduler, lr_multiplier, parameter_groups
from bertstudio.training.tomlio import _parse_flat_toml, dump_toml


def full_config(tmp_path) -> RunConfig:
    return RunConfig(
        task="multi_label",
        model_path=str(tmp_path / "model"),
        data_path=str(tmp_path / 'data "quoted".csv'),
        validation_path="C:\\data\\folder\\",  # a Windows path ending in a backslash
        text_column="text, with comma",
        label_columns=["a", "b # not a comment"],
        label_delimiter="|",
        learning_rate=3e-5,
        probe_sentences=["It's great!", 'She said "no"'],
        output_dir=str(tmp_path / "run"),
    )


def test_toml_round_trip(tmp_path):
    config = full_config(tmp_path)
    config.save_toml(tmp_path / "run.toml")
    assert RunConfig.load_toml(tmp_path / "run.toml") == config


def test_the_python_310_fallback_parser_reads_what_we_write(tmp_path):
    config = full_config(tmp_path)
    text = "# saved by BERT Studio\n" + dump_toml(config.to_dict()).replace(
        "epochs = 3", "epochs = 4  # more"
    )
    import tomllib

    assert _parse_flat_toml(text, tmp_path) == tomllib.loads(text)


def test_unknown_settings_and_wrong_types_are_named(tmp_path):
    (tmp_path / "bad.toml").write_text('task = "classification"\nlearning_rat = 0.1\n')
    with pytest.raises(ConfigError, match="learning_rat"):
        RunConfig.load_toml(tmp_path / "bad.toml")
    (tmp_path / "bad.toml").write_text('epochs = "three"\n')
    with pytest.raises(ConfigError, match="epochs must be a int"):
        RunConfig.load_toml(tmp_path / "bad.toml")
    (tmp_path / "bad.toml").write_text("epochs = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        RunConfig.load_toml(tmp_path / "bad.toml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"task": "translation"}, "task 'translation'"),
        ({"model_path": ""}, "model folder"),
        ({"batch_size": 0}, "batch_size"),
        ({"warmup_ratio": 1.5}, "warmup_ratio"),
        ({"validation_fraction": 0.6, "test_fraction": 0.5}, "no training data"),
        ({"task": "pair_classification"}, "text_pair_column"),
    ],
)
def test_validate_names_the_setting(tmp_path, change, message):
    settings = {**full_config(tmp_path).to_dict(), "task": "classification", **change}
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict(settings).validate()


def test_no_weight_decay_on_biases_and_layer_norm():
    from bertstudio.model import BertConfig, build_model

    model = build_model(BertConfig.preset("tiny", vocab_size=50, num_hidden_layers=1), "masked_lm")
    decay, no_decay = parameter_groups(model, 0.01)
    names = {id(p): n for n, p in model.named_parameters()}
    assert decay["weight_decay"] == 0.01 and no_decay["weight_decay"] == 0.0
    assert all("LayerNorm" in names[id(p)] or names[id(p)].endswith("bias") for p in no_decay["params"])
    assert all(p.ndim == 2 for p in decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))  # tied once


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_schedules_match_transformers(schedule):
    transformers = pytest.importorskip("transformers")
    total, config = 50, RunConfig(warmup_ratio=0.1, schedule=schedule)

    def rates(make):
        parameter = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([parameter], lr=1.0)
        scheduler = make(optimizer)
        values = []
        for _ in range(total):
            values.append(scheduler.get_last_lr()[0])
            optimizer.step()
            scheduler.step()
        return values

    ours = rates(lambda o: build_scheduler(o, config, total))
    helper = {
        "linear": transformers.get_linear_schedule_with_warmup,
        "cosine": transformers.get_cosine_schedule_with_warmup,
    }[schedule]
    theirs = rates(lambda o: helper(o, 5, total))
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert lr_multiplier(5, 5, total, "constant") == 1.0 and math.isclose(
        lr_multiplier(0, 5, total, "cosine"), 0.0
    )


def test_device_choice_and_precision_on_cpu():
    if not torch.cuda.is_available():
        assert choose_device("auto").type in ("cpu", "mps")
        with pytest.raises(TrainingError, match="CUDA"):
            choose_device("cuda")
    cpu = torch.device("cpu")
    assert choose_precision("auto", cpu) == "fp32"
    assert choose_precision("bf16", cpu) == "bf16"
    with pytest.raises(TrainingError, match="fp16"):
        choose_precision("fp16", cpu)
    before = torch.get_num_threads()
    try:
        assert cap_cpu_threads(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
