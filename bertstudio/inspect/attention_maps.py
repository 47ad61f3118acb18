"""Attention probabilities from the model as numpy: one example or a padded batch, pooled to words on
request, rolled out. Rows are queries (the token that attends), columns keys (the token attended to);
every row sums to 1."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from tokenizers import Encoding, Tokenizer

from bertstudio.inspect.batching import (
    encode_examples,
    encoder_of,
    evaluating,
    model_device,
    pad_id_of,
    padded_inputs,
)
from bertstudio.inspect.maps import AttentionMaps
from bertstudio.model.modeling import BertPreTrainedModel


def word_numbers(encoding: Encoding) -> list[int]:
    """A word number per token: pieces of one word (same text, same word id) share it, and every
    special token gets its own."""
    numbers: list[int] = []
    previous_key = None
    for word, sequence in zip(encoding.word_ids, encoding.sequence_ids, strict=True):
        key = None if word is None else (sequence, word)
        if not numbers:
            numbers.append(0)
        elif key is not None and key == previous_key:
            numbers.append(numbers[-1])
        else:
            numbers.append(numbers[-1] + 1)
        previous_key = key
    return numbers


def local_windows(model: BertPreTrainedModel) -> tuple[int | None, ...]:
    """Per layer, the half window of a sliding-window (local) layer, None for global attention."""
    return tuple(layer.local_window for layer in encoder_of(model).encoder.applied_layers())


def maps_of_encoding(
    encoding: Encoding,
    maps: np.ndarray,
    text: str,
    text_pair: str | None,
    windows: tuple[int | None, ...] = (),
) -> AttentionMaps:
    special = [bool(s) for s in encoding.special_tokens_mask]
    segments = [int(t) for t in encoding.type_ids]
    spans = [(segment, start, end) for segment, (start, end) in zip(segments, encoding.offsets, strict=True)]
    return AttentionMaps(
        tokens=list(encoding.tokens),
        maps=maps,
        segments=segments,
        special=special,
        spans=spans,
        words=word_numbers(encoding),
        text=text,
        text_pair=text_pair,
        truncated=bool(encoding.overflowing),
        local_windows=windows,
    )


def head_mask_tensor(model: BertPreTrainedModel, head_mask: np.ndarray | None) -> torch.Tensor | None:
    """head_mask as a (layers, heads) tensor on the model's device, checked against the model."""
    if head_mask is None:
        return None
    shape = (model.config.num_hidden_layers, model.config.num_attention_heads)
    mask = torch.as_tensor(np.asarray(head_mask, dtype=np.float32), device=model_device(model))
    if tuple(mask.shape) != shape:
        raise ValueError(f"head_mask has shape {tuple(mask.shape)}, expected {shape}")
    return mask


def attention_batch(
    model: BertPreTrainedModel,
    tokenizer: Tokenizer,
    texts: Sequence[str],
    pairs: Sequence[str] | None = None,
    head_mask: np.ndarray | None = None,
) -> list[AttentionMaps]:
    """Attention of several examples in one padded forward pass; padding is cut away again.

    head_mask: optional (layers, heads) multipliers; a switched-off head's map is returned as zeros
    (what the model actually uses), while the other layers show the effect of its absence.
    """
    encodings = encode_examples(tokenizer, texts, pairs)
    encoder = encoder_of(model)
    inputs = padded_inputs(encodings, pad_id_of(tokenizer), model_device(encoder))
    mask_tensor = head_mask_tensor(encoder, head_mask)
    with evaluating(encoder), torch.inference_mode():
        out = encoder(**inputs, output_attentions=True, head_mask=mask_tensor)
    return maps_of_batch(out.attentions, encodings, texts, pairs, mask_tensor, local_windows(encoder))


def maps_of_batch(
    attentions: tuple[torch.Tensor, ...],
    encodings: Sequence[Encoding],
    texts: Sequence[str],
    pairs: Sequence[str] | None,
    head_mask: torch.Tensor | None,
    windows: tuple[int | None, ...] = (),
) -> list[AttentionMaps]:
    """Split a padded batch's per-layer attentions into one AttentionMaps per example (padding cut);
    `windows` are the model's local_windows."""
    with torch.inference_mode():
        stacked = torch.stack(attentions, dim=1)  # (B, L, H, T, T)
        if head_mask is not None:
            stacked = stacked * head_mask[None, :, :, None, None]
        stacked = stacked.float().cpu().numpy()
    results = []
    for row, encoding in enumerate(encodings):
        n = len(encoding.ids)
        maps = np.ascontiguousarray(stacked[row, :, :, :n, :n])
        results.append(
            maps_of_encoding(encoding, maps, texts[row], pairs[row] if pairs is not None else None, windows)
        )
    return results


def attention(
    model: BertPreTrainedModel,
    tokenizer: Tokenizer,
    text: str,
    text_pair: str | None = None,
    word_level: bool = False,
    head_mask: np.ndarray | None = None,
) -> AttentionMaps:
    """Tokens and `[layers, heads, seq, seq]` float32 attention probabilities of one text (or pair).

    word_level pools word pieces into words (sum over a word's key pieces, mean over its query pieces).
    """
    result = attention_batch(
        model, tokenizer, [text], [text_pair] if text_pair is not None else None, head_mask
    )[0]
    return result.to_word_level() if word_level else result


def attention_rollout(
    model: BertPreTrainedModel,
    tokenizer: Tokenizer,
    text: str,
    text_pair: str | None = None,
    word_level: bool = False,
    head_reduction: str = "mean",
) -> AttentionMaps:
    """Attention rollout (Abnar & Zuidema 2020) of one example: maps has shape (layers, 1, seq, seq),
    layer l holding how much each position draws on each input token through layers 1..l."""
    result = attention(model, tokenizer, text, text_pair).rollout(head_reduction)
    return result.to_word_level() if word_level else result
