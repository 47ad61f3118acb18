"""Evaluation metrics for every training task, in plain numpy.

`compute_metrics(task, predictions, labels, label_names)` is the one entry point the engine calls; it
returns a JSON-serialisable dict (Python floats, ints, lists and dicts only). A score that is undefined
(a correlation of constant values, metrics of an empty set) is None rather than NaN, so the dict stays
valid JSON. Precision, recall and F1 with a zero denominator are 0.0, as scikit-learn reports them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bertstudio.errors import TrainingError
from bertstudio.tasks import PROBLEM_TYPES, get_task, task_names
from bertstudio.tasks.spec import MASKED_LM, MULTI_LABEL, REGRESSION, SIMILARITY, SINGLE_LABEL, TOKEN_TAGS

IGNORE_INDEX = -100  # label value of positions that are not scored (padding, sub-word pieces, unmasked)
MULTI_LABEL_THRESHOLD = 0.5


def compute_metrics(
    task: str,
    predictions: np.ndarray | Sequence,
    labels: np.ndarray | Sequence,
    label_names: Sequence[str] | None = None,
) -> dict:
    """Score one evaluation pass of `task`: a task name (bertstudio.tasks) or a problem type
    (tasks.PROBLEM_TYPES, e.g. "masked_lm").

    predictions / labels by problem type:
      single_label: logits or probabilities (N, C), or class ids (N,); ids (N,).
      multi_label: probabilities (N, L) (a label is predicted at >= 0.5); 0/1 targets (N, L).
      regression: values (N,) or (N, 1); targets of the same size.
      token_tags: logits (N, T, C) or tag ids (N, T); tag ids (N, T) with -100 at positions
        not scored. Ragged lists of per-sentence arrays are accepted too. label_names are the BIO tags.
      masked_lm: logits (N, V) at the masked positions; token ids (N,) (-100 entries are skipped).
      similarity: each pair's two vectors (N, 2, D); gold scores (N,), NaN for unscored pairs.
    """
    problem = get_task(task).problem_type if task in task_names() else task
    if problem == SINGLE_LABEL:
        return classification_metrics(predictions, labels, label_names)
    if problem == MULTI_LABEL:
        return multi_label_metrics(predictions, labels, label_names)
    if problem == REGRESSION:
        return regression_metrics(predictions, labels)
    if problem == TOKEN_TAGS:
        return token_classification_metrics(predictions, labels, label_names)
    if problem == MASKED_LM:
        return masked_lm_metrics(predictions, labels)
    if problem == SIMILARITY:
        from bertstudio.training.similarity_metrics import similarity_metrics

        return similarity_metrics(predictions, labels)
    choices = ", ".join((*task_names(), *PROBLEM_TYPES))
    raise TrainingError(f"Unknown task {task!r} for metrics.", f"Use one of: {choices}.")


# ---------------------------------------------------------------- single-label classification


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float | None:
    """Fraction of predicted ids equal to the label ids."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    return float(np.mean(predicted == labels)) if labels.size else None


