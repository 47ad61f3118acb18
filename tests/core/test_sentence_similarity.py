"""Contrastive fine-tuning (sentence_similarity): the losses against sentence-transformers', retrieval
and correlation metrics, and a trained run's model/ folder loading in sentence-transformers."""

from __future__ import annotations

import csv
import random
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from bertstudio.cli import main
from bertstudio.data import ColumnMapping, read_table, suggest_task
from bertstudio.embeddings import SentenceLayout, load_encoder, write_layout
from bertstudio.errors import DataImportError
from bertstudio.model import load_pretrained, save_pretrained
from bertstudio.model.family import all_families
from bertstudio.text import encode
from bertstudio.training import RunFolder
from bertstudio.training.similarity_metrics import positive_ranks, similarity_metrics
from tests.conftest import TINY_WORDS
from tests.core.family_references import TEXTS, save_reference
from tests.core.training_fixtures import write_csv

ANCHORS = ["the movie was good", "john works for google", "paris is a city", "red blue green"]
POSITIVES = ["a good film", "john is at google", "london is a city too", "green and blue"]
NEGATIVES = ["a bad film", "mary is at apple", "new york is a city", "one two three"]


def sentence_transformer(folder: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(folder), device="cpu")


@pytest.fixture
def tiny_sentence_folder(tiny_model_dir, tmp_path) -> Path:
    folder = Path(shutil.copytree(tiny_model_dir, tmp_path / "st"))
    layout = SentenceLayout(
        pooling=("mean",), normalize=False, max_seq_length=64, lowercase=False, declared=True
    )
    write_layout(folder, layout, dimension=32)
    return folder


