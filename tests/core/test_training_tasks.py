"""Every task trains end to end on tiny real data: events, run folder, metrics, predictions, model/.
And it learns: a tiny model fits a separable set; tiny pretraining lowers the masked-LM loss."""

from __future__ import annotations

import json
import random

import pytest

from bertstudio.model import load_pretrained
from bertstudio.text import load_tokenizer
from bertstudio.training import RunFolder, run_training
from bertstudio.training.inference import predict_file
from tests.core.training_fixtures import (
    FILLER,
    NEGATIVE,
    POSITIVE,
    EventLog,
    eval_records,
    run_config,
    sentiment_csv,
    sentiment_rows,
    step_losses,
    tiny_model,
    write_csv,
)


def test_classification_fits_a_separable_set_and_writes_the_run_folder(tmp_path):
    data, model = sentiment_csv(tmp_path, count=120), tiny_model(tmp_path)
    events = EventLog()
    config = run_config(model, data, tmp_path / "run", epochs=12, eval_each_epoch=True, batch_size=16)
    result = run_training(config, events)
    assert result.status == "completed", result.error
    validation = eval_records(tmp_path / "run")
    assert validation[-1]["metrics"]["accuracy"] == 1.0  # 12 held-out examples, all right
    assert result.test_metrics["accuracy"] >= 0.9
    assert set(result.test_metrics) >= {"loss", "accuracy", "macro_f1", "per_class", "confusion_matrix"}
    losses = step_losses(tmp_path / "run")
    first, last = list(losses.values())[:5], list(losses.values())[-5:]
    assert sum(last) / 5 < 0.4 < 0.6 < sum(first) / 5

    kinds = [e.kind for e in events]
    assert kinds[0] == "log" and "started" in kinds and kinds[-1] == "finished"
    assert len(events.kinds("step")) == result.step == 12 * 6  # 96 training rows / 16
    (length,) = {len(load_tokenizer(model).encode(text).ids) for text, _ in sentiment_rows(120)}
    for step in events.kinds("step"):  # every text is 5 whole words: tokens/s is samples/s x its length
        assert step.tokens_per_second == pytest.approx(step.samples_per_second * length)
    folder = RunFolder(tmp_path / "run")
    info = folder.read_info()
    assert info["status"] == "completed" and info["label_names"] == ["neg", "pos"]
    assert info["data"][0]["sha256"] and info["versions"]["torch"]
    assert [r["kind"] for r in folder.read_events()] == kinds  # metrics.jsonl mirrors the events
    predictions = (folder.eval_dir / "test_predictions.csv").read_text().splitlines()
    assert predictions[0] == "line,text,label,predicted,p_neg,p_pos" and len(predictions) == 13
    assert json.loads((folder.eval_dir / "validation_metrics.json").read_text())["confusion_matrix"]
    trained, _ = load_pretrained(folder.model_dir)
    assert trained.task == "classification" and trained.config.id2label == {0: "neg", 1: "pos"}


def test_pair_classification_learns_from_the_second_text(tmp_path):
    """The sentiment word is only in the second text, so a run that dropped the pair would stay at chance."""
    rng = random.Random(1)
    rows = [(" ".join(rng.sample(FILLER, 5)), text, label) for text, label in sentiment_rows(120, seed=2)]
    data = write_csv(tmp_path / "pairs.csv", ["premise", "hypothesis", "label"], rows)
    config = run_config(
        tiny_model(tmp_path),
        data,
        tmp_path / "run",
        task="pair_classification",
        text_column="premise",
        text_pair_column="hypothesis",
        epochs=12,
        eval_each_epoch=True,
        batch_size=16,
    )
    result = run_training(config)
    assert result.status == "completed", result.error
    assert result.test_metrics["accuracy"] >= 0.9
    assert eval_records(tmp_path / "run")[-1]["metrics"]["accuracy"] >= 0.9
    header = (tmp_path / "run" / "eval" / "test_predictions.csv").read_text().splitlines()[0]
    assert header == "line,text,text_pair,label,predicted,p_neg,p_pos"


