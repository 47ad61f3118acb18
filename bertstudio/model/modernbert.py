"""ModernBERT in torch: token embeddings with a norm, pre-norm layers (no biases by default) whose
attention rotates queries and keys (rotary positions, one theta for global layers and another for local
ones) and, in local layers, sees only a band of keys around each query; a GeGLU MLP; a final norm.

Module names follow the ModernBERT checkpoints inside each layer (`attn.Wqkv`, `mlp.Wi`, ...); the
family's key map renames the embeddings, the layer list and the masked-LM head.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from bertstudio.model.attention import attention
from bertstudio.model.config import BertConfig
from bertstudio.model.families.modernbert import ModernBertOptions
from bertstudio.model.modeling import ACTIVATION_FUNCTIONS, HeadScores, TokenPacking


def _norm(config: BertConfig) -> nn.LayerNorm:
    return nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps, bias=config.options.norm_bias)


class ModernBertEmbeddings(nn.Module):
    """Token embeddings -> norm -> dropout (no positions: those are rotary, inside attention)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.output_width = config.hidden_size
        self.word_embeddings = nn.Embedding(
            config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id
        )
        self.norm = _norm(config)
        self.drop = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor,
        inputs_embeds: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """token_type_ids and attention_mask are not read (ModernBERT has no segments)."""
        x = self.word_embeddings(input_ids) if inputs_embeds is None else inputs_embeds
        return self.drop(self.norm(x))


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    first, second = x.chunk(2, dim=-1)
    return torch.cat((-second, first), dim=-1)


@dataclass
class Rotary:
    """cos and sin of each position's rotation angles, (T, head_size)."""

    cos: torch.Tensor
    sin: torch.Tensor

    @classmethod
    def build(cls, theta: float, head_size: int, seq: int, device: torch.device) -> Rotary:
        inv_freq = 1.0 / (
            theta ** (torch.arange(0, head_size, 2, dtype=torch.float, device=device) / head_size)
        )
        angles = torch.arange(seq, device=device).float()[:, None] * inv_freq
        angles = torch.cat((angles, angles), dim=-1)
        return cls(cos=angles.cos(), sin=angles.sin())

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, nh, T, hs) rotated, computed in float32 as the reference does."""
        rotated = x.float() * self.cos + _rotate_half(x.float()) * self.sin
        return rotated.to(x.dtype)


@dataclass
class ModernBertContext:
    """What every layer of one forward shares: the rotations of global and local layers, and the masks
    of keys a query may see in each kind of layer."""

    global_rotary: Rotary
    local_rotary: Rotary
    global_mask: torch.Tensor | None  # (B, 1, 1, T) bool, True where the key is a real token; None: all
    local_mask: torch.Tensor  # (B or 1, 1, T, T) bool: real key within the window of the query


class ModernBertAttention(nn.Module):
    def __init__(self, config: BertConfig, is_global: bool) -> None:
        super().__init__()
        options: ModernBertOptions = config.options
        self.is_global = is_global
        self.num_heads = config.num_attention_heads
        self.head_size = config.head_size
        self.Wqkv = nn.Linear(config.hidden_size, 3 * config.hidden_size, bias=options.attention_bias)
        self.Wo = nn.Linear(config.hidden_size, config.hidden_size, bias=options.attention_bias)
        self.dropout_p = config.attention_probs_dropout_prob
        self.out_drop = nn.Dropout(config.attention_probs_dropout_prob)

    def rotated_heads(
        self, hidden: torch.Tensor, packing: TokenPacking | None, context: ModernBertContext
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Queries and keys rotated by this layer's kind of rotary positions, and values: (B, nh, T, hs)."""
        qkv = self.Wqkv(hidden)
        if packing is not None:
            qkv = packing.pad(qkv)
        batch, seq, _ = qkv.shape
        q, k, v = qkv.view(batch, seq, 3, self.num_heads, self.head_size).permute(2, 0, 3, 1, 4).unbind(0)
        rotary = context.global_rotary if self.is_global else context.local_rotary
        return rotary.apply(q), rotary.apply(k), v

    def forward(
        self,
        hidden: torch.Tensor,
        head_mask: torch.Tensor | None,
        return_probs: bool,
        packing: TokenPacking | None,
        context: ModernBertContext,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        q, k, v = self.rotated_heads(hidden, packing, context)
        batch, _, seq, _ = q.shape
        mask = context.global_mask if self.is_global else context.local_mask
        probs = None
        if return_probs or head_mask is not None:
            scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_size)
            if mask is not None:
                scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
            probs = scores.softmax(dim=-1)
            weights = F.dropout(probs, self.dropout_p, self.training)
            if head_mask is not None:
                weights = weights * head_mask.view(1, -1, 1, 1).to(weights.dtype)
            out = weights @ v
        else:
            out = attention(q, k, v, attn_mask=mask, dropout_p=self.dropout_p if self.training else 0.0)
        out = out.transpose(1, 2).reshape(batch, seq, self.num_heads * self.head_size)
        if packing is not None:
            out = packing.unpad(out)
        return self.out_drop(self.Wo(out)), probs