def our_batch(tokenizer, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    encodings = encode(tokenizer, texts)
    width = max(len(e.ids) for e in encodings)
    ids = torch.zeros(len(texts), width, dtype=torch.long)
    mask = torch.zeros(len(texts), width, dtype=torch.long)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = torch.tensor(encoding.ids)
        mask[row, : len(encoding.ids)] = 1
    return ids, mask


@pytest.mark.parametrize(
    ("scored", "negatives"), [(False, False), (False, True), (True, False)], ids=["ranking", "hard", "cosine"]
)
def test_loss_equals_sentence_transformers_on_the_same_batch(tiny_sentence_folder, scored, negatives):
    from sentence_transformers.sentence_transformer.losses import (
        CosineSimilarityLoss,
        MultipleNegativesRankingLoss,
    )

    reference = sentence_transformer(tiny_sentence_folder).eval()
    scores = torch.tensor([0.9, 0.2, 0.6, 0.4])
    features = [
        reference.tokenize(texts) for texts in (ANCHORS, POSITIVES, NEGATIVES)[: 3 if negatives else 2]
    ]
    if scored:
        expected = CosineSimilarityLoss(reference)(features, scores)
    else:
        expected = MultipleNegativesRankingLoss(reference, scale=20.0)(features, torch.zeros(4))

    model, tokenizer = load_pretrained(tiny_sentence_folder, task="sentence_embedding")
    ids, mask = our_batch(tokenizer, ANCHORS)
    pair_ids, pair_mask = our_batch(tokenizer, POSITIVES)
    labels = scores if scored else torch.full((4,), float("nan"))
    extra = {}
    if negatives:
        extra["negative_input_ids"], extra["negative_attention_mask"] = our_batch(tokenizer, NEGATIVES)
    with torch.no_grad():
        out = model(
            ids,
            attention_mask=mask,
            labels=labels,
            pair_input_ids=pair_ids,
            pair_attention_mask=pair_mask,
            **extra,
        )
    assert out.logits.shape == (4, 2, 32)
    assert float(out.loss) == pytest.approx(float(expected.detach()), abs=1e-5)


def test_retrieval_metrics_rank_each_anchor_s_own_positive():
    anchors = np.eye(3, dtype=np.float32)
    # anchor 0 ties its positive with another (a tie counts for it); anchor 1's ranks second, 2's third
    positives = np.array([[0.6, 0, 0.8], [0, 0.6, 0.8], [0.6, 0.8, 0]], dtype=np.float32)
    assert positive_ranks(anchors, positives).tolist() == [1, 2, 3]
    metrics = similarity_metrics(np.stack([anchors, positives], axis=1), np.full(3, np.nan))
    assert metrics["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    assert metrics["recall_at_1"] == pytest.approx(1 / 3) and metrics["recall_at_10"] == 1.0
    assert metrics["spearman"] is None
    gold = np.array([0.9, 0.3, 0.1])
    scored = similarity_metrics(np.stack([anchors, positives], axis=1), gold)
    cosines = [0.6, 0.6, 0.0]  # of each anchor with its own positive
    assert scored["spearman"] == pytest.approx(stats.spearmanr(cosines, gold).statistic)
    assert scored["pearson"] == pytest.approx(stats.pearsonr(cosines, gold).statistic)
    assert scored["mrr"] is None


def pair_rows(count: int, seed: int = 0) -> list[tuple[str, str, float]]:
    """(anchor, positive, score): the positive shares two of the anchor's three key words."""
    rng = random.Random(seed)
    content = [w for w in TINY_WORDS if len(w) > 3]
    filler = "the a is was of to in on with".split()
    rows = []
    for _ in range(count):
        keys = rng.sample(content, 3)
        anchor, positive = keys + rng.sample(filler, 2), keys[:2] + rng.sample(filler, 3)
        rng.shuffle(anchor)
        rng.shuffle(positive)
        rows.append((" ".join(anchor), " ".join(positive), round(rng.uniform(0, 5), 2)))
    return rows


def test_pairs_train_for_retrieval_and_the_model_loads_in_sentence_transformers(
    tiny_sentence_folder, tmp_path, capsys
):
    data = write_csv(tmp_path / "pairs.csv", ["anchor", "positive", "score"], pair_rows(200))
    run = tmp_path / "run"
    argv = [
        "train",
        "--task",
        "sentence_similarity",
        "--model",
        str(tiny_sentence_folder),
        "--data",
        str(data),
    ]
    argv += ["--text", "anchor", "--text-pair", "positive", "--out", str(run), "--epochs", "3"]
    argv += ["--batch-size", "16", "--lr", "1e-3", "--max-length", "24", "--plain"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "mrr" in out and "recall_at_1" in out and "finished: completed" in out
    model_dir = run / "model"
    assert {"modules.json", "sentence_bert_config.json", "1_Pooling"} <= {p.name for p in model_dir.iterdir()}

    with open(run / "eval" / "test_predictions.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    anchors, positives = [r["text"] for r in rows], [r["text_pair"] for r in rows]
    assert {"cosine", "label"} <= set(rows[0]) and rows[0]["label"] == ""

    def mrr(folder: Path) -> float:
        encoder = load_encoder(folder, backend="torch")
        return float(np.mean(1.0 / positive_ranks(encoder.encode(anchors), encoder.encode(positives))))

    assert mrr(model_dir) > mrr(tiny_sentence_folder) + 0.05
    result = RunFolder(run).read_info()["result"]
    assert result["test_metrics"]["mrr"] == pytest.approx(mrr(model_dir), abs=1e-6)
    ours = load_encoder(model_dir, backend="torch").encode(ANCHORS)
    np.testing.assert_allclose(sentence_transformer(model_dir).encode(ANCHORS), ours, atol=1e-5)
    exported = tmp_path / "exported"
    assert main(["export", "--model", str(run), "--format", "hf", "--out", str(exported)]) == 0
    assert "1_Pooling/config.json" in capsys.readouterr().out
    np.testing.assert_allclose(sentence_transformer(exported).encode(ANCHORS), ours, atol=1e-5)


def test_scored_pairs_train_with_the_cosine_loss_and_warn_about_scores_a_cosine_cannot_reach(
    tiny_model_dir, tmp_path, capsys
):
    data = write_csv(tmp_path / "sts.csv", ["anchor", "positive", "score"], pair_rows(60))
    run = tmp_path / "run"
    argv = ["train", "--task", "sentence_similarity", "--model", str(tiny_model_dir), "--data", str(data)]
    argv += ["--text", "anchor", "--text-pair", "positive", "--label", "score", "--out", str(run)]
    argv += ["--max-steps", "2", "--batch-size", "16", "--max-length", "24", "--plain"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "run from 0" in out and "cannot reach them" in out and "spearman" in out
    config = RunFolder(run).read_config()
    assert config.best_metric == "spearman" and config.text_pair_column == "positive"
    # a folder without a pooling declaration trained with mean pooling, and now declares it
    assert load_encoder(run / "model", backend="torch").layout.declared


@pytest.mark.parametrize("family", [family.name for family in all_families()])
def test_every_family_saves_a_sentence_encoder_that_sentence_transformers_loads(tmp_path, family):
    spec = next(f for f in all_families() if f.name == family)
    save_reference(tmp_path / "reference", family, spec.architectures["base"])
    model, tokenizer = load_pretrained(tmp_path / "reference", task="sentence_embedding")
    assert model.load_report.newly_initialized == [] and not model.layout.declared
    saved = save_pretrained(model, tokenizer, tmp_path / "saved")
    ours = load_encoder(saved, backend="torch").encode(TEXTS)
    np.testing.assert_allclose(sentence_transformer(saved).encode(TEXTS), ours, atol=1e-5)


def test_hard_negatives_train_from_their_own_column(tiny_model_dir, tmp_path, capsys):
    rows = [(a, p, n) for (a, p, _), (n, _, _) in zip(pair_rows(40), pair_rows(40, seed=1), strict=True)]
    data = write_csv(tmp_path / "triples.csv", ["anchor", "positive", "negative"], rows)
    run = tmp_path / "run"
    argv = ["train", "--task", "sentence_similarity", "--model", str(tiny_model_dir), "--data", str(data)]
    argv += ["--text", "anchor", "--text-pair", "positive", "--negative", "negative", "--out", str(run)]
    argv += ["--max-steps", "2", "--batch-size", "8", "--max-length", "24", "--plain"]
    assert main(argv) == 0
    assert "mrr" in capsys.readouterr().out
    assert RunFolder(run).read_config().negative_column == "negative"


def test_a_score_and_a_hard_negative_together_are_refused_with_both_columns_named(tmp_path):
    table = read_table(write_csv(tmp_path / "t.csv", ["a", "p", "n", "s"], [["x y", "y z", "q", 0.5]]))
    mapping = ColumnMapping(text="a", text_pair="p", negative="n", labels=["s"], task="sentence_similarity")
    with pytest.raises(DataImportError, match="'n'.*'s'"):
        mapping.check(table)


def test_anchor_positive_negative_columns_are_suggested_as_sentence_similarity(tmp_path):
    rows = [(f"q{i} paris", f"p{i} city", f"n{i} red", "train") for i in range(30)]
    table = read_table(write_csv(tmp_path / "t.csv", ["query", "positive", "negative", "split"], rows))
    mapping = suggest_task(table)
    assert (mapping.task, mapping.text, mapping.text_pair, mapping.negative) == (
        "sentence_similarity",
        "query",
        "positive",
        "negative",
    )
    assert mapping.labels == [] and mapping.split_column == "split" and "hard negatives" in mapping.reason
