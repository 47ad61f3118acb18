"""DeBERTa-v2 and DeBERTa-v3: disentangled attention (content->position and position->content terms over
shared, log-bucketed relative position embeddings), usually no absolute positions, `query_proj` /
`key_proj` / `value_proj`, a context-pooler classification head. The mathematics is in model/deberta.py;
the config.json settings it reads are DebertaOptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bertstudio.errors import ConfigError
from bertstudio.model.family import SEQUENCE_TASKS, Capabilities, Family, KeyRename, register

POSITION_TERMS = ("c2p", "p2c")


@dataclass(frozen=True)
class DebertaOptions:
    """DeBERTa's own config.json settings (transformers' defaults where a key is absent)."""

    relative_attention: bool  # position terms over relative position embeddings
    position_biased_input: bool  # absolute position embeddings added to the word embeddings (v2 only)
    position_terms: tuple[str, ...]  # pos_att_type: "c2p" (content->position), "p2c" (position->content)
    position_buckets: int  # log buckets of relative distance; 0: one row per distance
    max_relative_positions: int  # the farthest distance told apart
    share_att_key: bool  # position terms reuse query_proj / key_proj (v3) instead of pos_*_proj
    norm_rel_embeddings: bool  # norm_rel_ebd "layer_norm": encoder.LayerNorm over the relative embeddings
    pooler_dropout: float
    pooler_hidden_act: str

    @property
    def attention_span(self) -> int:
        """Rows of the relative embedding table on each side of distance 0."""
        return self.position_buckets or self.max_relative_positions

    @property
    def scale_factor(self) -> int:
        """Scores are divided by sqrt(head_size * (1 + number of position terms))."""
        return 1 + (len(self.position_terms) if self.relative_attention else 0)


def read_options(config: Any) -> DebertaOptions:
    """The options of a BertConfig of this family (its config.json keys kept in config.extra)."""
    extra = config.extra
    terms = extra.get("pos_att_type") or []
    if isinstance(terms, str):
        terms = [term.strip() for term in terms.lower().split("|") if term.strip()]
    unknown = [term for term in terms if term not in POSITION_TERMS]
    if unknown:
        raise ConfigError(
            f"pos_att_type {unknown!r} is not a DeBERTa position term.",
            'Use "c2p", "p2c" or both (DeBERTa-v3: ["p2c", "c2p"]).',
        )
    if extra.get("conv_kernel_size", 0):
        raise ConfigError(
            f"conv_kernel_size {extra['conv_kernel_size']!r}: the convolution layer of DeBERTa-v2 xlarge / xxlarge "
            "is not supported.",
            "Open a DeBERTa checkpoint without conv_kernel_size (DeBERTa-v3 and DeBERTa-v2 base sizes).",
        )
    hidden = config.hidden_size
    if extra.get("pooler_hidden_size", hidden) != hidden:
        raise ConfigError(
            f"pooler_hidden_size {extra['pooler_hidden_size']!r} differs from hidden_size {hidden!r}.",
            "BERT Studio opens DeBERTa checkpoints whose pooler keeps the hidden size, as published.",
        )
    buckets = extra.get("position_buckets", -1)
    max_relative = extra.get("max_relative_positions", -1)
    for name, value in (("position_buckets", buckets), ("max_relative_positions", max_relative)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{name} must be a whole number, got {value!r}.")
    norm = [part.strip() for part in str(extra.get("norm_rel_ebd", "none")).lower().split("|")]
    return DebertaOptions(
        relative_attention=bool(extra.get("relative_attention", False)),
        position_biased_input=bool(extra.get("position_biased_input", True)),
        position_terms=tuple(terms),
        position_buckets=max(buckets, 0),
        max_relative_positions=max_relative if max_relative >= 1 else config.max_position_embeddings,
        share_att_key=bool(extra.get("share_att_key", False)),
        norm_rel_embeddings="layer_norm" in norm,
        pooler_dropout=float(extra.get("pooler_dropout", 0.0)),
        pooler_hidden_act=str(extra.get("pooler_hidden_act", "gelu")),
    )


DEBERTA_V2 = register(
    Family(
        name="deberta-v2",
        title="DeBERTa-v2/v3",
        model_types=("deberta-v2",),
        prefix="deberta",
        architectures={
            "base": "DebertaV2Model",
            "masked_lm": "DebertaV2ForMaskedLM",
            "classification": "DebertaV2ForSequenceClassification",
            "multi_label": "DebertaV2ForSequenceClassification",
            "regression": "DebertaV2ForSequenceClassification",
            "token_classification": "DebertaV2ForTokenClassification",
            "question_answering": "DebertaV2ForQuestionAnswering",
        },
        capabilities=Capabilities(token_types=False, pooler=False, next_sentence=False, masked_lm=True),
        tokenizer_kind="unigram",
        tokenizer_class="DebertaV2Tokenizer",
        config_names={"cls_dropout": "classifier_dropout"},
        key_map=(
            KeyRename("classifier.dense.", "pooler.dense.", tasks=SEQUENCE_TASKS),
            KeyRename("classifier.out_proj.", "classifier.", tasks=SEQUENCE_TASKS),
        ),
        aliases=(("cls.predictions.decoder.bias", "cls.predictions.bias"),),
        block="deberta_v2",
        read_options=read_options,
        factorised_embeddings=True,
        classifier="context_pooler",
        notes=(
            "DeBERTa-v3 was pretrained with replaced-token detection: its checkpoints carry no trained "
            "masked-LM head, so fill-mask shows nothing meaningful for them.",
        ),
    )
)
