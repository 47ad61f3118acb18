"""Look inside a model: tokenization, attention maps and rollout, attributions, probes, probes across training.

Everything here is plain computation that returns numpy arrays and dataclasses (no Qt), so the window,
the command line and a notebook share it. Names are loaded on first use so importing this package does
not import torch.
"""

from __future__ import annotations

from bertstudio.lazy import lazy_exports

_EXPORTS = {
    "AttentionMaps": "maps",
    "attention": "attention_maps",
    "attention_batch": "attention_maps",
    "attention_rollout": "attention_maps",
    "AttentionParts": "score_parts",
    "attention_parts": "score_parts",
    "has_attention_parts": "score_parts",
    "LayerwiseAttention": "layerwise",
    "PooledMap": "maps",
    "reduce_heads": "maps",
    "rollout": "maps",
    "word_numbers": "attention_maps",
    "ViewOptions": "view_filters",
    "ViewMatrix": "view_filters",
    "view_matrix": "view_filters",
    "write_matrix_csv": "view_filters",
    "TokenChip": "tokenization",
    "TokenizationView": "tokenization",
    "DatasetTokenStats": "tokenization",
    "analyse_tokenization": "tokenization",
    "compare_tokenizers": "tokenization",
    "dataset_token_stats": "tokenization",
    "Attribution": "attributions",
    "SpanInspection": "span_attributions",
    "inspect_answer_span": "span_attributions",
    "attribute": "attributions",
    "MaskPrediction": "probes",
    "Prediction": "probes",
    "fill_mask": "probes",
    "fill_mask_unavailable": "probes",
    "predict": "probes",
    "head_effects": "probes",
    "rank_heads": "probes",
    "ProbeRecorder": "training_probes",
    "ProbeStep": "training_probes",
    "ProbeSnapshot": "training_probes",
    "list_probe_steps": "training_probes",
    "load_probe_step": "training_probes",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
