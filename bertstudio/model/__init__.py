"""Our BERT in torch and the Hugging Face folder layout.

Names load lazily so that `bertstudio.model.config` can be used without importing torch.
"""

from __future__ import annotations

from bertstudio.lazy import lazy_exports

_EXPORTS = {
    "BertConfig": "config",
    "PRESETS": "config",
    "ModelOutput": "modeling",
    "BertModel": "modeling",
    "BertForMaskedLM": "modeling",
    "BertForSequenceClassification": "modeling",
    "BertForTokenClassification": "modeling",
    "BertForQuestionAnswering": "modeling",
    "TASKS": "modeling",
    "build_model": "modeling",
    "load_pretrained": "hub",
    "save_pretrained": "hub",
    "find_cached_checkpoints": "hub",
    "LoadReport": "hub",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
