"""How a tokenizer cuts text: per-token chips for one example, two tokenizers side by side, and
statistics over a whole column of a dataset. No torch needed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from tokenizers import Encoding, Tokenizer

from bertstudio.errors import TokenizerError
from bertstudio.text import encode, max_length_of, special_token_id


@dataclass
class TokenChip:
    index: int  # position in the encoding
    token: str
    id: int
    word: int | None  # word number across the whole example (pair texts continue the count); None: special
    segment: int  # 0: text A (and [CLS]), 1: text B
    start: int  # character span in its own source text (text A or text B)
    end: int
    continuation: bool  # a piece continuing the previous token's word (by the encoding's word ids)
    special: bool
    unknown: bool


@dataclass
class TokenizationView:
    text: str
    text_pair: str | None
    chips: list[TokenChip]
    characters: int
    words: int
    tokens: int  # tokens the model sees (after truncation, with special tokens)
    untruncated_tokens: int  # tokens the text needs in full
    max_length: int | None

    @property
    def truncated(self) -> bool:
        return self.untruncated_tokens > self.tokens

    def chip_at(self, segment: int, offset: int) -> TokenChip | None:
        """The non-special chip whose span holds character `offset` of text `segment`."""
        for chip in self.chips:
            if not chip.special and chip.segment == segment and chip.start <= offset < chip.end:
                return chip
        return None


def _untruncated(tokenizer: Tokenizer) -> Tokenizer:
    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.no_truncation()
    copy.no_padding()
    return copy


def _unknown_id(tokenizer: Tokenizer) -> int | None:
    """The id of the tokenizer's unknown token ([UNK], <unk>); None for a vocabulary without one."""
    try:
        return special_token_id(tokenizer, "unk")
    except TokenizerError:
        return None


def _chips(encoding: Encoding, unknown_id: int | None) -> list[TokenChip]:
    # Each of the encoding's attributes builds a new list on every access: read each once (indexing them
    # per token made an 8,192-token text take seconds).
    columns = zip(
        encoding.tokens,
        encoding.ids,
        encoding.sequence_ids,
        encoding.word_ids,
        encoding.type_ids,
        encoding.offsets,
        encoding.special_tokens_mask,
        strict=True,
    )
    chips: list[TokenChip] = []
    word_numbers: dict[tuple[int, int], int] = {}
    for index, (token, token_id, sequence, word, segment, (start, end), special_mask) in enumerate(columns):
        special = bool(special_mask)
        number = None
        if word is not None and not special:
            number = word_numbers.setdefault((sequence, word), len(word_numbers))
        previous_word = chips[-1].word if chips else None
        chips.append(
            TokenChip(
                index=index,
                token=token,
                id=token_id,
                word=number,
                segment=int(segment),
                start=start,
                end=end,
                continuation=number is not None and number == previous_word,
                special=special,
                unknown=token_id == unknown_id,
            )
        )
    return chips


def analyse_tokenization(tokenizer: Tokenizer, text: str, text_pair: str | None = None) -> TokenizationView:
    """Chips and counts for one example, as the model would see it (truncated at its max length)."""
    pairs = [text_pair] if text_pair is not None else None
    encoding = encode(tokenizer, [text], pairs)[0]
    full = encode(_untruncated(tokenizer), [text], pairs)[0]
    chips = _chips(encoding, _unknown_id(tokenizer))
    full_words = {(s, w) for s, w in zip(full.sequence_ids, full.word_ids, strict=True) if w is not None}
    return TokenizationView(
        text=text,
        text_pair=text_pair,
        chips=chips,
        characters=len(text) + len(text_pair or ""),
        words=len(full_words),
        tokens=len(encoding.ids),
        untruncated_tokens=len(full.ids),
        max_length=max_length_of(tokenizer),
    )


@dataclass
class TokenizerComparison:
    left: TokenizationView
    right: TokenizationView
    differently_split: list[tuple[str, list[str], list[str]]]  # word, pieces left, pieces right


def _pieces_by_word(view: TokenizationView) -> dict[tuple[int, int, int], list[TokenChip]]:
    """Pieces of each word, keyed by its character span (segment, start, end) in the source."""
    words: dict[int, list[TokenChip]] = {}
    for chip in view.chips:
        if chip.word is not None:
            words.setdefault(chip.word, []).append(chip)
    return {(c[0].segment, c[0].start, c[-1].end): c for c in words.values()}