def confusion_matrix(predicted: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts (num_classes, num_classes): row = true class, column = predicted class."""
    flat = np.asarray(labels, dtype=np.int64) * num_classes + np.asarray(predicted, dtype=np.int64)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def precision_recall_f1(
    true_positives: np.ndarray, predicted_positives: np.ndarray, actual_positives: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Element-wise precision, recall and F1 from counts; 0.0 where a denominator is zero."""
    tp = np.asarray(true_positives, dtype=np.float64)
    precision = _safe_divide(tp, np.asarray(predicted_positives, dtype=np.float64))
    recall = _safe_divide(tp, np.asarray(actual_positives, dtype=np.float64))
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    return precision, recall, f1


def per_class_scores(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 and support of every class of a confusion matrix."""
    true_positives = np.diag(matrix)
    support = matrix.sum(axis=1)
    precision, recall, f1 = precision_recall_f1(true_positives, matrix.sum(axis=0), support)
    return precision, recall, f1, support


def macro_f1(predicted: np.ndarray, labels: np.ndarray, num_classes: int) -> float:
    """Unweighted mean of the per-class F1 over the classes that occur in `labels` or `predicted`."""
    matrix = confusion_matrix(predicted, labels, num_classes)
    return float(per_class_scores(matrix)[2][classes_in_play(matrix)].mean())


def classes_in_play(matrix: np.ndarray) -> np.ndarray:
    """Mask of the classes that occur as a label or a prediction: as in scikit-learn, a class of the
    label set that does neither has no defined score and stays out of the macro averages."""
    return (matrix.sum(axis=1) > 0) | (matrix.sum(axis=0) > 0)


def classification_metrics(
    predictions: np.ndarray | Sequence,
    labels: np.ndarray | Sequence,
    label_names: Sequence[str] | None = None,
) -> dict:
    """Accuracy, macro precision / recall / F1, per-class scores and the confusion matrix."""
    labels = _as_int_array(labels, "labels")
    predicted = _class_ids(np.asarray(predictions), labels.shape, "predictions")
    names = _class_names(label_names, predicted, labels)
    matrix = confusion_matrix(predicted, labels, len(names))
    precision, recall, f1, support = per_class_scores(matrix)
    scored = classes_in_play(matrix)
    return {
        "accuracy": accuracy(predicted, labels),
        "macro_precision": _mean_or_none(precision[scored]),
        "macro_recall": _mean_or_none(recall[scored]),
        "macro_f1": _mean_or_none(f1[scored]),
        "per_class": _score_table(names, precision, recall, f1, support),
        "labels": names,
        "confusion_matrix": matrix.tolist(),
    }


# ---------------------------------------------------------------- multi-label classification


def multi_label_metrics(
    probabilities: np.ndarray | Sequence,
    labels: np.ndarray | Sequence,
    label_names: Sequence[str] | None = None,
    threshold: float = MULTI_LABEL_THRESHOLD,
) -> dict:
    """Micro and macro precision / recall / F1, exact-match ratio and per-label scores; a label is
    predicted where its probability is >= threshold."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    targets = np.asarray(labels)
    if probabilities.ndim != 2 or probabilities.shape != targets.shape:
        raise TrainingError(
            f"Multi-label metrics need probabilities and 0/1 targets of the same shape (N, labels); "
            f"got {probabilities.shape} and {targets.shape}."
        )
    if probabilities.size and (np.nanmin(probabilities) < 0 or np.nanmax(probabilities) > 1):
        raise TrainingError(
            "Multi-label metrics need probabilities in [0, 1], not logits.",
            "Apply a sigmoid to the model's logits first.",
        )
    if not np.isin(targets, (0, 1)).all():
        raise TrainingError("Multi-label targets must be 0 or 1 for every label.")
    names = _names_for(label_names, probabilities.shape[1])
    predicted = probabilities >= threshold
    actual = targets.astype(bool)
    true_positives = (predicted & actual).sum(axis=0)
    precision, recall, f1 = precision_recall_f1(true_positives, predicted.sum(axis=0), actual.sum(axis=0))
    micro_p, micro_r, micro_f1 = precision_recall_f1(true_positives.sum(), predicted.sum(), actual.sum())
    return {
        "micro_precision": float(micro_p),
        "micro_recall": float(micro_r),
        "micro_f1": float(micro_f1),
        "macro_precision": _mean_or_none(precision),
        "macro_recall": _mean_or_none(recall),
        "macro_f1": _mean_or_none(f1),
        "exact_match": float(np.mean((predicted == actual).all(axis=1))) if len(actual) else None,
        "per_label": _score_table(names, precision, recall, f1, actual.sum(axis=0)),
        "labels": names,
        "threshold": float(threshold),
    }


# ---------------------------------------------------------------- regression


def mean_squared_error(predicted: np.ndarray, targets: np.ndarray) -> float:
    return float(np.mean((np.asarray(predicted, np.float64) - np.asarray(targets, np.float64)) ** 2))


def mean_absolute_error(predicted: np.ndarray, targets: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(predicted, np.float64) - np.asarray(targets, np.float64))))


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson correlation; None when either side is constant (the correlation is undefined)."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    y = np.asarray(y, dtype=np.float64) - np.mean(y)
    denominator = math.sqrt(float(np.dot(x, x)) * float(np.dot(y, y)))
    if denominator == 0.0:
        return None
    return float(np.clip(np.dot(x, y) / denominator, -1.0, 1.0))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks starting at 1; tied values share the average of the ranks they span."""
    values = np.asarray(values)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    # Start index of each run of equal values, then each element's run.
    run_starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    run_ends = np.r_[run_starts[1:], len(values)]
    run_of_sorted = np.repeat(np.arange(len(run_starts)), run_ends - run_starts)
    mean_rank = (run_starts + run_ends + 1) / 2.0  # mean of ranks start+1 .. end
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = mean_rank[run_of_sorted]
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman rank correlation (Pearson of average ranks); None when either side is constant."""
    return pearson(average_ranks(x), average_ranks(y))


