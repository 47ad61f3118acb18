"""RunConfig: everything a training run needs, saved as TOML (by the GUI) and in run.json.

One flat dataclass so a GUI form, a TOML file and command-line flags map onto it field by field.
Importing this module does not import torch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bertstudio.atomic import atomic_write_text
from bertstudio.data.read_options import HEADER_CHOICES, ReadOptions
from bertstudio.errors import ConfigError
from bertstudio.tasks import get_task, is_lower_better, task_names
from bertstudio.training.tomlio import dump_toml, load_toml

SCHEDULES = ("linear", "cosine", "constant")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
# The RunConfig field naming each column role of a task spec (tasks.ColumnRole.name).
COLUMN_FIELDS = {
    "text": "text_column",
    "text_pair": "text_pair_column",
    "negative": "negative_column",
    "labels": "label_columns",
    "context": "context_column",
    "question": "question_column",
    "answer": "answer_column",
    "answer_start": "answer_start_column",
}

# Settings that only some tasks read (run.json and Save Config leave them out elsewhere).
NEW_MODEL_SETTINGS = ("preset", "vocab_size", "lowercase")  # pretraining from scratch
CORPUS_SETTINGS = ("corpus_paths", "nsp", "mlm_probability", "whole_word_mask")  # both pretraining tasks
TABLE_SETTINGS = (  # fine-tuning on a table
    "data_path",
    "validation_path",
    "test_path",
    "encoding",
    "delimiter",
    "header",
    "text_column",
    "text_pair_column",
    "negative_column",
    "label_columns",
    "label_delimiter",
    "split_column",
    "exclude_problem_rows",
    "test_fraction",
)
# Question answering: its table columns and how contexts are windowed and answers picked.
QA_SETTINGS = (
    "context_column",
    "question_column",
    "answer_column",
    "answer_start_column",
    "doc_stride",
    "max_answer_length",
    "null_threshold",
)
# Table columns question answering does not read (it has its own).
NOT_QA_SETTINGS = ("text_column", "text_pair_column", "label_columns", "label_delimiter", "split_column")


@dataclass
class RunConfig:
    task: str = "classification"  # a task of the registry (bertstudio.tasks)
    # Model: a folder in the Hugging Face layout, or a preset for pretraining from scratch.
    model_path: str = ""  # fine-tuning and continued_pretraining start from this checkpoint
    preset: str = "tiny"  # pretraining only: tiny, mini, small or base
    vocab_size: int = 30522  # pretraining only: size of the WordPiece vocabulary trained on the corpus
    lowercase: bool = True  # pretraining only: the new tokenizer lower-cases
    # Data for fine-tuning: a CSV/TSV/JSONL file and its columns.
    data_path: str = ""  # training data (split into train/validation/test unless the next two are set)
    validation_path: str = ""  # optional separate validation file
    test_path: str = ""  # optional separate test file
    encoding: str = ""  # text encoding of the data files (e.g. cp1252); empty: detected (UTF-8, BOMs)
    delimiter: str = ""  # field separator of CSV / TSV files; empty: detected
    header: str = "auto"  # auto, yes or no: whether the first row of the data files names the columns
    text_column: str = ""
    text_pair_column: str = ""  # second text of a pair (pair_classification)
    negative_column: str = ""  # a hard negative per (anchor, positive) pair (sentence_similarity)
    label_columns: list[str] = field(default_factory=list)  # one column, or one per label (multi_label)
    label_delimiter: str = ""  # multi_label in one column: labels separated by this (e.g. "|")
    split_column: str = ""  # a column saying train / validation / test per row
    exclude_problem_rows: bool = False  # leave out unusable rows (listed in the report) instead of stopping
    # Question answering: a SQuAD .json file needs no columns; a table names these.
    context_column: str = ""
    question_column: str = ""
    answer_column: str = ""  # an empty cell: the question has no answer in its context (SQuAD v2.0)
    answer_start_column: str = ""  # character offset of the answer; empty: found in the context (if unique)
    doc_stride: int = 128  # tokens shared by neighbouring windows of a context longer than max_length
    max_answer_length: int = 30  # tokens of the longest answer predicted
    null_threshold: float = 0.0  # "no answer" when its score beats the best span's by more than this
    validation_fraction: float = 0.1  # held out when no validation file / split column (pretraining: <= 10k)
    test_fraction: float = 0.1
    # Data for pretraining: plain-text files, one document per line or blank-line separated.
    corpus_paths: list[str] = field(default_factory=list)
    nsp: bool = False  # add next-sentence prediction to masked-LM
    mlm_probability: float = 0.15
    whole_word_mask: bool = False
    max_length: int = 128  # tokens per example (longer texts are truncated)
    # Optimisation.
    epochs: int = 3
    max_steps: int = 0  # optimizer steps; 0 lets `epochs` decide
    batch_size: int = 16  # examples per step across all processes (before accumulation)
    gradient_accumulation: int = 1  # batches averaged into each optimizer step
    learning_rate: float = 5e-5
    weight_decay: float = 0.01  # not applied to biases and LayerNorm weights
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    schedule: str = "linear"  # one of SCHEDULES, after warmup
    warmup_ratio: float = 0.1  # fraction of the steps spent warming up the learning rate
    max_grad_norm: float = 1.0  # gradient clipping; 0 turns it off
    group_by_length: bool = False  # batch texts of similar length together (less padding, faster;
    # off by default as in transformers: batches of one length hold skewed label mixes, see benchmarks)
    seed: int = 42
    # Evaluation, early stopping, checkpoints.
    eval_every_steps: int = 0  # 0: evaluate only at the end of each epoch
    eval_each_epoch: bool = True
    metric_for_best: str = ""  # empty: the best metric of the task's spec
    early_stopping_patience: int = 0  # evaluations without improvement before stopping; 0: never stop early
    load_best_at_end: bool = True  # the saved model/ is the best evaluated one, not the last
    save_every_steps: int = 0  # extra checkpoints every N steps; 0: only at evaluations and by time
    save_every_minutes: float = 10.0  # a checkpoint at least this often while training
    keep_checkpoints: int = 2  # the last K checkpoints are kept (and the best one)
    log_every_steps: int = 10  # log lines every N steps (step events are sent every step)
    # Hardware.
    device: str = "auto"  # one of DEVICES; auto picks CUDA, then Apple MPS, then CPU
    precision: str = "auto"  # one of PRECISIONS; auto: bf16 on GPUs that support it, else fp16, fp32 on CPU
    cpu_threads: int = 0  # torch threads on CPU; 0: every core (the window leaves one free)
    # Output and inspection.
    output_dir: str = ""  # the run folder
    probe_sentences: list[str] = field(default_factory=list)  # recorded at each evaluation (inspection)

    @classmethod
    def for_task(cls, task: str, **values: Any) -> RunConfig:
        """A config starting from the task's default hyper-parameters, `values` laid over them."""
        return cls(**{"task": task, **get_task(task).defaults.settings(), **values})

    @property
    def spec(self):
        """The task's TaskSpec (ConfigError for an unknown task)."""
        return get_task(self.task)

    @property
    def is_pretraining(self) -> bool:
        return self.spec.pretraining

    @property
    def best_metric(self) -> str:
        return self.metric_for_best or self.spec.default_best_metric(labelled=bool(self.label_columns))

    @property
    def greater_is_better(self) -> bool:
        if not self.metric_for_best:
            return self.spec.greater_is_better
        return not is_lower_better(self.metric_for_best)

    @property
    def read_options(self) -> ReadOptions:
        """How the run's data files are read (encoding, delimiter, header as the config words them)."""
        return ReadOptions.from_text(self.encoding, self.delimiter, self.header)

    def validate(self) -> None:
        """Raise ConfigError naming the first setting that cannot start a run and what to do."""
        _choice("task", self.task, task_names())
        spec = self.spec
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("device", self.device, DEVICES)
        _choice("precision", self.precision, PRECISIONS)
        _choice("header", self.header, HEADER_CHOICES)
        if not self.output_dir:
            raise ConfigError(
                "No run folder given (output_dir).", "Choose where the run is saved (--out RUN_DIR)."
            )
        if not spec.starts_from_model:
            from bertstudio.model.config import PRESETS

            _choice("preset", self.preset, tuple(PRESETS))
        elif not self.model_path:
            raise ConfigError(
                f"Task {self.task} starts from a model, but no model folder is given (model_path).",
                "Choose a model folder in the Hugging Face layout (--model DIR).",
            )
        if spec.pretraining:
            if self.vocab_size < 10:
                raise ConfigError(f"vocab_size must be at least 10, got {self.vocab_size!r}.")
            if not self.corpus_paths:
                raise ConfigError(
                    "Pretraining needs a text corpus (corpus_paths).", "Give one or more text files."
                )
        else:
            if not self.data_path:
                raise ConfigError(
                    "No training data given (data_path).", "Choose a CSV, TSV or JSONL file (--data)."
                )
            self._check_columns(spec)
        for name in ("epochs", "batch_size", "gradient_accumulation", "max_length", "keep_checkpoints"):
            _positive(name, getattr(self, name))
        for name in (
            "max_steps",
            "eval_every_steps",
            "early_stopping_patience",
            "save_every_steps",
            "cpu_threads",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 or more, got {getattr(self, name)!r}.")
        if self.learning_rate <= 0:
            raise ConfigError(
                f"learning_rate must be positive, got {self.learning_rate!r}.", "Typical: 2e-5 to 5e-5."
            )
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ConfigError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio!r}.")
        if not 0.0 < self.mlm_probability < 1.0:
            raise ConfigError(f"mlm_probability must be in (0, 1), got {self.mlm_probability!r}.")
        if not 0.0 <= self.validation_fraction < 1.0 or not 0.0 <= self.test_fraction < 1.0:
            raise ConfigError("validation_fraction and test_fraction must be in [0, 1).")
        if self.validation_fraction + self.test_fraction >= 1.0:
            raise ConfigError("validation_fraction + test_fraction leave no training data.")
        if self.metric_for_best and not self.metric_for_best.replace("_", "").isalnum():
            raise ConfigError(f"metric_for_best {self.metric_for_best!r} is not a metric name.")

    def _check_columns(self, spec) -> None:
        if spec.answers_questions:
            from bertstudio.data.qa_windows import check_window_settings
            from bertstudio.data.squad import is_squad_file

            check_window_settings(self.max_length, self.doc_stride)
            _positive("max_answer_length", self.max_answer_length)
            if is_squad_file(self.data_path):
                return  # SQuAD JSON names its contexts, questions and answers itself
        for role in spec.columns:
            name = COLUMN_FIELDS[role.name]
            if role.required and not getattr(self, name):
                raise ConfigError(
                    f"The {spec.name} task needs a {role.title.lower()} column, but none is given ({name}).",
                    f"Name the column ({role.flag} COLUMN).",
                    window_hint=f"Choose it in the {role.title} box on the Data page's Columns tab.",
                )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def applies(self, name: str) -> bool:
        """Whether this run's task reads setting `name` (a fine-tuning run has no preset, a run from
        scratch no model_path, only multi-label a label delimiter, only pairs a second text)."""
        if name in NEW_MODEL_SETTINGS:
            return self.task == "pretraining"
        if name in CORPUS_SETTINGS:
            return self.is_pretraining
        if name in QA_SETTINGS:
            return self.spec.answers_questions
        if name in TABLE_SETTINGS:
            if self.is_pretraining or (name in NOT_QA_SETTINGS and self.spec.answers_questions):
                return False
            if name == "negative_column":
                return self.spec.reads("negative")
            if name == "label_delimiter":
                return self.task == "multi_label"
            if name == "text_pair_column":
                return self.spec.requires("text_pair") or bool(
                    self.text_pair_column and self.task != "token_classification"
                )
            return True
        if name == "model_path":
            return self.task != "pretraining"
        return True

    def applicable_dict(self) -> dict[str, Any]:
        """The settings this run's task reads (what run.json and a saved config hold); the others
        come back as their defaults when the file is read."""
        return {name: value for name, value in self.to_dict().items() if self.applies(name)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | Path | None = None) -> RunConfig:
        """Build from a mapping (TOML or run.json); unknown keys and wrong types are ConfigErrors."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ConfigError(
                f"Unknown setting(s): {', '.join(unknown)}.",
                f"Known settings: {', '.join(fields)}.",
                path=source,
            )
        defaults = cls()
        values: dict[str, Any] = {}
        for name, value in data.items():
            expected = getattr(defaults, name)
            values[name] = _coerce(name, value, expected, source)
        return cls(**values)

    def save_toml(self, path: str | Path) -> None:
        atomic_write_text(path, dump_toml(self.applicable_dict()))

    @classmethod
    def load_toml(cls, path: str | Path) -> RunConfig:
        return cls.from_dict(load_toml(path), source=path)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name} {value!r} is not supported.", f"Use one of: {', '.join(allowed)}.")


def _positive(name: str, value: int) -> None:
    if value <= 0:
        raise ConfigError(f"{name} must be a positive whole number, got {value!r}.")


def _coerce(name: str, value: Any, expected: Any, source: str | Path | None) -> Any:
    def wrong() -> ConfigError:
        kind = type(expected).__name__
        return ConfigError(f"Setting {name} must be a {kind}, got {value!r}.", path=source)

    if isinstance(expected, bool):
        if not isinstance(value, bool):
            raise wrong()
        return value
    if isinstance(expected, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise wrong()
        return int(value)
    if isinstance(expected, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong()
        return float(value)
    if isinstance(expected, str):
        if not isinstance(value, str):
            raise wrong()
        return value
    if isinstance(expected, list):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise wrong()
        return list(value)
    raise wrong()
