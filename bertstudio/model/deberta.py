"""DeBERTa-v2/v3 in torch: embeddings without absolute positions (unless position_biased_input), and
disentangled self-attention whose scores add content->position and position->content terms over the
encoder's shared, log-bucketed relative position embeddings. The block around attention is BERT's.

Module names follow the DeBERTa checkpoints (`query_proj`, `encoder.rel_embeddings`, ...), so the
family's key map only renames the classification head.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from bertstudio.model.attention import attention
from bertstudio.model.config import BertConfig
from bertstudio.model.families.deberta_v2 import DebertaOptions
from bertstudio.model.modeling import BertIntermediate, BertResidualOutput, HeadScores, TokenPacking


class DebertaEmbeddings(nn.Module):
    """Word (+ absolute position, + token type) embeddings, projected to the hidden size without a bias
    when `embedding_size` differs, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        options: DebertaOptions = config.options
        width = config.embedding_width
        self.output_width = config.hidden_size  # the projection is inside (named `embed_proj`)
        self.word_embeddings = nn.Embedding(config.vocab_size, width, padding_idx=config.pad_token_id)
        self.position_embeddings = (
            nn.Embedding(config.max_position_embeddings, width) if options.position_biased_input else None
        )
        self.token_type_embeddings = (
            nn.Embedding(config.type_vocab_size, width) if config.type_vocab_size else None
        )
        self.embed_proj = (
            nn.Linear(width, config.hidden_size, bias=False) if width != config.hidden_size else None
        )
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor,
        inputs_embeds: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """attention_mask: (B, T); padding positions come out zero, as in the reference."""
        x = self.word_embeddings(input_ids) if inputs_embeds is None else inputs_embeds
        if self.position_embeddings is not None:
            x = x + self.position_embeddings(torch.arange(input_ids.shape[1], device=input_ids.device))
        if self.token_type_embeddings is not None:
            x = x + self.token_type_embeddings(token_type_ids)
        if self.embed_proj is not None:
            x = self.embed_proj(x)
        x = self.LayerNorm(x)
        if attention_mask is not None:
            x = x * attention_mask.unsqueeze(-1).to(x.dtype)
        return self.dropout(x)


def log_bucket_positions(relative: torch.Tensor, buckets: int, max_position: int) -> torch.Tensor:
    """DeBERTa's buckets: distances inside +-buckets/2 kept, farther ones on a log scale up to max_position."""
    sign = torch.sign(relative)
    mid = buckets // 2
    near = (relative < mid) & (relative > -mid)
    distance = torch.where(near, torch.tensor(mid - 1).type_as(relative), relative.abs())
    scale = torch.log(torch.tensor((max_position - 1) / mid))
    log_position = torch.ceil(torch.log(distance / mid) / scale * (mid - 1)) + mid
    return torch.where(distance <= mid, relative.type_as(log_position), log_position * sign).long()


@dataclass
class DebertaContext:
    """What every layer of one forward shares: the normalised relative embeddings, the bucketed relative
    position of each (query, key) pair, and which tokens are real."""

    rel_embeddings: torch.Tensor | None  # (2 * span, C)
    relative_positions: torch.Tensor | None  # (T, T) long: bucket of query index - key index
    real: torch.Tensor | None  # (B, T) bool; None when the batch has no padding

    def pair_mask(self) -> torch.Tensor | None:
        """(B, 1, T, T): True where query and key are both real. The reference masks padding queries'
        rows too (they come out uniform), which attention maps show."""
        return None if self.real is None else self.real[:, None, :, None] & self.real[:, None, None, :]


class DebertaSelfAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        options: DebertaOptions = config.options
        self.num_heads = config.num_attention_heads
        self.head_size = config.head_size
        hidden = config.hidden_size
        self.query_proj = nn.Linear(hidden, hidden)
        self.key_proj = nn.Linear(hidden, hidden)
        self.value_proj = nn.Linear(hidden, hidden)
        self.terms = options.position_terms if options.relative_attention else ()
        self.share_att_key = options.share_att_key
        self.span = options.attention_span
        if self.terms:
            self.pos_dropout = nn.Dropout(config.hidden_dropout_prob)
            if not self.share_att_key:
                if "c2p" in self.terms:
                    self.pos_key_proj = nn.Linear(hidden, hidden)
                if "p2c" in self.terms:
                    self.pos_query_proj = nn.Linear(hidden, hidden)
        self.scale = math.sqrt(self.head_size * options.scale_factor)
        self.dropout_p = config.attention_probs_dropout_prob
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        *lead, _ = x.shape
        return x.view(*lead, self.num_heads, self.head_size).transpose(-2, -3)  # (..., nh, T, hs)

    def position_scores(
        self, q: torch.Tensor, k: torch.Tensor, context: DebertaContext
    ) -> dict[str, torch.Tensor]:
        """The scaled content->position and position->content terms, each (B, nh, T, T)."""
        rel = self.pos_dropout(context.rel_embeddings[: 2 * self.span])
        positions = context.relative_positions
        last = 2 * self.span - 1
        scores = {}
        if "c2p" in self.terms:
            pos_key = self._heads(self.key_proj(rel) if self.share_att_key else self.pos_key_proj(rel))
            c2p = q @ pos_key.transpose(-1, -2)  # (B, nh, T, 2 span)
            index = (positions + self.span).clamp(0, last).expand(*c2p.shape[:2], *positions.shape)
            scores["c2p"] = c2p.gather(-1, index) / self.scale
        if "p2c" in self.terms:
            pos_query = self._heads(self.query_proj(rel) if self.share_att_key else self.pos_query_proj(rel))
            p2c = k @ pos_query.transpose(-1, -2)  # (B, nh, T keys, 2 span)
            index = (self.span - positions).clamp(0, last).expand(*p2c.shape[:2], *positions.shape)
            scores["p2c"] = p2c.gather(-1, index).transpose(-1, -2) / self.scale
        return scores

    def head_scores(self, hidden: torch.Tensor, context: DebertaContext) -> HeadScores:
        """hidden: (1, T, C) of one unpadded example; the position terms are kept apart."""
        q, k = self._heads(self.query_proj(hidden)), self._heads(self.key_proj(hidden))
        terms = self.position_scores(q, k, context) if self.terms else {}
        return HeadScores(
            queries=q[0],
            keys=k[0],
            scale=self.scale,
            position_terms={name: term[0] for name, term in terms.items()},
        )

    @staticmethod
    def score_mask(
        bias: torch.Tensor | None, context: DebertaContext, dtype: torch.dtype
    ) -> torch.Tensor | None:
        """What is added to the content scores: the position terms, and the lowest number where query or
        key is padding (the reference's mask; a padding query's row comes out uniform)."""
        pair_mask = context.pair_mask()
        if pair_mask is None:
            return bias
        if bias is None:
            bias = torch.zeros(pair_mask.shape, dtype=dtype, device=pair_mask.device)
        return bias.masked_fill(~pair_mask, torch.finfo(dtype).min)

    def forward(
        self,
        hidden: torch.Tensor,
        key_mask: torch.Tensor | None,
        head_mask: torch.Tensor | None,
        return_probs: bool,
        packing: TokenPacking | None,
        context: DebertaContext,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """As BertSelfAttention.forward, with the forward's shared DebertaContext."""
        q, k, v = self.query_proj(hidden), self.key_proj(hidden), self.value_proj(hidden)
        if packing is not None:
            q, k, v = packing.pad(q), packing.pad(k), packing.pad(v)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        bias = sum(self.position_scores(q, k, context).values()) if self.terms else None
        probs = None
        if return_probs or head_mask is not None:
            scores = q @ k.transpose(-1, -2) / self.scale
            mask = self.score_mask(bias, context, q.dtype)
            probs = (scores if mask is None else scores + mask).softmax(dim=-1)
            weights = self.dropout(probs)
            if head_mask is not None:
                weights = weights * head_mask.view(1, -1, 1, 1).to(weights.dtype)
            out = weights @ v
        else:
            mask = self.score_mask(bias, context, q.dtype)
            out = attention(
                q,
                k,
                v,
                attn_mask=mask,
                dropout_p=self.dropout_p if self.training else 0.0,
                scale=1 / self.scale,
            )
        batch, _, seq, _ = out.shape
        out = out.transpose(1, 2).reshape(batch, seq, self.num_heads * self.head_size)
        if packing is not None:
            out = packing.unpad(out)
        return out, probs


class DebertaAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = DebertaSelfAttention(config)
        self.output = BertResidualOutput(config.hidden_size, config)


class DebertaLayer(nn.Module):
    local_window: int | None = None  # every key is seen

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = DebertaAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertResidualOutput(config.intermediate_size, config)

    def forward(
        self,
        hidden: torch.Tensor,
        key_mask: torch.Tensor | None,
        head_mask: torch.Tensor | None,
        return_probs: bool,
        packing: TokenPacking | None,
        context: DebertaContext,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, probs = self.attention.self(hidden, key_mask, head_mask, return_probs, packing, context)
        hidden = self.attention.output(attended, hidden)
        hidden = self.output(self.intermediate(hidden), hidden)
        return hidden, probs

    def head_scores(self, hidden: torch.Tensor, context: DebertaContext) -> HeadScores:
        return self.attention.self.head_scores(hidden, context)


class DebertaEncoder(nn.Module):
    """The layers and what they share: the relative position embeddings (and their LayerNorm)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        options: DebertaOptions = config.options
        self.options = options
        self.layer = nn.ModuleList(DebertaLayer(config) for _ in range(config.num_hidden_layers))
        if options.relative_attention:
            self.rel_embeddings = nn.Embedding(2 * options.attention_span, config.hidden_size)
        if options.norm_rel_embeddings:
            self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def applied_layers(self) -> list[DebertaLayer]:
        return list(self.layer)

    def context(self, attention_mask: torch.Tensor | None, seq: int, device: torch.device) -> DebertaContext:
        """attention_mask: (B, T) with 1 for real tokens, None when nothing is padding."""
        rel_embeddings = positions = None
        if self.options.relative_attention:
            rel_embeddings = self.rel_embeddings.weight
            if self.options.norm_rel_embeddings:
                rel_embeddings = self.LayerNorm(rel_embeddings)
            index = torch.arange(seq, device=device)
            positions = index[:, None] - index[None, :]
            if self.options.position_buckets:
                positions = log_bucket_positions(
                    positions, self.options.position_buckets, self.options.max_relative_positions
                )
        real = attention_mask.bool() if attention_mask is not None else None
        return DebertaContext(rel_embeddings=rel_embeddings, relative_positions=positions, real=real)

    def finish(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden
