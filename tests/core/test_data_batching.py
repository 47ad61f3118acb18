"""Encoding datasets, length-grouped seeded batches, dynamic padding, token-label alignment."""

from __future__ import annotations

import numpy as np
import torch

from bertstudio.data import (
    IGNORE_INDEX,
    BatchSampler,
    ColumnMapping,
    Table,
    build_dataset,
    collate,
    encode_dataset,
)
from bertstudio.text import special_token_ids


def classification_dataset(n=20):
    words = "the movie was good bad great terrible and fun boring".split()
    rows = [[" ".join(words[: 2 + i % 9]), ["pos", "neg"][i % 2]] for i in range(n)]
    return build_dataset(Table.from_rows(["text", "label"], rows), ColumnMapping("text", labels=["label"]))


def test_encode_dataset_matches_the_tokenizer(tiny_tokenizer):
    dataset = classification_dataset()
    encoded = encode_dataset(dataset, tiny_tokenizer, max_length=6)
    assert len(encoded) == len(dataset)
    for index in (0, 7, 19):
        expected = tiny_tokenizer.encode(dataset.texts[index])
        ids = encoded.example(index)["input_ids"].tolist()
        assert ids == (expected.ids if len(expected.ids) <= 6 else expected.ids[:5] + [expected.ids[-1]])
    assert encoded.lengths.max() == 6
    assert encoded.labels.tolist() == dataset.labels


def test_pairs_get_token_types(tiny_tokenizer):
    table = Table.from_rows(["a", "b", "label"], [["the movie", "was good", "yes"], ["a book", "bad", "no"]])
    dataset = build_dataset(table, ColumnMapping("a", "b", ["label"], "pair_classification"))
    example = encode_dataset(dataset, tiny_tokenizer, 32).example(0)
    ids = special_token_ids(tiny_tokenizer)
    tokens = example["input_ids"].tolist()
    assert tokens[0] == ids["cls"] and tokens.count(ids["sep"]) == 2
    assert example["token_type_ids"].tolist() == [0, 0, 0, 0, 1, 1, 1]


def test_token_labels_go_to_the_first_sub_word(tiny_tokenizer):
    table = Table.from_rows(["words", "tags"], [["John lives in Londonderry", "B-PER O O B-LOC"]])
    dataset = build_dataset(table, ColumnMapping("words", labels=["tags"], task="token_classification"))
    example = encode_dataset(dataset, tiny_tokenizer, 64).example(0)
    tokens = [tiny_tokenizer.id_to_token(i) for i in example["input_ids"].tolist()]
    labels = example["labels"].tolist()
    names = dataset.label_names
    tagged = [(token, names[label]) for token, label in zip(tokens, labels) if label != IGNORE_INDEX]
    assert tagged == [("john", "B-PER"), ("lives", "O"), ("in", "O"), ("london", "B-LOC")]
    assert labels[0] == IGNORE_INDEX and labels[-1] == IGNORE_INDEX
    assert tokens[-2].startswith("##") and labels[-2] == IGNORE_INDEX


def test_words_split_by_the_tokenizer_get_one_label(tiny_tokenizer):
    table = Table.from_rows(["words", "tags"], [["U.S. is red", "B-LOC O O"]])
    dataset = build_dataset(table, ColumnMapping("words", labels=["tags"], task="token_classification"))
    labels = encode_dataset(dataset, tiny_tokenizer, 64).example(0)["labels"].tolist()
    assert [label for label in labels if label != IGNORE_INDEX] == [1, 0, 0]


def test_batch_sampler_is_deterministic_and_covers_every_example():
    lengths = np.random.default_rng(0).integers(3, 60, size=1000)
    sampler = BatchSampler(lengths, batch_size=16, seed=7)
    first, again, other_epoch = sampler.batches(0), sampler.batches(0), sampler.batches(1)
    assert first == again and first != other_epoch
    assert len(first) == len(sampler) == 63
    assert sorted(i for batch in first for i in batch) == list(range(1000))
    assert BatchSampler(lengths, 16, seed=8).batches(0) != first


def test_length_grouping_reduces_padding():
    lengths = np.random.default_rng(1).integers(3, 200, size=2000)

    def padded(batches):
        return sum(len(batch) * lengths[batch].max() for batch in batches)

    grouped = BatchSampler(lengths, 32, group_by_length=True).batches(0)
    plain = BatchSampler(lengths, 32, group_by_length=False).batches(0)
    assert padded(grouped) < 0.7 * padded(plain)


def test_no_shuffle_keeps_order_and_drop_last():
    sampler = BatchSampler([5] * 10, 4, shuffle=False, group_by_length=False, drop_last=True)
    assert sampler.batches(3) == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(sampler) == 2


def test_collate_pads_to_the_longest_in_the_batch(tiny_tokenizer):
    dataset = classification_dataset()
    encoded = encode_dataset(dataset, tiny_tokenizer, 64)
    pad = special_token_ids(tiny_tokenizer)["pad"]
    batch = collate(encoded, [0, 8, 3], pad)
    width = int(max(encoded.lengths[[0, 8, 3]]))
    assert batch["input_ids"].shape == (3, width)
    assert batch["attention_mask"].sum(1).tolist() == encoded.lengths[[0, 8, 3]].tolist()
    assert (batch["input_ids"][batch["attention_mask"] == 0] == pad).all()
    assert batch["labels"].tolist() == [dataset.labels[i] for i in (0, 8, 3)]
    assert batch["input_ids"].dtype == torch.long


def test_collated_batches_train_a_real_model(tiny_tokenizer, tiny_model_dir):
    from bertstudio.model import load_pretrained

    table = Table.from_rows(
        ["words", "tags"], [["john lives in paris", "B-PER O O B-LOC"], ["mary", "B-PER"]]
    )
    dataset = build_dataset(table, ColumnMapping("words", labels=["tags"], task="token_classification"))
    encoded = encode_dataset(dataset, tiny_tokenizer, 64)
    model, _ = load_pretrained(tiny_model_dir, task="token_classification", labels=dataset.label_names)
    batch = collate(encoded, [0, 1], special_token_ids(tiny_tokenizer)["pad"])
    assert batch["labels"].shape == batch["input_ids"].shape
    assert (batch["labels"][1, 3:] == IGNORE_INDEX).all()
    output = model(**batch)
    assert torch.isfinite(output.loss)
    output.loss.backward()


def test_fixed_padding_in_a_tokenizer_file_is_ignored(minilm_path):
    from tokenizers import Tokenizer

    raw = Tokenizer.from_file(str(minilm_path / "tokenizer.json"))
    assert raw.padding is not None  # all-MiniLM-L6-v2's file pads every encoding to 128
    dataset = classification_dataset(4)
    encoded = encode_dataset(dataset, raw, max_length=64)
    assert encoded.lengths.tolist() == [
        len(raw.encode(t).ids) - raw.encode(t).ids.count(0) for t in dataset.texts
    ]
    assert encoded.lengths.max() < 20 and raw.padding is not None  # the caller's tokenizer is unchanged
