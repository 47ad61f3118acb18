"""Everything downstream of loading, for every registered family: the CLI fine-tunes each task of the
family a few steps, continued masked-LM pretraining, fill-mask with the family's own mask token, attention
maps, rollout, attributions, head masking, probes across training and batch prediction."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bertstudio.cli import main
from bertstudio.inspect import (
    attention,
    attention_rollout,
    attribute,
    fill_mask,
    head_effects,
    list_probe_steps,
    load_probe_step,
)
from bertstudio.model import load_pretrained
from bertstudio.model.family import all_families
from bertstudio.text import special_token
from bertstudio.training import run_training
from bertstudio.training.inference import predict_file
from tests.core.family_references import save_reference
from tests.core.test_training_tasks import write_corpus
from tests.core.training_fixtures import run_config, sentiment_rows, write_csv

pytest.importorskip("transformers")

FAMILIES = {family.name: family for family in all_families()}


@pytest.fixture(scope="module")
def masked_lm_folders(tmp_path_factory):
    """family -> a random masked-LM checkpoint of that family saved by transformers (built once)."""
    folders = {}

    def folder_of(name: str):
        if name not in folders:
            folder = tmp_path_factory.mktemp(name)
            save_reference(folder, name, FAMILIES[name].architectures["masked_lm"])
            folders[name] = folder
        return folders[name]

    return folder_of


def task_data(tmp_path, task):
    """(data file, CLI flags) for one task."""
    if task == "pair_classification":
        rng = random.Random(0)
        rows = [
            (f"the {w} movie", f"a {rng.choice(['good', 'bad'])} film", rng.choice(["same", "other"]))
            for w in ["good", "bad"] * 16
        ]
        data = write_csv(tmp_path / "pairs.csv", ["premise", "hypothesis", "label"], rows)
        return data, ["--text", "premise", "--text-pair", "hypothesis", "--label", "label"]
    if task == "multi_label":
        rows = [
            (text, "|".join([label] + (["film"] if "film" in text else [])))
            for text, label in sentiment_rows(32)
        ]
        return write_csv(tmp_path / "multi.csv", ["text", "labels"], rows), [
            "--text",
            "text",
            "--label",
            "labels",
            "--label-delimiter",
            "|",
        ]
    if task == "regression":
        rows = [(text, 4.5 if label == "pos" else 1.0) for text, label in sentiment_rows(32)]
        return write_csv(tmp_path / "scores.csv", ["text", "score"], rows), [
            "--text",
            "text",
            "--label",
            "score",
        ]
    if task == "token_classification":
        rows = [("john lives in paris", "B-PER O O B-LOC"), ("new york is big", "B-LOC I-LOC O O")] * 16
        return write_csv(tmp_path / "ner.csv", ["tokens", "tags"], rows), [
            "--text",
            "tokens",
            "--label",
            "tags",
        ]
    return write_csv(tmp_path / "sentiment.csv", ["text", "label"], sentiment_rows(32)), [
        "--text",
        "text",
        "--label",
        "label",
    ]


CLI_TASKS = ["classification", "pair_classification", "multi_label", "regression", "token_classification"]
MODEL_TASK = {"pair_classification": "classification"}


@pytest.mark.parametrize("task", CLI_TASKS)
@pytest.mark.parametrize("family", list(FAMILIES))
def test_cli_fine_tunes_every_task(tmp_path, masked_lm_folders, family, task):
    data, flags = task_data(tmp_path, task)
    run = tmp_path / "run"
    code = main(
        ["train", "--model", str(masked_lm_folders(family)), "--data", str(data), "--task", task, *flags]
        + ["--out", str(run), "--max-steps", "3", "--batch-size", "8", "--max-length", "24", "--plain"]
    )
    assert code == 0
    model, tokenizer = load_pretrained(run / "model")
    assert model.family.name == family and model.task == MODEL_TASK.get(task, task)
    assert special_token(tokenizer, "cls") in tokenizer.get_vocab()


@pytest.mark.parametrize("family", list(FAMILIES))
def test_continued_pretraining_and_fill_mask(tmp_path, masked_lm_folders, family):
    corpus = write_corpus(tmp_path / "corpus.txt", documents=40)
    run = tmp_path / "run"
    code = main(
        ["pretrain", "--model", str(masked_lm_folders(family)), "--corpus", str(corpus), "--out", str(run)]
        + ["--max-steps", "3", "--batch-size", "8", "--max-length", "24", "--plain"]
    )
    assert code == 0
    model, tokenizer = load_pretrained(run / "model")
    assert model.family.name == family and model.task == "masked_lm"
    mask = special_token(tokenizer, "mask")
    predictions = fill_mask(model, tokenizer, f"the good {mask} was fun")
    assert len(predictions) == 1 and len(predictions[0].candidates) == 5
    assert sum(p for _, p in predictions[0].candidates) <= 1.0 + 1e-6


@pytest.mark.parametrize("family", list(FAMILIES))
def test_inspection_of_a_fine_tuned_model(tmp_path, masked_lm_folders, family):
    data = write_csv(tmp_path / "sentiment.csv", ["text", "label"], sentiment_rows(32))
    config = run_config(
        masked_lm_folders(family), data, tmp_path / "run", max_steps=4, eval_every_steps=2, test_fraction=0.0
    )
    config.probe_sentences = ["a good film", "a bad movie"]
    result = run_training(config)
    assert result.status == "completed", result.error
    model, tokenizer = load_pretrained(tmp_path / "run" / "model")
    layers, heads = model.config.num_hidden_layers, model.config.num_attention_heads

    maps = attention(model, tokenizer, "a good film", "a bad movie")
    assert maps.maps.shape[:2] == (layers, heads)
    assert np.allclose(maps.maps.sum(-1), 1.0, atol=1e-5)  # probabilities, never a silent None
    head_mask = np.ones((layers, heads), dtype=np.float32)
    head_mask[0, 0] = 0
    masked = attention(model, tokenizer, "a good film", head_mask=head_mask)
    assert np.allclose(masked.maps[0, 0], 0.0)
    rollout = attention_rollout(model, tokenizer, "a good film")
    assert rollout.maps.shape[0] == layers
    assert (rollout.maps >= 0).all() and np.allclose(rollout.maps.sum(-1), 1.0, atol=1e-5)
    attributions = attribute(model, tokenizer, "a good film", baseline="mask", steps=16)
    assert len(attributions) == model.config.num_labels
    for explained in attributions:  # integrated gradients accounts for the whole change of each output
        assert len(explained.scores) == len(explained.tokens) and np.isfinite(explained.scores).all()
        assert explained.completeness_error < 1e-3 + 1e-2 * abs(explained.output - explained.baseline_output)
    effects = head_effects(model, tokenizer, ["a good film", "a bad movie"])
    assert effects.shape == (layers, heads) and np.isfinite(effects).all()

    steps = list_probe_steps(tmp_path / "run")
    assert [s.step for s in steps] == [2, 4]
    snapshot = load_probe_step(tmp_path / "run", 4)
    assert snapshot.maps[0].shape[:2] == (layers, heads) and snapshot.tokens[0][0] == special_token(
        tokenizer, "cls"
    )

    unseen = write_csv(tmp_path / "unseen.csv", ["text"], [("a good film",), ("a bad movie",)])
    predict_file(tmp_path / "run" / "model", unseen, "text", tmp_path / "predictions.csv")
    assert len((tmp_path / "predictions.csv").read_text().splitlines()) == 3
