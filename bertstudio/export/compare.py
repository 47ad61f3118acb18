"""What exporting and quantising cost and gain, measured on this machine: the task metric on the run's
evaluation split, agreement of predictions with our torch model, file sizes and batch latency."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch


def headline_metric(task: str) -> str:
    """The number the comparison leads with: the task's best metric, or its first one that is not the
    loss (an ONNX graph computes no loss)."""
    from bertstudio.tasks import get_task

    spec = get_task(task)
    return next(m for m in (spec.best_metric, *spec.metrics) if m != "loss")


@dataclass
class Variant:
    """One way of running the model: torch fp32, ONNX fp32 or ONNX int8."""

    name: str
    seconds_per_batch: float
    file_bytes: int | None = None  # the graph file (None for the torch model)
    metric: float | None = None  # headline_metric on the evaluation split
    agreement: float | None = None  # share of predictions equal to torch fp32's
    max_abs_difference: float | None = None  # largest output difference from torch fp32 on that split


@dataclass
class Comparison:
    batch_size: int
    sequence_length: int
    threads: int
    metric_name: str | None = None
    eval_split: str | None = None
    eval_rows: int = 0
    variants: list[Variant] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def speedup(self, name: str) -> float:
        """How many times faster than torch fp32 a variant runs a batch."""
        return self.variants[0].seconds_per_batch / self.variant(name).seconds_per_batch

    def table(self) -> tuple[list[str], list[list[str]]]:
        """(header, rows) of display strings: one row per variant."""
        metric = self.metric_name or "metric"
        header = ["", "file size", f"ms per batch {self.batch_size}x{self.sequence_length}", "speed-up"]
        header += [f"{metric} ({self.eval_split})", "agreement"] if self.eval_split else []
        rows = []
        for variant in self.variants:
            row = [
                variant.name,
                _megabytes(variant.file_bytes),
                f"{variant.seconds_per_batch * 1000:.1f}",
                f"{self.speedup(variant.name):.2f}x",
            ]
            if self.eval_split:
                row += [_number(variant.metric), _percent(variant.agreement)]
            rows.append(row)
        return header, rows

    def lines(self) -> list[str]:
        header, rows = self.table()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        text = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in [header, *rows]]
        text.append(f"(CPU, {self.threads} threads on every side)")
        return text + self.notes


def _megabytes(size: int | None) -> str:
    return "-" if size is None else f"{size / 1e6:.1f} MB"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def median_seconds(run: Callable[[], Any], repeats: int) -> float:
    """Median wall time of `repeats` calls after one warm-up call."""
    run()
    times = []
    for _ in range(max(repeats, 1)):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timing_batch(vocab_size: int, batch_size: int, sequence_length: int, input_names: list[str]):
    """Random token ids, nothing padded: the worst case a batch of that shape costs."""
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab_size, (batch_size, sequence_length), generator=generator)
    tensors = {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "token_type_ids": torch.zeros_like(ids),
    }
    return {name: tensors[name] for name in input_names}


def torch_latency(model: torch.nn.Module, batch: dict[str, torch.Tensor], repeats: int) -> float:
    model.eval()

    def forward() -> None:
        with torch.inference_mode():
            model(**batch)

    return median_seconds(forward, repeats)


def agreement(task: str, reference: list[np.ndarray], outputs: list[np.ndarray]) -> float | None:
    """Share of predictions equal to the reference's: the class, each label's yes/no, each word's tag.
    None for regression (no discrete prediction; see the metric and the largest difference)."""
    if task == "regression" or not reference:
        return None
    if task == "token_classification":
        ours, theirs = np.concatenate(reference), np.concatenate(outputs)
    elif task == "multi_label":
        ours, theirs = np.stack(reference) >= 0.5, np.stack(outputs) >= 0.5
    else:
        ours, theirs = np.stack(reference).argmax(-1), np.stack(outputs).argmax(-1)
    return float(np.mean(ours == theirs)) if ours.size else None


def largest_difference(task: str, reference: list[np.ndarray], outputs: list[np.ndarray]) -> float | None:
    """Largest difference of probabilities (values for regression); None for token tags (ids)."""
    if task == "token_classification" or not reference:
        return None
    return float(np.max(np.abs(np.stack(reference).astype(np.float64) - np.stack(outputs))))
