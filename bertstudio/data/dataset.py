"""Labelled examples built from a table and a column mapping, with every unusable row accounted for.

`parse_rows` turns each row into text / pair / target and records a `Problem` (line, column, reason)
for every row that cannot be used as is. `build_dataset` refuses problem rows unless the user chose
to exclude them, and the dataset keeps the excluded ones, so nothing disappears silently.
"""

from __future__ import annotations

import gc
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from bertstudio.data.mapping import SPLIT_NAMES, ColumnMapping, to_number, uses_decimal_comma
from bertstudio.data.reading import Table
from bertstudio.errors import DataImportError
from bertstudio.tasks import get_task
from bertstudio.tasks.spec import MULTI_LABEL, REGRESSION, SIMILARITY

_TRUE = {"1", "1.0", "true", "yes"}
_FALSE = {"0", "0.0", "false", "no", ""}


@dataclass(slots=True)  # a file can have a million problem rows
class Problem:
    """One problem row: where it is and why. `severity` "error" rows cannot be used as they are;
    "warning" rows can (duplicates, labels seen only outside train)."""

    line: int
    reason: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LabeledDataset:
    """Examples for one task. `labels` per task: class ids (classification), floats (regression),
    multi-hot float lists (multi_label), per-word tag ids (token_classification, with `words`),
    similarity scores (sentence_similarity; NaN for (anchor, positive) pairs without a score)."""

    task: str
    texts: list[str]
    labels: list[Any]
    label_names: list[str]
    line_numbers: np.ndarray
    pairs: list[str] | None = None
    words: list[list[str]] | None = None
    split_values: list[str] | None = None  # train / validation / test per row, from a split column
    negatives: list[str] | None = None  # a hard negative per row (sentence_similarity)
    source: str | None = None
    excluded: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Sequence[int] | np.ndarray) -> LabeledDataset:
        """The examples at `indices`, in that order (excluded rows stay with the whole dataset)."""
        indices = [int(i) for i in indices]
        pick = _picker(indices)
        return replace(
            self,
            texts=pick(self.texts),
            labels=pick(self.labels),
            line_numbers=self.line_numbers[np.asarray(indices, dtype=np.int64)],
            pairs=pick(self.pairs) if self.pairs is not None else None,
            words=pick(self.words) if self.words is not None else None,
            split_values=pick(self.split_values) if self.split_values is not None else None,
            negatives=pick(self.negatives) if self.negatives is not None else None,
            excluded=[],
        )

    @property
    def num_labels(self) -> int:
        return len(self.label_names) if get_task(self.task).has_label_names else 1


def _picker(indices: list[int]):
    if not indices:
        return lambda values: []
    if len(indices) == 1:
        return lambda values: [values[indices[0]]]
    getter = itemgetter(*indices)
    return lambda values: list(getter(values))


@dataclass
class ParsedRows:
    """Every row's fields parsed for a task; `bad_rows` marks rows with an error-severity problem."""

    texts: list[str]
    pairs: list[str] | None
    labels: list[Any]
    label_names: list[str]
    words: list[list[str]] | None
    split_values: list[str] | None
    problems: list[Problem]
    bad_rows: set[int]
    negatives: list[str] | None = None


