"""Sentence embeddings: encode texts with a model folder's own pooling, index a table, search it.

Names load lazily, so `import bertstudio.embeddings` imports neither numpy nor torch.
"""

from __future__ import annotations

from bertstudio.lazy import lazy_exports

_EXPORTS = {
    "SentenceLayout": "layout",
    "POOLING_MODES": "layout",
    "read_layout": "layout",
    "write_layout": "layout",
    "SentenceEncoder": "encoder",
    "EncodeResult": "encoder",
    "EncodingCancelled": "encoder",
    "load_encoder": "encoder",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
