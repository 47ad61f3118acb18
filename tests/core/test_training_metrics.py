"""Metrics: hand-worked cases, and agreement with scikit-learn / scipy on random data."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bertstudio.errors import TrainingError
from bertstudio.training.metrics import (
    average_ranks,
    bio_entities,
    compute_metrics,
    entity_scores,
    masked_lm_metrics_from_totals,
)


def random_classification(seed: int, n: int = 200, classes: int = 4):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    logits = rng.normal(size=(n, classes))
    logits[np.arange(n), labels] += rng.normal(1.0, 1.0, n)  # better than chance, not perfect
    return logits, labels


# ---------------------------------------------------------------- classification


def test_classification_hand_worked():
    # true:      a a a b b c ; predicted: a a b b c c
    labels = [0, 0, 0, 1, 1, 2]
    predicted = [0, 0, 1, 1, 2, 2]
    result = compute_metrics("classification", predicted, labels, ["a", "b", "c"])
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["confusion_matrix"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    # a: P 2/2 R 2/3 F 0.8 ; b: P 1/2 R 1/2 F 0.5 ; c: P 1/2 R 1/1 F 2/3
    assert result["per_class"]["a"] == {
        "precision": 1.0,
        "recall": pytest.approx(2 / 3),
        "f1": 0.8,
        "support": 3,
    }
    assert result["per_class"]["b"]["f1"] == pytest.approx(0.5)
    assert result["per_class"]["c"]["f1"] == pytest.approx(2 / 3)
    assert result["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert result["labels"] == ["a", "b", "c"]


def test_classification_from_logits_takes_argmax_and_counts_absent_classes():
    logits = np.array([[0.1, 2.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.5, 0.1]])
    result = compute_metrics("pair_classification", logits, [1, 0, 0], ["x", "y", "never"])
    assert result["accuracy"] == pytest.approx(2 / 3)
    # a class never seen nor predicted still appears, with zero scores, but stays out of the macro
    # averages (its scores are undefined), as in scikit-learn
    assert result["per_class"]["never"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert result["macro_f1"] == pytest.approx((2 / 3 + 2 / 3) / 2)
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    assert result["macro_f1"] == pytest.approx(
        sklearn_metrics.f1_score([1, 0, 0], [1, 0, 1], average="macro")
    )
    wrongly_predicted = np.array([[0.0, 0.0, 5.0], [3.0, 0.0, 0.0], [0.0, 2.0, 0.0]])  # "never" once
    predicted_only = compute_metrics("classification", wrongly_predicted, [1, 0, 1], ["x", "y", "never"])
    assert predicted_only["macro_precision"] == pytest.approx(2 / 3)  # a class predicted but absent counts
    assert predicted_only["macro_precision"] == pytest.approx(
        sklearn_metrics.precision_score([1, 0, 1], [2, 0, 1], average="macro")
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classification_matches_sklearn(seed):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    logits, labels = random_classification(seed)
    predicted = logits.argmax(axis=1)
    result = compute_metrics("classification", logits, labels)
    assert result["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(labels, predicted))
    assert result["macro_f1"] == pytest.approx(sklearn_metrics.f1_score(labels, predicted, average="macro"))
    assert result["confusion_matrix"] == sklearn_metrics.confusion_matrix(labels, predicted).tolist()
    precision, recall, f1, support = sklearn_metrics.precision_recall_fscore_support(labels, predicted)
    for index, scores in enumerate(result["per_class"].values()):
        assert scores["precision"] == pytest.approx(precision[index])
        assert scores["recall"] == pytest.approx(recall[index])
        assert scores["f1"] == pytest.approx(f1[index])
        assert scores["support"] == support[index]


def test_classification_rejects_label_outside_names_and_bad_shapes():
    with pytest.raises(TrainingError, match="id 3 is outside the 2 label names"):
        compute_metrics("classification", [0, 1], [0, 3], ["a", "b"])
    with pytest.raises(TrainingError, match="shape"):
        compute_metrics("classification", np.zeros((3, 2, 2)), [0, 1, 0])
    with pytest.raises(TrainingError, match="integer class ids"):
        compute_metrics("classification", [0, 1], [0.5, 1.0])
    with pytest.raises(TrainingError, match="Unknown task"):
        compute_metrics("sentiment", [0], [0])


# ---------------------------------------------------------------- multi-label


def test_multi_label_hand_worked():
    probabilities = [[0.9, 0.2, 0.6], [0.4, 0.7, 0.1], [0.5, 0.1, 0.0]]
    targets = [[1, 0, 1], [1, 1, 0], [0, 0, 0]]
    result = compute_metrics("multi_label", probabilities, targets, ["sport", "politics", "art"])
    # predicted (>= 0.5): [1,0,1] [0,1,0] [1,0,0] -> tp 3, predicted 4, actual 4
    assert result["micro_precision"] == pytest.approx(3 / 4)
    assert result["micro_f1"] == pytest.approx(3 / 4)
    # sport: tp 1 pred 2 act 2 -> F 0.5 ; politics: F 1 ; art: F 1
    assert result["per_label"]["sport"]["f1"] == pytest.approx(0.5)
    assert result["macro_f1"] == pytest.approx(2.5 / 3)
    assert result["exact_match"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("seed", [0, 1])
def test_multi_label_matches_sklearn(seed):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, (150, 5))
    probabilities = np.clip(targets * 0.3 + rng.uniform(0, 0.7, targets.shape), 0, 1)
    probabilities[:, 4] = 0.0  # a label never predicted: zero precision, as scikit-learn counts it
    predicted = probabilities >= 0.5
    result = compute_metrics("multi_label", probabilities, targets)
    for average in ("micro", "macro"):
        with np.errstate(all="ignore"):
            expected = sklearn_metrics.f1_score(targets, predicted, average=average, zero_division=0)
        assert result[f"{average}_f1"] == pytest.approx(expected)
    per_label_f1 = sklearn_metrics.f1_score(targets, predicted, average=None, zero_division=0)
    assert [scores["f1"] for scores in result["per_label"].values()] == pytest.approx(per_label_f1)
    assert result["exact_match"] == pytest.approx(sklearn_metrics.accuracy_score(targets, predicted))


def test_multi_label_refuses_logits_and_mismatched_shapes():
    with pytest.raises(TrainingError, match="not logits"):
        compute_metrics("multi_label", [[2.5, -1.0]], [[1, 0]])
    with pytest.raises(TrainingError, match="same shape"):
        compute_metrics("multi_label", [[0.5, 0.5]], [[1, 0, 1]])


# ---------------------------------------------------------------- regression


def test_regression_hand_worked_and_ties():
    result = compute_metrics("regression", [[1.0], [2.0], [2.0], [5.0]], [1.0, 3.0, 2.0, 4.0])
    assert result["mse"] == pytest.approx((0 + 1 + 0 + 1) / 4)
    assert result["mae"] == pytest.approx(0.5)
    # ranks of predictions with a tie: 1, 2.5, 2.5, 4 ; of targets: 1, 3, 2, 4
    assert average_ranks(np.array([1.0, 2.0, 2.0, 5.0])).tolist() == [1.0, 2.5, 2.5, 4.0]
    x, y = np.array([1, 2.5, 2.5, 4]), np.array([1, 3, 2, 4.0])
    expected = np.dot(x - x.mean(), y - y.mean()) / math.sqrt(
        np.dot(x - x.mean(), x - x.mean()) * np.dot(y - y.mean(), y - y.mean())
    )
    assert result["spearman"] == pytest.approx(expected)


def test_regression_constant_predictions_give_undefined_correlation_not_nan():
    result = compute_metrics("regression", [2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    assert result["pearson"] is None and result["spearman"] is None
    assert result["mse"] == pytest.approx(2 / 3)
    json.dumps(result, allow_nan=False)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_regression_matches_sklearn_and_scipy(seed):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 6, 80).astype(float)  # many ties, as in 0-5 similarity ratings
    predicted = np.round(targets + rng.normal(0, 1.5, 80), 0)
    result = compute_metrics("regression", predicted, targets)
    assert result["mse"] == pytest.approx(sklearn_metrics.mean_squared_error(targets, predicted))
    assert result["mae"] == pytest.approx(sklearn_metrics.mean_absolute_error(targets, predicted))
    assert result["pearson"] == pytest.approx(stats.pearsonr(predicted, targets)[0])
    assert result["spearman"] == pytest.approx(stats.spearmanr(predicted, targets)[0])
    assert average_ranks(predicted) == pytest.approx(stats.rankdata(predicted))


def test_regression_rejects_non_finite_values():
    with pytest.raises(TrainingError, match="NaN"):
        compute_metrics("regression", [1.0, float("nan")], [1.0, 2.0])


# ---------------------------------------------------------------- token tagging


def test_bio_entities_strict_spans():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "B-LOC", "I-PER", "B-ORG", "I-ORG"]
    # the stray I-LOC (after O) and I-PER (after a LOC) start no entity
    assert bio_entities(tags) == {("PER", 0, 2), ("LOC", 4, 5), ("LOC", 5, 6), ("ORG", 7, 9)}


def test_entity_scores_hand_worked():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    guess = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "O"]]  # PER span cut short: wrong
    scores = entity_scores(gold, guess)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["per_type"]["PER"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert scores["per_type"]["LOC"]["f1"] == 1.0


def test_token_classification_from_logits_skips_ignored_positions():
    names = ["O", "B-PER", "I-PER"]
    labels = np.array([[-100, 1, 2, 0, -100], [-100, 0, 1, -100, -100]])
    predicted_ids = np.array([[1, 1, 2, 0, 2], [2, 0, 1, 0, 0]])  # wrong only where ignored
    logits = np.eye(3)[predicted_ids] * 5.0
    result = compute_metrics("token_classification", logits, labels, names)
    assert result["f1"] == 1.0 and result["token_accuracy"] == 1.0
    assert result["per_type"]["PER"]["support"] == 2
    # ragged per-sentence lists give the same answer
    ragged = compute_metrics("token_classification", [[1, 2, 0], [0, 2]], [[1, 2, 0], [0, 1]], names)
    assert ragged["recall"] == pytest.approx(0.5) and ragged["precision"] == 1.0


def test_token_classification_needs_tag_names():
    with pytest.raises(TrainingError, match="tag names"):
        compute_metrics("token_classification", [[0]], [[0]])
    with pytest.raises(TrainingError, match="Sentence 0: label tag id 7"):
        compute_metrics("token_classification", [[0]], [[7]], ["O", "B-X"])


# ---------------------------------------------------------------- masked language modelling


def test_masked_lm_metrics_hand_worked():
    logits = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [9, 9, 9]]))
    labels = [0, 2, 2, -100]
    result = compute_metrics("masked_lm", logits, labels)
    expected_loss = -(math.log(0.5) + math.log(0.1) + math.log(0.6)) / 3
    assert result["mlm_loss"] == pytest.approx(expected_loss)
    assert result["perplexity"] == pytest.approx(math.exp(expected_loss))
    assert result["mlm_accuracy"] == pytest.approx(2 / 3)
    assert result["masked_tokens"] == 3


def test_masked_lm_streaming_totals_equal_one_pass():
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(60, 11)) * 3, rng.integers(0, 11, 60)
    whole = compute_metrics("masked_lm", logits, labels)
    parts = [compute_metrics("masked_lm", logits[i : i + 20], labels[i : i + 20]) for i in (0, 20, 40)]
    streamed = masked_lm_metrics_from_totals(
        sum(p["mlm_loss"] * p["masked_tokens"] for p in parts),
        round(sum(p["mlm_accuracy"] * p["masked_tokens"] for p in parts)),
        sum(p["masked_tokens"] for p in parts),
    )
    assert streamed == pytest.approx(whole)
    torch = pytest.importorskip("torch")
    reference = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item()
    assert whole["mlm_loss"] == pytest.approx(reference)


# ---------------------------------------------------------------- the whole dict is JSON


@pytest.mark.parametrize(
    ("task", "predictions", "labels", "names"),
    [
        ("classification", *random_classification(3), None),
        ("multi_label", [[0.2, 0.9]], [[0, 1]], ["a", "b"]),
        ("regression", [0.5, 1.5, 3.0], [1, 2, 3], None),
        ("token_classification", [[1, 2]], [[1, 2]], ["O", "B-X", "I-X"]),
        ("masked_lm", [[0.0, 1.0]], [1], None),
    ],
)
def test_every_task_returns_strict_json(task, predictions, labels, names):
    result = compute_metrics(task, predictions, labels, names)
    assert json.loads(json.dumps(result, allow_nan=False)) == result