class ModernBertMLP(nn.Module):
    """GeGLU: Wi makes input and gate halves; act(input) * gate -> Wo."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        options: ModernBertOptions = config.options
        self.Wi = nn.Linear(config.hidden_size, 2 * config.intermediate_size, bias=options.mlp_bias)
        self.act = ACTIVATION_FUNCTIONS[config.hidden_act]
        self.drop = nn.Dropout(options.mlp_dropout)
        self.Wo = nn.Linear(config.intermediate_size, config.hidden_size, bias=options.mlp_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values, gate = self.Wi(x).chunk(2, dim=-1)
        return self.Wo(self.drop(self.act(values) * gate))


class ModernBertLayer(nn.Module):
    """Pre-norm: x + attn(norm(x)), then x + mlp(norm(x)); the first layer's attention has no norm
    (the embeddings' norm is right before it)."""

    def __init__(self, config: BertConfig, index: int) -> None:
        super().__init__()
        self.is_global = config.options.global_layers[index]
        # keys farther than this from the query are masked in a sliding-window layer; None: global
        self.local_window = None if self.is_global else config.options.half_window
        self.attn_norm = _norm(config) if index else nn.Identity()
        self.attn = ModernBertAttention(config, self.is_global)
        self.mlp_norm = _norm(config)
        self.mlp = ModernBertMLP(config)

    def forward(
        self,
        hidden: torch.Tensor,
        key_mask: torch.Tensor | None,
        head_mask: torch.Tensor | None,
        return_probs: bool,
        packing: TokenPacking | None,
        context: ModernBertContext,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """key_mask is read from the context (which also holds the local band)."""
        attended, probs = self.attn(self.attn_norm(hidden), head_mask, return_probs, packing, context)
        hidden = hidden + attended
        hidden = hidden + self.mlp(self.mlp_norm(hidden))
        return hidden, probs

    def head_scores(self, hidden: torch.Tensor, context: ModernBertContext) -> HeadScores:
        """hidden: (1, T, C) of one unpadded example; a local layer masks keys outside its window."""
        q, k, _ = self.attn.rotated_heads(self.attn_norm(hidden), None, context)
        return HeadScores(
            queries=q[0],
            keys=k[0],
            scale=math.sqrt(self.attn.head_size),
            half_window=self.local_window,
        )


class ModernBertEncoder(nn.Module):
    """The layers (global or local by config) and the final norm."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.options: ModernBertOptions = config.options
        self.head_size = config.head_size
        self.layer = nn.ModuleList(
            ModernBertLayer(config, index) for index in range(config.num_hidden_layers)
        )
        self.final_norm = _norm(config)

    def applied_layers(self) -> list[ModernBertLayer]:
        return list(self.layer)

    def context(
        self, attention_mask: torch.Tensor | None, seq: int, device: torch.device
    ) -> ModernBertContext:
        """attention_mask: (B, T) with 1 for real tokens, None when nothing is padding."""
        # (T, T) bool: |query - key| <= half window, built without a T x T integer matrix (512 MB at 8,192)
        window = self.options.half_window
        band = torch.ones(seq, seq, dtype=torch.bool, device=device).triu(-window).tril(window)
        global_mask = local_mask = None
        if attention_mask is not None:
            global_mask = attention_mask.bool().to(device)[:, None, None, :]  # (B, 1, 1, T)
            local_mask = band[None, None] & global_mask
        else:
            local_mask = band[None, None]
        return ModernBertContext(
            global_rotary=Rotary.build(self.options.global_theta, self.head_size, seq, device),
            local_rotary=Rotary.build(self.options.local_theta, self.head_size, seq, device),
            global_mask=global_mask,
            local_mask=local_mask,
        )

    def finish(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.final_norm(hidden)


class ModernBertHead(nn.Module):
    """dense -> activation -> norm, before the masked-LM decoder and the task classifiers."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        options: ModernBertOptions = config.options
        self.dense = nn.Linear(config.hidden_size, config.hidden_size, bias=options.classifier_bias)
        self.act = ACTIVATION_FUNCTIONS[options.classifier_activation]
        self.norm = _norm(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.act(self.dense(x)))


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor | None, pooling: str) -> torch.Tensor:
    """(B, T, C) -> (B, C): the first token's vector ("cls") or the mean over real tokens ("mean")."""
    if pooling == "cls":
        return hidden[:, 0]
    if attention_mask is None:
        return hidden.mean(dim=1)
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1)
