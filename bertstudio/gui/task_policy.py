"""What the window needs to know of each task: its title, defaults, metrics and which fields it reads.
One place for the pages and the controller (until the task registry gives the same answers)."""

from __future__ import annotations

from typing import Any

from bertstudio.training.config import DEFAULT_BEST_METRIC, FINE_TUNING_TASKS, TASKS, RunConfig

TASK_TITLES = {
    "classification": "Text classification",
    "pair_classification": "Sentence-pair classification",
    "multi_label": "Multi-label classification",
    "regression": "Regression (a number per text)",
    "token_classification": "Token tagging (NER, POS)",
    "continued_pretraining": "Continue pretraining (masked LM) on text",
    "pretraining": "Pretrain from scratch (masked LM)",
}
# Sensible starting points per task (BERT paper ranges for fine-tuning, larger steps for pretraining).
TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "classification": {"learning_rate": 5e-5, "epochs": 3, "batch_size": 16, "warmup_ratio": 0.1},
    "pair_classification": {"learning_rate": 3e-5, "epochs": 3, "batch_size": 16, "warmup_ratio": 0.1},
    "multi_label": {"learning_rate": 5e-5, "epochs": 5, "batch_size": 16, "warmup_ratio": 0.1},
    "regression": {"learning_rate": 3e-5, "epochs": 4, "batch_size": 16, "warmup_ratio": 0.1},
    "token_classification": {"learning_rate": 5e-5, "epochs": 3, "batch_size": 16, "warmup_ratio": 0.1},
    "continued_pretraining": {"learning_rate": 5e-5, "epochs": 1, "batch_size": 32, "warmup_ratio": 0.06},
    "pretraining": {"learning_rate": 5e-4, "epochs": 10, "batch_size": 32, "warmup_ratio": 0.06},
}
METRIC_CHOICES = {
    "classification": ("accuracy", "macro_f1", "loss"),
    "pair_classification": ("accuracy", "macro_f1", "loss"),
    "multi_label": ("micro_f1", "macro_f1", "loss"),
    "regression": ("loss", "pearson", "spearman", "mae"),
    "token_classification": ("f1", "precision", "recall", "loss"),
    "continued_pretraining": ("loss", "mlm_accuracy", "perplexity"),
    "pretraining": ("loss", "mlm_accuracy", "perplexity"),
}


def all_task_names() -> tuple[str, ...]:
    return TASKS


def fine_tuning_task_names() -> tuple[str, ...]:
    return FINE_TUNING_TASKS


def title(task: str) -> str:
    return TASK_TITLES.get(task, task)


def defaults(task: str) -> RunConfig:
    """A run config holding `task`'s default hyper-parameters and best metric."""
    return RunConfig(task=task, metric_for_best=DEFAULT_BEST_METRIC[task], **TASK_DEFAULTS[task])


def metric_choices(task: str) -> tuple[str, ...]:
    return METRIC_CHOICES[task]


def is_pretraining(task: str) -> bool:
    """Trains on plain text files (masked LM) instead of a mapped table."""
    return task not in FINE_TUNING_TASKS


def starts_from_model(task: str) -> bool:
    """Starts from the open checkpoint (everything but pretraining from scratch)."""
    return task != "pretraining"


def reads_pair(task: str) -> bool:
    return task == "pair_classification"


def reads_label_delimiter(task: str) -> bool:
    return task == "multi_label"


def reads_several_labels(task: str) -> bool:
    return task == "multi_label"
