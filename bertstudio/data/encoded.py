"""Tokenized datasets in flat arrays: every example's ids end to end, with offsets (no padding).

Encoding goes through `bertstudio.text.encode` (the `tokenizers` library's parallel batch encoder)
in chunks; ids are kept as one int32 array per field, so a million examples cost a few bytes per
token instead of a Python object each. Token-tagging labels are aligned to the first sub-word of each
word; the other sub-words and the special tokens get -100 (ignored by the loss).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from bertstudio.data.dataset import LabeledDataset
from bertstudio.tasks import get_task
from bertstudio.tasks.spec import MULTI_LABEL, REGRESSION, SIMILARITY
from bertstudio.text import encode

IGNORE_INDEX = -100
ENCODE_CHUNK = 4096
UNTRUNCATED = 1 << 30  # a max_length that keeps texts whole (length statistics, corpus packing)
# Characters kept per token of max_length before tokenizing: far more than any real token spans (a
# WordPiece [UNK] word is at most 100), so only text past the truncation point is cut, and a 50 MB cell
# costs time and memory in proportion to max_length, not to its size.
CHARS_PER_TOKEN = 128


def clip_texts(texts: Sequence[str], max_length: int) -> tuple[list[str], list[bool]]:
    """Texts cut to max_length x CHARS_PER_TOKEN characters, and which ones were cut (truncated)."""
    limit = max_length * CHARS_PER_TOKEN
    cut = [len(text) > limit for text in texts]
    return [text[:limit] if long else text for text, long in zip(texts, cut, strict=True)], cut


@dataclass
class TokenRuns:
    """One more text per example, tokenized on its own: text i is `input_ids[offsets[i]:offsets[i+1]]`."""

    input_ids: np.ndarray  # int32
    offsets: np.ndarray  # int64, len(examples) + 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


@dataclass
class EncodedDataset:
    """Token ids of every example, end to end; example i is `input_ids[offsets[i]:offsets[i+1]]`.

    `labels` is per example for sequence tasks (int64 class ids, float32 targets, float32 multi-hot
    rows) and per token (int64, aligned with `input_ids`) for token classification. A task that
    encodes its texts apart (sentence_similarity) holds the first text here and the others in `apart`
    ("pair": the positive or second text, "negative": a hard negative).
    """

    task: str
    input_ids: np.ndarray  # int32, all examples concatenated
    token_type_ids: np.ndarray  # int8, same layout
    offsets: np.ndarray  # int64, len(examples) + 1
    labels: np.ndarray
    label_names: list[str]
    per_token_labels: bool
    clipped: int = 0  # texts so long they were cut to max_length x CHARS_PER_TOKEN characters first
    apart: dict[str, TokenRuns] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        """Tokens per example (texts encoded apart: the longest of its texts, what a batch pads to)."""
        lengths = np.diff(self.offsets)
        for runs in self.apart.values():
            lengths = np.maximum(lengths, runs.lengths)
        return lengths

    def example(self, index: int) -> dict[str, Any]:
        """One example's unpadded ids, token types and label(s)."""
        start, end = self.offsets[index], self.offsets[index + 1]
        label = self.labels[start:end] if self.per_token_labels else self.labels[index]
        return {
            "input_ids": self.input_ids[start:end],
            "token_type_ids": self.token_type_ids[start:end],
            "labels": label,
        }


def unpadded(tokenizer: Tokenizer) -> Tokenizer:
    """The tokenizer, or a copy without the fixed padding a tokenizer.json may carry (all-MiniLM-L6-v2's
    pads every encoding to 128): lengths and batches need each text's real length."""
    if tokenizer.padding is None:
        return tokenizer
    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.no_padding()
    return copy


