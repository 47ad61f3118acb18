"""Our CPU attention with dropout (bertstudio.model.attention): the same function as softmax, dropout and
a product written out in float64 with the same keep mask, values and gradients (of queries, keys, values
and a learnt bias), in every blocking of the weights; the dropout rate it applies; and who takes it."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from bertstudio.model import attention as attention_module
from bertstudio.model.attention import attention, blocks_of, keep_mask, uses_dropout_attention

P = 0.25


def full_keep_mask(seed_state: int, batch: int, heads: int, rows: int, keys: int) -> torch.Tensor:
    """The (B, H, T, S) keep mask `attention` draws after torch.manual_seed(seed_state)."""
    torch.manual_seed(seed_state)
    seed = int(torch.randint(2**62, (1,)))
    keep = torch.empty(batch * heads, rows, keys, dtype=torch.bool)
    for index, block in enumerate(blocks_of(batch, heads, rows, keys)):
        shape = (block.flat.stop - block.flat.start, block.rows.stop - block.rows.start, keys)
        keep[block.flat, block.rows] = keep_mask(
            torch.Size(shape), P, torch.device("cpu"), seed + index, torch.float32
        ).bool()
    return keep.view(batch, heads, rows, keys)


def reference(q, k, v, bias, keep):
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if bias is not None:
        scores = scores + bias
    return (scores.softmax(dim=-1) * keep / (1 - P)) @ v


@pytest.mark.parametrize("chunk", [2**18, 24, 7], ids=["whole heads", "head blocks", "row blocks"])
@pytest.mark.parametrize("bias_kind", ["none", "key mask", "learnt full", "learnt per head"])
def test_values_and_gradients_match_the_written_out_computation(monkeypatch, chunk, bias_kind):
    monkeypatch.setattr(attention_module, "CHUNK_WEIGHTS", chunk)
    monkeypatch.setattr(attention_module, "MIN_WEIGHTS", 0)  # these shapes are small
    batch, heads, rows, keys, width = 2, 3, 5, 6, 4
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(batch, heads, n, width, generator=generator) for n in (rows, keys, keys))
    mask = bias = None
    if bias_kind == "key mask":
        mask = torch.ones(batch, 1, 1, keys, dtype=torch.bool)
        mask[1, ..., 4:] = False
    elif bias_kind == "learnt full":
        bias = torch.randn(batch, heads, rows, keys, generator=generator)
    elif bias_kind == "learnt per head":
        bias = torch.randn(1, heads, rows, keys, generator=generator)
    ours_inputs = [t.clone().requires_grad_() for t in (q, k, v)]
    ours_bias = bias.clone().requires_grad_() if bias is not None else None
    torch.manual_seed(5)
    ours = attention(*ours_inputs, attn_mask=ours_bias if bias is not None else mask, dropout_p=P)
    grad_out = torch.randn(ours.shape, generator=generator)
    ours.backward(grad_out)

    keep = full_keep_mask(5, batch, heads, rows, keys)
    assert 0 < (~keep).sum() < keep.numel()  # some weights dropped, not all
    theirs_inputs = [t.double().requires_grad_() for t in (q, k, v)]
    theirs_bias = bias.double().requires_grad_() if bias is not None else None
    additive = None
    if mask is not None:
        additive = torch.zeros(mask.shape, dtype=torch.float64).masked_fill(
            ~mask, torch.finfo(torch.float32).min
        )
    theirs = reference(*theirs_inputs, theirs_bias if bias is not None else additive, keep)
    theirs.backward(grad_out.double())

    torch.testing.assert_close(ours.double(), theirs, atol=1e-5, rtol=1e-5)
    for mine, expected in zip(ours_inputs, theirs_inputs, strict=True):
        torch.testing.assert_close(mine.grad.double(), expected.grad, atol=1e-5, rtol=1e-5)
    if bias is not None:
        torch.testing.assert_close(ours_bias.grad.double(), theirs_bias.grad, atol=1e-5, rtol=1e-5)


def test_torch_sdpa_is_used_without_dropout_in_eval_under_autocast_and_for_small_weights():
    big = torch.randn(4, 12, 256, 8)  # 3.1 million weights
    assert uses_dropout_attention(big, big, 0.1)
    assert not uses_dropout_attention(big, big, 0.0)
    assert not uses_dropout_attention(big.double(), big.double(), 0.1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not uses_dropout_attention(big, big, 0.1)
    small = torch.randn(2, 4, 16, 8)
    assert not uses_dropout_attention(small, small, 0.1)
    torch.testing.assert_close(
        attention(small, small, small), F.scaled_dot_product_attention(small, small, small)
    )


def test_the_dropout_mask_drops_p_of_the_weights_and_a_seed_repeats_it():
    shape = torch.Size((64, 128, 128))  # about a million weights
    cpu = torch.device("cpu")
    keep = keep_mask(shape, 0.1, cpu, 11, torch.float32)
    share = 1 - keep.mean().item()
    assert abs(share - 0.1) < 5 * math.sqrt(0.09 / keep.numel())  # five standard deviations
    assert torch.equal(keep, keep_mask(shape, 0.1, cpu, 11, torch.float32))
    assert not torch.equal(keep, keep_mask(shape, 0.1, cpu, 12, torch.float32))


def test_the_output_is_unbiased_over_many_draws(monkeypatch):
    """E[dropout(P) V / (1 - p)] = P V: the rescaling is right."""
    monkeypatch.setattr(attention_module, "MIN_WEIGHTS", 0)
    generator = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(1, 1, 4, 8, generator=generator) for _ in range(3))
    torch.manual_seed(0)
    mean = torch.stack([attention(q, k, v, dropout_p=P) for _ in range(4000)]).mean(dim=0)
    torch.testing.assert_close(mean, F.scaled_dot_product_attention(q, k, v), atol=0.05, rtol=0)


def test_a_row_with_every_key_masked_stays_finite(monkeypatch):
    monkeypatch.setattr(attention_module, "MIN_WEIGHTS", 0)
    q = torch.randn(1, 1, 3, 4, requires_grad=True)
    mask = torch.zeros(1, 1, 3, 3, dtype=torch.bool)
    mask[0, 0, :2] = True  # the last query sees no key
    out = attention(q, q, q, attn_mask=mask, dropout_p=P)
    out.sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(q.grad).all()