def regression_metrics(predictions: np.ndarray | Sequence, labels: np.ndarray | Sequence) -> dict:
    """MSE, MAE, Pearson and Spearman of one-value-per-example predictions."""
    predicted = np.asarray(predictions, dtype=np.float64)
    targets = np.asarray(labels, dtype=np.float64)
    if predicted.ndim == 2 and predicted.shape[1] == 1:
        predicted = predicted[:, 0]
    targets = targets.reshape(-1) if targets.ndim == 2 and targets.shape[1] == 1 else targets
    if predicted.ndim != 1 or predicted.shape != targets.shape:
        raise TrainingError(
            f"Regression metrics need one prediction per target; got shapes {predicted.shape} and {targets.shape}."
        )
    if not len(targets):
        return {"mse": None, "mae": None, "pearson": None, "spearman": None}
    if not (np.isfinite(predicted).all() and np.isfinite(targets).all()):
        raise TrainingError("Regression predictions or targets contain NaN or infinite values.")
    return {
        "mse": mean_squared_error(predicted, targets),
        "mae": mean_absolute_error(predicted, targets),
        "pearson": pearson(predicted, targets),
        "spearman": spearman(predicted, targets),
    }


# ---------------------------------------------------------------- token tagging (BIO spans)


def bio_entities(tags: Sequence[str]) -> set[tuple[str, int, int]]:
    """Entity spans (type, start, end exclusive) of one IOB2 tag sequence, strictly: a span starts at
    B-X and continues over I-X of the same type; an I-X that does not continue a span is no entity."""
    entities = set()
    current_type, start = None, 0
    for index, tag in enumerate([*tags, "O"]):
        prefix, _, entity_type = tag.partition("-")
        if current_type is not None and not (prefix == "I" and entity_type == current_type):
            entities.add((current_type, start, index))
            current_type = None
        if prefix == "B":
            current_type, start = entity_type, index
    return entities


def entity_scores(
    true_sequences: Sequence[Sequence[str]], predicted_sequences: Sequence[Sequence[str]]
) -> dict:
    """Entity-level precision / recall / F1 over all sentences (a prediction counts only when its
    type, start and end all match), overall (micro) and per entity type."""
    counts: dict[str, list[int]] = {}  # type -> [true positives, predicted, actual]
    for true_tags, predicted_tags in zip(true_sequences, predicted_sequences, strict=True):
        actual, predicted = bio_entities(true_tags), bio_entities(predicted_tags)
        for entities, slot in ((actual & predicted, 0), (predicted, 1), (actual, 2)):
            for entity_type, _, _ in entities:
                counts.setdefault(entity_type, [0, 0, 0])[slot] += 1
    types = sorted(counts)
    table = np.array([counts[t] for t in types], dtype=np.int64).reshape(-1, 3)
    precision, recall, f1 = precision_recall_f1(table[:, 0], table[:, 1], table[:, 2])
    totals = table.sum(axis=0)
    overall = precision_recall_f1(totals[0], totals[1], totals[2])
    return {
        "precision": float(overall[0]),
        "recall": float(overall[1]),
        "f1": float(overall[2]),
        "per_type": _score_table(types, precision, recall, f1, table[:, 2]),
    }


def token_classification_metrics(
    predictions: np.ndarray | Sequence, labels: np.ndarray | Sequence, label_names: Sequence[str] | None
) -> dict:
    """Entity-level scores from tag ids (or logits) and gold tag ids; positions whose label is -100
    (padding, special tokens, continuation word pieces) are dropped before spans are read."""
    if not label_names:
        raise TrainingError(
            "Token classification metrics need the tag names (label_names) to read BIO spans.",
            "Pass the label list of the run, e.g. ['O', 'B-PER', 'I-PER'].",
        )
    if len(predictions) != len(labels):
        raise TrainingError(f"{len(predictions)} predicted sentences for {len(labels)} labelled sentences.")
    names = list(label_names)
    true_sequences, predicted_sequences = [], []
    correct = scored = 0
    for row, (predicted_row, label_row) in enumerate(zip(predictions, labels, strict=True)):
        label_row = _as_int_array(label_row, f"labels of sentence {row}")
        predicted_row = _class_ids(
            np.asarray(predicted_row), label_row.shape, f"predictions of sentence {row}"
        )
        keep = label_row != IGNORE_INDEX
        gold, guess = label_row[keep], predicted_row[keep]
        _check_ids(gold, len(names), f"Sentence {row}: label tag id")
        _check_ids(guess, len(names), f"Sentence {row}: predicted tag id")
        true_sequences.append([names[i] for i in gold])
        predicted_sequences.append([names[i] for i in guess])
        correct += int((gold == guess).sum())
        scored += int(gold.size)
    scores = entity_scores(true_sequences, predicted_sequences)
    scores["token_accuracy"] = correct / scored if scored else None
    return scores