def encode_dataset(dataset: LabeledDataset, tokenizer: Tokenizer, max_length: int) -> EncodedDataset:
    """Tokenize every example (pairs as [CLS] A [SEP] B [SEP]) truncated to `max_length` tokens."""
    tokenizer = unpadded(tokenizer)
    if get_task(dataset.task).encodes_apart:
        return _encode_apart(dataset, tokenizer, max_length)
    per_token = get_task(dataset.task).per_token
    ids_parts, types_parts, label_parts, lengths = [], [], [], []
    clipped = 0
    for start in range(0, len(dataset), ENCODE_CHUNK):
        stop = min(start + ENCODE_CHUNK, len(dataset))
        texts, cut = clip_texts(dataset.texts[start:stop], max_length)
        clipped += sum(cut)
        pairs = None
        if dataset.pairs is not None:
            pairs, cut = clip_texts(dataset.pairs[start:stop], max_length)
            clipped += sum(cut)
        encodings = encode(tokenizer, texts, pairs, max_length=max_length)
        ids_parts.append(np.fromiter(chain.from_iterable(e.ids for e in encodings), np.int32))
        types_parts.append(np.fromiter(chain.from_iterable(e.type_ids for e in encodings), np.int8))
        lengths.extend(map(len, encodings))
        if per_token:
            label_parts.extend(
                align_word_labels(encoding.offsets, encoding.special_tokens_mask, words, tags)
                for encoding, words, tags in zip(
                    encodings, dataset.words[start:stop], dataset.labels[start:stop]
                )
            )
    offsets = np.zeros(len(dataset) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return EncodedDataset(
        task=dataset.task,
        input_ids=_concat(ids_parts, np.int32),
        token_type_ids=_concat(types_parts, np.int8),
        offsets=offsets,
        labels=_concat(label_parts, np.int64) if per_token else _sequence_labels(dataset),
        label_names=list(dataset.label_names),
        per_token_labels=per_token,
        clipped=clipped,
    )


def _encode_apart(dataset: LabeledDataset, tokenizer: Tokenizer, max_length: int) -> EncodedDataset:
    """Each text of an example tokenized on its own ([CLS] text [SEP]), for a bi-encoder."""
    first, clipped = encode_texts(dataset.texts, tokenizer, max_length)
    apart = {}
    if dataset.pairs is not None:
        apart["pair"], pair_clipped = encode_texts(dataset.pairs, tokenizer, max_length)
        clipped += pair_clipped
    if dataset.negatives is not None:
        apart["negative"], negative_clipped = encode_texts(dataset.negatives, tokenizer, max_length)
        clipped += negative_clipped
    return EncodedDataset(
        task=dataset.task,
        input_ids=first.input_ids,
        token_type_ids=np.zeros(len(first.input_ids), np.int8),
        offsets=first.offsets,
        labels=_sequence_labels(dataset),
        label_names=list(dataset.label_names),
        per_token_labels=False,
        clipped=clipped,
        apart=apart,
    )


def encode_texts(texts: Sequence[str], tokenizer: Tokenizer, max_length: int) -> tuple[TokenRuns, int]:
    """Single texts tokenized in chunks, truncated to `max_length`; and how many were clipped first."""
    ids_parts, lengths, clipped = [], [], 0
    for start in range(0, len(texts), ENCODE_CHUNK):
        chunk, cut = clip_texts(texts[start : start + ENCODE_CHUNK], max_length)
        clipped += sum(cut)
        encodings = encode(tokenizer, chunk, None, max_length=max_length)
        ids_parts.append(np.fromiter(chain.from_iterable(e.ids for e in encodings), np.int32))
        lengths.extend(map(len, encodings))
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return TokenRuns(input_ids=_concat(ids_parts, np.int32), offsets=offsets), clipped


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _sequence_labels(dataset: LabeledDataset) -> np.ndarray:
    problem = get_task(dataset.task).problem_type
    if problem in (REGRESSION, SIMILARITY):
        return np.asarray(dataset.labels, dtype=np.float32)
    if problem == MULTI_LABEL:
        return np.asarray(dataset.labels, dtype=np.float32).reshape(len(dataset), len(dataset.label_names))
    return np.asarray(dataset.labels, dtype=np.int64)


def align_word_labels(
    offsets: Sequence[tuple[int, int]],
    special_tokens_mask: Sequence[int],
    words: Sequence[str],
    tags: Sequence[int],
) -> np.ndarray:
    """Per-token labels for text = " ".join(words): each word's tag on its first sub-word, -100 on
    the rest and on special tokens. Words are found by character offset, so a word the tokenizer
    splits further (e.g. "U.S.") still gets exactly one label."""
    word_starts = np.cumsum([0] + [len(w) + 1 for w in words[:-1]]) if words else np.zeros(0, np.int64)
    token_starts = np.fromiter((start for start, _ in offsets), np.int64, len(offsets))
    word_of_token = np.searchsorted(word_starts, token_starts, side="right") - 1
    labels = np.full(len(offsets), IGNORE_INDEX, np.int64)
    special = np.asarray(special_tokens_mask, dtype=bool)
    previous_word = -1
    for position in np.flatnonzero(~special):
        word = word_of_token[position]
        if word != previous_word and 0 <= word < len(tags):
            labels[position] = tags[word]
        previous_word = word
    return labels
