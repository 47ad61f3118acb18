"""Pretraining corpora: text files streamed as documents, packed into masked-LM or NSP examples.

A corpus file holds one document per line, or documents separated by blank lines (BERT's format,
where each line of a document is a sentence). Files are streamed, never read whole. Examples are
built in a fixed order for a seed, so a run that stops can rebuild exactly the same examples.
"""

from __future__ import annotations

import random
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from bertstudio.data.encoded import UNTRUNCATED, EncodedDataset, unpadded
from bertstudio.data.textfile import iter_text_lines
from bertstudio.errors import DataImportError
from bertstudio.text import encode, special_token_ids

LAYOUTS = ("auto", "lines", "blocks")
DOCUMENTS_PER_ENCODE = 256
RANDOM_DOCUMENT_POOL = 1000  # recent documents a random next sentence is drawn from
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(\[]?\w)")


def iter_documents(
    paths: str | Path | Sequence[str | Path], layout: str = "auto", encoding: str | None = None
) -> Iterator[str]:
    """Documents of the corpus files, streamed. `layout` "lines": one document per line; "blocks":
    blank-line-separated documents (lines joined with newlines); "auto" picks per file from its head."""
    if layout not in LAYOUTS:
        raise DataImportError(f"Unknown corpus layout {layout!r}.", f"Use one of: {', '.join(LAYOUTS)}.")
    for path in [paths] if isinstance(paths, str | Path) else paths:
        file_layout = _detect_layout(path, encoding) if layout == "auto" else layout
        lines = iter_text_lines(path, encoding)
        yield from _blocks(lines) if file_layout == "blocks" else (line for line in lines if line.strip())


def _detect_layout(path: str | Path, encoding: str | None) -> str:
    """Blocks when blank lines separate groups of several lines (documents of at most ~200 lines on
    average), else one document per line; an occasional stray blank line does not make blocks."""
    head = list(islice(iter_text_lines(path, encoding), 2000))
    blocks = list(_blocks(head))
    filled = sum(1 for line in head if line.strip())
    multi_line = any("\n" in block for block in blocks)
    return "blocks" if multi_line and len(blocks) >= max(2, filled / 200) else "lines"


def _blocks(lines: Iterable[str]) -> Iterator[str]:
    block: list[str] = []
    for line in lines:
        if line.strip():
            block.append(line)
        elif block:
            yield "\n".join(block)
            block = []
    if block:
        yield "\n".join(block)


def split_sentences(document: str) -> list[str]:
    """Sentences of a document: its lines if it has several, else cut after . ! ? and a space."""
    lines = [line.strip() for line in document.split("\n") if line.strip()]
    if len(lines) > 1:
        return lines
    return [s for s in _SENTENCE_END.split(lines[0]) if s.strip()] if lines else []


def _token_ids(tokenizer: Tokenizer, texts: list[str]) -> list[list[int]]:
    """Ids of each text without [CLS] / [SEP], untruncated."""
    return [e.ids[1:-1] for e in encode(tokenizer, texts, max_length=UNTRUNCATED)]


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def iter_mlm_examples(documents: Iterable[str], tokenizer: Tokenizer, max_length: int) -> Iterator[list[int]]:
    """[CLS] block [SEP] id lists of `max_length` tokens, packed from consecutive documents
    (separated by [SEP]); the last one may be shorter."""
    tokenizer = unpadded(tokenizer)
    ids = special_token_ids(tokenizer)
    block = max_length - 2
    buffer: list[int] = []
    for chunk in _chunks(documents, DOCUMENTS_PER_ENCODE):
        for tokens in _token_ids(tokenizer, chunk):
            if not tokens:
                continue
            if buffer:
                buffer.append(ids["sep"])
            buffer.extend(tokens)
            while len(buffer) >= block:
                yield [ids["cls"], *buffer[:block], ids["sep"]]
                del buffer[:block]
                if buffer and buffer[0] == ids["sep"]:
                    del buffer[0]
    if buffer:
        yield [ids["cls"], *buffer, ids["sep"]]


