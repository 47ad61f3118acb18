"""A finished run's evaluation as written to its eval/ folder: metrics and per-example predictions
per split, and how wrong each prediction is (its loss). Read by the Evaluate page and the CLI."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bertstudio.errors import RunStoreError
from bertstudio.training.qa_results import read_answers

SPLITS = ("test", "validation")


@dataclass
class SplitEvaluation:
    """One split's metrics (as in `<split>_metrics.json`) and prediction rows (`<split>_predictions.csv`)."""

    metrics: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)  # question answering: qa_results.AnsweredQuestion

    @property
    def is_regression(self) -> bool:
        return "mse" in self.metrics

    def wrong_rows(self) -> list[dict[str, str]]:
        """Misclassified rows; for regression every row (each has an error), for sorting by loss."""
        return [row for row in self.rows if "predicted" in row and is_wrong(row)]


def read_evaluation(run_dir: str | Path) -> dict[str, SplitEvaluation]:
    """The splits evaluated at the end of a run, test first; {} when it has no eval/ folder yet."""
    eval_dir = Path(run_dir) / "eval"
    result: dict[str, SplitEvaluation] = {}
    for split in SPLITS:
        metrics_file = eval_dir / f"{split}_metrics.json"
        if not metrics_file.is_file():
            continue
        try:
            metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RunStoreError(
                f"The {split} metrics cannot be read ({exc}).",
                "The file was damaged outside the app; evaluate the run's model again with bertstudio evaluate.",
                path=metrics_file,
            ) from None
        rows: list[dict[str, str]] = []
        predictions = eval_dir / f"{split}_predictions.csv"
        if predictions.is_file():
            with open(predictions, encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
        answers_file = eval_dir / f"{split}_answers.jsonl"
        answers = read_answers(answers_file) if answers_file.is_file() else []
        result[split] = SplitEvaluation(metrics=metrics, rows=rows, answers=answers)
    return result


def runs_with_evaluation(runs_dir: str | Path) -> list[Path]:
    """Run folders that hold evaluation results, newest first."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    found = [
        p for p in runs_dir.iterdir() if (p / "eval").is_dir() and any((p / "eval").glob("*_metrics.json"))
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def example_loss(row: dict[str, str]) -> float | None:
    """How wrong one prediction row is: cross-entropy -log p(true) for single-label rows, binary
    cross-entropy over the labels for multi-label rows ("a|b"), squared error for regression;
    None when the row holds no scores and no numbers."""
    label = row.get("label", "")
    scores = {
        key[2:]: float(value)
        for key, value in row.items()
        if key.startswith("p_") and value not in ("", None)
    }
    if label in scores:
        return -math.log(max(scores[label], 1e-12))
    if scores:
        wanted = set(label.split("|")) if label else set()
        return -sum(math.log(max(p if name in wanted else 1 - p, 1e-12)) for name, p in scores.items())
    try:
        return (float(row.get("predicted", "")) - float(label)) ** 2
    except ValueError:
        return None


def is_wrong(row: dict[str, str]) -> bool:
    """Misclassified (labels differ); for regression, every row counts (largest error first)."""
    try:
        float(row.get("predicted", "")), float(row.get("label", ""))
    except ValueError:
        return row.get("label") != row.get("predicted")
    return True


def by_loss(rows: list[dict[str, str]]) -> list[tuple[float | None, dict[str, str]]]:
    """(loss, row) pairs, the most wrong first; rows without a loss last."""
    scored = [(example_loss(row), row) for row in rows]
    scored.sort(key=lambda pair: -(pair[0] if pair[0] is not None else 0.0))
    return scored
