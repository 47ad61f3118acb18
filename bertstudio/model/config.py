"""BertConfig: the architecture of an encoder of the BERT family, readable from and writable to config.json.

The config.json key names are the family's (DistilBERT's `dim`, `n_layers`, ...); `model_type` picks the
family (`model/family.py`) that translates them to the fields below.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bertstudio.errors import ConfigError
from bertstudio.model.family import Family, family_for

ACTIVATIONS = ("gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish", "tanh")


@dataclass
class BertConfig:
    vocab_size: int = 30522  # rows of the word-embedding matrix (and of the masked-LM decoder)
    hidden_size: int = 768  # width of every token vector
    num_hidden_layers: int = 12  # encoder layers
    num_attention_heads: int = 12  # heads per layer; must divide hidden_size
    intermediate_size: int = 3072  # width of the feed-forward block
    hidden_act: str = "gelu"  # feed-forward activation, one of ACTIVATIONS
    hidden_dropout_prob: float = 0.1  # dropout on embeddings and residual branches
    attention_probs_dropout_prob: float = 0.1  # dropout on attention probabilities
    max_position_embeddings: int = 512  # longest sequence the model accepts
    type_vocab_size: int = 2  # segments (sentence A / B); 0 for a family without token types
    initializer_range: float = 0.02  # std of the normal init for new weights
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0  # padding row of the word embeddings
    position_embedding_type: str = "absolute"  # only absolute positions are supported
    classifier_dropout: float | None = None  # dropout before task heads; None uses hidden_dropout_prob
    model_type: str = "bert"  # the family (see model/family.py), as config.json names it
    embedding_size: int | None = None  # width of factorised embeddings (ELECTRA, ALBERT); None: hidden_size
    num_hidden_groups: int = 1  # sets of layer weights shared across the layers (ALBERT)
    # Task heads: labels and how to read them (mirrors the Hugging Face config keys).
    id2label: dict[int, str] = field(default_factory=dict)
    problem_type: str | None = None  # single_label_classification / multi_label_classification / regression
    architectures: list[str] = field(default_factory=list)
    # Keys of config.json we do not use, kept so a saved config round-trips.
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.id2label = {int(k): str(v) for k, v in (self.id2label or {}).items()}
        self.validate()

    @property
    def family(self) -> Family:
        return family_for(self.model_type)

    @property
    def options(self) -> Any:
        """The family's own settings (e.g. DeBERTa's relative attention), None for a family without any."""
        read = self.family.read_options
        return read(self) if read is not None else None

    @property
    def embedding_width(self) -> int:
        return self.embedding_size or self.hidden_size

    @property
    def max_length(self) -> int:
        """The longest input in tokens: the position table, less the rows a family reserves."""
        reserved = self.pad_token_id + 1 if self.family.positions_from_padding else 0
        return self.max_position_embeddings - reserved

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def num_labels(self) -> int:
        return len(self.id2label)

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in self.id2label.items()}

    def validate(self) -> None:
        """Raise ConfigError naming the first field that cannot build a model."""
        positive = (
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
            "num_hidden_groups",
        )
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{name} must be a positive whole number, got {value!r}.")
        family = self.family
        if not isinstance(self.type_vocab_size, int) or self.type_vocab_size < (
            1 if family.capabilities.token_types else 0
        ):
            raise ConfigError(
                f"type_vocab_size must be a positive whole number, got {self.type_vocab_size!r}."
            )
        if self.embedding_size is not None and (
            not isinstance(self.embedding_size, int) or self.embedding_size <= 0
        ):
            raise ConfigError(f"embedding_size must be a positive whole number, got {self.embedding_size!r}.")
        if self.num_hidden_layers % self.num_hidden_groups:
            raise ConfigError(
                f"num_hidden_layers ({self.num_hidden_layers}) is not a multiple of num_hidden_groups "
                f"({self.num_hidden_groups})."
            )
        if self.extra.get("inner_group_num", 1) != 1:
            raise ConfigError(
                f"inner_group_num {self.extra['inner_group_num']!r} is not supported.",
                "BERT Studio opens ALBERT checkpoints with one layer per group (inner_group_num 1), as published.",
            )
        if self.max_length <= 0:
            raise ConfigError(
                f"max_position_embeddings ({self.max_position_embeddings}) leaves no room for tokens after "
                f"the {family.title} position offset (pad_token_id {self.pad_token_id} + 1)."
            )
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"hidden_size ({self.hidden_size}) is not divisible by num_attention_heads "
                f"({self.num_attention_heads}).",
                "Choose a head count that divides the hidden size (e.g. hidden 768 with 12 heads).",
            )
        if self.hidden_act not in ACTIVATIONS:
            raise ConfigError(
                f"hidden_act {self.hidden_act!r} is not supported.",
                f"Use one of: {', '.join(ACTIVATIONS)}.",
            )
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            value = getattr(self, name)
            if not 0.0 <= float(value) < 1.0:
                raise ConfigError(f"{name} must be in [0, 1), got {value!r}.")
        if self.layer_norm_eps <= 0:
            raise ConfigError(f"layer_norm_eps must be positive, got {self.layer_norm_eps!r}.")
        if not 0 <= self.pad_token_id < self.vocab_size:
            raise ConfigError(
                f"pad_token_id {self.pad_token_id} is outside the vocabulary (size {self.vocab_size})."
            )
        if family.read_options is not None:
            family.read_options(self)  # raises ConfigError on a bad family setting
        if self.position_embedding_type != "absolute":
            raise ConfigError(
                f"position_embedding_type {self.position_embedding_type!r} is not supported.",
                "BERT Studio supports absolute position embeddings (the BERT default).",
            )

    def to_dict(self) -> dict[str, Any]:
        """The config.json form: the family's key names and model_type."""
        family = self.family
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        if data["embedding_size"] is None:
            data["embedding_size"] = self.hidden_size
        if not family.factorised_embeddings:
            del data["embedding_size"]
        if not family.capabilities.shared_layers:
            del data["num_hidden_groups"]
        for name in family.config_fixed:
            del data[name]
        if data["classifier_dropout"] is None and "classifier_dropout" in family.config_names.values():
            # what None means here; DistilBERT's and ALBERT's configs need a number
            data["classifier_dropout"] = self.hidden_dropout_prob
        theirs = {ours: key for key, ours in family.config_names.items()}
        data = {theirs.get(name, name): value for name, value in data.items()}
        data = {**self.extra, **data}
        data["id2label"] = {str(i): label for i, label in self.id2label.items()}
        data["label2id"] = self.label2id
        if not data["id2label"]:
            del data["id2label"], data["label2id"]
        if data["problem_type"] is None:
            del data["problem_type"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BertConfig:
        model_type = data.get("model_type") or "bert"
        family = family_for(model_type)
        data = {family.config_names.get(key, key): value for key, value in data.items()}
        data.update(family.config_fixed)
        data["model_type"] = model_type
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known and k != "label2id"}
        try:
            return cls(**kwargs, extra=extra)
        except TypeError as exc:
            raise ConfigError(f"config has a value of the wrong type: {exc}") from None

    @classmethod
    def from_json_file(cls, path: str | Path) -> BertConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                "config.json is missing.", "A model folder needs config.json.", path=path
            ) from None
        except OSError as exc:  # a folder named config.json, a symlink loop, no permission
            raise ConfigError(
                f"config.json cannot be read ({exc.strerror or exc}).",
                "It must be a readable JSON file; copy config.json again from where the model came from.",
                path=path,
            ) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"config.json is not valid JSON ({exc}).",
                "Fix the file at that line (a missing quote or comma, a trailing comma), or copy config.json "
                "again from where the model came from.",
                path=path,
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(
                "config.json must hold a JSON object.",
                'It should look like {"model_type": "bert", "hidden_size": 768, ...}.',
                path=path,
            )
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(exc.message, exc.hint, path=path) from None

    def parameter_bytes(self) -> int:
        """About how much memory the float32 weights of this architecture take (embeddings and layers)."""
        hidden, inner = self.hidden_size, self.intermediate_size
        embeddings = (self.vocab_size + self.max_position_embeddings + self.type_vocab_size) * hidden
        layer = 4 * hidden * hidden + 2 * hidden * inner
        return 4 * (embeddings + self.num_hidden_layers * layer)

    def check_fits_in_memory(self, source: str | Path | None = None) -> None:
        """ConfigError before allocating a model larger than this machine's memory (a typo in
        config.json such as vocab_size 1000000000 would otherwise ask for terabytes)."""
        from bertstudio.storage import format_size

        total = _physical_memory()
        needed = self.parameter_bytes()
        if total is not None and needed > total:
            raise ConfigError(
                f"This architecture needs about {format_size(needed)} of memory for its weights "
                f"(vocab_size {self.vocab_size:,}, hidden_size {self.hidden_size:,}, "
                f"{self.num_hidden_layers} layers), more than this machine has ({format_size(total)}).",
                "Check config.json for a wrong size (vocab_size is usually 30,000 to 250,000).",
                path=source,
            )

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> BertConfig:
        """A named architecture: tiny, mini, small or base (Google's BERT miniature sizes)."""
        try:
            layers, hidden, heads = PRESETS[name]
        except KeyError:
            raise ConfigError(f"Unknown preset {name!r}.", f"Choose one of: {', '.join(PRESETS)}.") from None
        sizes = dict(
            num_hidden_layers=layers,
            hidden_size=hidden,
            num_attention_heads=heads,
            intermediate_size=4 * hidden,
        )
        return cls(**{**sizes, **overrides})


# name -> (layers, hidden size, heads)
PRESETS: dict[str, tuple[int, int, int]] = {
    "tiny": (2, 128, 2),
    "mini": (4, 256, 4),
    "small": (4, 512, 8),
    "base": (12, 768, 12),
}


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None  # not reported here (Windows): no check