def iter_nsp_examples(
    documents: Iterable[str], tokenizer: Tokenizer, max_length: int, seed: int = 0
) -> Iterator[tuple[list[int], list[int], int]]:
    """(input_ids, token_type_ids, next_sentence_label) for [CLS] A [SEP] B [SEP] pairs.

    As in BERT: A is a run of sentences of a document; B is the sentences that follow it (label 0)
    or, half of the time, sentences from another recent document (label 1, random next sentence)."""
    tokenizer = unpadded(tokenizer)
    ids = special_token_ids(tokenizer)
    rng = random.Random(seed)
    target = max_length - 3
    pool: deque[list[list[int]]] = deque(maxlen=RANDOM_DOCUMENT_POOL)
    for chunk in _chunks(documents, DOCUMENTS_PER_ENCODE):
        sentence_lists = [split_sentences(document) for document in chunk]
        flat = _token_ids(tokenizer, [s for sentences in sentence_lists for s in sentences])
        position = 0
        for sentences in sentence_lists:
            document = [t for t in flat[position : position + len(sentences)] if t]
            position += len(sentences)
            if not document:
                continue
            for a, b, is_random in _document_pairs(document, pool, target, rng):
                _truncate_pair(a, b, target, rng)
                input_ids = [ids["cls"], *a, ids["sep"], *b, ids["sep"]]
                types = [0] * (len(a) + 2) + [1] * (len(b) + 1)
                yield input_ids, types, int(is_random)
            pool.append(document)


def _document_pairs(document, pool, target, rng):
    """Segment pairs of one document, following BERT's create_instances_from_document."""
    chunk: list[list[int]] = []
    length = 0
    index = 0
    while index < len(document):
        chunk.append(document[index])
        length += len(document[index])
        if index == len(document) - 1 or length >= target:
            a_end = rng.randint(1, len(chunk) - 1) if len(chunk) >= 2 else 1
            a = [t for sentence in chunk[:a_end] for t in sentence]
            is_random = (len(chunk) == 1 or rng.random() < 0.5) and len(pool) > 0
            if is_random:
                other = pool[rng.randrange(len(pool))]
                start = rng.randrange(len(other))
                b = [t for sentence in other[start:] for t in sentence][: max(1, target - len(a))]
                index -= len(chunk) - a_end  # the unused sentences start the next chunk
            else:
                b = [t for sentence in chunk[a_end:] for t in sentence]
            if a and b:
                yield a, b, is_random
            chunk, length = [], 0
        index += 1


def _truncate_pair(a: list[int], b: list[int], target: int, rng: random.Random) -> None:
    """Trim the longer segment, a token at a time from the front or the back at random, until the
    pair fits (as BERT does; the kept spans are tracked, so a long segment costs no repeated copying)."""
    spans = {"a": [0, len(a)], "b": [0, len(b)]}
    while sum(end - start for start, end in spans.values()) > target:
        span = spans["a"] if spans["a"][1] - spans["a"][0] > spans["b"][1] - spans["b"][0] else spans["b"]
        if rng.random() < 0.5:
            span[0] += 1
        else:
            span[1] -= 1
    a[:] = a[spans["a"][0] : spans["a"][1]]
    b[:] = b[spans["b"][0] : spans["b"][1]]


def build_pretraining_dataset(
    paths: str | Path | Sequence[str | Path],
    tokenizer: Tokenizer,
    max_length: int,
    next_sentence: bool = False,
    seed: int = 0,
    max_examples: int | None = None,
    layout: str = "auto",
    encoding: str | None = None,
) -> EncodedDataset:
    """Pretraining examples in flat arrays (task "pretraining" with NSP labels, else "masked_lm",
    labels -1); masking happens per batch in MaskedLMCollator."""
    documents = iter_documents(paths, layout, encoding)
    ids_parts: list[np.ndarray] = []
    type_parts: list[np.ndarray] = []
    lengths: list[int] = []
    labels: list[int] = []
    if next_sentence:
        examples: Iterator = iter_nsp_examples(documents, tokenizer, max_length, seed)
    else:
        examples = ((ids, None, -1) for ids in iter_mlm_examples(documents, tokenizer, max_length))
    for input_ids, types, label in islice(examples, max_examples):
        ids_parts.append(np.asarray(input_ids, np.int32))
        type_parts.append(
            np.asarray(types, np.int8) if types is not None else np.zeros(len(input_ids), np.int8)
        )
        lengths.append(len(input_ids))
        labels.append(label)
    if not lengths:
        raise DataImportError("The corpus has no text to pretrain on.", "Check the corpus files.")
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return EncodedDataset(
        task="pretraining" if next_sentence else "masked_lm",
        input_ids=np.concatenate(ids_parts),
        token_type_ids=np.concatenate(type_parts),
        offsets=offsets,
        labels=np.asarray(labels, np.int64),
        label_names=[],
        per_token_labels=False,
    )