# ---------------------------------------------------------------- masked language modelling


def masked_lm_metrics(logits: np.ndarray | Sequence, labels: np.ndarray | Sequence) -> dict:
    """Cross-entropy loss, accuracy and perplexity of the masked positions (labels -100 skipped)."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = _as_int_array(labels, "labels").reshape(-1)
    logits = logits.reshape(-1, logits.shape[-1]) if logits.ndim else logits
    if logits.ndim != 2 or len(logits) != len(labels):
        raise TrainingError(
            f"Masked-LM metrics need logits (N, vocab) and N token ids; got {logits.shape} and {labels.shape}."
        )
    keep = labels != IGNORE_INDEX
    logits, labels = logits[keep], labels[keep]
    _check_ids(labels, logits.shape[1], "A masked-LM label id")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    token_losses = log_norm - shifted[np.arange(len(labels)), labels]
    return masked_lm_metrics_from_totals(
        float(token_losses.sum()), int((logits.argmax(axis=1) == labels).sum()), int(labels.size)
    )


def masked_lm_metrics_from_totals(loss_sum: float, correct: int, count: int) -> dict:
    """Masked-LM loss, accuracy and perplexity from running totals, so an evaluation can stream over
    batches without keeping (N, vocab) logits: loss_sum is the summed per-token cross-entropy."""
    if count == 0:
        return {"mlm_loss": None, "mlm_accuracy": None, "perplexity": None, "masked_tokens": 0}
    loss = loss_sum / count
    return {
        "mlm_loss": loss,
        "mlm_accuracy": correct / count,
        "perplexity": math.exp(loss) if loss < 700 else float("inf"),
        "masked_tokens": count,
    }


# ---------------------------------------------------------------- helpers


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, np.float64), np.asarray(denominator, np.float64)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator != 0)


def _mean_or_none(values: np.ndarray) -> float | None:
    return float(np.mean(values)) if len(values) else None


def _score_table(names, precision, recall, f1, support) -> dict:
    return {
        str(name): {
            "precision": float(p),
            "recall": float(r),
            "f1": float(f),
            "support": int(s),
        }
        for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)
    }


def _as_int_array(values, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.issubdtype(array.dtype, np.floating) or not np.all(np.mod(array, 1) == 0):
            raise TrainingError(f"The {what} must be integer class ids; got values of type {array.dtype}.")
    return array.astype(np.int64)


def _class_ids(predictions: np.ndarray, label_shape: tuple, what: str) -> np.ndarray:
    """Predicted ids from ids of the labels' shape, or from scores with one extra class axis."""
    if predictions.shape == label_shape:
        return _as_int_array(predictions, what)
    if predictions.ndim == len(label_shape) + 1 and predictions.shape[:-1] == label_shape:
        return predictions.argmax(axis=-1).astype(np.int64)
    raise TrainingError(
        f"The {what} have shape {predictions.shape}; expected ids of shape {label_shape} "
        f"or scores of shape {(*label_shape, 'classes')}."
    )


def _class_names(label_names: Sequence[str] | None, predicted: np.ndarray, labels: np.ndarray) -> list[str]:
    if label_names is None:
        largest = max(int(predicted.max(initial=-1)), int(labels.max(initial=-1)))
        label_names = [str(i) for i in range(largest + 1)]
    names = [str(name) for name in label_names]
    for ids, what in ((labels, "label"), (predicted, "predicted class")):
        _check_ids(ids, len(names), f"A {what} id")
    return names


def _check_ids(ids: np.ndarray, count: int, what: str) -> None:
    if ids.size and (ids.min() < 0 or ids.max() >= count):
        bad = int(ids.min()) if ids.min() < 0 else int(ids.max())
        raise TrainingError(
            f"{what} {bad} is outside the {count} label names.",
            "The evaluation data has a label the model was not built for.",
        )


def _names_for(label_names: Sequence[str] | None, count: int) -> list[str]:
    if label_names is None:
        return [str(i) for i in range(count)]
    if len(label_names) != count:
        raise TrainingError(f"{len(label_names)} label names for {count} label columns.")
    return [str(name) for name in label_names]
