"""Seeded stratified splits, split columns and separate split files."""

from __future__ import annotations

from collections import Counter

import pytest

from bertstudio.data import (
    ColumnMapping,
    Table,
    build_dataset,
    load_split_files,
    split_by_column,
    split_dataset,
    split_indices,
)
from bertstudio.errors import DataImportError


def dataset_of(labels, task="classification"):
    rows = [[f"text {i}", label] for i, label in enumerate(labels)]
    return build_dataset(
        Table.from_rows(["text", "label"], rows), ColumnMapping("text", labels=["label"], task=task)
    )


def test_split_is_deterministic_stratified_and_complete():
    dataset = dataset_of(["a"] * 700 + ["b"] * 200 + ["c"] * 100)
    splits = split_dataset(dataset, (0.8, 0.1, 0.1), seed=3)
    assert {name: len(part) for name, part in splits.items()} == {
        "train": 800,
        "validation": 100,
        "test": 100,
    }
    assert Counter(splits["validation"].labels) == {0: 70, 1: 20, 2: 10}
    every = sorted(t for part in splits.values() for t in part.texts)
    assert every == sorted(dataset.texts)
    again = split_dataset(dataset, (0.8, 0.1, 0.1), seed=3)
    assert again["test"].texts == splits["test"].texts
    assert split_dataset(dataset, (0.8, 0.1, 0.1), seed=4)["test"].texts != splits["test"].texts


def test_sizes_are_normalised_and_zero_test_is_empty():
    splits = split_dataset(dataset_of(["a", "b"] * 10), (9, 1, 0))
    assert (len(splits["train"]), len(splits["validation"]), len(splits["test"])) == (18, 2, 0)
    with pytest.raises(DataImportError, match="train must be > 0"):
        split_dataset(dataset_of(["a", "b"]), (0, 1, 1))


def test_regression_is_split_at_random():
    dataset = dataset_of([str(i / 10) for i in range(50)], task="regression")
    splits = split_dataset(dataset, (0.6, 0.2, 0.2), seed=0)
    assert [len(splits[name]) for name in ("train", "validation", "test")] == [30, 10, 10]


def test_split_column():
    rows = [["a", "x", "train"], ["b", "y", "dev"], ["c", "x", "TEST"], ["d", "y", "Train"]]
    table = Table.from_rows(["text", "label", "set"], rows)
    dataset = build_dataset(table, ColumnMapping("text", labels=["label"], split_column="set"))
    splits = split_by_column(dataset)
    assert (splits["train"].texts, splits["validation"].texts, splits["test"].texts) == (
        ["a", "d"],
        ["b"],
        ["c"],
    )
    bad = Table.from_rows(["text", "label", "set"], rows + [["e", "x", "holdout"]])
    with pytest.raises(DataImportError, match="holdout"):
        build_dataset(bad, ColumnMapping("text", labels=["label"], split_column="set"))


def test_separate_files_share_the_training_label_space(tmp_path):
    (tmp_path / "train.csv").write_text("text,label\nhello there,pos\nawful stuff,neg\n")
    (tmp_path / "dev.csv").write_text("text,label\nnice,pos\nweird,other\n")
    mapping = ColumnMapping("text", labels=["label"])
    splits = load_split_files(
        {"train": tmp_path / "train.csv", "validation": tmp_path / "dev.csv"},
        mapping,
        exclude_problem_rows=True,
    )
    assert splits["validation"].label_names == ["neg", "pos"]
    assert splits["validation"].labels == [1]
    assert splits["validation"].excluded[0].reason == "unknown_label"
    with pytest.raises(DataImportError, match="train"):
        load_split_files({"holdout": tmp_path / "dev.csv"}, mapping)


def test_separate_files_keep_a_given_label_space(tmp_path):
    (tmp_path / "train.csv").write_text("text,label\nhello there,pos\nawful stuff,neg\n")
    splits = load_split_files(
        {"train": tmp_path / "train.csv"},
        ColumnMapping("text", labels=["label"]),
        label_names=["pos", "neg", "meh"],
    )
    assert splits["train"].label_names == ["pos", "neg", "meh"] and splits["train"].labels == [0, 1]


def test_no_rows_split_into_three_empty_parts():
    for strata in (None, []):
        parts = split_indices(0, (0.8, 0.1, 0.1), seed=0, strata=strata)
        assert {name: part.tolist() for name, part in parts.items()} == {
            "train": [],
            "validation": [],
            "test": [],
        }
