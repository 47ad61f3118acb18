"""Tokenization: our pipelines give the same ids as transformers' BertTokenizerFast."""

from __future__ import annotations

import json
import shutil

import pytest

from bertstudio.errors import TokenizerError
from bertstudio.text import (
    encode,
    from_vocab,
    load_tokenizer,
    save_tokenizer,
    special_token_ids,
    train_wordpiece,
)

transformers = pytest.importorskip("transformers")

VARIED_TEXTS = [
    "Hello, World! It's a test.",
    "Café naïve résumé Ångström façade",
    "東京は日本の首都です。北京欢迎你",
    "Emoji 🤗🚀 and symbols ©®™ — “quotes” ‘single’",
    "Visit https://example.com/path?query=1&x=y#frag or mail me@example.org",
    "supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
    "  tabs\tand\nnewlines   and  spaces  ",
    "Numbers 3.14159 1,000,000 2026-11-23 $5.00 50%",
    "CamelCaseWords and snake_case_words and kebab-case-words",
    "Control\u0000chars\u200bzero width and non-breaking\u00a0space",
    "Ünïcödé ÀÉÎÕÜ ß ø æ œ",
    "ॐ नमस्ते, مرحبا, שלום, Привет мир",
    "x" * 150,
    "Paris is the [MASK] of France. [SEP] [cls] [UNK]",
]


@pytest.fixture(scope="module")
def vocab_only_folder(tmp_path_factory, minilm_path):
    folder = tmp_path_factory.mktemp("vocab_only")
    shutil.copy(minilm_path / "vocab.txt", folder / "vocab.txt")
    return folder


def reference_ids(reference, text, pair=None):
    return reference(text, pair, add_special_tokens=True)["input_ids"]


def test_vocab_txt_pipeline_matches_bert_tokenizer_fast(vocab_only_folder):
    ours = load_tokenizer(vocab_only_folder)
    reference = transformers.BertTokenizerFast.from_pretrained(vocab_only_folder)
    for text in VARIED_TEXTS:
        assert ours.encode(text).ids == reference_ids(reference, text), text


def test_tokenizer_json_matches_and_fixed_padding_is_dropped(minilm_path):
    ours = load_tokenizer(minilm_path)
    reference = transformers.BertTokenizerFast.from_pretrained(minilm_path)
    for text in VARIED_TEXTS:
        assert ours.encode(text).ids == reference_ids(reference, text), text
    assert len(ours.encode("short").ids) == 3  # the file pads every encoding to 128; we never do


def test_pairs_match_ids_and_token_types(vocab_only_folder):
    ours = load_tokenizer(vocab_only_folder)
    reference = transformers.BertTokenizerFast.from_pretrained(vocab_only_folder)
    for text, pair in zip(VARIED_TEXTS, reversed(VARIED_TEXTS)):
        mine = ours.encode(text, pair)
        theirs = reference(text, pair)
        assert mine.ids == theirs["input_ids"]
        assert mine.type_ids == theirs["token_type_ids"]


def test_cased_vocabulary_is_detected_without_config(tmp_path, vocab_only_folder):
    vocab = (vocab_only_folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
    vocab += ["Hello", "World", "Paris"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    ours = load_tokenizer(tmp_path)
    reference = transformers.BertTokenizerFast.from_pretrained(tmp_path, do_lower_case=False)
    assert ours.encode("Hello Paris").tokens == ["[CLS]", "Hello", "Paris", "[SEP]"]
    for text in VARIED_TEXTS:
        assert ours.encode(text).ids == reference_ids(reference, text), text


def test_casing_and_accents_come_from_tokenizer_config(tmp_path, vocab_only_folder):
    shutil.copy(vocab_only_folder / "vocab.txt", tmp_path / "vocab.txt")
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps({"do_lower_case": True, "strip_accents": False}), encoding="utf-8"
    )
    ours = load_tokenizer(tmp_path)
    reference = transformers.BertTokenizerFast.from_pretrained(tmp_path)
    for text in VARIED_TEXTS:
        assert ours.encode(text).ids == reference_ids(reference, text), text
    assert "café" in ours.encode("café").tokens or "[UNK]" in ours.encode("café").tokens


def test_batch_encoding_keeps_character_offsets(minilm_path):
    tokenizer = load_tokenizer(minilm_path)
    texts = ["The quick brown fox", "jumps over the lazy dog!"]
    pairs = ["Second text", "another one"]
    for encoding, text, pair in zip(encode(tokenizer, texts, pairs), texts, pairs):
        for token, (start, end), sequence in zip(encoding.tokens, encoding.offsets, encoding.sequence_ids):
            if sequence is None:
                continue
            source = text if sequence == 0 else pair
            assert source[start:end].lower() == token.removeprefix("##")


def test_encode_max_length_is_per_call(minilm_path):
    tokenizer = load_tokenizer(minilm_path)
    long_text = "word " * 100
    assert len(encode(tokenizer, [long_text], max_length=16)[0].ids) == 16
    assert len(encode(tokenizer, [long_text])[0].ids) == 102  # back to the tokenizer's own limit


def test_special_token_ids_are_looked_up(minilm_path):
    ids = special_token_ids(load_tokenizer(minilm_path))
    assert ids == {"pad": 0, "unk": 100, "cls": 101, "sep": 102, "mask": 103}


def test_missing_special_token_is_a_clear_error():
    with pytest.raises(TokenizerError, match=r"\[CLS\]"):
        from_vocab({"[UNK]": 0, "[PAD]": 1, "hello": 2})


def test_missing_vocab_names_the_folder(tmp_path):
    with pytest.raises(TokenizerError, match="neither tokenizer.json nor vocab.txt") as info:
        load_tokenizer(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_corrupt_tokenizer_json_is_reported(tmp_path):
    (tmp_path / "tokenizer.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TokenizerError, match="tokenizer.json"):
        load_tokenizer(tmp_path)


def test_train_wordpiece_from_an_iterator(tmp_path):
    corpus = ["The cat sat on the mat.", "The dog sat on the log.", "Cats and dogs are friends."] * 50
    tokenizer = train_wordpiece(iter(corpus), vocab_size=120, min_frequency=2, lowercase=True)
    assert tokenizer.get_vocab_size() <= 120
    assert special_token_ids(tokenizer) == {"pad": 0, "unk": 1, "cls": 2, "sep": 3, "mask": 4}
    encoding = tokenizer.encode("The CAT sat", "on the mat")
    assert encoding.tokens[0] == "[CLS]" and encoding.tokens.count("[SEP]") == 2
    assert "cat" in encoding.tokens and set(encoding.type_ids) == {0, 1}
    save_tokenizer(tokenizer, tmp_path, model_max_length=128)
    reference = transformers.BertTokenizerFast.from_pretrained(tmp_path)
    reloaded = load_tokenizer(tmp_path)
    for text in corpus[:3] + ["Unseen words: zebra!"]:
        assert reloaded.encode(text).ids == tokenizer.encode(text).ids == reference_ids(reference, text)


def test_cased_training_keeps_case():
    tokenizer = train_wordpiece(["Paris London Paris London"] * 20, vocab_size=80, lowercase=False)
    assert "Paris" in tokenizer.encode("Paris").tokens
