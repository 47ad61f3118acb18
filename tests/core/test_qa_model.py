"""The question-answering head's loss against transformers (its logits are checked for every family by
test_model_families), and the task end to end: the CLI trains on SQuAD JSON, predicts {id: answer},
and evaluate --json agrees with the official scoring."""

from __future__ import annotations

import json

import pytest
import torch

from bertstudio.cli import main
from bertstudio.model import load_pretrained
from bertstudio.text import encode
from bertstudio.training.squad_scoring import squad_scores
from tests.core.family_references import PAIRS, TEXTS, save_reference
from tests.core.qa_fixtures import qa_articles, write_squad
from tests.core.training_fixtures import tiny_model

transformers = pytest.importorskip("transformers")
TOLERANCE = 1e-4


def padded(tokenizer):
    encodings = encode(tokenizer, TEXTS, PAIRS)
    width = max(len(e.ids) for e in encodings)
    pad = tokenizer.token_to_id("[PAD]") or tokenizer.token_to_id("<pad>") or 0
    ids = torch.tensor([e.ids + [pad] * (width - len(e.ids)) for e in encodings])
    types = torch.tensor([e.type_ids + [0] * (width - len(e.ids)) for e in encodings])
    mask = torch.tensor([[1] * len(e.ids) + [0] * (width - len(e.ids)) for e in encodings])
    return ids, mask, types


def test_loss_matches_transformers_and_a_window_without_the_answer_points_at_cls(tmp_path):
    reference, _ = save_reference(tmp_path, "bert", "BertForQuestionAnswering", num_labels=2)
    ours, tokenizer = load_pretrained(tmp_path)
    ids, mask, types = padded(tokenizer)
    starts, ends = torch.tensor([3, 0, 1]), torch.tensor([5, 0, 2])  # row 2: no answer here ([CLS])
    with torch.no_grad():
        mine = ours(ids, mask, types, labels=torch.stack((starts, ends), dim=1)).loss
        theirs = reference(
            input_ids=ids,
            attention_mask=mask,
            token_type_ids=types,
            start_positions=starts,
            end_positions=ends,
        ).loss
    assert abs(float(mine) - float(theirs)) < TOLERANCE


def test_cli_trains_on_squad_predicts_by_id_and_evaluate_agrees_with_official_scoring(tmp_path, capsys):
    train = write_squad(tmp_path / "train.json", qa_articles(96, seed=0, unanswerable_every=4))
    dev = write_squad(tmp_path / "dev.json", qa_articles(24, seed=1, unanswerable_every=4))
    run = tmp_path / "run"
    window = ["--max-length", "32", "--doc-stride", "8"]
    code = main(
        ["train", "--task", "question_answering", "--model", str(tiny_model(tmp_path)), "--data", str(train)]
        + ["--validation", str(dev), "--out", str(run), "--epochs", "6", "--batch-size", "16", "--lr", "3e-3"]
        + ["--warmup", "0", *window, "--plain"]
    )
    assert code == 0
    events = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    curves = [e["metrics"]["f1"] for e in events if e["kind"] == "eval" and e["split"] == "validation"]
    assert len(curves) == 6 and curves[-1] >= 70.0  # 18 of 24 dev questions have an answer it can learn
    config = json.loads((run / "model" / "config.json").read_text())
    assert config["architectures"] == ["BertForQuestionAnswering"] and config["version_2_with_negative"]
    predictions = tmp_path / "predictions.json"
    assert (
        main(
            ["predict", "--model", str(run / "model"), "--data", str(dev), "--out", str(predictions), *window]
        )
        == 0
    )
    answers = json.loads(predictions.read_text())
    assert sorted(answers) == sorted(f"q{i}" for i in range(24))
    # without --doc-stride: 128, or under half of windows shorter than that (this model's 64 tokens)
    default_stride = tmp_path / "default_stride.json"
    assert (
        main(["predict", "--model", str(run / "model"), "--data", str(dev), "--out", str(default_stride)])
        == 0
    )
    assert sorted(json.loads(default_stride.read_text())) == sorted(answers)
    capsys.readouterr()
    assert main(["evaluate", "--model", str(run / "model"), "--data", str(dev), "--json", *window]) == 0
    reported = json.loads(capsys.readouterr().out)
    golds = {
        qa["id"]: [a["text"] for a in qa["answers"]]
        for article in json.loads(dev.read_text())["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }
    official = squad_scores(answers, golds)
    assert reported["exact_match"] == pytest.approx(official["exact_match"], abs=0.01)
    assert reported["f1"] == pytest.approx(official["f1"], abs=0.01)
    assert reported["HasAns_total"] == 18 and reported["NoAns_total"] == 6


def test_cancel_then_resume_continues_the_same_question_answering_run(tmp_path):
    from bertstudio.training import TrainingControl, resume_training, run_training
    from tests.core.training_fixtures import eval_records, run_config, step_losses

    data = write_squad(tmp_path / "squad.json", qa_articles(40, unanswerable_every=4))
    model = tiny_model(tmp_path)
    settings = dict(task="question_answering", text_column="", label_columns=[], max_length=32, doc_stride=8)
    settings.update(max_steps=8, eval_every_steps=4, batch_size=8)
    reference = run_config(model, data, tmp_path / "reference", **settings)
    assert run_training(reference).status == "completed"
    control = TrainingControl()

    def cancel_at_step_5(event):
        if event.kind == "step" and event.step == 5:
            control.cancel()

    interrupted = run_config(model, data, tmp_path / "interrupted", **settings)
    assert run_training(interrupted, cancel_at_step_5, control).status == "cancelled"
    assert resume_training(tmp_path / "interrupted").status == "completed"
    assert step_losses(tmp_path / "interrupted") == pytest.approx(
        step_losses(tmp_path / "reference"), abs=1e-5
    )
    f1 = [r["metrics"]["f1"] for r in eval_records(tmp_path / "interrupted")]
    assert f1 == pytest.approx([r["metrics"]["f1"] for r in eval_records(tmp_path / "reference")])
