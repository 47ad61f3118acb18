"""Tokenization chips, counts, comparison of two tokenizers and dataset statistics."""

from __future__ import annotations

import pytest

from bertstudio.inspect import analyse_tokenization, compare_tokenizers, dataset_token_stats
from bertstudio.text import from_vocab, load_tokenizer
from tests.conftest import tiny_vocab


def test_chips_mark_words_continuations_specials_and_unknowns(tiny_tokenizer):
    text = "The movie was wow ☃"
    view = analyse_tokenization(tiny_tokenizer, text, "a film")
    tokens = [chip.token for chip in view.chips]
    assert tokens == [
        "[CLS]",
        "the",
        "movie",
        "was",
        "w",
        "##o",
        "##w",
        "[UNK]",
        "[SEP]",
        "a",
        "film",
        "[SEP]",
    ]
    wow = [chip for chip in view.chips if chip.token in ("w", "##o", "##w")]
    assert [chip.continuation for chip in wow] == [False, True, True]
    assert len({chip.word for chip in wow}) == 1
    assert all(text[chip.start : chip.end] in "wow" for chip in wow)
    assert view.chips[0].special and view.chips[-1].special and view.chips[-1].segment == 1
    unknown = view.chips[7]
    assert unknown.unknown and text[unknown.start : unknown.end] == "☃"
    assert [c.id for c in view.chips] == [tiny_tokenizer.token_to_id(t) for t in tokens]
    film = view.chips[10]
    assert film.segment == 1 and "a film"[film.start : film.end] == "film"
    assert view.chip_at(0, text.index("movie") + 2).token == "movie"
    assert view.chip_at(1, 3).token == "film"
    assert (view.characters, view.words, view.tokens) == (len(text) + 6, 7, 12)
    assert not view.truncated


def test_truncation_is_counted():
    short = from_vocab(tiny_vocab(), max_length=6)
    view = analyse_tokenization(short, "the movie was very very good")
    assert view.tokens == 6 and view.untruncated_tokens == 8 and view.truncated
    assert view.chips[-1].token == "[SEP]"


def test_compare_two_tokenizers_finds_words_cut_differently(tiny_tokenizer, minilm_path):
    other = load_tokenizer(minilm_path)
    comparison = compare_tokenizers(tiny_tokenizer, other, "the movie was unbelievably good")
    assert comparison.left.words == comparison.right.words == 5
    different = {word: (left, right) for word, left, right in comparison.differently_split}
    assert set(different) == {"unbelievably"}
    assert len(different["unbelievably"][0]) == 12 and different["unbelievably"][1][0] == "un"


def test_dataset_stats(tiny_tokenizer):
    short = from_vocab(tiny_vocab(), max_length=7)
    texts = ["the movie was good", "wow ☃ film", "the very very very bad plot was boring"]
    stats = dataset_token_stats(short, texts, batch_size=2)
    assert stats.examples == 3 and stats.words == 4 + 3 + 8
    assert stats.tokens == 4 + (3 + 1 + 1) + 8
    assert stats.unknown_tokens == 1 and stats.unknown_rate == pytest.approx(1 / 17)
    assert stats.tokens_per_word == pytest.approx(17 / 15)
    assert stats.truncated_examples == 1 and stats.truncated_share == pytest.approx(1 / 3)
    assert stats.most_split_words(5) == [("wow", 3, 1)]


def test_dataset_stats_with_pairs_counts_both_texts(tiny_tokenizer):
    stats = dataset_token_stats(tiny_tokenizer, ["the movie", "a book"], pairs=["wow", "good"])
    assert stats.words == 6 and stats.most_split_words() == [("wow", 3, 1)]
    with pytest.raises(ValueError):
        dataset_token_stats(tiny_tokenizer, ["a", "b"], pairs=["c"])
