"""What a task is: the columns it reads, the head it trains, how it is scored, its defaults.

A TaskSpec is plain data (no torch): the data layer, the trainer, the CLI and the window read it, so a
new task is a new spec (registry.py) plus its head and metric code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How a task's targets are read, its loss, and which metrics score it (metrics.compute_metrics):
SINGLE_LABEL = "single_label"  # one class per example: cross-entropy, accuracy / F1 / confusion matrix
MULTI_LABEL = "multi_label"  # several 0/1 labels per example: binary cross-entropy, micro / macro F1
REGRESSION = "regression"  # one number per example: mean squared error, Pearson / Spearman
TOKEN_TAGS = "token_tags"  # one BIO tag per word: cross-entropy per token, entity-level F1
MASKED_LM = "masked_lm"  # masked tokens of plain text (optionally next-sentence prediction)
ANSWER_SPAN = "answer_span"  # the answer's start / end token in a context: cross-entropy, SQuAD EM / F1
# Two texts encoded apart into one vector each: in-batch-negatives ranking loss for (anchor, positive)
# pairs, cosine-similarity loss for scored pairs; Spearman of the cosine, or retrieval recall / MRR.
SIMILARITY = "similarity"
PROBLEM_TYPES = (SINGLE_LABEL, MULTI_LABEL, REGRESSION, TOKEN_TAGS, MASKED_LM, ANSWER_SPAN, SIMILARITY)

# What the Evaluate page shows for a task besides its metrics.
EVALUATE_VIEWS = (
    "confusion_matrix",
    "per_class",
    "per_label",
    "per_entity",
    "regression_errors",
    "answer_spans",
)


@dataclass(frozen=True)
class ColumnRole:
    """One column a task reads; `name` is the ColumnMapping field that holds it."""

    name: str  # "text", "text_pair", "negative" (a hard negative), "labels" or a question-answering role
    title: str  # as the window labels it, without "column"
    required: bool = True
    multiple: bool = False  # may be several columns (one 0/1 column per label)
    flag: str = ""  # the command-line flag that names it


@dataclass(frozen=True)
class TaskDefaults:
    """Hyper-parameters a run of the task starts from, in the CLI and the window alike."""

    learning_rate: float = 5e-5
    epochs: int = 3
    batch_size: int = 16
    max_length: int = 128
    warmup_ratio: float = 0.1
    doc_stride: int | None = None  # tokens shared by neighbouring windows of a long context (QA only)

    def settings(self) -> dict[str, Any]:
        """As RunConfig field values."""
        values = {
            "learning_rate": self.learning_rate,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "max_length": self.max_length,
            "warmup_ratio": self.warmup_ratio,
        }
        if self.doc_stride is not None:
            values["doc_stride"] = self.doc_stride
        return values


@dataclass(frozen=True)
class TaskSpec:
    name: str  # as written in run configs, run.json and --task
    title: str  # as the window shows it
    help: str  # one line for --help and tooltips
    problem_type: str  # one of PROBLEM_TYPES: targets, loss and metrics
    model_head: str  # the head it trains (bertstudio.model.build_model task)
    metrics: tuple[str, ...]  # metrics reported at each evaluation, the best-metric choices first
    best_metric: str  # what early stopping and the best checkpoint follow by default
    greater_is_better: bool
    best_metric_without_label: str = ""  # followed instead when an optional label role is not mapped
    columns: tuple[ColumnRole, ...] = ()  # empty for pretraining (it reads text files, not a table)
    pretraining: bool = False
    starts_from_model: bool = True  # False: builds a new model from a preset
    stratified: bool = False  # splits keep each label's share in train / validation / test
    evaluate_views: tuple[str, ...] = ()
    defaults: TaskDefaults = field(default_factory=TaskDefaults)

    @property
    def fine_tuning(self) -> bool:
        return not self.pretraining

    @property
    def per_token(self) -> bool:
        return self.problem_type == TOKEN_TAGS

    @property
    def answers_questions(self) -> bool:
        """Its examples are questions about contexts (SQuAD JSON or a table), cut into windows."""
        return self.problem_type == ANSWER_SPAN

    @property
    def encodes_apart(self) -> bool:
        """Its texts are encoded one by one into vectors (a bi-encoder), not as one joined sequence."""
        return self.problem_type == SIMILARITY

    @property
    def has_label_names(self) -> bool:
        """Its targets are named labels (classes, tags), so a model has a fixed label set."""
        return self.problem_type in (SINGLE_LABEL, MULTI_LABEL, TOKEN_TAGS)

    def default_best_metric(self, labelled: bool) -> str:
        """The metric the best checkpoint follows unless one is chosen; `labelled`: a label column is
        mapped (an optional one decides between, e.g., Spearman of scores and MRR of plain pairs)."""
        return (
            self.best_metric_without_label
            if self.best_metric_without_label and not labelled
            else self.best_metric
        )

    def role(self, name: str) -> ColumnRole | None:
        """The column role `name` (text, text_pair, labels) if the task reads it."""
        return next((role for role in self.columns if role.name == name), None)

    @property
    def several_labels(self) -> bool:
        """Its label role takes several columns (or several labels in one cell)."""
        role = self.role("labels")
        return role is not None and role.multiple

    def reads(self, name: str) -> bool:
        return self.role(name) is not None

    def requires(self, name: str) -> bool:
        role = self.role(name)
        return role is not None and role.required
