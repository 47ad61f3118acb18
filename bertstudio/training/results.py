"""What a run hands back (RunResult) and the files of eval/: metrics and per-example predictions."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bertstudio.atomic import atomic_write, atomic_write_text
from bertstudio.errors import BertStudioError
from bertstudio.tasks import get_task
from bertstudio.tasks.spec import MULTI_LABEL, REGRESSION, SIMILARITY
from bertstudio.training.similarity_metrics import pair_cosines


@dataclass
class RunResult:
    status: str  # "completed", "early_stopped", "cancelled", "failed"
    run_dir: str
    model_dir: str  # the saved model ("" unless the run finished)
    step: int
    best_step: int | None = None
    best_metric: float | None = None
    test_metrics: dict[str, Any] = field(default_factory=dict)
    error: BertStudioError | None = None  # set when status is "failed"

    @property
    def ok(self) -> bool:
        return self.status in ("completed", "early_stopped")


def write_eval_files(
    eval_dir: Path, split: str, result, dataset, label_names: list[str] | None, task: str
) -> None:
    """eval/<split>_metrics.json, and <split>_predictions.csv (.jsonl for token tagging) when the
    examples are table rows (`dataset` a LabeledDataset; None for a pretraining corpus)."""
    atomic_write_text(
        eval_dir / f"{split}_metrics.json", json.dumps(result.metrics, indent=2, allow_nan=True)
    )
    if dataset is None or not result.outputs:
        return
    names = label_names or []
    if get_task(task).answers_questions:
        from bertstudio.training.qa_results import write_answers

        write_answers(eval_dir, split, dataset.examples, result.outputs, "best_f1_thresh" in result.metrics)
    elif get_task(task).per_token:
        write_token_predictions(
            eval_dir / f"{split}_predictions.jsonl", dataset, result.outputs, result.labels, names
        )
    else:
        rows = prediction_rows(task, result.outputs, names)
        header = (
            ["line", "text"]
            + (["text_pair"] if dataset.pairs is not None else [])
            + ["label"]
            + list(rows[0])
        )
        table = []
        for index, predicted in enumerate(rows):
            row = [dataset.line_numbers[index], dataset.texts[index]]
            if dataset.pairs is not None:
                row.append(dataset.pairs[index])
            row.append(label_text(task, dataset.labels[index], names))
            table.append(row + list(predicted.values()))
        write_csv(eval_dir / f"{split}_predictions.csv", header, table)


def prediction_rows(task: str, outputs: list[np.ndarray], label_names: list[str]) -> list[dict[str, Any]]:
    """Per example: the predicted label(s) and the score of every label, as CSV cells."""
    rows = []
    problem = get_task(task).problem_type
    for output in outputs:
        if problem == REGRESSION:
            rows.append({"predicted": float(output)})
        elif problem == SIMILARITY:
            rows.append({"cosine": round(float(pair_cosines(output[None])[0]), 6)})
        elif problem == MULTI_LABEL:
            chosen = [name for name, p in zip(label_names, output, strict=True) if p >= 0.5]
            rows.append(
                {
                    "predicted": "|".join(chosen),
                    **{f"p_{n}": round(float(p), 6) for n, p in zip(label_names, output, strict=True)},
                }
            )
        else:
            best = int(np.argmax(output))
            rows.append(
                {
                    "predicted": label_names[best] if label_names else best,
                    **{f"p_{n}": round(float(p), 6) for n, p in zip(label_names, output, strict=True)},
                }
            )
    return rows


def label_text(task: str, label: Any, label_names: list[str]) -> Any:
    problem = get_task(task).problem_type
    if problem == SIMILARITY:  # a score, or "" for a pair without one
        score = float(np.asarray(label).reshape(-1)[0])
        return "" if np.isnan(score) else score
    if problem == REGRESSION:
        return float(np.asarray(label).reshape(-1)[0])
    if problem == MULTI_LABEL:
        return "|".join(n for n, v in zip(label_names, label, strict=True) if v >= 0.5)
    return label_names[int(label)] if label_names else int(label)


def write_token_predictions(path: Path, dataset, outputs, labels, label_names: list[str]) -> None:
    lines = []
    for index, (predicted, gold) in enumerate(zip(outputs, labels, strict=True)):
        words = dataset.words[index] if getattr(dataset, "words", None) is not None else []
        lines.append(
            json.dumps(
                {
                    "line": int(dataset.line_numbers[index]),
                    "words": list(words)[: len(predicted)],
                    "labels": [label_names[int(i)] for i in gold],
                    "predicted": [label_names[int(i)] for i in predicted],
                },
                ensure_ascii=False,
            )
        )
    atomic_write_text(path, "\n".join(lines) + "\n")


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    def write(temp: str) -> None:
        with open(temp, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    atomic_write(path, write)
