"""DeBERTa's disentangled attention taken apart: each head's pre-softmax scores are the sum of a
content->content term (query content . key content), a content->position term (query content .
relative position of the key) and a position->content term (relative position of the query . key
content), all scaled alike. Seeing them apart tells whether a head attends by meaning or by distance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tokenizers import Tokenizer

from bertstudio.errors import BertStudioError
from bertstudio.inspect.layerwise import LayerwiseAttention
from bertstudio.model.modeling import BertPreTrainedModel


@dataclass
class AttentionParts:
    """`parts[name][layer, head, query, key]`: the additive parts of the pre-softmax scores (float32),
    "c2c" always, "c2p" / "p2c" where the model has those terms. No padding, so no mask is added."""

    tokens: list[str]
    parts: dict[str, np.ndarray]

    @property
    def scores(self) -> np.ndarray:
        """(layers, heads, T, T): the full pre-softmax scores, the sum of the parts."""
        return np.sum(list(self.parts.values()), axis=0, dtype=np.float32)

    def probabilities(self) -> np.ndarray:
        """softmax of the scores over keys: the attention maps the model uses."""
        scores = self.scores.astype(np.float64)
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        return (weights / weights.sum(axis=-1, keepdims=True)).astype(np.float32)


def has_attention_parts(model: BertPreTrainedModel) -> bool:
    """Whether the model's attention scores add position terms to the content scores (DeBERTa's do)."""
    options = model.config.options
    return model.family.block == "deberta_v2" and bool(options.relative_attention and options.position_terms)


def attention_parts(
    model: BertPreTrainedModel, tokenizer: Tokenizer, text: str, text_pair: str | None = None
) -> AttentionParts:
    """Each head's pre-softmax scores of one example split into content / position parts."""
    if not has_attention_parts(model):
        raise BertStudioError(
            f"{model.family.title} attention has no content and position parts to split: its scores are "
            "one product of queries and keys.",
            "Open a DeBERTa-v2/v3 checkpoint with relative attention (pos_att_type c2p / p2c) to split them.",
        )
    layerwise = LayerwiseAttention(model, tokenizer, text, text_pair)
    layerwise.run_all()
    rows = slice(0, layerwise.length)
    per_layer = []
    for layer in range(layerwise.num_layers):
        scores = layerwise.scores_of(layer)
        per_layer.append(
            [
                {name: part.float().cpu().numpy() for name, part in scores.parts(head, rows).items()}
                for head in range(layerwise.num_heads)
            ]
        )
    names = list(per_layer[0][0])
    parts = {
        name: np.stack([np.stack([head[name] for head in layer]) for layer in per_layer]) for name in names
    }
    return AttentionParts(tokens=list(layerwise.encoding.tokens), parts=parts)
