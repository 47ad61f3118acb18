"""`bertstudio data inspect`: the report on the terminal, JSON, exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from bertstudio.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"


def test_excel_export_needs_its_encoding_then_reports(capsys):
    path = DATA / "excel_semicolon_cp1252.csv"
    assert main(["data", "inspect", str(path)]) == 2
    error = capsys.readouterr().err
    assert "line 2" in error and "--encoding cp1252" in error
    assert main(["data", "inspect", str(path), "--encoding", "cp1252"]) == 0
    out = capsys.readouterr().out
    assert "delimiter ';'" in out and "labels='Rating'" in out
    assert "line 7: empty_text" in out and "line 8: missing_label" in out
    assert "line 9: duplicate (warning): same text and label as line 5" in out
    assert "Result    usable: 6 rows" in out


def test_json_report_with_overrides_and_tokenizer(capsys, tiny_model_dir):
    path = DATA / "excel_semicolon_cp1252.csv"
    options = ["--text", "Review", "--label", "Rating", "--model", str(tiny_model_dir), "--max-length", "8"]
    code = main(["data", "inspect", str(path), "--encoding", "cp1252", *options, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["usable"]
    assert report["mapping"]["text"] == "Review" and report["mapping"]["labels"] == ["Rating"]
    assert report["label_counts"] == {"negative": 2, "neutral": 2, "positive": 2}
    assert report["tokens"]["max_length"] == 8 and report["tokens"]["truncated_share"] > 0
    assert report["dialect"]["encoding"] == "cp1252"
    assert [p["line"] for p in report["problems"]] == [7, 8, 9]


def test_token_tagging_jsonl(capsys):
    assert main(["data", "inspect", str(DATA / "ner.jsonl"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "token_classification"
    assert [(p["line"], p["reason"]) for p in report["problems"]] == [(3, "tag_count")]


def test_unusable_data_exits_2_with_the_reason(tmp_path, capsys):
    path = tmp_path / "one_class.csv"
    path.write_text("text,label\na b,x\nc d,x\n")
    assert main(["data", "inspect", str(path)]) == 2
    captured = capsys.readouterr()
    assert "NOT USABLE" in captured.out
    assert "not usable" in captured.err and "at least two" in captured.err


def test_bad_mapping_and_bad_split_are_clear(tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text("text,label\na b,x\nc d,y\n")
    assert main(["data", "inspect", str(path), "--label", "sentiment"]) == 2
    assert "no column 'sentiment'" in capsys.readouterr().err
    assert main(["data", "inspect", str(path), "--split", "eighty,ten"]) == 2
    assert "--split" in capsys.readouterr().err
    assert main(["data", "inspect", str(path), "--split", "0.5,0.5", "--delimiter", ","]) == 0


def test_a_split_that_leaves_no_training_rows_exits_2(tmp_path, capsys):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\n" + "".join(f"review {i},{'pos' if i % 2 else 'neg'}\n" for i in range(20)))
    assert main(["data", "inspect", str(path), "--split", "0,0.5,0.5"]) == 2
    captured = capsys.readouterr()
    assert "leave no rows for training (train 0, validation 10, test 10); lower them." in captured.err
    assert "Splits    train 0, validation 10, test 10" in captured.out


def test_a_header_only_file_exits_2_with_what_to_do(tmp_path, capsys):
    path = tmp_path / "header.csv"
    path.write_text("text,label\n")
    assert main(["data", "inspect", str(path), "--split", "0.8,0.1,0.1"]) == 2
    assert "has a header row but no data rows. Add the data rows below the header" in capsys.readouterr().err


def test_the_columns_given_decide_the_task(tmp_path, capsys):
    """A file with a second long text column: the suggestion picks a pair, but --text and --label name
    one text and a class column, so the task is classification (it was pair classification, exit 2)."""
    rows = [
        (f"pkg{i}", f"a library for parsing kind {i} of files quickly", f"longer text about item {i} here", s)
        for i, s in enumerate(["libs", "net", "utils", "devel"] * 10)
    ]
    path = tmp_path / "packages.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("package", "description", "context", "section"), *rows])
    assert main(["data", "inspect", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["mapping"]["text_pair"] is not None  # suggested a pair
    assert main(["data", "inspect", str(path), "--text", "description", "--label", "section", "--json"]) == 0
    mapping = json.loads(capsys.readouterr().out)["mapping"]
    assert mapping == {**mapping, "text": "description", "text_pair": None, "task": "classification"}


def test_suggestion_never_contradicts_the_given_columns(tmp_path):
    from bertstudio.data import read_table, suggest_task
    from bertstudio.data.mapping import apply_given_columns

    path = tmp_path / "scores.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        rows = [(f"first text number {i}", f"second text number {i}", i % 2, i * 0.37) for i in range(40)]
        csv.writer(handle).writerows([("a", "b", "flag", "score"), *rows])
    table = read_table(path)
    suggested = suggest_task(table)
    assert apply_given_columns(table, suggested, labels=["score"]).task == "regression"
    assert apply_given_columns(table, suggested, text="a", labels=["flag"]).task == "classification"
    assert apply_given_columns(table, suggested, text_pair="b", labels=["flag"]).task == "pair_classification"
    assert apply_given_columns(table, suggested, labels=["flag", "score"]).task == "multi_label"
    assert (
        apply_given_columns(table, suggested, labels=["score"], task="classification").task
        == "classification"
    )
