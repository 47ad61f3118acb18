"""Question answering in the window: Evaluate shows EM / F1 (HasAns / NoAns) and the worst questions
with the gold and predicted spans highlighted; the playground answers a question about a pasted
context with per-token start / end probabilities and the n-best list."""

from __future__ import annotations

import csv
import json

import pytest

from bertstudio.cli import main
from bertstudio.gui.widgets.answer_view import GOLD_STYLE, PREDICTED_STYLE
from tests.core.qa_fixtures import qa_articles, write_squad
from tests.core.training_fixtures import tiny_model

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


def test_results_and_playground_of_a_question_answering_run(window, qtbot, tmp_path):
    data = write_squad(tmp_path / "squad.json", qa_articles(40, unanswerable_every=4))
    run = window.controller.runs_dir / "qa-run"
    argv = [
        "train",
        "--task",
        "question_answering",
        "--model",
        str(tiny_model(tmp_path)),
        "--data",
        str(data),
    ]
    argv += ["--out", str(run), "--max-steps", "4", "--max-length", "32", "--doc-stride", "8", "--plain"]
    assert main(argv) == 0
    results = window.evaluate_page.results
    window.controller.run_finished.emit(str(run))  # as when a run of the window ends
    qtbot.waitUntil(lambda: results.split_combo.count() > 0, timeout=20_000)
    metrics = {results.metrics_table.item(r, 0).text() for r in range(results.metrics_table.rowCount())}
    assert {"exact_match", "f1", "HasAns_f1", "NoAns_f1", "best_f1_thresh"} <= metrics
    panel = results.answers_panel
    assert panel.isVisibleTo(results) and not results.examples_box.isVisibleTo(results)
    answers = results.current().answers
    assert panel.table.rowCount() == len(answers) == 4  # the 10% test split of 40 questions
    shown_f1 = [float(panel.table.item(r, 4).text()) for r in range(panel.table.rowCount())]
    assert shown_f1 == sorted(shown_f1)  # worst first
    first = panel.rows[0]
    if first.golds:
        assert GOLD_STYLE in panel.context.shown
    if first.predicted:
        assert PREDICTED_STYLE in panel.context.shown

    playground = window.evaluate_page.playground
    qtbot.waitUntil(
        lambda: playground.model() is not None and playground.model().model_dir == run / "model",
        timeout=20_000,
    )
    assert playground.questions and playground.token_chart.isVisibleTo(playground)
    context = "the movie was fun . mary lives in london ."
    playground.predict_input.setPlainText(context)
    playground.pair_input.setText("where does mary live?")
    playground.predict_button.click()
    qtbot.waitUntil(lambda: playground.n_best.rowCount() > 0, timeout=30_000)
    assert playground.token_chart.tokens[:3] == ["the", "movie", "was"]
    assert len(playground.token_chart.tokens) == len(context.split())
    assert playground.n_best.item(0, 0).text()

    # a whole file of questions, answered as `bertstudio predict` answers it, with progress shown
    batch = window.evaluate_page.batch
    assert batch.batch_button.isEnabled() and not batch.batch_text.isVisibleTo(batch)
    batch.set_batch_input(data)
    assert batch.batch_output.text().endswith("squad_answers.json")
    assert not batch.context_combo.isVisibleTo(batch)  # a SQuAD file names its own fields
    seen = []
    batch.progress.valueChanged.connect(seen.append)
    batch.batch_button.click()
    qtbot.waitUntil(
        lambda: "Wrote" in batch.batch_status.text() or "failed" in batch.batch_status.text(), timeout=30_000
    )
    assert "Wrote 40 answers" in batch.batch_status.text(), batch.batch_status.text()
    assert str(tmp_path / "squad_answers.json") in batch.batch_status.text() and seen[-1] == 40
    assert (
        main(
            [
                "predict",
                "--model",
                str(run / "model"),
                "--data",
                str(data),
                "--out",
                str(tmp_path / "cli.json"),
            ]
        )
        == 0
    )
    window_answers = json.loads((tmp_path / "squad_answers.json").read_text(encoding="utf-8"))
    assert window_answers == json.loads((tmp_path / "cli.json").read_text(encoding="utf-8"))
    assert len(window_answers) == 40

    table = tmp_path / "questions.csv"
    with open(table, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["qid", "passage", "question"])
        for article in qa_articles(3):
            paragraph = article["paragraphs"][0]
            writer.writerow(
                [paragraph["qas"][0]["id"], paragraph["context"], paragraph["qas"][0]["question"]]
            )
    batch.set_batch_input(table)
    assert batch.context_combo.isVisibleTo(batch)
    assert (batch.context_combo.currentText(), batch.question_combo.currentText()) == ("passage", "question")
    assert batch.id_combo.currentText() == "qid"
    batch.batch_output.setText(str(tmp_path / "answers.csv"))
    batch.batch_button.click()
    qtbot.waitUntil(lambda: "Wrote 3 answers" in batch.batch_status.text(), timeout=30_000)
    with open(tmp_path / "answers.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    asked = [article["paragraphs"][0]["qas"][0]["question"] for article in qa_articles(3)]
    assert [row["id"] for row in rows] == ["q0", "q1", "q2"] and [row["question"] for row in rows] == asked


def test_a_squad_file_is_checked_and_trained_as_the_data_page_shows(
    window, qtbot, tmp_path, tiny_encoder_dir
):
    articles = qa_articles(12, unanswerable_every=3)
    articles[1]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] += (
        1  # off by one: a problem question
    )
    data = write_squad(tmp_path / "squad.json", articles)
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path is not None, timeout=20_000)
    window.controller.import_data(data)
    imported = window.controller.data_import
    qtbot.waitUntil(lambda: imported.report is not None, timeout=30_000)
    report = imported.report
    assert imported.mapping.task == "question_answering" and report.task == "question_answering"
    assert report.questions.unanswerable == 4 and report.problem_counts == {"answer_not_at_start": 1}
    assert report.questions.windows is not None  # counted with the open model's tokenizer
    assert "answer_not_at_start" in window.data_page.check_tab.report_label.text() or report.problems
    assert imported.selection() is None  # a problem question stops training until it is left out
    window.data_page.check_tab.exclude_check.setChecked(True)
    assert imported.usable
    window.data_page.use_button.click()
    config = window.controller.run_config()
    assert config.task == "question_answering" == window.train_page.form.task_combo.currentData()
    assert config.data_path == str(data) and config.exclude_problem_rows
    assert config.max_length == imported.max_length == report.questions.max_length == 384
    assert config.text_column == "" and config.label_columns == []  # a SQuAD file names its own fields
    assert config.doc_stride == report.questions.doc_stride
    shown = window.train_page.form.data_label.text()
    assert f"windows of {config.max_length} tokens sharing {config.doc_stride}" in shown
    columns = window.data_page.columns_tab
    columns.task_combo.setCurrentIndex(columns.task_combo.findData("classification"))
    qtbot.waitUntil(lambda: imported.check_error is not None, timeout=10_000)
    assert "question answering only" in imported.check_error.message


