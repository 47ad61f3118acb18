"""The validation report: counts, columns, labels, problems with lines, splits, token statistics."""

from __future__ import annotations

import json

import pytest

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


def write_csv(path, header, rows):
    path.write_text(header + "\n" + "".join(",".join(row) + "\n" for row in rows))
    return read_table(path)


def test_an_id_column_mapped_as_the_label_is_flagged(tmp_path):
    rows = [[str(1000 + i), f"review number {i}", "pos" if i % 2 else "neg"] for i in range(40)]
    table = write_csv(tmp_path / "ids.csv", "id,text,label", rows)
    report = validate(table, ColumnMapping("text", labels=["id"]))
    assert (report.usable, report.verdict) == (True, "doubtful")
    assert report.doubts == [
        "'id' looks like an identifier or free text, not a label: 40 of 40 labelled rows have a value "
        "no other row has (40 distinct values). Map the column that holds the classes."
    ]
    assert "Result    usable: 40 rows, but training would learn little (see Doubt)" in format_report(report)
    proper = validate(table, ColumnMapping("text", labels=["label"]))
    assert (proper.verdict, proper.doubts) == ("ready", [])
    few = write_csv(tmp_path / "few.csv", "id,text", [[str(i), f"review {i}"] for i in range(10)])
    assert validate(few, ColumnMapping("text", labels=["id"])).verdict == "ready"


def test_labels_differing_only_in_case_are_flagged(tmp_path):
    labels = ["Pos"] * 3 + ["pos"] * 5 + ["neg"] * 4 + [" neg "] * 2
    table = write_csv(
        tmp_path / "case.csv", "text,label", [[f"text {i}", label] for i, label in enumerate(labels)]
    )
    report = validate(table, ColumnMapping("text", labels=["label"]))
    assert report.usable and report.label_counts == {"Pos": 3, "neg": 6, "pos": 5}  # spaces are trimmed
    assert report.warnings == [
        "Labels 'Pos' (3 rows) and 'pos' (5 rows) in 'label' differ only in case or spacing, so they are "
        "trained as different classes; if they mean the same, fix the file so they are written alike."
    ]


@pytest.mark.parametrize("task, delimiter", [("classification", None), ("multi_label", ";")])
def test_label_lists_read_as_single_classes_are_flagged(tmp_path, task, delimiter):
    labels = ["sports|politics", "sports", "tech|science", "politics", "science|tech|sports", "tech"] * 5
    table = write_csv(
        tmp_path / "news.csv", "text,topics", [[f"story {i}", label] for i, label in enumerate(labels)]
    )
    report = validate(table, ColumnMapping("text", labels=["topics"], task=task, label_delimiter=delimiter))
    assert "sports|politics" in report.label_counts  # what the mapping makes of it: one class per list
    fix = "set the label separator to '|'" if task == "multi_label" else "choose the multi-label task"
    flagged = [w for w in report.warnings if "look like lists separated by '|'" in w]
    assert len(flagged) == 1 and fix in flagged[0]
    assert any(f"(e.g. {label!r})" in flagged[0] for label in labels if "|" in label)  # one of the file's
    right = validate(table, ColumnMapping("text", labels=["topics"], task="multi_label", label_delimiter="|"))
    assert not [w for w in right.warnings if "look like lists" in w]
    assert set(right.label_counts) == {"sports", "politics", "tech", "science"}


@pytest.mark.parametrize("sizes", [(1.0, 0.0, 0.0), (0.8, 0.1, 0.1)])
def test_an_empty_validation_split_is_a_warning(tmp_path, sizes):
    table = write_csv(tmp_path / "two.csv", "text,label", [["good film", "pos"], ["bad film", "neg"]])
    report = validate(table, ColumnMapping("text", labels=["label"]), sizes=sizes)
    assert report.usable and report.split_counts == {"train": 2, "validation": 0, "test": 0}
    assert report.warnings == [
        "The validation set is empty (train 2, validation 0, test 0): training will run without evaluation, "
        "so there is no best checkpoint and no early stopping; raise the validation share or add rows to "
        "have them."
    ]


def test_an_empty_validation_split_is_a_warning_for_regression_and_split_columns(tmp_path):
    rows = [[f"text {i}", f"{i * 0.37:.2f}", "train" if i < 8 else "test"] for i in range(10)]
    table = write_csv(tmp_path / "scores.csv", "text,score,split", rows)
    regression = validate(
        table, ColumnMapping("text", labels=["score"], task="regression"), sizes=(0.9, 0, 0.1)
    )
    assert regression.split_counts == {"train": 9, "validation": 0, "test": 1}
    assert regression.usable and "The validation set is empty" in regression.warnings[0]
    by_column = validate(
        table, ColumnMapping("text", labels=["score"], task="regression", split_column="split")
    )
    assert by_column.usable and by_column.warnings[0].startswith(
        "The split column 'split' marks no rows for validation (train 8, validation 0, test 2): "
        "training will run without evaluation"
    )


@pytest.mark.parametrize("sizes", [(0.0, 0.5, 0.5), (-0.2, 0.6, 0.6)])
def test_a_split_with_no_training_rows_is_an_error(tmp_path, sizes):
    rows = [[f"text {i}", "pos" if i % 2 else "neg"] for i in range(200)]
    table = write_csv(tmp_path / "many.csv", "text,label", rows)
    report = validate(table, ColumnMapping("text", labels=["label"]), sizes=sizes)
    assert not report.usable and report.split_counts == {"train": 0, "validation": 100, "test": 100}
    message = (
        "The validation and test shares leave no rows for training (train 0, validation 100, test 100); "
        "lower them."
    )
    assert report.errors == [message]
    assert f"Result    NOT USABLE: {message}" in format_report(report)


def test_a_split_column_without_training_rows_is_an_error(tmp_path):
    rows = [[f"text {i}", "pos" if i % 2 else "neg", "dev" if i < 4 else "test"] for i in range(10)]
    table = write_csv(tmp_path / "split.csv", "text,label,split", rows)
    report = validate(table, ColumnMapping("text", labels=["label"], split_column="split"))
    assert report.errors == [
        "The split column 'split' marks no rows for training (train 0, validation 4, test 6); "
        "mark some rows 'train'."
    ]
    assert not [p for p in report.problems if p.reason == "label_not_in_train"]