def compare_tokenizers(
    left: Tokenizer, right: Tokenizer, text: str, text_pair: str | None = None
) -> TokenizerComparison:
    """Both tokenizations of one example and the words (same characters) they cut differently."""
    left_view = analyse_tokenization(left, text, text_pair)
    right_view = analyse_tokenization(right, text, text_pair)
    left_words, right_words = _pieces_by_word(left_view), _pieces_by_word(right_view)
    differing = []
    for span, pieces in left_words.items():
        other = right_words.get(span)
        # cut differently = pieces over other character spans (each family marks sub-words its own way)
        if other is not None and [(p.start, p.end) for p in pieces] != [(p.start, p.end) for p in other]:
            source = text if span[0] == 0 else text_pair or ""
            differing.append((source[span[1] : span[2]], [p.token for p in pieces], [p.token for p in other]))
    return TokenizerComparison(left_view, right_view, differing)


@dataclass
class DatasetTokenStats:
    examples: int = 0
    words: int = 0
    tokens: int = 0  # word-piece tokens of the text, without special tokens, before truncation
    unknown_tokens: int = 0
    truncated_examples: int = 0
    max_length: int | None = None
    longest_example: int = 0  # tokens with special tokens, before truncation
    split_words: Counter = field(default_factory=Counter)  # (word, pieces) -> occurrences

    @property
    def tokens_per_word(self) -> float:
        return self.tokens / self.words if self.words else 0.0

    @property
    def unknown_rate(self) -> float:
        return self.unknown_tokens / self.tokens if self.tokens else 0.0

    @property
    def truncated_share(self) -> float:
        return self.truncated_examples / self.examples if self.examples else 0.0

    def most_split_words(self, count: int = 20) -> list[tuple[str, int, int]]:
        """(word, pieces, occurrences) of the words cut into the most pieces, frequent ones first on ties."""
        ranked = sorted(self.split_words.items(), key=lambda item: (-len(item[0][1]), -item[1], item[0][0]))
        return [(word, len(pieces), seen) for (word, pieces), seen in ranked[:count]]


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def dataset_token_stats(
    tokenizer: Tokenizer,
    texts: Iterable[str],
    pairs: Iterable[str] | None = None,
    batch_size: int = 512,
    max_length: int | None = None,
) -> DatasetTokenStats:
    """Tokens per word, unknown-token rate, most split words and the share of examples longer than
    `max_length` (default: the tokenizer's), over a stream of texts (and pair texts), read in batches."""
    full_tokenizer = _untruncated(tokenizer)
    stats = DatasetTokenStats(max_length=max_length or max_length_of(tokenizer))
    examples = zip(texts, pairs, strict=True) if pairs is not None else ((t, None) for t in texts)
    unknown_id = _unknown_id(tokenizer)
    for batch in _batches(examples, batch_size):
        firsts = [a for a, _ in batch]
        seconds = [b for _, b in batch] if pairs is not None else None
        for encoding, (text, text_pair) in zip(encode(full_tokenizer, firsts, seconds), batch, strict=True):
            _count_example(stats, encoding, text, text_pair, unknown_id)
    return stats


def _count_example(
    stats: DatasetTokenStats, encoding: Encoding, text: str, text_pair: str | None, unknown_id: int | None
) -> None:
    stats.examples += 1
    stats.longest_example = max(stats.longest_example, len(encoding.ids))
    if stats.max_length is not None and len(encoding.ids) > stats.max_length:
        stats.truncated_examples += 1
    pieces_of: dict[tuple[int, int], list[int]] = {}
    ids, offsets, tokens = encoding.ids, encoding.offsets, encoding.tokens  # each access builds a list
    columns = zip(encoding.sequence_ids, encoding.word_ids, encoding.special_tokens_mask, ids, strict=True)
    for index, (sequence, word, special, token_id) in enumerate(columns):
        if word is None or special:
            continue
        pieces_of.setdefault((sequence, word), []).append(index)
        stats.tokens += 1
        if token_id == unknown_id:
            stats.unknown_tokens += 1
    stats.words += len(pieces_of)
    for (sequence, _), positions in pieces_of.items():
        if len(positions) > 1:
            source = text if sequence == 0 else text_pair or ""
            word = source[offsets[positions[0]][0] : offsets[positions[-1]][1]]
            stats.split_words[(word, tuple(tokens[i] for i in positions))] += 1