def test_multi_label_learns_each_label(tmp_path):
    """Four independent labels, one to four per text: each is the word of that name occurring in it."""
    rng = random.Random(0)
    tagged = ["film", "book", "plot", "story"]
    others = [word for word in FILLER if word not in tagged]
    rows = []
    for _ in range(120):
        tags = rng.sample(tagged, rng.randint(1, 3))
        words = tags + rng.sample(others, 5 - len(tags))
        rng.shuffle(words)
        rows.append((" ".join(words), "|".join(tags)))
    data = write_csv(tmp_path / "multi.csv", ["text", "labels"], rows)
    config = run_config(
        tiny_model(tmp_path),
        data,
        tmp_path / "run",
        task="multi_label",
        label_columns=["labels"],
        label_delimiter="|",
        epochs=24,
        batch_size=16,
        learning_rate=1e-2,  # four sigmoid outputs learn slower than a softmax (transformers' loop alike)
    )
    result = run_training(config)
    assert result.status == "completed", result.error
    assert RunFolder(tmp_path / "run").read_info()["label_names"] == sorted(tagged)
    assert result.test_metrics["micro_f1"] >= 0.9
    assert result.test_metrics["exact_match"] >= 0.75
    losses = list(step_losses(tmp_path / "run").values())
    assert sum(losses[-5:]) < 0.5 * sum(losses[:5])


def test_regression(tmp_path):
    rows = [(text, 4.5 if label == "pos" else 1.0) for text, label in sentiment_rows(80)]
    data = write_csv(tmp_path / "scores.csv", ["text", "score"], rows)
    config = run_config(
        tiny_model(tmp_path),
        data,
        tmp_path / "run",
        task="regression",
        label_columns=["score"],
        epochs=6,
        eval_each_epoch=True,
    )
    result = run_training(config)
    assert result.status == "completed", result.error
    evals = eval_records(tmp_path / "run")
    assert {"mse", "mae", "pearson", "spearman"} <= set(evals[-1]["metrics"])
    assert evals[-1]["metrics"]["mse"] < evals[0]["metrics"]["mse"]
    assert load_pretrained(tmp_path / "run" / "model")[0].task == "regression"


