"""Questions cut into windows for extractive QA: [CLS] question [SEP] context piece [SEP].

A context longer than `max_length` is covered by overlapping windows (`doc_stride` tokens shared by
neighbours), as transformers' question-answering example does. Each window keeps the character span
of its context tokens, so an answer maps to token positions (training labels) and a predicted token
span maps back to the context's text. A window that does not hold the whole answer, and every window
of an unanswerable question, points at [CLS] (position 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from tokenizers import Tokenizer

from bertstudio.data.encoded import ENCODE_CHUNK, EncodedDataset
from bertstudio.data.squad import QA_TASK, QAExample
from bertstudio.errors import ConfigError

CLS_POSITION = 0
NOT_CONTEXT = -1  # the character span of a token outside the context (question, special tokens)


@dataclass
class QAWindows:
    """Every window of every question; window i is `encoded.example(i)`, from question `example_of[i]`.
    `char_starts` / `char_ends` are aligned with `encoded.input_ids`: each token's span in the context."""

    encoded: EncodedDataset  # labels: (windows, 2) start / end token positions
    example_of: np.ndarray  # int64 per window
    char_starts: np.ndarray  # int32 per token, NOT_CONTEXT outside the context
    char_ends: np.ndarray

    def __len__(self) -> int:
        return len(self.encoded)

    @property
    def lengths(self) -> np.ndarray:
        return self.encoded.lengths

    def spans(self, window: int) -> tuple[np.ndarray, np.ndarray]:
        """The character spans of window `window`'s tokens."""
        start, end = self.encoded.offsets[window], self.encoded.offsets[window + 1]
        return self.char_starts[start:end], self.char_ends[start:end]

    def windows_per_example(self, count: int) -> np.ndarray:
        return np.bincount(self.example_of, minlength=count)


def check_window_settings(max_length: int, doc_stride: int) -> None:
    """ConfigError unless windows of `max_length` tokens can overlap by `doc_stride` tokens."""
    if doc_stride < 0 or doc_stride >= max_length // 2:
        raise ConfigError(
            f"doc_stride {doc_stride} does not fit windows of {max_length} tokens.",
            "Use a doc_stride of at least 0 and under half of max_length (e.g. 128 for 384).",
        )


def encode_windows(
    examples: Sequence[QAExample], tokenizer: Tokenizer, max_length: int, doc_stride: int
) -> QAWindows:
    """The windows of every question (see the module docstring)."""
    check_window_settings(max_length, doc_stride)
    tokenizer = Tokenizer.from_str(tokenizer.to_str())  # a copy: truncation is set for windows here
    tokenizer.no_padding()
    tokenizer.no_truncation()
    # a window keeps room for more context than the stride it shares with its neighbour
    question_limit = max_length - tokenizer.num_special_tokens_to_add(True) - doc_stride - 1
    questions = _clip_questions([e.question.lstrip() for e in examples], tokenizer, question_limit)
    tokenizer.enable_truncation(max_length=max_length, stride=doc_stride, strategy="only_second")
    ids, types, starts, ends, lengths, owners, labels = [], [], [], [], [], [], []
    for chunk in range(0, len(examples), ENCODE_CHUNK):
        part = examples[chunk : chunk + ENCODE_CHUNK]
        pairs = list(zip(questions[chunk : chunk + ENCODE_CHUNK], (e.context for e in part)))
        for offset, encoding in enumerate(tokenizer.encode_batch(pairs, add_special_tokens=True)):
            example = part[offset]
            for window in (encoding, *encoding.overflowing):
                in_context = np.asarray([sid == 1 for sid in window.sequence_ids], dtype=bool)
                spans = np.asarray(window.offsets, dtype=np.int32).reshape(-1, 2)
                char_start = np.where(in_context, spans[:, 0], NOT_CONTEXT)
                char_end = np.where(in_context, spans[:, 1], NOT_CONTEXT)
                ids.append(window.ids)
                types.append(window.type_ids)
                starts.append(char_start)
                ends.append(char_end)
                lengths.append(len(window.ids))
                owners.append(chunk + offset)
                labels.append(answer_positions(example, char_start, char_end))
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    encoded = EncodedDataset(
        task=QA_TASK,
        input_ids=np.fromiter(chain.from_iterable(ids), np.int32, int(offsets[-1])),
        token_type_ids=np.fromiter(chain.from_iterable(types), np.int8, int(offsets[-1])),
        offsets=offsets,
        labels=np.asarray(labels, dtype=np.int64).reshape(-1, 2),
        label_names=[],
        per_token_labels=False,
    )
    return QAWindows(
        encoded=encoded,
        example_of=np.asarray(owners, dtype=np.int64),
        char_starts=np.concatenate(starts).astype(np.int32) if starts else np.zeros(0, np.int32),
        char_ends=np.concatenate(ends).astype(np.int32) if ends else np.zeros(0, np.int32),
    )


def answer_positions(example: QAExample, char_starts: np.ndarray, char_ends: np.ndarray) -> tuple[int, int]:
    """The token positions of the example's first answer in one window; (0, 0) ([CLS]) when the
    question has no answer or the window does not hold all of it."""
    if not example.answerable:
        return CLS_POSITION, CLS_POSITION
    first = example.answer_starts[0]
    last = first + len(example.answers[0])
    context = np.flatnonzero(char_starts != NOT_CONTEXT)
    if not len(context) or char_starts[context[0]] > first or char_ends[context[-1]] < last:
        return CLS_POSITION, CLS_POSITION
    start = context[np.searchsorted(char_starts[context], first, side="right") - 1]
    end = context[np.searchsorted(char_ends[context], last, side="left")]
    return int(start), int(end)


def _clip_questions(questions: list[str], tokenizer: Tokenizer, limit: int) -> list[str]:
    """Questions cut to `limit` tokens (at a token's end), so every window keeps room for context."""
    clipped = list(questions)
    for index, encoding in enumerate(tokenizer.encode_batch(questions, add_special_tokens=False)):
        if len(encoding.ids) > limit:
            clipped[index] = questions[index][: encoding.offsets[limit - 1][1]]
    return clipped
