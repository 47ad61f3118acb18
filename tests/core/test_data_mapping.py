"""Column mapping, task suggestion and building labelled datasets for every task."""

from __future__ import annotations

import json

import pytest

from bertstudio.data import ColumnMapping, Table, build_dataset, read_table, suggest_task
from bertstudio.errors import DataImportError


def table_of(columns, rows):
    return Table.from_rows(columns, rows)


def test_suggests_classification_with_string_labels():
    rows = [[str(i), f"this film was {w} indeed", w] for i, w in enumerate(["good", "bad"] * 10)]
    table = table_of(["id", "review", "sentiment"], rows)
    mapping = suggest_task(table)
    assert (mapping.text, mapping.labels, mapping.task) == ("review", ["sentiment"], "classification")
    dataset = build_dataset(table, mapping)
    assert dataset.label_names == ["bad", "good"]
    assert dataset.labels[:2] == [1, 0]


def test_integer_labels_are_ordered_numerically():
    table = table_of(["text", "label"], [["a text here", "10"], ["b text here", "2"], ["c text here", "1"]])
    dataset = build_dataset(table, ColumnMapping("text", labels=["label"]))
    assert dataset.label_names == ["1", "2", "10"]
    assert dataset.labels == [2, 1, 0]


def test_suggests_pair_classification():
    rows = [
        [f"premise number {i} is long", f"hypothesis {i} is also long", ["entail", "contra"][i % 2]]
        for i in range(10)
    ]
    table = table_of(["premise", "hypothesis", "label"], rows)
    mapping = suggest_task(table)
    assert (mapping.text, mapping.text_pair, mapping.task) == ("premise", "hypothesis", "pair_classification")
    dataset = build_dataset(table, mapping)
    assert dataset.pairs[0] == "hypothesis 0 is also long"


def test_suggests_regression_for_continuous_targets():
    rows = [[f"sentence number {i} here", f"{i * 0.37:.2f}"] for i in range(30)]
    mapping = suggest_task(table_of(["sentence", "score"], rows))
    assert (mapping.task, mapping.labels) == ("regression", ["score"])
    dataset = build_dataset(table_of(["sentence", "score"], rows), mapping)
    assert dataset.labels[3] == pytest.approx(1.11)


