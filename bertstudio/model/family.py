"""A model family: what a config.json `model_type` means for BERT Studio, as data.

One shared encoder (`model/modeling.py`) builds every family; a family spec says how its checkpoint
differs from BERT's: config key names, checkpoint key names, how positions are counted, whether the
embeddings are factorised or layers shared, which heads it has and how they are shaped, and its
tokenizer kind. Adding a family means adding a module under `model/families/` that registers a spec
(a separate module is needed only where the mathematics differs). No torch here: config.py uses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bertstudio.errors import ConfigError

SEQUENCE_TASKS = ("classification", "multi_label", "regression")
SENTENCE_TASK = "sentence_embedding"  # saved as the base model with the sentence-transformers files


@dataclass(frozen=True)
class Capabilities:
    """What a family's models can do, so callers ask instead of assuming."""

    token_types: bool  # a segment (token type) embedding: pairs are told apart by more than separators
    pooler: bool  # a pooled first-token output (dense + tanh) in the base model
    next_sentence: bool  # a sentence-pair pretraining head (BERT's NSP, ALBERT's sentence order)
    masked_lm: bool  # a masked-LM head (fill-mask, continued pretraining)
    attention_maps: bool = True  # attention probabilities can be returned per layer
    head_masking: bool = True  # heads can be switched off per layer
    shared_layers: bool = False  # layers reuse one set of weights (ALBERT)

    def as_dict(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class KeyRename:
    """One rule of a weight-name map: names starting with `ours` become names starting with `theirs`
    (and back). `{n}` stands for a layer number; `tasks` limits the rule to models of those tasks."""

    ours: str
    theirs: str
    tasks: tuple[str, ...] | None = None

    def convert(self, key: str, task: str, to_theirs: bool) -> str | None:
        if self.tasks is not None and task not in self.tasks:
            return None
        source, target = (self.ours, self.theirs) if to_theirs else (self.theirs, self.ours)
        match = re.match(re.escape(source).replace(r"\{n\}", r"(\d+)"), key)
        if match is None:
            return None
        target = target.replace("{n}", match.group(1)) if match.groups() else target
        return target + key[match.end() :]


@dataclass(frozen=True)
class Family:
    """A family of checkpoints the shared encoder builds (see the module docstring)."""

    name: str  # our name, e.g. "roberta"
    title: str  # shown to people, e.g. "RoBERTa"
    model_types: tuple[str, ...]  # config.json model_type values it opens; the first is written back
    prefix: str  # the encoder's name in task checkpoints ("bert", "roberta", "distilbert", ...)
    architectures: dict[str, str]  # task -> the transformers class name written to config.json
    capabilities: Capabilities
    tokenizer_kind: str  # "wordpiece", "byte_level_bpe" or "unigram": what its vocab files hold
    tokenizer_class: str  # the transformers tokenizer class written to tokenizer_config.json
    # config.json key -> our BertConfig field, where the family names a field differently
    config_names: dict[str, str] = field(default_factory=dict)
    # values of our fields a family fixes (not in its config.json), e.g. DistilBERT's LayerNorm eps
    config_fixed: dict[str, object] = field(default_factory=dict)
    # weight-name map beyond swapping the `bert.` prefix for `prefix.` (first matching rule wins)
    key_map: tuple[KeyRename, ...] = ()
    # (alias, name) pairs of checkpoint weights: a tied copy read as the weight it copies when that is absent
    aliases: tuple[tuple[str, str], ...] = ()
    # which layer mathematics the encoder runs: "bert" (post-norm BERT blocks over absolute positions),
    # "deberta_v2" (disentangled attention over relative positions) or "modernbert" (pre-norm, rotary,
    # local and global layers); model/modeling.py builds the matching embeddings and encoder
    block: str = "bert"
    # the family's own config.json settings beyond BertConfig's fields: a BertConfig (its extra keys)
    # -> a typed settings object, raising ConfigError naming the bad key; None when it has none
    read_options: Callable[[Any], Any] | None = None
    positions_from_padding: bool = False  # RoBERTa: positions count real tokens from pad_token_id + 1
    factorised_embeddings: bool = False  # config.json carries embedding_size (ELECTRA, ALBERT)
    always_project_embeddings: bool = False  # ALBERT maps embeddings to the hidden size even at equal width
    # sequence classification: "pooler" (BERT: pooled first token -> dropout -> linear), "first_token"
    # (RoBERTa: dropout -> dense -> activation -> dropout -> linear) or "context_pooler" (DeBERTa: the
    # first-token shape with the pooler's own dropout and activation from the family's options)
    classifier: str = "pooler"
    classifier_activation: str = "tanh"
    classifier_dropout_first: bool = True  # dropout before the first-token head's dense layer
    masked_lm_activation: str | None = None  # None: the config's hidden_act
    qa_dropout: bool = False  # dropout before the question-answering head (DistilBERT)
    notes: tuple[str, ...] = ()  # what a person should know (e.g. what layer sharing means)

    @property
    def tasks(self) -> tuple[str, ...]:
        """The tasks of the task registry's heads this family can build."""
        return tuple(
            task
            for task in self.architectures
            if (task != "masked_lm" or self.capabilities.masked_lm)
            and (task != "pretraining" or self.capabilities.next_sentence)
        )

    def builds(self, task: str) -> bool:
        """Whether it has a model for `task` (a sentence encoder is its base model with pooling)."""
        return ("base" if task == SENTENCE_TASK else task) in self.tasks

    def architecture(self, task: str) -> str:
        """The transformers class name config.json names for a model of `task`."""
        return self.architectures.get("base" if task == SENTENCE_TASK else task, "")

    def to_checkpoint_key(self, key: str, task: str) -> str:
        """Our full weight name (with `bert.`) -> the name this family's checkpoints use."""
        return self._convert(key, task, to_theirs=True)

    def from_checkpoint_key(self, key: str, task: str) -> str:
        """A name from this family's checkpoint (with its prefix) -> our full weight name."""
        return self._convert(key, task, to_theirs=False)

    def _convert(self, key: str, task: str, to_theirs: bool) -> str:
        for rule in self.key_map:
            converted = rule.convert(key, task, to_theirs)
            if converted is not None:
                return converted
        source, target = ("bert.", f"{self.prefix}.") if to_theirs else (f"{self.prefix}.", "bert.")
        return target + key[len(source) :] if key.startswith(source) else key


_FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    for model_type in family.model_types:
        _FAMILIES[model_type] = family
    return family


def _load_families() -> None:
    from bertstudio.model import families  # noqa: F401  (each module registers its spec)


def family_for(model_type: str | None) -> Family:
    """The family of a config.json model_type (None reads as BERT); ConfigError when unknown."""
    _load_families()
    family = _FAMILIES.get(model_type or "bert")
    if family is None:
        raise ConfigError(
            f"model_type {model_type!r} is not a model family BERT Studio can open.",
            f"Open a checkpoint of one of: {', '.join(sorted(_FAMILIES))}.",
        )
    return family


def all_families() -> list[Family]:
    """Every registered family, once each, in registration order."""
    _load_families()
    unique: dict[str, Family] = {}
    for family in _FAMILIES.values():
        unique.setdefault(family.name, family)
    return list(unique.values())
