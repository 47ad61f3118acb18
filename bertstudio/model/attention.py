"""Scaled dot-product attention for every family's layers: torch's SDPA, except in one case that
dominated training on CPU. With attention dropout (BERT's 0.1) torch's CPU SDPA leaves its fused kernel
(which has no dropout) for the unfused math path, and that path took about ten times as long as the
same attention without dropout: most of a training step at a few hundred tokens. `DropoutAttention`
computes the same function a cache-sized block of weights at a time (see its docstring). GPUs keep
torch's SDPA, whose kernels do dropout."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

DRAW_BITS = 15  # the dropout mask compares 15-bit integers: p is honoured to 1 / 32,768


def keep_mask(
    shape: torch.Size, p: float, device: torch.device, seed: int, dtype: torch.dtype
) -> torch.Tensor:
    """0 / 1 in `dtype`, 1 (keep) with probability 1 - p, the same for the same seed. One 63-bit draw
    makes four 15-bit integers: drawing an int16 per weight took 2.5 times as long."""
    count = math.prod(shape)
    generator = torch.Generator(device=device).manual_seed(seed)
    draws = torch.empty(-(-count // 4), dtype=torch.int64, device=device).random_(generator=generator)
    draws = draws.view(torch.int16)[:count].bitwise_and_(2**DRAW_BITS - 1)
    return (draws >= round(p * 2**DRAW_BITS)).view(shape).to(dtype)


def additive_mask(mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """SDPA's attn_mask as a float to add to the scores: a bool mask (True: may attend) becomes 0 or the
    dtype's lowest number (not -inf, so a row with every key masked gives uniform weights, not NaN)."""
    if mask is None or mask.dtype != torch.bool:
        return mask
    return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill_(
        ~mask, torch.finfo(dtype).min
    )


CHUNK_WEIGHTS = 2**18  # weights of one block (1 MB of floats): a block's passes stay in the CPU's cache


@dataclass(frozen=True)
class Block:
    """A cache-sized block of the attention weights: whole batch elements (every head and row) when one
    fits, else some heads, or some query rows of one head, of one batch element."""

    batches: slice
    heads: slice
    rows: slice
    flat: slice  # its heads as rows of the (B * H, T, S) view

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """(batch elements, heads, query rows, -1)."""
        return tuple(s.stop - s.start for s in (self.batches, self.heads, self.rows)) + (-1,)


