"""From start / end logits of every window to one answer per question (transformers' example way).

Per window, the `n_best` highest start and end positions are paired; a pair is a candidate when both
lie in the context, the end is not before the start and the span is at most `max_answer_length`
tokens. Candidates of all a question's windows compete by start + end logit. The null answer scores
the [CLS] start + end logit (its lowest over the windows); for SQuAD v2.0-style data the answer is ""
when the null score beats the best span by more than `null_threshold`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bertstudio.data.qa_windows import CLS_POSITION, NOT_CONTEXT, QAWindows
from bertstudio.data.squad import QAExample

N_BEST = 20
MAX_ANSWER_LENGTH = 30


@dataclass(frozen=True)
class AnswerSettings:
    """How answers are picked; `null_threshold` None never answers "" (every question has an answer,
    SQuAD v1.1), a number allows "" when the null score beats the best span by more than it."""

    n_best: int = N_BEST
    max_answer_length: int = MAX_ANSWER_LENGTH
    null_threshold: float | None = 0.0


@dataclass(frozen=True)
class Candidate:
    text: str
    score: float  # start + end logit
    probability: float  # softmax over the question's n-best scores
    char_start: int  # span in the context; -1 for the null answer
    char_end: int


@dataclass
class QAAnswer:
    """The answer to one question: `text` ("" for no answer), its span in the context, the n-best list
    and how much more the model believes there is no answer (`null_score_diff`, null - best span)."""

    id: str
    text: str
    char_start: int
    char_end: int
    null_score_diff: float
    candidates: list[Candidate] = field(default_factory=list)


def window_candidates(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    char_starts: np.ndarray,
    char_ends: np.ndarray,
    n_best: int = N_BEST,
    max_answer_length: int = MAX_ANSWER_LENGTH,
) -> list[tuple[float, int, int]]:
    """(score, first char, end char) of the valid spans among one window's n-best starts and ends."""
    found = []
    starts = np.argsort(start_logits)[::-1][:n_best]
    ends = np.argsort(end_logits)[::-1][:n_best]
    for start in starts:
        if char_starts[start] == NOT_CONTEXT:
            continue
        for end in ends:
            if char_starts[end] == NOT_CONTEXT or end < start or end - start + 1 > max_answer_length:
                continue
            found.append(
                (float(start_logits[start] + end_logits[end]), int(char_starts[start]), int(char_ends[end]))
            )
    return found


def answers_from_logits(
    examples: Sequence[QAExample],
    windows: QAWindows,
    logits: Sequence[np.ndarray],
    settings: AnswerSettings = AnswerSettings(),
) -> list[QAAnswer]:
    """One QAAnswer per example; `logits[i]` is window i's (2, length) start / end logits."""
    n_best, max_answer_length = settings.n_best, settings.max_answer_length
    per_example: list[list[int]] = [[] for _ in examples]
    for window, owner in enumerate(windows.example_of):
        per_example[owner].append(window)
    answers = []
    for example, window_ids in zip(examples, per_example, strict=True):
        spans: list[tuple[float, int, int]] = []
        null_score = np.inf
        for window in window_ids:
            start_logits, end_logits = logits[window][0], logits[window][1]
            char_starts, char_ends = windows.spans(window)
            null_score = min(null_score, float(start_logits[CLS_POSITION] + end_logits[CLS_POSITION]))
            spans += window_candidates(
                start_logits, end_logits, char_starts, char_ends, n_best, max_answer_length
            )
        answers.append(_answer(example, spans, null_score, n_best, settings.null_threshold))
    return answers


def _answer(example, spans, null_score: float, n_best: int, null_threshold: float | None) -> QAAnswer:
    spans.sort(key=lambda span: -span[0])
    best = [(score, start, end) for score, start, end in spans[:n_best]]
    scored = best + ([(null_score, -1, -1)] if null_threshold is not None else [])
    scores = np.asarray([score for score, _, _ in scored], dtype=np.float64)
    probabilities = (
        np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum() if len(scores) else scores
    )
    candidates = [
        Candidate(
            text=example.context[start:end] if start >= 0 else "",
            score=score,
            probability=float(probability),
            char_start=start,
            char_end=end,
        )
        for (score, start, end), probability in zip(scored, probabilities, strict=True)
    ]
    candidates.sort(key=lambda candidate: -candidate.score)
    top_span = best[0] if best else None
    diff = null_score - top_span[0] if top_span else np.inf
    if top_span is None or (null_threshold is not None and diff > null_threshold):
        return QAAnswer(example.id, "", -1, -1, float(diff), candidates)
    _, start, end = top_span
    return QAAnswer(example.id, example.context[start:end], start, end, float(diff), candidates)