def test_the_data_page_counts_windows_with_the_doc_stride_the_run_will_use(
    window, qtbot, tmp_path, tiny_encoder_dir
):
    from bertstudio.data.qa_validation import validate_questions
    from bertstudio.data.squad import read_squad
    from bertstudio.text import load_tokenizer

    articles = qa_articles(6)
    prefix = "the movie was fun . " * 120  # about 600 tokens: several windows of 384
    for article in articles:
        paragraph = article["paragraphs"][0]
        paragraph["context"] = prefix + paragraph["context"]
        for answer in paragraph["qas"][0]["answers"]:
            answer["answer_start"] += len(prefix)
    data = write_squad(tmp_path / "squad.json", articles)

    def windows(stride: int) -> int:
        report = validate_questions(read_squad(data), load_tokenizer(tiny_encoder_dir), 384, stride)
        return report.questions.windows

    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path is not None, timeout=20_000)
    window.controller.import_data(data)
    imported = window.controller.data_import
    qtbot.waitUntil(lambda: imported.report is not None, timeout=30_000)
    assert imported.report.questions.doc_stride == 128 and imported.report.questions.windows == windows(128)
    window.data_page.use_button.click()
    window.train_page.form.fields["doc_stride"].setValue(32)  # as the person sets it on the Train page
    qtbot.waitUntil(
        lambda: imported.report is not None and imported.report.questions.doc_stride == 32, timeout=30_000
    )
    assert imported.report.questions.windows == windows(32) != windows(128)
    assert window.controller.run_config().doc_stride == 32


