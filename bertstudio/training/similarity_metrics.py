"""Scores of a sentence encoder on pairs of texts, from their vectors (numpy).

Scored pairs: how the cosine of the two vectors ranks the pairs against the gold scores (Spearman,
as the STS benchmarks report it; Pearson too). Unscored (anchor, positive) pairs: retrieval, each
anchor searching all the positives: recall@1, recall@10 and mean reciprocal rank of its own.
"""

from __future__ import annotations

import numpy as np

from bertstudio.errors import TrainingError
from bertstudio.training.metrics import pearson, spearman

RETRIEVAL_CUTOFFS = (1, 10)
ANCHORS_PER_BLOCK = 1024  # anchors scored against every positive at a time: bounds the score matrix


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def pair_cosines(pairs: np.ndarray) -> np.ndarray:
    """(N, 2, D) vectors of (text, pair) -> (N,) cosine of each pair."""
    units = unit_rows(np.asarray(pairs, dtype=np.float32))
    return np.einsum("nd,nd->n", units[:, 0], units[:, 1])


def positive_ranks(anchors: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """1-based rank of anchor i's own positive among all positives (a tie counts in its favour)."""
    anchors, positives = unit_rows(anchors), unit_rows(positives)
    ranks = np.empty(len(anchors), np.int64)
    for start in range(0, len(anchors), ANCHORS_PER_BLOCK):
        block = anchors[start : start + ANCHORS_PER_BLOCK] @ positives.T  # (b, N)
        own = block[np.arange(len(block)), np.arange(start, start + len(block))]
        ranks[start : start + len(block)] = 1 + (block > own[:, None]).sum(axis=1)
    return ranks


def similarity_metrics(predictions: np.ndarray, scores: np.ndarray) -> dict:
    """predictions (N, 2, D): each pair's two vectors; scores (N,): gold similarity, all NaN for
    (anchor, positive) pairs. Spearman / Pearson of the cosine for scored pairs, recall@k and MRR of
    retrieval for unscored ones; the others are None (a pair scored low is no positive to retrieve)."""
    predictions = np.asarray(predictions, dtype=np.float32)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if predictions.ndim != 3 or predictions.shape[1] != 2 or len(predictions) != len(scores):
        raise TrainingError(
            f"Similarity metrics need (N, 2, D) pair vectors and N scores; got {predictions.shape} and {scores.shape}."
        )
    metrics: dict = dict.fromkeys(
        ("spearman", "pearson", "mrr", *(f"recall_at_{k}" for k in RETRIEVAL_CUTOFFS))
    )
    if not len(scores):
        return metrics
    if not np.isnan(scores).all():
        cosines = pair_cosines(predictions)
        return metrics | {"spearman": spearman(cosines, scores), "pearson": pearson(cosines, scores)}
    ranks = positive_ranks(predictions[:, 0], predictions[:, 1])
    metrics["mrr"] = float(np.mean(1.0 / ranks))
    return metrics | {f"recall_at_{k}": float(np.mean(ranks <= k)) for k in RETRIEVAL_CUTOFFS}
