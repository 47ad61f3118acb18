"""The validation report: counts, columns, labels, problems with lines, splits, token statistics."""

from __future__ import annotations

import json

from bertstudio.data import ColumnMapping, Table, read_table, validate
from bertstudio.data.report_text import format_report


def test_report_counts_every_problem_row(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(
        "text,label\n"
        "great film,pos\n"  # 2
        "awful film,neg\n"  # 3
        ",pos\n"  # 4 empty text
        "no label here,\n"  # 5 missing label
        "great film,pos\n"  # 6 duplicate of 2
        "awful film,pos\n"  # 7 conflicts with 3
        "one,two,three\n"  # 8 ragged
        "fine again,neg\n"
    )
    report = validate(read_table(path), ColumnMapping("text", labels=["label"]))
    found = [(p.line, p.reason, p.severity) for p in report.problems]
    assert found == [
        (4, "empty_text", "error"),
        (5, "missing_label", "error"),
        (6, "duplicate", "warning"),
        (7, "conflicting_labels", "warning"),
        (8, "ragged_row", "error"),
    ]
    assert "line 2" in report.problems[2].message and "line 3" in report.problems[3].message
    assert (report.rows, report.problem_rows, report.usable_rows) == (8, 3, 5)
    assert report.label_counts == {"neg": 2, "pos": 3}
    assert report.usable
    assert report.columns[0].empty == 1 and report.columns[0].distinct == 5
    json.dumps(report.to_dict())


def test_imbalance_is_flagged():
    rows = [[f"text {i}", "common"] for i in range(50)] + [["rare one", "rare"], ["rare two", "rare"]]
    report = validate(Table.from_rows(["text", "label"], rows), ColumnMapping("text", labels=["label"]))
    assert report.imbalanced and report.imbalance_ratio == 25.0
    assert any("imbalanced" in warning for warning in report.warnings)


def test_one_class_is_not_usable():
    rows = [[f"text {i}", "same"] for i in range(5)]
    report = validate(Table.from_rows(["text", "label"], rows), ColumnMapping("text", labels=["label"]))
    assert not report.usable and "at least two" in report.errors[0]


def test_regression_targets_and_non_numeric_rows():
    rows = [["a", "1.5"], ["b", "2.5"], ["c", "high"], ["d", "inf"]]
    report = validate(
        Table.from_rows(["text", "score"], rows), ColumnMapping("text", labels=["score"], task="regression")
    )
    assert [(p.line, p.reason) for p in report.problems] == [(4, "not_a_number"), (5, "not_a_number")]
    assert report.target_stats == {"min": 1.5, "max": 2.5, "mean": 2.0, "std": 0.5}


def test_labels_only_in_validation_or_test_are_reported():
    rows = [[f"text {i}", "a" if i % 2 else "b", "train"] for i in range(6)]
    rows += [["val text", "c", "validation"], ["test text", "d", "test"]]
    mapping = ColumnMapping("text", labels=["label"], split_column="split")
    report = validate(Table.from_rows(["text", "label", "split"], rows), mapping)
    unseen = [(p.line, p.value) for p in report.problems if p.reason == "label_not_in_train"]
    assert unseen == [(8, "c"), (9, "d")]
    assert report.split_counts == {"train": 6, "validation": 1, "test": 1}


def test_stratified_split_keeps_a_singleton_class_in_train():
    rows = [[f"text {i}", "a" if i % 2 else "b"] for i in range(40)] + [["lonely", "z"]]
    table = Table.from_rows(["text", "label"], rows)
    for seed in range(5):
        report = validate(table, ColumnMapping("text", labels=["label"]), sizes=(0.5, 0.25, 0.25), seed=seed)
        assert not [p for p in report.problems if p.reason == "label_not_in_train"]
        assert report.split_counts == {"train": 21, "validation": 10, "test": 10}


def test_multi_label_split_check_finds_labels_outside_train():
    rows = [[f"text {i}", "x|y"] for i in range(8)] + [["odd one", "x|rare"]]
    mapping = ColumnMapping("text", labels=["tags"], task="multi_label", label_delimiter="|")
    found = set()
    for seed in range(10):
        report = validate(Table.from_rows(["text", "tags"], rows), mapping, sizes=(0.6, 0.2, 0.2), seed=seed)
        found |= {(p.line, p.value) for p in report.problems if p.reason == "label_not_in_train"}
    assert found == {(10, "rare")}


def test_token_statistics(tiny_tokenizer):
    rows = [
        ["the movie was good", "pos"],
        ["bad", "neg"],
        ["the plot " * 40, "neg"],
        ["a snowman \u2603", "pos"],
    ]
    report = validate(
        Table.from_rows(["text", "label"], rows),
        ColumnMapping("text", labels=["label"]),
        tiny_tokenizer,
        max_length=16,
    )
    tokens = report.tokens
    expected = [len(tiny_tokenizer.encode(text).ids) for text, _ in rows[:2]]
    assert tokens.rows == 4 and not tokens.sampled
    assert tokens.longest == 82 and tokens.truncated_share == 0.25
    assert min(expected) == 3 and tokens.histogram_edges[0] == 3
    assert sum(tokens.histogram_counts) == 4
    assert 0 < tokens.unk_rate < 0.1
    assert any("truncated" in warning for warning in report.warnings)


def test_token_statistics_sample_large_tables(tiny_tokenizer):
    rows = [[f"the movie {i}", "pos" if i % 2 else "neg"] for i in range(300)]
    report = validate(
        Table.from_rows(["text", "label"], rows),
        ColumnMapping("text", labels=["label"]),
        tiny_tokenizer,
        token_sample=100,
    )
    assert report.tokens.sampled and report.tokens.rows == 100


def test_text_report_names_lines_and_verdict(tmp_path, tiny_tokenizer):
    path = tmp_path / "r.csv"
    path.write_text("text,label\nthe movie,pos\n,neg\nbad film,neg\n")
    report = validate(read_table(path), ColumnMapping("text", labels=["label"]), tiny_tokenizer)
    text = format_report(report)
    assert "line 3: empty_text" in text
    assert "Result    usable: 2 rows" in text
    assert "Tokens    mean" in text


def test_a_separate_validation_file_is_checked_against_the_training_labels(tmp_path):
    path = tmp_path / "dev.csv"
    path.write_text("text,label\nnice one,pos\nodd one,other\n")
    report = validate(read_table(path), ColumnMapping("text", labels=["label"]), label_names=["neg", "pos"])
    assert [(p.line, p.reason, p.value) for p in report.problems] == [(3, "unknown_label", "other")]
