"""A sentence encoder being trained: the shared encoder, the folder's pooling, a contrastive loss.

Each text of an example is encoded on its own (a bi-encoder) and pooled into one vector. Pairs
without a score train with in-batch negatives (multiple-negatives ranking loss: every other positive
in the batch is a negative for an anchor); pairs with a score train the cosine of the two vectors
towards it (cosine-similarity loss). Both are sentence-transformers' losses of the same name.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from bertstudio.embeddings.layout import DEFAULT_LAYOUT, SentenceLayout
from bertstudio.embeddings.pooling import pool
from bertstudio.model.config import BertConfig
from bertstudio.model.modeling import BertModel, BertPreTrainedModel, ModelOutput

RANKING_SCALE = 20.0  # cosine x 20 as logits: sentence-transformers' MultipleNegativesRankingLoss default


def ranking_loss(
    anchors: torch.Tensor, candidates: torch.Tensor, scale: float = RANKING_SCALE
) -> torch.Tensor:
    """Multiple-negatives ranking loss: anchors (B, D) against candidates (B * k, D) whose first B rows
    are the anchors' positives (the rest hard negatives); cross-entropy of scaled cosines."""
    scores = F.normalize(anchors, dim=-1) @ F.normalize(candidates, dim=-1).T * scale  # (B, B * k)
    return F.cross_entropy(scores, torch.arange(len(anchors), device=anchors.device))


def cosine_loss(first: torch.Tensor, second: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
    """Cosine-similarity loss: mean squared error between cos(first, second) and the gold scores."""
    return F.mse_loss(F.cosine_similarity(first, second, dim=-1), scores.to(first.dtype))


class SentenceEmbeddingModel(BertPreTrainedModel):
    """The encoder (no pooler) with pooling and optional normalisation; saved as the plain encoder plus
    the sentence-transformers files (hub.save_pretrained). `logits` holds the vectors: (B, 2, D) for
    a batch of pairs (text, pair), (B, D) for single texts."""

    task = "sentence_embedding"

    def __init__(self, config: BertConfig, layout: SentenceLayout = DEFAULT_LAYOUT) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.layout = layout

    @property
    def dimension(self) -> int:
        return self.config.hidden_size * len(self.layout.pooling)

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(B, T) ids -> (B, D) vectors with the layout's pooling (and normalisation)."""
        return self._encode(input_ids, attention_mask)[1]

    def _encode(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.bert(input_ids, attention_mask=attention_mask, pack_tokens=True).last_hidden_state
        vectors = pool(hidden, attention_mask, self.layout.pooling)  # (B, D)
        return hidden, F.normalize(vectors, dim=-1) if self.layout.normalize else vectors

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        pair_input_ids: torch.Tensor | None = None,
        pair_attention_mask: torch.Tensor | None = None,
        negative_input_ids: torch.Tensor | None = None,
        negative_attention_mask: torch.Tensor | None = None,
    ) -> ModelOutput:
        """labels: similarity scores (cosine loss), or NaN / None for (anchor, positive) pairs (ranking
        loss over the batch's positives and hard negatives). token_type_ids are ignored: every text is
        a single segment."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        hidden, first = self._encode(input_ids, attention_mask)
        out = ModelOutput(last_hidden_state=hidden, logits=first)
        if pair_input_ids is None:
            return out
        second = self.embed(pair_input_ids, _mask(pair_input_ids, pair_attention_mask))
        out.logits = torch.stack([first, second], dim=1)  # (B, 2, D)
        scored = labels is not None and labels.is_floating_point() and not bool(labels.isnan().any())
        if scored:
            out.loss = cosine_loss(first.float(), second.float(), labels.float())
        else:
            candidates = [second]
            if negative_input_ids is not None:
                mask = _mask(negative_input_ids, negative_attention_mask)
                candidates.append(self.embed(negative_input_ids, mask))
            out.loss = ranking_loss(first.float(), torch.cat(candidates).float())
        return out


def _mask(input_ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return mask if mask is not None else torch.ones_like(input_ids)
