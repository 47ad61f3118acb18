"""SQuAD scoring by the official definition: exact match and token F1 after normalisation, best over
the gold answers, and for v2.0 the HasAns / NoAns split and the best null-score threshold.

Normalisation (as the official evaluation defines it): lower case, punctuation removed, the articles
"a", "an", "the" removed as words, whitespace collapsed. A question without gold answers has the one
gold answer "": only an empty prediction scores on it. Figures are percentages, as the official
script prints them.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not predicted or not expected:  # an empty side scores 1 only when both are empty
        return float(predicted == expected)
    shared = sum((Counter(predicted) & Counter(expected)).values())
    if not shared:
        return 0.0
    precision, recall = shared / len(predicted), shared / len(expected)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class QuestionScore:
    """One question's best exact match and F1 over its gold answers (0 or 1, and 0..1)."""

    exact: float
    f1: float
    answerable: bool


def score_question(prediction: str, golds: Sequence[str]) -> QuestionScore:
    candidates = [gold for gold in golds if normalize_answer(gold)] or [""]
    return QuestionScore(
        exact=max(exact_match(prediction, gold) for gold in candidates),
        f1=max(token_f1(prediction, gold) for gold in candidates),
        answerable=bool([gold for gold in golds if normalize_answer(gold)]),
    )


def squad_scores(
    predictions: Mapping[str, str],
    golds: Mapping[str, Sequence[str]],
    null_scores: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """exact_match, f1 (percent) and total over every question of `golds`; a question without a
    prediction counts as answered "". When some questions are unanswerable, also HasAns_* / NoAns_*;
    with `null_scores` (how much more the model believes "no answer", per id) and `predictions`
    the best non-null answers, also best_exact / best_f1 and their thresholds."""
    scores = {qid: score_question(predictions.get(qid, ""), answers) for qid, answers in golds.items()}
    result = _totals(scores.values(), "")
    answerable = [s for s in scores.values() if s.answerable]
    if len(answerable) < len(scores):
        result.update(_totals(answerable, "HasAns_"))
        result.update(_totals([s for s in scores.values() if not s.answerable], "NoAns_"))
    if null_scores is not None:
        for name in ("exact", "f1"):
            best, threshold = best_threshold(predictions, scores, null_scores, name)
            result[f"best_{name}"] = best
            result[f"best_{name}_thresh"] = threshold
    return result


def _totals(scores, prefix: str) -> dict[str, float]:
    scores = list(scores)
    count = len(scores)
    exact_name = "exact_match" if not prefix else f"{prefix}exact"
    return {
        exact_name: 100.0 * sum(s.exact for s in scores) / count if count else 0.0,
        f"{prefix}f1": 100.0 * sum(s.f1 for s in scores) / count if count else 0.0,
        f"{prefix}total": float(count),
    }


def best_threshold(
    predictions: Mapping[str, str],
    scores: Mapping[str, QuestionScore],
    null_scores: Mapping[str, float],
    name: str,
) -> tuple[float, float]:
    """The score (percent) when every question whose null score is above a threshold is answered "",
    at the best threshold, and that threshold. Starting from all-empty answers (only the unanswerable
    questions score), questions are answered in order of rising null score."""
    current = best = float(sum(not s.answerable for s in scores.values()))
    threshold = 0.0
    for qid in sorted(scores, key=lambda q: null_scores.get(q, 0.0)):
        score = scores[qid]
        if score.answerable:
            current += getattr(score, name)
        elif predictions.get(qid, ""):
            current -= 1
        if current > best:
            best, threshold = current, null_scores.get(qid, 0.0)
    return 100.0 * best / len(scores) if scores else 0.0, threshold