def raise_unusable(errors: list[Problem], count: int, unit: str, path) -> None:
    """The DataImportError of data whose problem `unit` (rows, questions) stop training: the first five
    named by line, and the way out (fix them, or exclude them)."""
    shown = "; ".join(f"line {p.line}: {p.message}" for p in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    raise DataImportError(
        f"{count} {unit} cannot be used: {shown}{more}.",
        f"Fix these {unit}, or choose to exclude them (they are counted in the report).",
        path=path,
        line=errors[0].line,
    )


def build_dataset(
    table: Table,
    mapping: ColumnMapping,
    label_names: Sequence[str] | None = None,
    exclude_problem_rows: bool = False,
) -> LabeledDataset:
    """The dataset for `mapping`. Rows with problems raise DataImportError (naming the first ones)
    unless `exclude_problem_rows`: then they are left out and listed in `dataset.excluded`.
    `label_names` fixes the label space (e.g. a model's labels); unknown labels are problems."""
    if not len(table):
        raise no_data_rows(table.path)
    with bulk_objects():
        parsed = parse_rows(table, mapping, label_names)
    errors = [p for p in parsed.problems if p.severity == "error"]
    if errors and not exclude_problem_rows:
        raise_unusable(errors, len(parsed.bad_rows) + len(table.unparsed), "rows", table.path)
    keep = [i for i in range(len(table)) if i not in parsed.bad_rows] if parsed.bad_rows else None
    dataset = LabeledDataset(
        task=mapping.task,
        texts=parsed.texts,
        labels=parsed.labels,
        label_names=parsed.label_names,
        line_numbers=table.line_numbers,
        pairs=parsed.pairs,
        words=parsed.words,
        split_values=parsed.split_values,
        negatives=parsed.negatives,
        source=str(table.path) if table.path else None,
    )
    if keep is not None:
        dataset = dataset.subset(keep)
    dataset.excluded = errors
    if not len(dataset):
        raise DataImportError("No usable rows are left.", "Check the column mapping.", path=table.path)
    return dataset


def no_data_rows(path: str | Path | None) -> DataImportError:
    """The error for a table that has a header row and nothing under it."""
    return DataImportError(
        f"The {'file' if path else 'table'} has a header row but no data rows.",
        "Add the data rows below the header, or open the file that holds them.",
        path=path,
    )


@contextmanager
def bulk_objects() -> Iterator[None]:
    """Pause the cyclic garbage collector while a million small, acyclic objects (problem rows) are
    built: its repeated full passes over everything alive would otherwise double the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_rows(table: Table, mapping: ColumnMapping, label_names: Sequence[str] | None = None) -> ParsedRows:
    """Parse text, pair, targets and split of every row; one Problem per unusable field."""
    mapping.check(table)
    problems: list[Problem] = []
    lines = table.line_numbers
    for row, count in table.ragged.items():
        width = len(table.columns)
        extra = table.extra_fields.get(row)
        message = f"{count} fields where the header has {width}"
        message += f" (extra: {extra!r}; a delimiter inside an unquoted text?)" if extra else ""
        problems.append(Problem(int(lines[row]), "ragged_row", message, row))
    for line, reason in table.unparsed:
        problems.append(Problem(line, "unparsed_line", reason))
    pairs = _texts(table, mapping.text_pair, "empty_pair", problems) if mapping.text_pair else None
    negatives = _texts(table, mapping.negative, "empty_negative", problems) if mapping.negative else None
    words = None
    if mapping.spec.per_token:
        words, labels, names = _token_tags(table, mapping, label_names, problems)
        texts = [" ".join(w) for w in words]
    else:
        texts = _texts(table, mapping.text, "empty_text", problems)
        labels, names = _targets(table, mapping, label_names, problems)
    split_values = _split_values(table, mapping.split_column, problems) if mapping.split_column else None
    if table.ragged:  # a ragged row is reported once, not again for each field it garbles
        problems = [p for p in problems if p.row not in table.ragged or p.reason == "ragged_row"]
    problems.sort(key=attrgetter("line", "reason"))
    bad_rows = {p.row for p in problems if p.severity == "error" and p.row is not None}
    return ParsedRows(
        texts, pairs, labels, names, words, split_values, problems, bad_rows, negatives=negatives
    )


def _targets(table, mapping, label_names, problems) -> tuple[list[Any], list[str]]:
    problem = mapping.spec.problem_type
    if problem == SIMILARITY and not mapping.labels:
        return [math.nan] * len(table), []
    if problem in (REGRESSION, SIMILARITY):
        return _regression_targets(table, mapping.labels[0], problems), [mapping.labels[0]]
    if problem == MULTI_LABEL:
        return _multi_hot(table, mapping, label_names, problems)
    return _class_ids(table, mapping.labels[0], label_names, problems)


def _cell(value: Any) -> str:
    """A value as shown in a problem message."""
    return "" if value is None else str(value)


def _problem(table: Table, row: int, column: str, reason: str, message: str, value: Any = None) -> Problem:
    shown = None if value is None else _cell(value)[:200]
    return Problem(int(table.line_numbers[row]), reason, message, row, column, shown)


def _texts(table: Table, column: str, reason: str, problems: list[Problem]) -> list[str]:
    values = table.column(column)
    if not all(type(v) is str for v in values):  # JSON numbers / None: make them text, missing -> ""
        values = ["" if v is None else v if isinstance(v, str) else str(v) for v in values]
    for row in (i for i, text in enumerate(values) if not text or text.isspace()):
        problems.append(_problem(table, row, column, reason, f"empty text in {column!r}"))
    return values


def _label_key(value: Any) -> str:
    """A class label as a string ("" when missing); JSON 1.0 and 1 are the same class."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value.strip() if isinstance(value, str) else str(value)


def _label_keys(values: list[Any]) -> list[str]:
    if all(type(v) is str for v in values):
        return list(map(str.strip, values))
    return [_label_key(v) for v in values]


def sorted_label_names(names: set[str] | Counter) -> list[str]:
    """Numeric labels in numeric order, others alphabetically ("O" first for tags)."""
    names = list(names)
    try:
        return sorted(names, key=float)
    except ValueError:
        return sorted(names, key=lambda name: (name != "O", name))


def _class_ids(table, column, label_names, problems) -> tuple[list[int], list[str]]:
    values = table.column(column)
    keys = _label_keys(values)
    counts = Counter(keys)
    counts.subtract(keys[row] for row in table.ragged)  # a ragged row's fields are not trusted
    counts = +counts
    counts.pop("", None)
    names = list(label_names) if label_names is not None else sorted_label_names(counts)
    index = {name: i for i, name in enumerate(names)}
    ids = [index.get(key, -1) for key in keys]
    for row in (i for i, label in enumerate(ids) if label < 0):
        if not keys[row]:
            problems.append(_problem(table, row, column, "missing_label", f"no label in {column!r}"))
        else:
            message = f"label {keys[row]!r} is not one of the {len(names)} labels"
            problems.append(_problem(table, row, column, "unknown_label", message, values[row]))
    return ids, names


def _regression_targets(table, column, problems) -> list[float]:
    decimal_comma = uses_decimal_comma(table)
    targets = []
    for row, value in enumerate(table.column(column)):
        try:
            number = to_number(value, decimal_comma)
        except (TypeError, ValueError):
            number = math.nan
            if value in (None, ""):
                problems.append(_problem(table, row, column, "missing_label", f"no target in {column!r}"))
            else:
                message = f"target {_cell(value)!r} is not a number"
                problems.append(_problem(table, row, column, "not_a_number", message, value))
        else:
            if not math.isfinite(number):
                problems.append(_problem(table, row, column, "not_a_number", "target is not finite", value))
        targets.append(number)
    return targets


def _multi_hot(table, mapping, label_names, problems) -> tuple[list[list[float]], list[str]]:
    if len(mapping.labels) > 1:
        return _multi_hot_columns(table, mapping.labels, problems), list(mapping.labels)
    column = mapping.labels[0]
    delimiter = mapping.label_delimiter
    sets: list[list[str] | None] = []
    for value in table.column(column):
        if isinstance(value, list):
            pieces = _label_keys(value)
        elif value is None:
            pieces = None
        else:
            text = str(value)
            pieces = [p.strip() for p in (text.split(delimiter) if delimiter else [text])]
        sets.append([p for p in pieces if p] if pieces is not None else None)
    seen = Counter(p for pieces in sets if pieces for p in pieces)
    names = list(label_names) if label_names is not None else sorted_label_names(seen)
    index = {name: i for i, name in enumerate(names)}
    labels = []
    for row, pieces in enumerate(sets):
        hot = [0.0] * len(names)
        if pieces is None:
            problems.append(_problem(table, row, column, "missing_label", f"no labels in {column!r}"))
        for piece in pieces or ():
            if piece in index:
                hot[index[piece]] = 1.0
            else:
                message = f"label {piece!r} is not one of the {len(names)} labels"
                problems.append(_problem(table, row, column, "unknown_label", message, piece))
        labels.append(hot)
    return labels, names


def _multi_hot_columns(table, columns, problems) -> list[list[float]]:
    values_by_column = [table.column(name) for name in columns]
    labels = []
    for row, values in enumerate(zip(*values_by_column)):
        hot = []
        for column, value in zip(columns, values):
            text = str(value).strip().lower() if value is not None else ""
            if text in _TRUE:
                hot.append(1.0)
            elif text in _FALSE and value is not None and text != "":
                hot.append(0.0)
            else:
                message = f"{column!r} must be 0 or 1, not {_cell(value)!r}"
                problems.append(_problem(table, row, column, "not_binary", message, value))
                hot.append(0.0)
        labels.append(hot)
    return labels


def _token_tags(table, mapping, label_names, problems):
    column = mapping.labels[0]
    words = [_tokens_of(v) for v in table.column(mapping.text)]
    tags = [_tokens_of(v) for v in table.column(column)]
    seen = Counter(tag for row_tags in tags for tag in row_tags)
    names = list(label_names) if label_names is not None else sorted_label_names(seen)
    index = {name: i for i, name in enumerate(names)}
    labels = []
    for row, (row_words, row_tags) in enumerate(zip(words, tags)):
        if not row_words:
            problems.append(_problem(table, row, mapping.text, "empty_text", f"no words in {mapping.text!r}"))
        elif len(row_words) != len(row_tags):
            message = f"{len(row_tags)} tags for {len(row_words)} words"
            problems.append(_problem(table, row, column, "tag_count", message, " ".join(row_tags)))
        unknown = [tag for tag in row_tags if tag not in index]
        if unknown:
            message = f"tag {unknown[0]!r} is not one of the {len(names)} tags"
            problems.append(_problem(table, row, column, "unknown_label", message, unknown[0]))
        labels.append([index.get(tag, -1) for tag in row_tags])
    return words, labels, names


def _tokens_of(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return value.split() if isinstance(value, str) else []


def _split_values(table, column, problems) -> list[str]:
    result = []
    for row, value in enumerate(table.column(column)):
        name = SPLIT_NAMES.get(_cell(value).strip().lower())
        if name is None:
            message = f"split {_cell(value)!r} is not train, validation or test"
            problems.append(_problem(table, row, column, "unknown_split", message, value))
        result.append(name or "")
    return result
