"""Evaluation passes: run a model over a dataset, gather the outputs across processes, score them.

Outputs are kept per example in dataset order as numpy (probabilities, values or tag ids), small
enough to write as predictions; masked-LM evaluation streams running totals instead of logits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from bertstudio.tasks import get_task
from bertstudio.tasks.spec import (
    ANSWER_SPAN,
    MASKED_LM,
    MULTI_LABEL,
    REGRESSION,
    SIMILARITY,
    SINGLE_LABEL,
    TOKEN_TAGS,
)
from bertstudio.training.device import DeviceSetup
from bertstudio.training.distributed import DistributedContext
from bertstudio.training.metrics import compute_metrics, masked_lm_metrics_from_totals

IGNORE_INDEX = -100


class BatchSource(Protocol):
    """A dataset the engine batches: `lengths` per example, `batch(indices, generator)` -> tensors."""

    lengths: Sequence[int]

    def batch(
        self, indices: list[int], generator: torch.Generator | None = None
    ) -> dict[str, torch.Tensor]: ...


@dataclass
class EvalResult:
    metrics: dict[str, Any]
    outputs: list[Any] = field(default_factory=list)  # per example, dataset order (empty for masked-LM)
    labels: list[Any] = field(default_factory=list)


def eval_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Length-sorted batches (little padding); results are put back in dataset order afterwards."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


@torch.no_grad()
def predict_outputs(
    model: torch.nn.Module,
    source: BatchSource,
    task: str,
    setup: DeviceSetup,
    batch_size: int,
    context: DistributedContext | None = None,
    with_labels: bool = True,
    generator_seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[int, Any], dict[int, Any], list[float]]:
    """Forward every example once; returns ({index: output}, {index: label}, totals) with totals
    [loss sum, scored count, masked-LM correct, NSP correct, NSP count]. `progress(done, total)` is
    called with the examples done after each batch.
    Under torchrun each process takes every world_size-th batch and the results are gathered."""
    context = context or DistributedContext()
    was_training = model.training
    model.eval()
    outputs: dict[int, Any] = {}
    labels: dict[int, Any] = {}
    totals = [0.0] * 6  # loss sum, scored count, correct (masked-LM), NSP correct, NSP count, NSP loss sum
    generator = None
    if generator_seed is not None:
        generator = torch.Generator().manual_seed(generator_seed)  # the same masks at every evaluation
    done, total = 0, len(source.lengths)
    for number, indices in enumerate(eval_batches(source.lengths, batch_size)):
        done += len(indices)
        if number % context.world_size != context.rank:
            if generator is not None:
                source.batch(indices, generator)  # draw its masks anyway: the same masks on any world size
            continue
        batch = source.batch(indices, generator)
        batch = {k: v.to(setup.device, non_blocking=True) for k, v in batch.items()}
        inputs = batch if with_labels else {k: v for k, v in batch.items() if k != "labels"}
        with setup.autocast():
            out = model(**inputs)
        _collect(task, indices, batch, out, outputs, labels, totals, with_labels)
        if progress is not None:
            progress(done, total)
    model.train(was_training)
    if context.enabled:
        merged_outputs: dict[int, Any] = {}
        merged_labels: dict[int, Any] = {}
        for part_outputs, part_labels in context.gather((outputs, labels)):
            merged_outputs.update(part_outputs)
            merged_labels.update(part_labels)
        totals = context.sum(torch.tensor(totals, dtype=torch.float64)).tolist()
        return merged_outputs, merged_labels, totals
    return outputs, labels, totals


def _collect(task, indices, batch, out, outputs, labels, totals, with_labels) -> None:
    logits = out.logits.float()
    batch_labels = batch.get("labels")
    problem = get_task(task).problem_type
    if problem == MASKED_LM:
        if batch_labels is not None:
            target = batch_labels[batch_labels != IGNORE_INDEX]  # logits hold only these positions
            totals[0] += float(torch.nn.functional.cross_entropy(logits, target, reduction="sum"))
            totals[1] += int(target.numel())
            totals[2] += int((logits.argmax(-1) == target).sum())
        nsp_label = batch.get("next_sentence_label")
        if out.nsp_logits is not None and nsp_label is not None:
            nsp_logits, nsp_target = out.nsp_logits.float(), nsp_label.view(-1)
            totals[3] += int((nsp_logits.argmax(-1) == nsp_target).sum())
            totals[4] += int(nsp_label.numel())
            totals[5] += float(torch.nn.functional.cross_entropy(nsp_logits, nsp_target, reduction="sum"))
        return
    if out.loss is not None:
        count = int((batch_labels != IGNORE_INDEX).sum()) if problem == TOKEN_TAGS else len(indices)
        totals[0] += float(out.loss.float()) * count
        totals[1] += count
    if problem == ANSWER_SPAN:  # (2, length) start / end logits per window, padding cut off
        values = logits.cpu().numpy()
        widths = batch["attention_mask"].sum(-1).tolist()
        for row, index in enumerate(indices):
            outputs[index] = values[row, :, : widths[row]]
        return
    if problem == SINGLE_LABEL:
        values = logits.softmax(-1).cpu().numpy()
    elif problem == MULTI_LABEL:
        values = logits.sigmoid().cpu().numpy()
    elif problem == REGRESSION:
        values = logits[:, 0].cpu().numpy()
    elif problem == SIMILARITY:  # the pair's two vectors (B, 2, D), or one per text (B, D)
        values = logits.cpu().numpy()
    else:  # token tags: tag ids at the scored positions (first sub-word of each word)
        values = logits.argmax(-1).cpu().numpy()
    label_array = batch_labels.cpu().numpy() if batch_labels is not None else None
    for row, index in enumerate(indices):
        if problem == TOKEN_TAGS:
            keep = label_array[row] != IGNORE_INDEX  # first sub-word of each word (labels or placeholders)
            outputs[index] = values[row][keep]
            if with_labels:
                labels[index] = label_array[row][keep]
        else:
            outputs[index] = values[row]
            if with_labels:
                labels[index] = label_array[row]


def evaluate(
    model: torch.nn.Module,
    source: BatchSource,
    task: str,
    label_names: list[str] | None,
    setup: DeviceSetup,
    batch_size: int,
    context: DistributedContext | None = None,
    generator_seed: int | None = None,
) -> EvalResult:
    """Loss and the task's metrics (metrics.compute_metrics) over a labelled dataset."""
    outputs, labels, (loss_sum, count, correct, nsp_correct, nsp_count, nsp_loss_sum) = predict_outputs(
        model, source, task, setup, batch_size, context, generator_seed=generator_seed
    )
    spec = get_task(task)
    if spec.problem_type == MASKED_LM:
        metrics = masked_lm_metrics_from_totals(loss_sum, int(correct), int(count))
        metrics["loss"] = metrics["mlm_loss"]
        if nsp_count:
            # the training loss is masked-LM + NSP; so is this, or the two curves would not compare
            metrics["nsp_loss"] = nsp_loss_sum / nsp_count
            metrics["nsp_accuracy"] = nsp_correct / nsp_count
            if metrics["mlm_loss"] is not None:
                metrics["loss"] = metrics["mlm_loss"] + metrics["nsp_loss"]
        return EvalResult(metrics)
    if spec.problem_type == ANSWER_SPAN:
        return _answer_questions(source, outputs, loss_sum / count if count else None)
    order = sorted(outputs)
    ordered_outputs = [outputs[i] for i in order]
    ordered_labels = [labels[i] for i in order]
    if spec.per_token:
        predictions, targets = ordered_outputs, ordered_labels
    else:
        predictions, targets = np.stack(ordered_outputs), np.stack(ordered_labels)
    metrics = {"loss": loss_sum / count if count else None}
    metrics.update(compute_metrics(task, predictions, targets, label_names))
    return EvalResult(metrics, ordered_outputs, ordered_labels)


def _answer_questions(source, window_logits: dict[int, np.ndarray], loss: float | None) -> EvalResult:
    """One answer per question from its windows' logits, scored the official SQuAD way; `outputs`
    are the QAAnswers (question order), `labels` the gold answer texts."""
    from bertstudio.training.qa_answers import answers_from_logits
    from bertstudio.training.squad_scoring import squad_scores

    examples = source.dataset.examples
    logits = [window_logits[i] for i in range(len(window_logits))]
    answers = answers_from_logits(examples, source.windows, logits, source.answer_settings)
    golds = {example.id: list(example.answers) for example in examples}
    null_scores = {answer.id: answer.null_score_diff for answer in answers}
    with_null = source.answer_settings.null_threshold is not None
    metrics = {"loss": loss}
    metrics.update(squad_scores({a.id: a.text for a in answers}, golds, null_scores if with_null else None))
    return EvalResult(metrics, answers, [list(example.answers) for example in examples])
