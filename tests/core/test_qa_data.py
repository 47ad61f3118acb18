"""Question-answering data: SQuAD JSON and tables read with every problem named, windows over long
contexts with the answer mapped to tokens through offsets."""

from __future__ import annotations

import json

import pytest

from bertstudio.data.qa_windows import encode_windows
from bertstudio.data.reading import Table
from bertstudio.data.squad import QAColumns, build_qa_dataset, read_qa_table, read_squad
from bertstudio.errors import DataImportError
from tests.core.qa_fixtures import qa_articles, write_squad

CONTEXT = "john lives in paris . mary lives in london ."


def squad_file(tmp_path, qas, context=CONTEXT):
    data = {"version": "v2.0", "data": [{"title": "t", "paragraphs": [{"context": context, "qas": qas}]}]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def qa(qid, question, *answers, impossible=False):
    return {
        "id": qid,
        "question": question,
        "is_impossible": impossible,
        "answers": [{"text": text, "answer_start": start} for text, start in answers],
    }


def test_squad_problems_are_named_per_question_with_their_line(tmp_path):
    path = squad_file(
        tmp_path,
        [
            qa("ok", "where does john live?", ("paris", 14)),
            qa("shifted", "where does mary live?", ("london", 30)),  # it is at 36
            qa("absent", "where does bob live?", ("rome", 0)),
            qa("empty", " ", ("paris", 14)),
            qa("ok", "again?", ("paris", 14)),
            qa("none", "who lives in rome?", impossible=True),
        ],
    )
    parsed = read_squad(path)
    reasons = {(p.reason, parsed.examples[p.row].id) for p in parsed.problems}
    assert reasons == {
        ("answer_not_at_start", "shifted"),
        ("answer_not_in_context", "absent"),
        ("empty_question", "empty"),
        ("duplicate_id", "ok"),
    }
    shifted = next(p for p in parsed.problems if p.reason == "answer_not_at_start")
    assert "occurs at character 36" in shifted.message and "data[0].paragraphs[0].qas[1]" in shifted.message
    lines = path.read_text().splitlines()
    assert '"shifted"' in lines[shifted.line - 1]  # the line of its id in the file
    with pytest.raises(DataImportError, match="4 questions cannot be used"):
        build_qa_dataset(parsed)
    dataset = build_qa_dataset(parsed, exclude_problem_rows=True)
    assert [e.id for e in dataset.examples] == ["ok", "none"] and len(dataset.excluded) == 4
    assert dataset.unanswerable == 1


def test_a_json_file_that_is_not_squad_is_refused_clearly(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text('[{"text": "a"}]')
    with pytest.raises(DataImportError, match='no top-level "data" list'):
        read_squad(path)
    path.write_text('{"data": [')
    with pytest.raises(DataImportError, match="not valid JSON") as error:
        read_squad(path)
    assert error.value.line == 1


def test_a_table_finds_a_unique_answer_and_refuses_a_repeated_one():
    table = Table.from_rows(
        ["context", "question", "answer"],
        [
            [CONTEXT, "where does mary live?", "london"],
            [CONTEXT, "what does john do?", "lives"],  # twice in the context
            [CONTEXT, "who lives in rome?", ""],  # unanswerable
        ],
    )
    parsed = read_qa_table(table, QAColumns(context="context", question="question", answer="answer"))
    assert parsed.examples[0].answer_starts == (CONTEXT.index("london"),)
    assert [(p.reason, p.line, p.column) for p in parsed.problems] == [("ambiguous_answer", 3, "answer")]
    assert "occurs 2 times" in parsed.problems[0].message and not parsed.examples[2].answerable


def test_windows_cover_a_long_context_and_point_at_the_answer_or_cls(tiny_tokenizer, tmp_path):
    articles = qa_articles(4, unanswerable_every=2)
    parsed = read_squad(write_squad(tmp_path / "s.json", articles))
    windows = encode_windows(parsed.examples, tiny_tokenizer, max_length=20, doc_stride=4)
    per_question = windows.windows_per_example(len(parsed.examples))
    assert (per_question > 1).all()  # every context needs several 20-token windows
    assert (windows.lengths <= 20).all()
    for window, owner in enumerate(windows.example_of):
        example = parsed.examples[owner]
        start, end = windows.encoded.labels[window]
        if start == 0:  # [CLS]: no answer, or not all of it in this window
            starts, ends = windows.spans(window)
            inside = starts[starts >= 0]
            holds = (
                example.answerable
                and inside.min() <= example.answer_starts[0]
                and ends.max() >= (example.answer_starts[0] + len(example.answers[0]))
            )
            assert not holds
            continue
        starts, ends = windows.spans(window)
        assert example.context[starts[start] : ends[end]] == example.answers[0]
    answerable = [i for i, e in enumerate(parsed.examples) if e.answerable]
    for index in answerable:  # each answer is found in at least one window
        assert any(
            windows.encoded.labels[w][0] > 0 for w in range(len(windows)) if windows.example_of[w] == index
        )


def test_data_inspect_reports_problems_unanswerable_share_and_windows(tmp_path, tiny_model_dir, capsys):
    from bertstudio.cli import main

    path = squad_file(
        tmp_path,
        [
            qa("a", "where does john live?", ("paris", 14)),
            qa("b", "where does mary live?", ("london", 30)),
            qa("c", "who lives in rome?", impossible=True),
        ],
    )
    flags = ["--model", str(tiny_model_dir), "--max-length", "16", "--doc-stride", "2"]
    assert main(["data", "inspect", str(path), "--json", *flags]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "question_answering" and report["problem_counts"]["answer_not_at_start"] == 1
    assert report["questions"]["unanswerable"] == 1 and report["questions"]["long_contexts"] == 3
    long = [p for p in report["problems"] if p["reason"] == "long_context"]
    assert (
        len(long) == 3 and "windows of 16 tokens" in long[0]["message"] and long[0]["severity"] == "warning"
    )
    assert main(["data", "inspect", str(path), *flags]) == 0
    text = capsys.readouterr().out
    assert "Questions 3 (1 unanswerable, 33.3%)" in text and "answer_not_at_start" in text