def test_the_doc_stride_field_is_shown_and_written_for_question_answering_only(window):
    form = window.train_page.form
    stride = form.fields["doc_stride"]
    window.controller.set_task("question_answering")
    assert stride.isVisibleTo(form) and stride.value() == 128  # the task's default (the CLI's too)
    stride.setValue(64)
    config = window.controller.run_config()
    assert config.doc_stride == 64 and config.applicable_dict()["doc_stride"] == 64
    window.controller.set_task("classification")
    assert not stride.isVisibleTo(form)
    assert "doc_stride" not in window.controller.run_config().applicable_dict()


def write_question_table(path, articles) -> None:
    """A CSV of the articles' questions: context, question, answer (empty: none), answer_start."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["context", "question", "answer", "answer_start"])
        for article in articles:
            paragraph = article["paragraphs"][0]
            qa = paragraph["qas"][0]
            answer = qa["answers"][0] if qa["answers"] else {"text": "", "answer_start": ""}
            writer.writerow([paragraph["context"], qa["question"], answer["text"], answer["answer_start"]])


def test_a_table_of_questions_is_mapped_checked_and_trained_as_the_cli_reads_it(
    window, qtbot, tmp_path, tiny_encoder_dir
):
    articles = qa_articles(30, unanswerable_every=3)
    articles[1]["paragraphs"][0]["qas"][0]["answers"][0]["text"] = "rome"  # not in its context
    data = tmp_path / "questions.csv"
    write_question_table(data, articles)
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path is not None, timeout=20_000)
    window.controller.import_data(data)
    imported = window.controller.data_import
    qtbot.waitUntil(lambda: imported.report is not None, timeout=30_000)
    mapping, report = imported.mapping, imported.report
    assert mapping.task == "question_answering" and report.task == "question_answering"
    assert (mapping.context, mapping.question, mapping.answer, mapping.answer_start) == (
        "context",
        "question",
        "answer",
        "answer_start",
    )
    columns = window.data_page.columns_tab
    assert columns.qa_combos["context"].isVisibleTo(columns) and not columns.text_combo.isVisibleTo(columns)
    assert columns.qa_combos["answer_start"].currentText() == "answer_start"
    assert report.questions.unanswerable == 10 and report.problem_counts == {"answer_not_in_context": 1}
    assert report.problems[0].line == 3 and report.questions.windows is not None
    assert imported.max_length == 384 == window.data_page.lengths_tab.max_length_spin.value()

    # without the answer-start column the answers are looked for in the contexts: same report
    columns.qa_combos["answer_start"].setCurrentText("(none)")
    qtbot.waitUntil(
        lambda: imported.report is not None and imported.mapping.answer_start is None, timeout=30_000
    )
    assert imported.report.problem_counts == {"answer_not_in_context": 1}
    assert imported.selection() is None  # a problem question stops training until it is left out
    window.data_page.check_tab.exclude_check.setChecked(True)
    window.data_page.use_button.click()
    window.controller.apply_settings(max_steps=2, max_length=32, doc_stride=8)
    config = window.controller.run_config()
    assert (config.context_column, config.question_column, config.answer_column) == (
        "context",
        "question",
        "answer",
    )
    assert config.answer_start_column == "" and config.text_column == ""
    assert "question about context → answer" in window.train_page.form.data_label.text()
    train = window.train_page
    train.controls.start_button.click()
    qtbot.waitUntil(lambda: not train.is_running(), timeout=60_000)
    assert "Finished (completed)" in train.monitor.result_label.text()
    runs = sorted(window.controller.runs_dir.iterdir())
    saved = json.loads((runs[-1] / "run.json").read_text(encoding="utf-8"))
    saved = saved.get("config", saved)
    assert saved["context_column"] == "context" and saved["doc_stride"] == 8
    log = (runs[-1] / "metrics.jsonl").read_text(encoding="utf-8")
    assert "1 unusable questions" in log  # left out by request, and said so

    # mapped back to a classifier, the table gets the person's max length again
    columns.task_combo.setCurrentIndex(columns.task_combo.findData("classification"))
    assert imported.max_length == 128 and imported.mapping.context is None
