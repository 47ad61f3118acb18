"""Turn a RunConfig into a model, a tokenizer and batch sources for train / validation / test.

Fine-tuning reads a table through the data layer (bertstudio.data); pretraining trains a WordPiece
tokenizer on the corpus (or reuses the loaded model's), then cuts the corpus into masked-LM examples.
Splits are deterministic per seed, so a resumed run rebuilds exactly the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer

from bertstudio.errors import DataImportError
from bertstudio.tasks import NSP_HEAD
from bertstudio.tasks.spec import SINGLE_LABEL
from bertstudio.training.config import RunConfig
from bertstudio.training.distributed import DistributedContext
from bertstudio.training.run_store import RunFolder

MAX_HELD_OUT_EXAMPLES = 10_000
ALLOWS_NO_ANSWER = "version_2_with_negative"  # config.json: a QA model trained on unanswerable questions  # pretraining: enough for a stable masked-LM loss, quick to evaluate


class LabeledSource:
    """A labelled, encoded dataset the trainer batches with the data layer's dynamic-padding collate."""

    def __init__(self, dataset, tokenizer: Tokenizer, max_length: int) -> None:
        from bertstudio.data import encode_dataset
        from bertstudio.text import special_token_ids

        self.dataset = dataset
        self.encoded = encode_dataset(dataset, tokenizer, max_length)
        self.lengths = self.encoded.lengths
        self.pad_id = special_token_ids(tokenizer)["pad"]

    def batch(self, indices: list[int], generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        from bertstudio.data import collate

        return collate(self.encoded, indices, self.pad_id)


class QASource:
    """Questions cut into windows (data.qa_windows); the trainer batches windows, and evaluation
    turns the windows' logits back into one answer per question (`dataset.examples`)."""

    def __init__(
        self, dataset, tokenizer: Tokenizer, max_length: int, doc_stride: int, answer_settings
    ) -> None:
        from bertstudio.data.qa_windows import encode_windows
        from bertstudio.text import special_token_ids

        self.dataset = dataset
        self.answer_settings = answer_settings  # training.qa_answers.AnswerSettings
        self.windows = encode_windows(dataset.examples, tokenizer, max_length, doc_stride)
        self.encoded = self.windows.encoded
        self.lengths = self.encoded.lengths
        self.pad_id = special_token_ids(tokenizer)["pad"]

    def batch(self, indices: list[int], generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        from bertstudio.data import collate

        return collate(self.encoded, indices, self.pad_id)


class MaskedSource:
    """Some examples of a pretraining corpus (`build_pretraining_dataset`), masked per batch; the
    generator (seeded per step) decides the masks."""

    def __init__(self, encoded, rows: np.ndarray, collator) -> None:
        self.dataset = None
        self.encoded = encoded
        self.rows = rows  # indices into `encoded` that this source covers
        self.lengths = encoded.lengths[rows]
        self.collator = collator

    def batch(self, indices: list[int], generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        return self.collator.collate(self.encoded, self.rows[np.asarray(indices, dtype=np.int64)], generator)


@dataclass
class PreparedRun:
    model: torch.nn.Module  # on CPU, train mode
    tokenizer: Tokenizer
    model_task: str
    label_names: list[str] | None
    train: Any  # LabeledSource or MaskedSource
    validation: Any | None
    test: Any | None
    data_files: list[Path] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)


def prepare_run(
    config: RunConfig,
    folder: RunFolder,
    log: Callable[..., None],
    context: DistributedContext | None = None,
) -> PreparedRun:
    if config.is_pretraining:
        prepared = _prepare_pretraining(config, folder, log, context or DistributedContext())
    else:
        prepared = _prepare_fine_tuning(config, folder, log)
    prepared.model.train()
    prepared.sizes = {
        "train": len(prepared.train.lengths),
        "validation": len(prepared.validation.lengths) if prepared.validation else 0,
        "test": len(prepared.test.lengths) if prepared.test else 0,
    }
    return prepared


def column_mapping(config: RunConfig):
    from bertstudio.data import ColumnMapping

    return ColumnMapping(
        text=config.text_column,
        text_pair=config.text_pair_column or None,
        labels=list(config.label_columns),
        task=config.task,
        label_delimiter=config.label_delimiter or None,
        split_column=config.split_column or None,
        negative=config.negative_column or None,
    )


def load_splits(
    config: RunConfig, label_names: list[str] | None = None, log: Callable[..., None] | None = None
) -> dict[str, Any]:
    """train / validation / test LabeledDatasets (validation and test None when absent). The label
    space is the training data's, or `label_names` when given (run.json's, on resume). Rows left out
    (exclude_problem_rows) are reported through `log`, never dropped silently."""
    from bertstudio.data import build_dataset, load_split_files, read_table, split_by_column

    mapping = column_mapping(config)
    exclude = config.exclude_problem_rows
    options = config.read_options
    if config.validation_path or config.test_path:
        files = {"train": config.data_path, "validation": config.validation_path, "test": config.test_path}
        splits = load_split_files(
            {k: v for k, v in files.items() if v},
            mapping,
            exclude_problem_rows=exclude,
            label_names=label_names,
            read_options=options,
        )
        built = list(splits.values())
        how = "from the given files"
    else:
        data = build_dataset(
            read_table(config.data_path, options),
            mapping,
            label_names=label_names,
            exclude_problem_rows=exclude,
        )
        built = [data]
        if config.split_column:
            splits = split_by_column(data)
            how = f"split by the {config.split_column!r} column"
        else:
            splits, how = split_by_fractions(config, data)
    for dataset in built:
        if dataset.excluded and log is not None:
            shown = "; ".join(f"line {p.line}: {p.message}" for p in dataset.excluded[:5])
            log(f"{len(dataset.excluded)} unusable rows of {dataset.source} left out ({shown}).", "warning")
    return non_empty_splits(config, splits, how, "rows", log)


def split_by_fractions(config: RunConfig, data) -> tuple[dict[str, Any], str]:
    """The run's seeded train / validation / test split of `data`, and how it was made (for the log)."""
    from bertstudio.data import split_dataset

    fractions = (
        1.0 - config.validation_fraction - config.test_fraction,
        config.validation_fraction,
        config.test_fraction,
    )
    splits = split_dataset(data, sizes=fractions, seed=config.seed)
    return splits, f"split {fractions[0]:.0%} / {fractions[1]:.0%} / {fractions[2]:.0%} (seed {config.seed})"


def non_empty_splits(
    config: RunConfig, splits: dict[str, Any], how: str, unit: str, log: Callable[..., None] | None
) -> dict[str, Any]:
    """train / validation / test with None for an empty one, logged; DataImportError without training data."""
    result = {
        name: (splits.get(name) if splits.get(name) is not None and len(splits[name]) else None)
        for name in ("train", "validation", "test")
    }
    if log is not None:
        counts = ", ".join(f"{len(result[name]) if result[name] else 0:,} {name}" for name in result)
        log(f"{unit.capitalize()}: {counts} ({how}).")
    if result["train"] is None:
        raise DataImportError(
            f"No {unit} are left for training after the split.",
            "Use more data, or smaller validation_fraction / test_fraction.",
            path=config.data_path,
        )
    return result


def load_qa_splits(config: RunConfig, log: Callable[..., None] | None = None) -> dict[str, Any]:
    """train / validation / test QADatasets of a question-answering run: SQuAD JSON or a table,
    split by the run's fractions unless validation / test files are given."""
    from bertstudio.data.squad import QAColumns, build_qa_dataset, read_questions

    columns = None
    if config.context_column or config.question_column or config.answer_column:
        columns = QAColumns(
            context=config.context_column,
            question=config.question_column,
            answer=config.answer_column,
            answer_start=config.answer_start_column,
        )
    options = config.read_options

    def load(path: str):
        dataset = build_qa_dataset(read_questions(path, columns, options), config.exclude_problem_rows)
        if dataset.excluded and log is not None:
            shown = "; ".join(f"line {p.line}: {p.message}" for p in dataset.excluded[:5])
            log(f"{len(dataset.excluded)} unusable questions of {path} left out ({shown}).", "warning")
        return dataset

    train = load(config.data_path)
    if config.validation_path or config.test_path:
        splits = {"train": train}
        splits.update(
            {
                name: load(path)
                for name, path in (("validation", config.validation_path), ("test", config.test_path))
                if path
            }
        )
        how = "from the given files"
    else:
        splits, how = split_by_fractions(config, train)
    return non_empty_splits(config, splits, how, "questions", log)


def _prepare_question_answering(config: RunConfig, log: Callable[..., None]) -> PreparedRun:
    from bertstudio.model import load_pretrained
    from bertstudio.training.qa_answers import AnswerSettings

    splits = load_qa_splits(config, log)
    # The model learns "no answer" only from unanswerable questions (SQuAD v2.0); without any, it always answers.
    allows_null = splits["train"].unanswerable > 0
    settings = AnswerSettings(
        max_answer_length=config.max_answer_length,
        null_threshold=config.null_threshold if allows_null else None,
    )
    model, tokenizer = load_pretrained(config.model_path, task=config.spec.model_head)
    if model.load_report.newly_initialized:
        log("New head initialised: qa_outputs")
    model.config.extra[ALLOWS_NO_ANSWER] = allows_null  # saved in config.json: predict answers "" only then
    max_length = min(config.max_length, model.config.max_length)
    sources = {
        name: QASource(dataset, tokenizer, max_length, config.doc_stride, settings)
        if dataset is not None
        else None
        for name, dataset in splits.items()
    }
    train = sources["train"]
    log(
        f"Training windows: {len(train.lengths):,} for {len(train.dataset):,} questions ({max_length} tokens, stride {config.doc_stride})."
    )
    files = [Path(p) for p in (config.data_path, config.validation_path, config.test_path) if p]
    return PreparedRun(
        model, tokenizer, config.spec.model_head, None, train, sources["validation"], sources["test"], files
    )


def _prepare_fine_tuning(config: RunConfig, folder: RunFolder, log: Callable[..., None]) -> PreparedRun:
    from bertstudio.model import load_pretrained

    if config.spec.answers_questions:
        return _prepare_question_answering(config, log)

    saved_names = folder.read_info().get("label_names") if folder.exists() else None
    splits = load_splits(config, saved_names, log)
    train = splits["train"]
    names = list(train.label_names)
    if config.spec.problem_type == SINGLE_LABEL and saved_names is None:
        _check_classes(config, names, [s for s in splits.values() if s is not None], log)
    model_task = config.spec.model_head
    if config.spec.encodes_apart and config.label_columns:
        _check_similarity_scores(train, config, log)
    # A head trained for another label set is replaced by a fresh one (model.load_report says so).
    head_labels = None if config.spec.encodes_apart else names  # a sentence encoder has no labels
    model, tokenizer = load_pretrained(config.model_path, task=model_task, labels=head_labels)
    fresh = sorted({name.split(".")[0] for name in model.load_report.newly_initialized})
    if fresh:
        log(f"New head initialised: {', '.join(fresh)}")
    max_length = min(config.max_length, model.config.max_length)
    if config.max_length > max_length:
        log(
            f"max_length {config.max_length} is beyond what this {model.family.title} model accepts "
            f"({max_length} tokens): examples are cut at {max_length}.",
            "warning",
        )
    sources = {
        k: (LabeledSource(v, tokenizer, max_length) if v is not None else None) for k, v in splits.items()
    }
    clipped = sum(source.encoded.clipped for source in sources.values() if source is not None)
    if clipped:
        log(
            f"{clipped:,} texts are far longer than {max_length} tokens: they were cut before tokenizing "
            "(they are truncated to max_length all the same).",
            "warning",
        )
    files = [Path(p) for p in (config.data_path, config.validation_path, config.test_path) if p]
    return PreparedRun(
        model, tokenizer, model_task, names, sources["train"], sources["validation"], sources["test"], files
    )


def _check_similarity_scores(train, config: RunConfig, log: Callable[..., None]) -> None:
    """Warn when gold similarity scores leave the range a cosine can reach (STS's 0-5, say)."""
    scores = np.asarray(train.labels, dtype=np.float64)
    low, high = float(scores.min()), float(scores.max())
    if low < -1.0 or high > 1.0:
        log(
            f"The scores in {config.label_columns[0]!r} run from {low:g} to {high:g}, but a cosine lies in "
            "[-1, 1]: the loss cannot reach them. Rescale the column (e.g. divide 0-5 scores by 5).",
            "warning",
        )


def _check_classes(config: RunConfig, names: list[str], datasets: list, log: Callable[..., None]) -> None:
    """The data report's rules on the classes (class_verdict): one class stops the run, many warn."""
    from bertstudio.data.label_rules import class_verdict

    counts = np.zeros(len(names), dtype=np.int64)
    for dataset in datasets:
        counts += np.bincount(np.asarray(dataset.labels, dtype=np.int64), minlength=len(names))[: len(names)]
    verdict = class_verdict(dict(zip(names, counts.tolist(), strict=True)), config.label_columns[0])
    if verdict.errors:
        raise DataImportError(
            verdict.errors[0],
            "Map another label column, or add rows of other classes.",
            path=config.data_path,
        )
    for warning in verdict.warnings:
        log(warning, "warning")


def _prepare_pretraining(
    config: RunConfig, folder: RunFolder, log: Callable[..., None], context: DistributedContext
) -> PreparedRun:
    from bertstudio.data import MaskedLMCollator, build_pretraining_dataset, iter_documents
    from bertstudio.model import BertConfig, build_model, load_pretrained
    from bertstudio.text import load_tokenizer, save_tokenizer, train_wordpiece

    model_task = NSP_HEAD if config.nsp else config.spec.model_head
    paths = [Path(p) for p in config.corpus_paths]
    if config.spec.starts_from_model:
        model, tokenizer = load_pretrained(config.model_path, task=model_task)
        if model.load_report.newly_initialized:
            log("The checkpoint has no masked-LM head; a new one was initialised.")
    else:
        # One process trains the vocabulary; every process then reads the same saved files.
        if context.is_main and not (folder.tokenizer_dir / "tokenizer.json").is_file():
            log(f"Training a WordPiece tokenizer (vocabulary {config.vocab_size}) on the corpus.")
            trained = train_wordpiece(
                iter_documents(paths), vocab_size=config.vocab_size, lowercase=config.lowercase
            )
            save_tokenizer(trained, folder.tokenizer_dir, config.max_length)
            learned = trained.get_vocab_size()
            if learned < config.vocab_size:
                log(
                    f"The corpus gave a vocabulary of {learned:,} tokens, fewer than the {config.vocab_size:,} "
                    "asked for: every word and piece it has fits. More text gives a larger vocabulary.",
                    "warning",
                )
        context.barrier()
        tokenizer = load_tokenizer(folder.tokenizer_dir, max_length=config.max_length)
        model_config = BertConfig.preset(
            config.preset,
            vocab_size=tokenizer.get_vocab_size(),
            max_position_embeddings=max(512, config.max_length),
        )
        model = build_model(model_config, model_task)
    max_length = min(config.max_length, model.config.max_length)
    encoded = build_pretraining_dataset(
        paths, tokenizer, max_length, next_sentence=config.nsp, seed=config.seed
    )
    order = np.random.default_rng(config.seed).permutation(len(encoded))
    held_out = min(int(len(encoded) * config.validation_fraction), MAX_HELD_OUT_EXAMPLES)
    collator = MaskedLMCollator(
        tokenizer, probability=config.mlm_probability, whole_word=config.whole_word_mask
    )
    train = MaskedSource(encoded, np.sort(order[held_out:]), collator)
    validation = MaskedSource(encoded, np.sort(order[:held_out]), collator) if held_out else None
    log(f"Corpus: {len(encoded)} examples of up to {max_length} tokens ({held_out} held out for evaluation).")
    return PreparedRun(model, tokenizer, model_task, None, train, validation, None, paths)