def blocks_of(batch: int, heads: int, rows: int, keys: int) -> list[Block]:
    """Blocks of about CHUNK_WEIGHTS weights (or one batch element's, if larger) covering everything."""
    element = heads * rows * keys
    if element <= CHUNK_WEIGHTS:
        per_block = CHUNK_WEIGHTS // element
        return [
            Block(slice(b, stop), slice(0, heads), slice(0, rows), slice(b * heads, stop * heads))
            for b in range(0, batch, per_block)
            for stop in [min(b + per_block, batch)]
        ]
    rows_per_block = min(rows, max(1, CHUNK_WEIGHTS // keys))
    heads_per_block = max(1, CHUNK_WEIGHTS // (rows_per_block * keys)) if rows_per_block == rows else 1
    return [
        Block(
            slice(b, b + 1),
            slice(h, stop),
            slice(r, min(r + rows_per_block, rows)),
            slice(b * heads + h, b * heads + stop),
        )
        for b in range(batch)
        for h in range(0, heads, heads_per_block)
        for stop in [min(h + heads_per_block, heads)]
        for r in range(0, rows, rows_per_block)
    ]


def _bias_index(bias: torch.Tensor, block: Block) -> tuple[slice, slice, slice]:
    """Where a (B | 1, H | 1, T | 1, S) bias holds the block."""
    return (
        block.batches if bias.shape[0] > 1 else slice(0, 1),
        block.heads if bias.shape[1] > 1 else slice(None),
        block.rows if bias.shape[2] > 1 else slice(None),
    )


def _bias_block(bias: torch.Tensor, block: Block) -> torch.Tensor:
    """The block's bias, broadcastable to its (heads of its batch elements, rows, keys) scores."""
    part = bias[_bias_index(bias, block)]
    elements, heads, _, _ = block.shape
    if elements == 1:
        return part[0]
    return part.expand(elements, heads, *part.shape[2:]).reshape(elements * heads, *part.shape[2:])


def _add_block_gradient(grad_bias: torch.Tensor, grad_scores: torch.Tensor, block: Block) -> None:
    """Add a block's score gradient to its bias's, summed over the dimensions the bias broadcast."""
    grad = grad_scores.view(*block.shape[:3], grad_scores.shape[-1])
    broadcast = tuple(d for d in range(3) if grad_bias.shape[d] == 1 and grad.shape[d] > 1)
    if broadcast:
        grad = grad.sum(dim=broadcast, keepdim=True)
    grad_bias[_bias_index(grad_bias, block)] += grad


def _block_scores(scaled_q3, k3, bias, block: Block) -> torch.Tensor:
    """(heads, rows, keys) pre-softmax scores of a block (the queries come scaled)."""
    scores = torch.matmul(scaled_q3[block.flat, block.rows], k3[block.flat].transpose(-1, -2))
    if bias is not None:
        scores += _bias_block(bias, block)
    return scores


class DropoutAttention(torch.autograd.Function):
    """softmax(q k^T * scale + bias) with dropout p on the weights, times v; q (B, H, T, D),
    k (B, H, S, D), v (B, H, S, Dv), bias None or float (B | 1, H | 1, T | 1, S) (it may carry
    gradients: DeBERTa's position scores).

    Computed a cache-sized block of weights at a time, as flash attention does, and never stored: the
    backward pass recomputes each block's weights (with softmax: exp of the masked scores' lowest number
    takes torch's slow path, a softmax does not), and its keep mask from the block's own seed (drawn
    from torch's default generator, so seeds and resumed runs reproduce the dropout). A pass over a layer's whole (B, H, T, S) weights runs at memory speed, and
    the unfused path makes a dozen of them."""

    @staticmethod
    def forward(ctx, q, k, v, bias, p: float, scale: float):
        batch, heads, rows, _ = q.shape
        q3, k3, v3 = (x.reshape(batch * heads, *x.shape[2:]) for x in (q * scale, k, v))
        out = torch.empty(batch * heads, rows, v.shape[-1], dtype=q.dtype, device=q.device)
        seed = int(torch.randint(2**62, (1,)))
        for index, block in enumerate(blocks_of(batch, heads, rows, k.shape[2])):
            weights = torch.softmax(_block_scores(q3, k3, bias, block), dim=-1)
            weights.mul_(keep_mask(weights.shape, p, weights.device, seed + index, weights.dtype))
            out[block.flat, block.rows] = torch.matmul(weights, v3[block.flat])
        out.mul_(1 / (1 - p))
        ctx.save_for_backward(q3, k3, v3, bias, out)
        ctx.p, ctx.scale, ctx.seed = p, scale, seed
        return out.view(batch, heads, rows, -1)

    @staticmethod
    def backward(ctx, grad_out):
        q3, k3, v3, bias, out = ctx.saved_tensors
        batch, heads, rows, _ = grad_out.shape
        grad_out = grad_out.reshape(out.shape)
        grad = grad_out * (1 / (1 - ctx.p))
        # the softmax gradient's row term, sum_j P_ij dP_ij, equals <dO_i, O_i> (dropout included)
        row_terms = (grad_out * out).sum(dim=-1, keepdim=True)
        grad_q, grad_k, grad_v = torch.zeros_like(q3), torch.zeros_like(k3), torch.zeros_like(v3)
        grad_bias = torch.zeros_like(bias) if bias is not None and ctx.needs_input_grad[3] else None
        for index, block in enumerate(blocks_of(batch, heads, rows, k3.shape[1])):
            flat, block_rows = block.flat, block.rows
            weights = torch.softmax(_block_scores(q3, k3, bias, block), dim=-1)
            keep = keep_mask(weights.shape, ctx.p, weights.device, ctx.seed + index, weights.dtype)
            grad_v[flat] += torch.matmul((weights * keep).transpose(-1, -2), grad[flat, block_rows])
            grad_scores = torch.matmul(grad[flat, block_rows], v3[flat].transpose(-1, -2))
            grad_scores.mul_(keep).sub_(row_terms[flat, block_rows]).mul_(weights)
            if grad_bias is not None:
                _add_block_gradient(grad_bias, grad_scores, block)
            grad_q[flat, block_rows] = torch.matmul(grad_scores, k3[flat]).mul_(ctx.scale)
            grad_k[flat] += torch.matmul(grad_scores.transpose(-1, -2), q3[flat, block_rows])
        four_d = (batch, heads)
        return (
            grad_q.view(*four_d, *q3.shape[1:]),
            grad_k.view(*four_d, *k3.shape[1:]),
            grad_v.view(*four_d, *v3.shape[1:]),
            grad_bias,
            None,
            None,
        )


MIN_WEIGHTS = 2**20  # below about a million weights per layer (4 MB) torch's unfused path stays in cache


def uses_dropout_attention(q: torch.Tensor, k: torch.Tensor, dropout_p: float) -> bool:
    """Whether `attention` takes our path: CPU, float32 outside autocast, dropout on, and weights
    enough to leave the cache (smaller ones measured as fast or faster through torch's path)."""
    return (
        dropout_p > 0
        and q.device.type == "cpu"
        and q.dtype == torch.float32
        and not torch.is_autocast_enabled("cpu")
        and q.shape[:-1].numel() * k.shape[-2] >= MIN_WEIGHTS
    )


def attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    scale: float | None = None,
) -> torch.Tensor:
    """F.scaled_dot_product_attention's contract (attn_mask bool, True where a key may be attended
    to, or float added to the scores); dropout_p only in training."""
    if not uses_dropout_attention(q, k, dropout_p):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=dropout_p, scale=scale)
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    bias = additive_mask(attn_mask, q.dtype)
    if bias is not None:
        bias = bias.reshape((1,) * (4 - bias.dim()) + tuple(bias.shape))
    return DropoutAttention.apply(q, k, v, bias, dropout_p, scale)
