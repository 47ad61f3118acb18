"""ModernBERT: pre-norm layers without biases, rotary positions (one theta for global layers, another for
local ones), every n-th layer global attention and the others a sliding window, a fused `Wqkv`, a GeGLU
MLP, `final_norm`, the `model.` prefix, and heads `dense -> act -> norm` (then the classifier, over the
CLS token or the mean of the tokens). The mathematics is in model/modernbert.py; the config.json
settings it reads are ModernBertOptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bertstudio.errors import ConfigError
from bertstudio.model.family import Capabilities, Family, KeyRename, register

_LAYER = "bert.encoder.layer.{n}."


@dataclass(frozen=True)
class ModernBertOptions:
    """ModernBERT's own config.json settings (transformers' defaults where a key is absent)."""

    global_layers: tuple[bool, ...]  # per layer: global attention (True) or the sliding window
    window: int  # local_attention: a local layer's query sees keys within window // 2 positions
    global_theta: float  # rotary base of the global layers
    local_theta: float  # rotary base of the local layers
    norm_bias: bool
    attention_bias: bool
    mlp_bias: bool
    classifier_bias: bool
    decoder_bias: bool
    classifier_activation: str
    classifier_pooling: str  # "cls" or "mean"
    mlp_dropout: float

    @property
    def half_window(self) -> int:
        return self.window // 2


def _rope_theta(extra: dict[str, Any], layer_type: str, legacy_key: str, default: float) -> float:
    parameters = (extra.get("rope_parameters") or {}).get(layer_type) or {}
    kind = parameters.get("rope_type", "default")
    if kind != "default":
        raise ConfigError(
            f"rope_parameters[{layer_type!r}] rope_type {kind!r} is not supported.",
            "BERT Studio opens ModernBERT checkpoints with the default rotary embeddings, as published.",
        )
    return float(parameters.get("rope_theta", extra.get(legacy_key, default)))


def read_options(config: Any) -> ModernBertOptions:
    """The options of a BertConfig of this family (its config.json keys kept in config.extra)."""
    extra = config.extra
    layer_types = extra.get("layer_types")
    if layer_types is None:
        every = extra.get("global_attn_every_n_layers", 3)
        layer_types = [
            "full_attention" if index % every == 0 else "sliding_attention"
            for index in range(config.num_hidden_layers)
        ]
    known = {"full_attention", "sliding_attention"}
    if len(layer_types) != config.num_hidden_layers or not set(layer_types) <= known:
        raise ConfigError(
            f"layer_types {layer_types!r} must name one of {sorted(known)} for each of the "
            f"{config.num_hidden_layers} layers."
        )
    pooling = extra.get("classifier_pooling", "cls")
    if pooling not in ("cls", "mean"):
        raise ConfigError(f"classifier_pooling {pooling!r} is not supported.", 'Use "cls" or "mean".')
    window = extra.get("local_attention", 128)
    if not isinstance(window, int) or isinstance(window, bool) or window < 2:
        raise ConfigError(f"local_attention must be a whole number of at least 2, got {window!r}.")
    return ModernBertOptions(
        global_layers=tuple(kind == "full_attention" for kind in layer_types),
        window=window,
        global_theta=_rope_theta(extra, "full_attention", "global_rope_theta", 160_000.0),
        local_theta=_rope_theta(extra, "sliding_attention", "local_rope_theta", 10_000.0),
        norm_bias=bool(extra.get("norm_bias", False)),
        attention_bias=bool(extra.get("attention_bias", False)),
        mlp_bias=bool(extra.get("mlp_bias", False)),
        classifier_bias=bool(extra.get("classifier_bias", False)),
        decoder_bias=bool(extra.get("decoder_bias", True)),
        classifier_activation=str(extra.get("classifier_activation", "gelu")),
        classifier_pooling=pooling,
        mlp_dropout=float(extra.get("mlp_dropout", 0.0)),
    )


MODERNBERT = register(
    Family(
        name="modernbert",
        title="ModernBERT",
        model_types=("modernbert",),
        prefix="model",
        architectures={
            "base": "ModernBertModel",
            "masked_lm": "ModernBertForMaskedLM",
            "classification": "ModernBertForSequenceClassification",
            "multi_label": "ModernBertForSequenceClassification",
            "regression": "ModernBertForSequenceClassification",
            "token_classification": "ModernBertForTokenClassification",
        },
        capabilities=Capabilities(token_types=False, pooler=False, next_sentence=False, masked_lm=True),
        tokenizer_kind="byte_level_bpe",
        tokenizer_class="PreTrainedTokenizerFast",
        config_names={
            "hidden_activation": "hidden_act",
            "norm_eps": "layer_norm_eps",
            "attention_dropout": "attention_probs_dropout_prob",
            "embedding_dropout": "hidden_dropout_prob",
            "classifier_dropout": "classifier_dropout",  # named here so config.json gets a number, not null
        },
        config_fixed={"type_vocab_size": 0},
        key_map=(
            KeyRename("bert.embeddings.word_embeddings.", "model.embeddings.tok_embeddings."),
            KeyRename(_LAYER, "model.layers.{n}."),
            KeyRename("bert.encoder.final_norm.", "model.final_norm."),
            KeyRename("cls.predictions.transform.", "head.", tasks=("masked_lm",)),
            KeyRename("cls.predictions.decoder.weight", "decoder.weight"),
            KeyRename("cls.predictions.bias", "decoder.bias"),
        ),
        block="modernbert",
        read_options=read_options,
        classifier="pooled_head",
        notes=(
            "ModernBERT alternates global layers with sliding-window (local) layers: a local layer's "
            "attention map is zero outside its window by design.",
        ),
    )
)
