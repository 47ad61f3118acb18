"""Question-answering results on disk: `<split>_predictions.json` ({id: answer}, the form the official
SQuAD evaluation reads), `<split>_null_odds.json` (v2.0: {id: null score - best span score}) and
`<split>_answers.jsonl` (per question: context, gold and predicted spans, F1, n-best), which the
Evaluate page reads to show the worst questions."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bertstudio.atomic import atomic_write_text
from bertstudio.errors import RunStoreError
from bertstudio.training.squad_scoring import score_question


@dataclass(frozen=True)
class AnsweredQuestion:
    """One question as evaluated: where the gold answers and the prediction lie in the context."""

    id: str
    line: int
    question: str
    context: str
    golds: list[str]
    gold_starts: list[int]
    predicted: str
    predicted_start: int  # -1: no answer
    predicted_end: int
    exact: float
    f1: float
    candidates: list[dict[str, Any]]


def answered_questions(examples, answers) -> list[AnsweredQuestion]:
    rows = []
    for example, answer in zip(examples, answers, strict=True):
        score = score_question(answer.text, example.answers)
        rows.append(
            AnsweredQuestion(
                id=example.id,
                line=example.line,
                question=example.question,
                context=example.context,
                golds=list(example.answers),
                gold_starts=list(example.answer_starts),
                predicted=answer.text,
                predicted_start=answer.char_start,
                predicted_end=answer.char_end,
                exact=score.exact,
                f1=score.f1,
                candidates=[asdict(candidate) for candidate in answer.candidates[:5]],
            )
        )
    return rows


def write_answers(folder: Path, split: str, examples, answers, with_null: bool) -> None:
    predictions = {answer.id: answer.text for answer in answers}
    atomic_write_text(
        folder / f"{split}_predictions.json", json.dumps(predictions, indent=2, ensure_ascii=False)
    )
    if with_null:
        odds = {answer.id: answer.null_score_diff for answer in answers}
        atomic_write_text(folder / f"{split}_null_odds.json", json.dumps(odds, indent=2))
    lines = (json.dumps(asdict(row), ensure_ascii=False) for row in answered_questions(examples, answers))
    atomic_write_text(folder / f"{split}_answers.jsonl", "".join(line + "\n" for line in lines))


def read_answers(path: str | Path) -> list[AnsweredQuestion]:
    """The questions of an `_answers.jsonl` file; RunStoreError naming the line when one is damaged."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                rows.append(AnsweredQuestion(**json.loads(line)))
            except (json.JSONDecodeError, TypeError) as exc:
                raise RunStoreError(
                    f"Line {number} of the answers file cannot be read ({exc}).",
                    "Evaluate the run's model again with bertstudio evaluate.",
                    path=path,
                ) from None
    return rows


def worst_questions(rows: list[AnsweredQuestion], count: int = 50) -> list[AnsweredQuestion]:
    """The questions answered worst: lowest F1 first (a wrong "no answer" counts as F1 0)."""
    return sorted(rows, key=lambda row: (row.f1, row.exact))[:count]
