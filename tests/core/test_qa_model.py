"""The question-answering head's loss against transformers (its logits are checked for every family by
test_model_families), and the task end to end: the CLI trains on SQuAD JSON, predicts {id: answer},
and evaluate --json agrees with the official scoring."""

from __future__ import annotations

import json

import pytest
import torch

from bertstudio.cli import main
from bertstudio.data.qa_windows import encode_windows
from bertstudio.data.squad import build_qa_dataset, read_questions
from bertstudio.model import load_pretrained, save_pretrained
from bertstudio.text import encode
from bertstudio.training.squad_scoring import squad_scores
from tests.core import qa_reference
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
        # transformers' softmax spans the padding too: each example alone is the loss without padding
        theirs = [
            reference(
                input_ids=ids[row : row + 1, : int(mask[row].sum())],
                token_type_ids=types[row : row + 1, : int(mask[row].sum())],
                start_positions=starts[row : row + 1],
                end_positions=ends[row : row + 1],
            ).loss
            for row in range(len(ids))
        ]
    assert int(mask.sum()) < mask.numel()  # the batch holds padding
    assert abs(float(mine) - float(torch.stack(theirs).mean())) < TOLERANCE


def test_padding_does_not_change_the_loss_in_training_or_in_evaluation(tmp_path):
    save_reference(tmp_path, "bert", "BertForQuestionAnswering", num_labels=2)
    config = json.loads((tmp_path / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)  # training mode, same function
    (tmp_path / "config.json").write_text(json.dumps(config))
    model, tokenizer = load_pretrained(tmp_path)
    ids, mask, types = padded(tokenizer)
    labels = torch.tensor([[3, 5], [0, 0], [1, 2]])
    wider = [torch.nn.functional.pad(x, (0, 9)) for x in (ids, mask, types)]
    for train in (True, False):  # training packs the real tokens (padding's hidden states are zero)
        model.train(train)
        with torch.no_grad():
            losses = [float(model(*batch, labels=labels).loss) for batch in ((ids, mask, types), wider)]
        assert abs(losses[0] - losses[1]) < 1e-5, (train, losses)


def test_our_windows_are_the_examples_features_and_the_trainer_takes_our_steps(tmp_path):
    """transformers' question-answering example builds exactly our windows; fed them, its Trainer (with the
    padding left out of the softmax, as ours does) takes the optimizer steps our whole train command takes.
    One batch of every window per step, so the order of batches plays no part; no dropout."""
    pytest.importorskip("accelerate")
    train = write_squad(tmp_path / "train.json", qa_articles(40, seed=0, unanswerable_every=4))
    dev = write_squad(tmp_path / "dev.json", qa_articles(8, seed=1, unanswerable_every=4))
    torch.manual_seed(0)
    model, tokenizer = load_pretrained(tiny_model(tmp_path, dropout=False), task="question_answering")
    start = save_pretrained(model, tokenizer, tmp_path / "start")
    features = qa_reference.train_features(
        transformers.AutoTokenizer.from_pretrained(start), qa_reference.flat_questions(train), 32, 8
    )
    windows = encode_windows(build_qa_dataset(read_questions(train)).examples, tokenizer, 32, 8).encoded
    assert len(windows) == len(features) > 40  # some contexts need two windows
    for row, feature in enumerate(features):
        span = slice(windows.offsets[row], windows.offsets[row + 1])
        real = sum(feature["attention_mask"])
        assert windows.input_ids[span].tolist() == feature["input_ids"][:real]
        assert windows.token_type_ids[span].tolist() == feature["token_type_ids"][:real]
        assert windows.labels[row].tolist() == [feature["start_positions"], feature["end_positions"]]

    steps, settings = 4, ["--lr", "3e-3", "--warmup", "0.25", "--weight-decay", "0.01"]
    run = tmp_path / "run"
    command = ["train", "--task", "question_answering", "--model", str(start), "--data", str(train)]
    command += ["--validation", str(dev), "--out", str(run), "--batch-size", str(len(features))]
    command += ["--max-steps", str(steps), "--max-length", "32", "--doc-stride", "8", *settings, "--plain"]
    assert main(command) == 0
    events = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    ours = [(e["loss"], e["grad_norm"]) for e in events if e["kind"] == "step"]

    theirs = qa_reference.trainer_steps(
        start, features, tmp_path / "transformers", len(features), steps, 3e-3, warmup_steps=1
    )
    assert len(ours) == len(theirs) == steps
    assert ours[-1][0] < ours[0][0] - 0.1  # it learns: the comparison is not of four idle steps
    for (loss, norm), (their_loss, their_norm) in zip(ours, theirs, strict=True):
        assert loss == pytest.approx(their_loss, abs=1e-4)
        assert norm == pytest.approx(their_norm, rel=1e-3)


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
