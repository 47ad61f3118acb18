"""Predict with and evaluate a saved model on a table: what `bertstudio predict` and `evaluate` run.

The table goes through the data layer (reading, column mapping, encoding, collation) as in training;
unlabelled rows get placeholder targets that are never shown to the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.errors import ConfigError
from bertstudio.tasks import get_task, task_for_head
from bertstudio.tasks.spec import MULTI_LABEL, REGRESSION, SIMILARITY
from bertstudio.text.tokenizer import max_length_of
from bertstudio.training.device import DeviceSetup, setup_device
from bertstudio.training.evaluation import EvalResult, evaluate, predict_outputs
from bertstudio.training.results import prediction_rows, write_csv


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    task: str  # the fine-tuning task (bertstudio.tasks) its head serves
    label_names: list[str]
    setup: DeviceSetup


def load_for_inference(
    model_dir: str | Path,
    pair: bool = False,
    device: str = "auto",
    precision: str = "fp32",
    checkpoint: Path | None = None,
) -> LoadedModel:
    """A fine-tuned model folder, on the chosen device; ConfigError if it has no task head.
    `checkpoint`: a checkpoint of the run that exported the folder, whose weights are applied instead."""
    from bertstudio.model import load_pretrained

    model, tokenizer = load_pretrained(model_dir)
    if checkpoint is not None:
        from bertstudio.training.checkpoint import load_checkpoint_weights

        load_checkpoint_weights(model, Path(checkpoint))
    spec = task_for_head(model.task, pair)
    if spec is None:
        raise ConfigError(
            f"The model in {model_dir} has no fine-tuned task head (it is a {model.task} model).",
            "Predict and evaluate need a fine-tuned model, e.g. the model/ folder of a training run.",
        )
    names = [model.config.id2label[i] for i in sorted(model.config.id2label)]
    setup = setup_device(device, precision)
    return LoadedModel(model.to(setup.device), tokenizer, spec.name, names, setup)


def _max_length(loaded: LoadedModel, max_length: int | None) -> int:
    """`max_length`, else the length the model was trained with (its tokenizer's truncation, read from
    model_max_length), at most its positions."""
    limit = loaded.model.config.max_length
    return min(max_length or max_length_of(loaded.tokenizer) or limit, limit)


def unlabelled_dataset(table, task: str, text_column: str, pair_column: str | None, label_names: list[str]):
    """A LabeledDataset over every row with placeholder targets (prediction needs no labels)."""
    from bertstudio.data import LabeledDataset

    texts = ["" if v is None else str(v) for v in table.column(text_column)]
    pairs = ["" if v is None else str(v) for v in table.column(pair_column)] if pair_column else None
    words = None
    problem = get_task(task).problem_type
    if get_task(task).per_token:
        words = [list(v) if isinstance(v, list) else str(v or "").split() for v in table.column(text_column)]
        texts = [" ".join(w) for w in words]
        labels: list[Any] = [[0] * len(w) for w in words]
    elif problem == MULTI_LABEL:
        labels = [[0.0] * len(label_names) for _ in texts]
    elif problem == REGRESSION:
        labels = [0.0] * len(texts)
    elif problem == SIMILARITY:
        labels = [math.nan] * len(texts)
    else:
        labels = [0] * len(texts)
    return LabeledDataset(task, texts, labels, label_names, table.line_numbers, pairs=pairs, words=words)


def predict_file(
    model_dir: str | Path,
    data_path: str | Path,
    text_column: str,
    out_path: str | Path,
    pair_column: str | None = None,
    batch_size: int = 32,
    max_length: int | None = None,
    device: str = "auto",
    read_options: ReadOptions = DETECT,
    checkpoint: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PredictionSummary:
    """Write `out_path` (CSV): every input column, the predicted label and each label's probability
    (or the predicted value for regression; space-separated tags for token tagging). A row without text
    is written with its prediction cells empty, not with a guess. `read_options`: how the file is read;
    `checkpoint`: a checkpoint of the run whose model `model_dir` is, applied instead of its weights;
    `progress(done, total)`: rows predicted so far."""
    from bertstudio.data import read_table
    from bertstudio.training.prepare import LabeledSource

    loaded = load_for_inference(model_dir, pair=bool(pair_column), device=device, checkpoint=checkpoint)
    table = read_table(data_path, read_options)
    dataset = unlabelled_dataset(table, loaded.task, text_column, pair_column, loaded.label_names)
    source = LabeledSource(dataset, loaded.tokenizer, _max_length(loaded, max_length))
    outputs, _, _ = predict_outputs(
        loaded.model, source, loaded.task, loaded.setup, batch_size, with_labels=False, progress=progress
    )
    ordered = [outputs[i] for i in range(len(dataset))]
    if get_task(loaded.task).per_token:
        extra = [{"predicted": " ".join(loaded.label_names[int(t)] for t in tags)} for tags in ordered]
    else:
        extra = prediction_rows(loaded.task, ordered, loaded.label_names)
    blank = [i for i, text in enumerate(dataset.texts) if not text.strip()]
    for i in blank:
        extra[i] = dict.fromkeys(extra[i], "")
    header = list(table.columns) + [c for c in extra[0]] if extra else list(table.columns)
    rows = [_cells(table.row(i)) + list(extra[i].values()) for i in range(len(dataset))]
    write_csv(Path(out_path), header, rows)
    return PredictionSummary(
        rows=len(rows),
        blank_lines=[int(table.line_numbers[i]) for i in blank],
        skipped_lines=[line for line, _ in table.unparsed],
    )


@dataclass
class PredictionSummary:
    rows: int  # rows written, one per input row
    blank_lines: list[int]  # file lines of the rows without text, written without a prediction
    skipped_lines: list[int] = field(default_factory=list)  # JSON lines that hold no record: no row

    def describe(self, out_path: str | Path) -> str:
        text = f"Wrote {self.rows:,} rows to {out_path}"
        if self.blank_lines:
            text += (
                f"; {len(self.blank_lines):,} had no text and no prediction (line {_some(self.blank_lines)})"
            )
        if self.skipped_lines:
            text += (
                f"; {len(self.skipped_lines):,} lines of the file are no JSON object and were left out "
                f"(line {_some(self.skipped_lines)})"
            )
        return text + "."


def _some(lines: list[int]) -> str:
    return ", ".join(map(str, lines[:10])) + (" ..." if len(lines) > 10 else "")


def _cells(values: list[Any]) -> list[Any]:
    return ["" if v is None else (" ".join(map(str, v)) if isinstance(v, list) else v) for v in values]


def evaluate_file(
    model_dir: str | Path,
    data_path: str | Path,
    text_column: str,
    label_columns: list[str],
    pair_column: str | None = None,
    label_delimiter: str | None = None,
    batch_size: int = 32,
    max_length: int | None = None,
    device: str = "auto",
    exclude_problem_rows: bool = False,
    read_options: ReadOptions = DETECT,
) -> tuple[EvalResult, Any]:
    """Metrics of a model on a labelled table (labels read in the model's own label order)."""
    from bertstudio.data import ColumnMapping, build_dataset, read_table
    from bertstudio.training.prepare import LabeledSource

    loaded = load_for_inference(model_dir, pair=bool(pair_column), device=device)
    mapping = ColumnMapping(
        text=text_column,
        text_pair=pair_column,
        labels=list(label_columns),
        task=loaded.task,
        label_delimiter=label_delimiter,
    )
    names = loaded.label_names if get_task(loaded.task).has_label_names else None
    dataset = build_dataset(
        read_table(data_path, read_options),
        mapping,
        label_names=names,
        exclude_problem_rows=exclude_problem_rows,
    )
    source = LabeledSource(dataset, loaded.tokenizer, _max_length(loaded, max_length))
    result = evaluate(loaded.model, source, loaded.task, loaded.label_names, loaded.setup, batch_size)
    return result, source


def summary_lines(metrics: dict[str, Any]) -> list[str]:
    """Readable lines: scalar metrics, then per-class tables and the confusion matrix."""
    lines = [
        f"{k:>16}: {v:.4f}" if isinstance(v, float) else f"{k:>16}: {v}"
        for k, v in metrics.items()
        if isinstance(v, (int, float)) or v is None
    ]
    for key in ("per_class", "per_label", "per_type"):
        if key in metrics:
            lines.append(f"{'':>16}  precision  recall     f1  support")
            for name, scores in metrics[key].items():
                lines.append(
                    f"{name:>16}: {scores['precision']:9.4f} {scores['recall']:7.4f} "
                    f"{scores['f1']:6.4f} {scores['support']:8d}"
                )
    if "confusion_matrix" in metrics:
        lines.append("confusion matrix (rows: true, columns: predicted):")
        width = max(len(str(n)) for n in metrics["labels"]) + 1
        lines.append(" " * width + "".join(f"{n:>{width}}" for n in metrics["labels"]))
        for name, row in zip(
            metrics["labels"], np.asarray(metrics["confusion_matrix"]).tolist(), strict=True
        ):
            lines.append(f"{name:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    return lines