def test_token_classification(tmp_path):
    rng = random.Random(0)
    people, places = ["john", "mary"], ["paris", "london"]
    rows = []
    for _ in range(64):
        person, place = rng.choice(people), rng.choice(places)
        words = [person, "lives", "in", place] if rng.random() < 0.5 else ["new", "york", "is", "a", "city"]
        tags = ["B-PER", "O", "O", "B-LOC"] if words[0] != "new" else ["B-LOC", "I-LOC", "O", "O", "O"]
        rows.append((" ".join(words), " ".join(tags)))
    data = write_csv(tmp_path / "ner.csv", ["tokens", "tags"], rows)
    config = run_config(
        tiny_model(tmp_path),
        data,
        tmp_path / "run",
        task="token_classification",
        text_column="tokens",
        label_columns=["tags"],
        epochs=10,
        learning_rate=5e-3,
    )
    result = run_training(config)
    assert result.status == "completed", result.error
    assert result.test_metrics["f1"] > 0.9  # entity-level, BIO spans
    lines = (tmp_path / "run" / "eval" / "test_predictions.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert len(first["words"]) == len(first["labels"]) == len(first["predicted"])

    unseen = write_csv(
        tmp_path / "unseen.csv", ["tokens"], [("mary lives in london",), ("new york is a city",)]
    )
    predict_file(tmp_path / "run" / "model", unseen, "tokens", tmp_path / "tags.csv")
    tags = [row.split(",")[1] for row in (tmp_path / "tags.csv").read_text().splitlines()[1:]]
    assert tags == ["B-PER O O B-LOC", "B-LOC I-LOC O O O"]


def test_probe_sentences_are_recorded_at_each_evaluation(tmp_path):
    from bertstudio.inspect.training_probes import list_probe_steps, load_probe_step

    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    config = run_config(
        model,
        data,
        tmp_path / "run",
        max_steps=4,
        eval_every_steps=2,
        probe_sentences=["a good movie", "a bad film"],
    )
    assert run_training(config).status == "completed"
    steps = list_probe_steps(tmp_path / "run")
    assert [s.step for s in steps] == [2, 4] and "accuracy" in steps[0].metrics
    assert load_probe_step(tmp_path / "run", 4).sentences == ["a good movie", "a bad film"]


def write_corpus(path, documents: int = 240, seed: int = 0):
    """Sentences with a fixed word order: the masked word is predictable from its neighbours."""
    rng = random.Random(seed)
    words = FILLER + POSITIVE + NEGATIVE
    with open(path, "w", encoding="utf-8") as handle:
        for _ in range(documents):
            start = rng.randrange(len(words))
            handle.write(" ".join(words[(start + k) % len(words)] for k in range(rng.randint(6, 16))) + ".\n")
    return path


@pytest.mark.parametrize("nsp", [False, True])
def test_pretraining_from_a_preset_lowers_the_masked_lm_loss(tmp_path, nsp):
    from bertstudio.training import RunConfig

    corpus = write_corpus(tmp_path / "corpus.txt")
    config = RunConfig(
        task="pretraining",
        preset="tiny",
        vocab_size=120,
        corpus_paths=[str(corpus)],
        nsp=nsp,
        output_dir=str(tmp_path / "run"),
        max_length=32,
        batch_size=16,
        epochs=4,
        learning_rate=2e-3,
        warmup_ratio=0.05,
        eval_every_steps=10,
        eval_each_epoch=False,
        test_fraction=0.0,
        log_every_steps=0,
    )
    result = run_training(config)
    assert result.status == "completed", result.error
    evals = [r["metrics"] for r in eval_records(tmp_path / "run")]
    assert {"mlm_loss", "mlm_accuracy", "perplexity"} <= set(evals[0])
    first_step_loss = step_losses(tmp_path / "run")[1]  # about ln(vocabulary): guessing
    assert evals[-1]["mlm_loss"] < evals[0]["mlm_loss"] < first_step_loss - 0.5
    assert evals[-1]["mlm_loss"] < first_step_loss - 1.0
    assert evals[-1]["perplexity"] < evals[0]["perplexity"]
    assert ("nsp_accuracy" in evals[0]) == nsp
    for metrics in evals:  # validation loss means what the training loss means: masked-LM (+ NSP)
        nsp_loss = metrics["nsp_loss"] if nsp else 0.0
        assert metrics["loss"] == pytest.approx(metrics["mlm_loss"] + nsp_loss)
        assert 0.0 < nsp_loss < 1.5 if nsp else "nsp_loss" not in metrics
    model, tokenizer = load_pretrained(tmp_path / "run" / "model")
    assert model.task == ("pretraining" if nsp else "masked_lm")
    assert tokenizer.get_vocab_size() == model.config.vocab_size <= 120
    smaller = f"vocabulary of {tokenizer.get_vocab_size()} tokens, fewer than the 120 asked for"
    warned = [
        r for r in RunFolder(tmp_path / "run").read_events() if r["kind"] == "log" and smaller in r["message"]
    ]
    assert len(warned) == (1 if tokenizer.get_vocab_size() < 120 else 0)
    assert (tmp_path / "run" / "tokenizer" / "tokenizer.json").is_file()


def test_continued_pretraining_of_a_loaded_checkpoint(tmp_path):
    from bertstudio.training import RunConfig

    corpus = write_corpus(tmp_path / "corpus.txt", documents=120)
    config = RunConfig(
        task="continued_pretraining",
        model_path=str(tiny_model(tmp_path)),
        corpus_paths=[str(corpus)],
        output_dir=str(tmp_path / "run"),
        max_length=32,
        batch_size=16,
        max_steps=8,
        learning_rate=2e-3,
        eval_every_steps=4,
        test_fraction=0.0,
        log_every_steps=0,
    )
    events = EventLog()
    result = run_training(config, events)
    assert result.status == "completed", result.error
    assert any("masked-LM head" in e.message for e in events.kinds("log"))
    evals = [r["metrics"]["mlm_loss"] for r in eval_records(tmp_path / "run")]
    assert evals[-1] < evals[0]
    original, _ = load_pretrained(tiny_model(tmp_path / "again"))
    adapted, _ = load_pretrained(tmp_path / "run" / "model", task="base")
    assert adapted.config.vocab_size == original.config.vocab_size  # the checkpoint's own vocabulary


def test_fine_tuning_a_fine_tuned_model_on_a_different_label_set_replaces_its_head(tmp_path):
    data, model = sentiment_csv(tmp_path), tiny_model(tmp_path)
    assert run_training(run_config(model, data, tmp_path / "two", max_steps=2)).ok
    rows = [(text, {"pos": "positive", "neg": "negative"}[label]) for text, label in sentiment_rows(60)]
    rows += [("the plot of the book", "neutral")] * 30
    three = write_csv(tmp_path / "three.csv", ["text", "label"], rows)
    events = EventLog()
    result = run_training(
        run_config(tmp_path / "two" / "model", three, tmp_path / "three", max_steps=2), events
    )
    assert result.ok, result.error
    assert any(e.message == "New head initialised: classifier" for e in events.kinds("log"))
    trained, _ = load_pretrained(tmp_path / "three" / "model")
    assert trained.config.id2label == {0: "negative", 1: "neutral", 2: "positive"}
    two, _ = load_pretrained(tmp_path / "two" / "model")
    # the encoder started from the two-label model: embeddings moved only by two small steps
    difference = trained.bert.embeddings.word_embeddings.weight - two.bert.embeddings.word_embeddings.weight
    assert difference.abs().max() < 0.02  # two AdamW steps of 3e-3; a fresh init would differ by ~0.1