def test_suggests_multi_label_from_delimited_cell_and_from_binary_columns():
    rows = [[f"text number {i} goes here", ["sports|news", "news", "tech|sports"][i % 3]] for i in range(12)]
    mapping = suggest_task(table_of(["text", "tags_list"], rows))
    assert (mapping.task, mapping.label_delimiter) == ("multi_label", "|")
    dataset = build_dataset(table_of(["text", "tags_list"], rows), mapping)
    assert dataset.label_names == ["news", "sports", "tech"]
    assert dataset.labels[0] == [1.0, 1.0, 0.0]
    binary_rows = [[f"a comment number {i}", str(i % 2), str((i // 2) % 2), "1"] for i in range(8)]
    table = table_of(["comment", "toxic", "insult", "spam"], binary_rows)
    mapping = suggest_task(table)
    assert (mapping.task, mapping.labels) == ("multi_label", ["toxic", "insult", "spam"])
    assert build_dataset(table, mapping).labels[3] == [1.0, 1.0, 1.0]


def test_suggests_token_classification_from_csv_and_jsonl(tmp_path):
    rows = [["John lives in New York", "B-PER O O B-LOC I-LOC"], ["Mary works", "B-PER O"]]
    mapping = suggest_task(table_of(["sentence", "tags"], rows))
    assert (mapping.text, mapping.labels, mapping.task) == ("sentence", ["tags"], "token_classification")
    dataset = build_dataset(table_of(["sentence", "tags"], rows), mapping)
    assert dataset.label_names == ["O", "B-LOC", "B-PER", "I-LOC"]
    assert dataset.words[0] == ["John", "lives", "in", "New", "York"]
    assert dataset.labels[0] == [2, 0, 0, 1, 3]
    path = tmp_path / "ner.jsonl"
    path.write_text(
        "".join(json.dumps({"tokens": r[0].split(), "ner_tags": r[1].split()}) + "\n" for r in rows)
    )
    mapping = suggest_task(read_table(path))
    assert (mapping.text, mapping.labels, mapping.task) == ("tokens", ["ner_tags"], "token_classification")


def test_split_column_is_suggested():
    rows = [[f"some text {i} here", "a" if i % 2 else "b", ["train", "dev", "test"][i % 3]] for i in range(9)]
    mapping = suggest_task(table_of(["text", "label", "split"], rows))
    assert mapping.split_column == "split" and mapping.labels == ["label"]


def test_problem_rows_are_refused_unless_excluded_and_then_counted():
    rows = [["good one", "pos"], ["", "neg"], ["bad one", ""], ["fine one", "neg"]]
    table = table_of(["text", "label"], rows)
    mapping = ColumnMapping("text", labels=["label"])
    with pytest.raises(DataImportError, match="2 rows cannot be used") as info:
        build_dataset(table, mapping)
    assert info.value.line == 3
    dataset = build_dataset(table, mapping, exclude_problem_rows=True)
    assert dataset.texts == ["good one", "fine one"]
    assert [(p.line, p.reason) for p in dataset.excluded] == [(3, "empty_text"), (4, "missing_label")]
    assert dataset.line_numbers.tolist() == [2, 5]


@pytest.mark.parametrize(
    ("task", "rows", "reason"),
    [
        ("regression", [["a", "1.5"], ["b", "n/a"]], "not_a_number"),
        ("token_classification", [["a b", "O O"], ["c d", "O"]], "tag_count"),
        ("multi_label_columns", [["a", "1", "0"], ["b", "yes?", "1"]], "not_binary"),
    ],
)
def test_task_specific_problems(task, rows, reason):
    if task == "multi_label_columns":
        table = table_of(["text", "x", "y"], rows)
        mapping = ColumnMapping("text", labels=["x", "y"], task="multi_label")
    else:
        table = table_of(["text", "target"], rows)
        mapping = ColumnMapping("text", labels=["target"], task=task)
    dataset = build_dataset(table, mapping, exclude_problem_rows=True)
    assert len(dataset) == 1
    assert [(p.line, p.reason) for p in dataset.excluded] == [(3, reason)]


def test_fixed_label_space_flags_unknown_labels():
    table = table_of(["text", "label"], [["a", "pos"], ["b", "meh"]])
    dataset = build_dataset(
        table, ColumnMapping("text", labels=["label"]), ["neg", "pos"], exclude_problem_rows=True
    )
    assert dataset.labels == [1]
    assert dataset.excluded[0].reason == "unknown_label" and dataset.excluded[0].value == "meh"


def test_mapping_errors_name_what_to_do():
    table = table_of(["text", "label"], [["a", "pos"]])
    with pytest.raises(DataImportError, match="no column 'sentence'"):
        build_dataset(table, ColumnMapping("sentence", labels=["label"]))
    with pytest.raises(DataImportError, match="Unknown task"):
        build_dataset(table, ColumnMapping("text", labels=["label"], task="summarization"))
    with pytest.raises(DataImportError, match="second text column"):
        build_dataset(table, ColumnMapping("text", labels=["label"], task="pair_classification"))
    restored = ColumnMapping.from_dict(ColumnMapping("text", labels=["label"]).to_dict())
    assert restored == ColumnMapping("text", labels=["label"])


def test_subset_keeps_rows_aligned():
    table = table_of(["text", "label"], [[f"t{i}", str(i % 3)] for i in range(6)])
    dataset = build_dataset(table, ColumnMapping("text", labels=["label"]))
    part = dataset.subset([4, 1])
    assert part.texts == ["t4", "t1"] and part.labels == [1, 1] and part.line_numbers.tolist() == [6, 3]
    assert len(dataset.subset([])) == 0


def test_token_rows_without_words_are_empty_text(tmp_path):
    path = tmp_path / "ner.jsonl"
    path.write_text('{"tokens": ["Paris"], "tags": ["B-LOC"]}\n{"tokens": [], "tags": []}\n')
    mapping = ColumnMapping("tokens", labels=["tags"], task="token_classification")
    dataset = build_dataset(read_table(path), mapping, exclude_problem_rows=True)
    assert dataset.words == [["Paris"]]
    assert [(p.line, p.reason) for p in dataset.excluded] == [(2, "empty_text")]


def test_unparsed_json_lines_are_counted_and_excluded_only_on_request(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "good", "label": 1}\n{"text": "bad", "label": 0}\n{"text": "cut off\n')
    table = read_table(path)
    with pytest.raises(DataImportError, match="1 rows cannot be used: line 3: not valid JSON"):
        build_dataset(table, ColumnMapping("text", labels=["label"]))
    dataset = build_dataset(table, ColumnMapping("text", labels=["label"]), exclude_problem_rows=True)
    assert dataset.texts == ["good", "bad"] and dataset.label_names == ["0", "1"]
    assert [(p.line, p.reason) for p in dataset.excluded] == [(3, "unparsed_line")]


def test_decimal_commas_in_a_semicolon_file_are_numbers(tmp_path):
    path = tmp_path / "scores.csv"
    rows = "".join(f"Satz Nummer {i};{i},{i % 10}\n" for i in range(30))
    path.write_text("Text;Wert\n" + rows + "kaputt;n/a\n")
    table = read_table(path)
    mapping = suggest_task(table)
    assert (mapping.task, mapping.labels) == ("regression", ["Wert"])
    dataset = build_dataset(table, mapping, exclude_problem_rows=True)
    assert dataset.labels[12] == pytest.approx(12.2)
    assert [(p.line, p.reason) for p in dataset.excluded] == [(32, "not_a_number")]
    comma_file = tmp_path / "comma.csv"
    comma_file.write_text('text,score\nfirst one,"1,5"\nsecond one,2.5\n')
    dataset = build_dataset(
        read_table(comma_file),
        ColumnMapping("text", labels=["score"], task="regression"),
        exclude_problem_rows=True,
    )
    assert dataset.labels == [2.5]  # in a comma-delimited file "1,5" is not read as 1.5


def test_a_missing_column_is_named_by_flag_on_the_command_line_and_by_box_in_the_window(tmp_path):
    from bertstudio.data import ColumnMapping, read_table
    from bertstudio.errors import DataImportError

    path = tmp_path / "texts.csv"
    path.write_text("description,summary\na tool,tool\n")
    with pytest.raises(DataImportError) as raised:
        ColumnMapping(text="description", task="classification").check(read_table(path))
    assert "--label COLUMN" in str(raised.value) and "Columns tab" not in str(raised.value)
    in_window = raised.value.in_window_words()
    assert "Label box of the Columns tab" in in_window and "--label" not in in_window
