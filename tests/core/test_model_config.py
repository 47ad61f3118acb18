from __future__ import annotations

import pytest

from bertstudio.errors import ConfigError
from bertstudio.model.config import PRESETS, BertConfig


def test_presets():
    tiny = BertConfig.preset("tiny")
    assert (tiny.num_hidden_layers, tiny.hidden_size) == (2, 128)
    assert BertConfig.preset("base").hidden_size == 768
    assert set(PRESETS) == {"tiny", "mini", "small", "base"}
    assert BertConfig.preset("mini", vocab_size=500).vocab_size == 500
    with pytest.raises(ConfigError, match="Unknown preset 'huge'"):
        BertConfig.preset("huge")


def test_heads_must_divide_hidden_size():
    with pytest.raises(
        ConfigError, match=r"hidden_size \(100\) is not divisible by num_attention_heads \(12\)"
    ):
        BertConfig(hidden_size=100, num_attention_heads=12)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("hidden_act", "mish", "hidden_act 'mish' is not supported"),
        ("num_hidden_layers", 0, "num_hidden_layers must be a positive"),
        ("pad_token_id", 99999, "outside the vocabulary"),
        ("hidden_dropout_prob", 1.5, "hidden_dropout_prob must be in"),
        ("position_embedding_type", "relative_key", "not supported"),
    ],
)
def test_invalid_fields(field, value, message):
    with pytest.raises(ConfigError, match=message):
        BertConfig(**{field: value})


def test_dict_round_trip_keeps_unknown_keys():
    config = BertConfig.from_dict(
        {"hidden_size": 64, "num_attention_heads": 4, "id2label": {"0": "a", "1": "b"}, "custom_key": 7}
    )
    data = config.to_dict()
    assert data["model_type"] == "bert" and data["custom_key"] == 7
    assert data["label2id"] == {"a": 0, "b": 1}
    assert BertConfig.from_dict(data) == config
