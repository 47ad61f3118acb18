"""The sentence-transformers folder layout: which pooling and normalisation a model folder declares.

A sentence-transformers folder lists its modules in `modules.json` (a Transformer, a Pooling module whose
`config.json` names the pooling modes, optionally Normalize); `sentence_bert_config.json` gives the
maximum sequence length. The pooling is part of the model: it is read, never guessed, and a folder
that declares none is encoded with mean pooling and says so (`declared` is False).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bertstudio.atomic import atomic_write_text
from bertstudio.errors import ConfigError

# In the order sentence-transformers concatenates them when a folder declares several.
POOLING_MODES = ("cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken")
LEGACY_POOLING_KEYS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
TRANSFORMER_MODULE = "sentence_transformers.models.Transformer"
POOLING_MODULE = "sentence_transformers.models.Pooling"
NORMALIZE_MODULE = "sentence_transformers.models.Normalize"


@dataclass(frozen=True)
class SentenceLayout:
    """How a folder turns token states into one vector per text."""

    pooling: tuple[str, ...]  # pooling modes (of POOLING_MODES), concatenated in this order
    normalize: bool  # unit-length vectors (a Normalize module)
    max_seq_length: int | None  # tokens per text the folder declares; None: the tokenizer's limit
    lowercase: bool  # sentence_bert_config.json's do_lower_case: lower-case the text before tokenizing
    declared: bool  # False when the folder declares no pooling and mean pooling is assumed
    transformer_path: str = ""  # the folder of the Transformer module, relative to the model folder

    def describe(self) -> str:
        pooling = " + ".join(self.pooling) + " pooling"
        if not self.declared:
            pooling = f"no pooling declared: {pooling} used"
        return pooling + (", normalised" if self.normalize else "")


DEFAULT_LAYOUT = SentenceLayout(
    pooling=("mean",), normalize=False, max_seq_length=None, lowercase=False, declared=False
)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"{path.name} cannot be read ({exc}).",
            "Fix or delete the file; without the sentence-transformers files the model is mean-pooled.",
            path=path,
        ) from None


def pooling_modes(config: dict[str, Any], path: Path) -> tuple[str, ...]:
    """The modes a Pooling config.json names: `pooling_mode` (a name or a list) or the older
    `pooling_mode_*_token(s)` switches; none switched on means mean, as in sentence-transformers."""
    declared = config.get("pooling_mode")
    if declared is None:
        modes = tuple(mode for key, mode in LEGACY_POOLING_KEYS.items() if config.get(key))
        return modes or ("mean",)
    modes = (declared,) if isinstance(declared, str) else tuple(declared)
    unknown = [mode for mode in modes if mode not in POOLING_MODES]
    if unknown or not modes:
        raise ConfigError(
            f"Unknown pooling mode {unknown[0] if unknown else declared!r}.",
            f"Use one of: {', '.join(POOLING_MODES)}.",
            path=path,
        )
    return modes


def read_layout(folder: str | Path) -> SentenceLayout:
    """The layout a model folder declares; DEFAULT_LAYOUT (mean, not normalised) when it has no
    modules.json. A module BERT Studio cannot run (Dense, a custom one) is a ConfigError naming it."""
    folder = Path(folder)
    settings = folder / "sentence_bert_config.json"
    bert_config = _read_json(settings) if settings.is_file() else {}
    max_seq_length = bert_config.get("max_seq_length")
    lowercase = bool(bert_config.get("do_lower_case", False))
    if not isinstance(max_seq_length, int) or max_seq_length <= 0:
        max_seq_length = None
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        return SentenceLayout(
            pooling=("mean",),
            normalize=False,
            max_seq_length=max_seq_length,
            lowercase=lowercase,
            declared=False,
        )
    modules = _read_json(modules_file)
    if not isinstance(modules, list):
        raise ConfigError("modules.json is not a list of modules.", path=modules_file)
    pooling: tuple[str, ...] | None = None
    normalize = False
    transformer_path = ""
    for module in sorted(modules, key=lambda m: m.get("idx", 0) if isinstance(m, dict) else 0):
        kind = str(module.get("type", "")) if isinstance(module, dict) else ""
        path = str(module.get("path", "")) if isinstance(module, dict) else ""
        short = kind.rsplit(".", 1)[-1]
        if short == "Transformer":
            transformer_path = path
        elif short == "Pooling":
            config_file = folder / path / "config.json"
            config = _read_json(config_file)
            pooling = pooling_modes(config if isinstance(config, dict) else {}, config_file)
        elif short == "Normalize":
            normalize = True
        else:
            raise ConfigError(
                f"modules.json declares a {kind or 'nameless'} module, which BERT Studio cannot run "
                "(it runs Transformer, Pooling and Normalize).",
                "Use a sentence encoder made of those modules, or remove the module if it is not needed.",
                path=modules_file,
            )
    return SentenceLayout(
        pooling=pooling or ("mean",),
        normalize=normalize,
        max_seq_length=max_seq_length,
        lowercase=lowercase,
        declared=pooling is not None,
        transformer_path=transformer_path,
    )


def write_layout(folder: str | Path, layout: SentenceLayout, dimension: int) -> None:
    """Write modules.json, 1_Pooling/config.json, sentence_bert_config.json (and 2_Normalize) beside a
    saved model, so sentence-transformers loads the folder with the same pooling. The pooling config
    uses the older per-mode switches, which every sentence-transformers version reads."""
    folder = Path(folder)
    modules = [{"idx": 0, "name": "0", "path": "", "type": TRANSFORMER_MODULE}]
    modules.append({"idx": 1, "name": "1", "path": "1_Pooling", "type": POOLING_MODULE})
    if layout.normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": NORMALIZE_MODULE})
        (folder / "2_Normalize").mkdir(parents=True, exist_ok=True)
    pooling = {"word_embedding_dimension": dimension}
    pooling |= {key: mode in layout.pooling for key, mode in LEGACY_POOLING_KEYS.items()}
    atomic_write_text(folder / "1_Pooling" / "config.json", json.dumps(pooling, indent=2))
    settings = {"max_seq_length": layout.max_seq_length, "do_lower_case": layout.lowercase}
    atomic_write_text(folder / "sentence_bert_config.json", json.dumps(settings, indent=2))
    atomic_write_text(folder / "modules.json", json.dumps(modules, indent=2))
