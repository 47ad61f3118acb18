"""Encode single texts and pairs in batches, keeping character offsets back to the source text."""

from __future__ import annotations

from collections.abc import Sequence

from tokenizers import Encoding, Tokenizer

from bertstudio.text.tokenizer import max_length_of


def encode(
    tokenizer: Tokenizer,
    texts: Sequence[str],
    pairs: Sequence[str] | None = None,
    max_length: int | None = None,
) -> list[Encoding]:
    """Encode a batch (in parallel, unpadded) with the tokenizer's BERT template.

    Each Encoding has ids, type_ids, tokens, offsets (character spans in its own source text; for a
    pair, `sequence_ids` tells which text a token came from), word_ids and special_tokens_mask.
    `max_length` overrides the tokenizer's truncation for this call only.
    """
    if pairs is not None and len(pairs) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(pairs)} pair texts")
    previous = max_length_of(tokenizer)
    if max_length is not None and max_length != previous:
        tokenizer.enable_truncation(max_length=max_length)
    try:
        inputs = list(zip(texts, pairs)) if pairs is not None else list(texts)
        return tokenizer.encode_batch(inputs, add_special_tokens=True)
    finally:
        if max_length is not None and max_length != previous:
            if previous:
                tokenizer.enable_truncation(max_length=previous)
            else:
                tokenizer.no_truncation()
