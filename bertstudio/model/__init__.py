"""Our BERT in torch and the Hugging Face folder layout.

Names load lazily so that `bertstudio.model.config` can be used without importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BertConfig": "bertstudio.model.config",
    "PRESETS": "bertstudio.model.config",
    "ModelOutput": "bertstudio.model.modeling",
    "BertModel": "bertstudio.model.modeling",
    "BertForMaskedLM": "bertstudio.model.modeling",
    "BertForSequenceClassification": "bertstudio.model.modeling",
    "BertForTokenClassification": "bertstudio.model.modeling",
    "TASKS": "bertstudio.model.modeling",
    "build_model": "bertstudio.model.modeling",
    "load_pretrained": "bertstudio.model.hub",
    "save_pretrained": "bertstudio.model.hub",
    "find_cached_checkpoints": "bertstudio.model.hub",
    "LoadReport": "bertstudio.model.hub",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'bertstudio.model' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
