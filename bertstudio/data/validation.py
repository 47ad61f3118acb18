"""The validation report: what is in a table, what is wrong with which row, and whether it is usable.

One pass over the parsed rows gives row and column counts, label counts (imbalance flagged), every
problem row with its line and reason (empty text, missing label, non-numeric target, tag count,
ragged row, duplicates, labels only outside train), and, with a tokenizer, token-length statistics,
the share truncated at `max_length` and the [UNK] rate. The CLI prints it; the GUI shows it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import compress
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from bertstudio.data.dataset import ParsedRows, Problem, bulk_objects, no_data_rows, parse_rows
from bertstudio.data.encoded import UNTRUNCATED, clip_texts, unpadded
from bertstudio.data.label_rules import class_verdict
from bertstudio.data.mapping import ColumnMapping, guess_label_delimiter, mostly_unique
from bertstudio.data.reading import Table
from bertstudio.data.splits import SPLITS, split_counts, split_indices
from bertstudio.tasks import get_task
from bertstudio.tasks.spec import MULTI_LABEL, REGRESSION, SIMILARITY, SINGLE_LABEL, TOKEN_TAGS

if TYPE_CHECKING:
    from tokenizers import Tokenizer

IMBALANCE_RATIO = 10.0  # most common / least common class at or above this is flagged
TOKEN_SAMPLE_ROWS = 100_000
HISTOGRAM_BINS = 30
CASE_VARIANTS_SHOWN = 5


@dataclass
class ColumnSummary:
    name: str
    kind: str  # text, integer, number, boolean, list, empty
    non_empty: int
    empty: int
    distinct: int
    mean_length: float
    examples: list[str]


@dataclass
class TokenStats:
    """Token lengths (special tokens included) over `rows` rows (a seeded sample when `sampled`)."""

    rows: int
    sampled: bool
    max_length: int
    mean: float
    median: float
    p95: float
    longest: int
    truncated_share: float
    unk_rate: float
    histogram_edges: list[int]  # bin i holds lengths in [edges[i], edges[i + 1])
    histogram_counts: list[int]
    # the longest input the model accepts (its position table), None when not known; training cuts at
    # min(max_length, model_limit), and so does truncated_share
    model_limit: int | None = None


@dataclass
class ValidationReport:
    """Everything known about a table under a mapping; `usable` is False only when no training
    is possible (`errors` says why). Problem rows are listed and counted, never dropped."""

    source: str | None
    dialect: dict[str, Any]
    rows: int
    blank_lines: int
    columns: list[ColumnSummary]
    mapping: dict[str, Any]
    task: str
    label_names: list[str]
    label_counts: dict[str, int]
    imbalance_ratio: float | None
    imbalanced: bool
    target_stats: dict[str, float] | None
    problems: list[Problem]
    problem_counts: dict[str, int]
    problem_rows: int
    usable_rows: int
    split_counts: dict[str, int]
    tokens: TokenStats | None
    warnings: list[str] = field(default_factory=list)
    # warnings that make training pointless (it would run, and learn nothing a person wants)
    doubts: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    complete: bool = True
    questions: Any = None  # question answering: data.qa_validation.QAStats

    @property
    def usable(self) -> bool:
        return not self.errors

    @property
    def verdict(self) -> str:
        """'ready', 'doubtful' (trainable, but `doubts` say it would learn nothing useful) or 'not_usable'."""
        if self.errors:
            return "not_usable"
        return "doubtful" if self.doubts else "ready"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["usable"] = self.usable
        data["verdict"] = self.verdict
        return data


def validate(
    table: Table,
    mapping: ColumnMapping,
    tokenizer: Tokenizer | None = None,
    max_length: int | None = None,
    sizes: Sequence[float] | None = None,
    seed: int = 0,
    token_sample: int | None = TOKEN_SAMPLE_ROWS,
    label_names: Sequence[str] | None = None,
    model_limit: int | None = None,
) -> ValidationReport:
    """The report for `table` under `mapping`. With `sizes` (or a split column) it also checks the
    split; with a tokenizer, token statistics over all rows or a seeded sample of `token_sample`.
    `label_names` fixes the label space (a model's labels, or the training file's when `table` is a
    separate validation / test file): other labels are `unknown_label` problems. `model_limit` (the
    model's own longest input) is reported with the token statistics and counts in their truncation."""
    with bulk_objects():
        return _validate(
            table, mapping, tokenizer, max_length, sizes, seed, token_sample, label_names, model_limit
        )


def _validate(
    table, mapping, tokenizer, max_length, sizes, seed, token_sample, label_names, model_limit
) -> ValidationReport:
    parsed = parse_rows(table, mapping, label_names)
    problems = list(parsed.problems)
    usable = np.ones(len(table), dtype=bool)
    usable[list(parsed.bad_rows)] = False
    problems += _duplicates(table, parsed, usable)
    split_counts, split_problems = _split_check(table, mapping, parsed, usable, sizes, seed)
    problems += split_problems
    problems.sort(key=attrgetter("line", "reason"))
    label_counts = _label_counts(mapping.spec.problem_type, parsed, usable)
    ratio = _imbalance(mapping.spec.problem_type, label_counts)
    report = ValidationReport(
        source=str(table.path) if table.path else None,
        dialect=table.dialect.to_dict(),
        rows=len(table) + len(table.unparsed),  # JSON lines that are no record are rows with a problem
        blank_lines=table.blank_lines,
        columns=[summarize_column(name, values) for name, values in zip(table.columns, table.data)],
        mapping=mapping.to_dict(),
        task=mapping.task,
        label_names=parsed.label_names,
        label_counts=label_counts,
        imbalance_ratio=ratio,
        imbalanced=ratio is not None and ratio >= IMBALANCE_RATIO,
        target_stats=_target_stats(parsed.labels, usable)
        if mapping.spec.problem_type in (REGRESSION, SIMILARITY) and mapping.labels
        else None,
        problems=problems,
        problem_counts=dict(Counter(p.reason for p in problems)),
        problem_rows=len(parsed.bad_rows) + len(table.unparsed),
        usable_rows=int(usable.sum()),
        split_counts=split_counts,
        tokens=_token_stats(parsed, usable, tokenizer, max_length, seed, token_sample, model_limit)
        if tokenizer
        else None,
        warnings=list(table.warnings),
        complete=table.complete,
    )
    _conclude(report, mapping)
    return report


def _conclude(report: ValidationReport, mapping: ColumnMapping) -> None:
    """Fill the warnings and errors a person reads first."""
    if report.rows == 0:
        error = no_data_rows(report.source)
        report.errors.append(f"{error.message} {error.hint}")
    elif report.usable_rows == 0:
        report.errors.append(f"All {report.rows} rows have problems; none can be used.")
    problem = mapping.spec.problem_type
    if problem == SINGLE_LABEL and report.usable_rows:
        verdict = class_verdict(report.label_counts, mapping.labels[0])
        report.errors.extend(verdict.errors)
        report.warnings.extend(verdict.warnings)
    _split_verdict(report, mapping)
    if problem == SINGLE_LABEL:
        _identifier_like_labels(report, mapping.labels[0])
    if mapping.spec.has_label_names and len(mapping.labels) == 1:
        _labels_differing_in_case(report, mapping.labels[0])
    if problem in (SINGLE_LABEL, MULTI_LABEL) and len(mapping.labels) == 1:
        _labels_that_look_like_lists(report, mapping)
    if report.problem_rows:
        report.warnings.append(
            f"{report.problem_rows} of {report.rows} rows have problems; "
            "fix them or choose to exclude them from training."
        )
    if report.imbalanced:
        report.warnings.append(
            f"Labels are imbalanced: the most common class has {report.imbalance_ratio:.1f}x the rows "
            "of the least common."
        )
    if report.tokens and report.tokens.truncated_share > 0:
        report.warnings.append(
            f"{report.tokens.truncated_share:.1%} of rows are longer than {report.tokens.max_length} tokens "
            "and will be truncated."
        )
    if not report.complete:
        report.warnings.append("Only the first rows were read (preview).")


def _split_verdict(report: ValidationReport, mapping: ColumnMapping) -> None:
    """An error when the split leaves nothing to train on, a warning when nothing to evaluate on."""
    counts = report.split_counts
    if not counts or not report.usable_rows:
        return
    sizes = ", ".join(f"{name} {counts[name]:,}" for name in SPLITS)
    by_column = mapping.split_column is not None
    if not counts["train"]:
        report.errors.append(
            f"The split column {mapping.split_column!r} marks no rows for training ({sizes}); "
            "mark some rows 'train'."
            if by_column
            else f"The validation and test shares leave no rows for training ({sizes}); lower them."
        )
    elif not counts["validation"]:
        what = (
            f"The split column {mapping.split_column!r} marks no rows for validation ({sizes})"
            if by_column
            else f"The validation set is empty ({sizes})"
        )
        fix = "mark some rows 'validation'" if by_column else "raise the validation share or add rows"
        report.warnings.append(
            f"{what}: training will run without evaluation, so there is no best checkpoint and no early "
            f"stopping; {fix} to have them."
        )


def _identifier_like_labels(report: ValidationReport, column: str) -> None:
    """Warn when most rows have a label of their own: an id or a text column mapped as the label."""
    if mostly_unique(report.label_counts):
        labelled = sum(report.label_counts.values())
        once = sum(1 for count in report.label_counts.values() if count == 1)
        distinct = sum(1 for count in report.label_counts.values() if count)
        report.doubts.append(
            f"{column!r} looks like an identifier or free text, not a label: {once:,} of {labelled:,} "
            f"labelled rows have a value no other row has ({distinct:,} distinct values). "
            "Map the column that holds the classes."
        )


def _labels_differing_in_case(report: ValidationReport, column: str) -> None:
    """Warn about label values that differ only in case or surrounding spaces ('Pos' and 'pos')."""
    groups: dict[str, list[str]] = {}
    for name, count in report.label_counts.items():
        if count:
            groups.setdefault(name.strip().casefold(), []).append(name)
    variants = [names for names in groups.values() if len(names) > 1]
    unit = "tags" if get_task(report.task).per_token else "rows"
    for names in variants[:CASE_VARIANTS_SHOWN]:
        shown = [f"{name!r} ({report.label_counts[name]:,} {unit})" for name in names]
        listed = ", ".join(shown[:-1]) + f" and {shown[-1]}"
        report.warnings.append(
            f"Labels {listed} in {column!r} differ only in case or spacing, so they are trained as "
            "different classes; if they mean the same, fix the file so they are written alike."
        )
    if len(variants) > CASE_VARIANTS_SHOWN:
        report.warnings.append(
            f"{len(variants) - CASE_VARIANTS_SHOWN} more groups of labels in {column!r} differ only in case "
            "or spacing."
        )


def _labels_that_look_like_lists(report: ValidationReport, mapping: ColumnMapping) -> None:
    """Warn when label values read as one class each look like lists ("sports|politics"): the task or
    the label separator is probably not what the file means."""
    values = [name for name, count in report.label_counts.items() for _ in range(min(count, 20))]
    separator = guess_label_delimiter(values)
    if separator is None or separator == mapping.label_delimiter:
        return
    example = next(name for name in report.label_counts if separator in name)
    fix = (
        f"set the label separator to {separator!r}"
        if mapping.spec.problem_type == MULTI_LABEL
        else f"choose the multi-label task with the label separator {separator!r}"
    )
    report.warnings.append(
        f"Labels in {mapping.labels[0]!r} look like lists separated by {separator!r} (e.g. {example!r}) but are "
        f"read as one class each; if each row has several labels, {fix}."
    )


def summarize_column(name: str, values: list[Any] | np.ndarray) -> ColumnSummary:
    if isinstance(values, np.ndarray):  # a whole-number id column (see Table)
        examples = [str(v) for v in values[:3].tolist()]
        return ColumnSummary(name, "integer", len(values), 0, _distinct(values.copy()), 0.0, examples)
    missing, blank = values.count(None), values.count("")
    empty = missing + blank
    present = [v for v in values[:1000] if v is not None and v != ""]
    kind = _kind(present)
    texts = kind != "list" and missing == 0 and all(type(v) is str for v in present)
    mean_length = sum(map(len, values)) / len(values) if texts and values else 0.0
    try:
        hashes = np.fromiter(map(hash, values), np.int64, len(values))
    except TypeError:  # JSON lists / objects
        hashes = np.fromiter((hash(repr(v)) for v in values), np.int64, len(values))
    examples = [_short(v) for v in present[:3]]
    distinct = _distinct(hashes) - (missing > 0) - (blank > 0)  # distinct filled values
    return ColumnSummary(name, kind, len(values) - empty, empty, distinct, mean_length, examples)


def _distinct(values: np.ndarray) -> int:
    """Distinct values (of hashes: a collision among a million is negligible); sorts in place."""
    if not len(values):
        return 0
    values.sort()
    return 1 + int(np.count_nonzero(values[1:] != values[:-1]))


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(values: list[Any]) -> str:
    if not values:
        return "empty"
    if all(isinstance(v, list) for v in values):
        return "list"
    texts = [str(v).strip().lower() for v in values]
    if set(texts) <= {"true", "false"}:
        return "boolean"
    try:
        numbers = [float(t) for t in texts]
    except ValueError:
        return "text"
    return "integer" if all(n.is_integer() for n in numbers) else "number"


def _duplicates(table: Table, parsed: ParsedRows, usable: np.ndarray) -> list[Problem]:
    """Rows whose text (and pair) repeat an earlier row: same label -> duplicate, else conflicting.
    Rows are grouped by hash in numpy; Python only looks at the repeats."""
    keys = parsed.texts if parsed.pairs is None else list(zip(parsed.texts, parsed.pairs))
    hashes = np.fromiter(map(hash, keys), np.int64, len(keys))
    order = np.argsort(hashes, kind="stable")
    hashes.sort()  # in place: a sorted copy would cost another 8 bytes per row
    new_group = np.ones(len(hashes), dtype=bool)
    new_group[1:] = hashes[1:] != hashes[:-1]
    del hashes
    group_starts = np.flatnonzero(new_group)
    repeats = np.flatnonzero(~new_group)
    rows = order[repeats]
    firsts = order[group_starts[np.searchsorted(group_starts, repeats, side="right") - 1]]
    keep = usable[rows] & usable[firsts]
    rows, firsts = rows[keep], firsts[keep]
    by_row = np.argsort(rows)  # report in file order
    rows, firsts = rows[by_row], firsts[by_row]
    lines, first_lines = table.line_numbers[rows].tolist(), table.line_numbers[firsts].tolist()
    labels = parsed.labels
    problems = []
    for row, first, line, first_line in zip(rows.tolist(), firsts.tolist(), lines, first_lines):
        if keys[row] != keys[first]:  # a hash collision, not a repeat
            continue
        if _same_label(labels[row], labels[first]):
            reason, message = "duplicate", f"same text and label as line {first_line}"
        else:
            reason, message = "conflicting_labels", f"same text as line {first_line} but a different label"
        problems.append(Problem(line, reason, message, row, None, parsed.texts[row][:200], "warning"))
    return problems


def _same_label(first: Any, second: Any) -> bool:
    """Equal labels; two missing scores (NaN: pairs without a similarity score) are the same too."""
    if isinstance(first, float) and isinstance(second, float) and math.isnan(first) and math.isnan(second):
        return True
    return first == second


def _label_ids_of(problem: str, label: Any) -> list[int]:
    if problem == MULTI_LABEL:
        return [i for i, hot in enumerate(label) if hot]
    if problem == TOKEN_TAGS:
        return [i for i in label if i >= 0]
    return [label] if label >= 0 else []


def _split_check(table, mapping, parsed, usable, sizes, seed) -> tuple[dict[str, int], list[Problem]]:
    """Rows per split and rows whose label never occurs in the training split."""
    if sizes is None and parsed.split_values is None:
        return {}, []
    rows = np.flatnonzero(usable)
    if parsed.split_values is not None:
        names = np.asarray(parsed.split_values, dtype=object)[rows]
        assignment = {name: rows[names == name] for name in SPLITS}
    elif not sizes or sizes[0] <= 0:  # no training share (an error in the report): only count
        return split_counts(len(rows), sizes), []
    else:
        strata = [parsed.labels[i] for i in rows] if mapping.spec.stratified else None
        assignment = {name: rows[idx] for name, idx in split_indices(len(rows), sizes, seed, strata).items()}
    counts = {name: len(indices) for name, indices in assignment.items()}
    problem = mapping.spec.problem_type
    if not mapping.spec.has_label_names or not counts["train"]:
        return counts, []
    in_train = {i for row in assignment["train"] for i in _label_ids_of(problem, parsed.labels[row])}
    problems = []
    for split in SPLITS[1:]:
        for row in assignment[split]:
            unseen = [i for i in _label_ids_of(problem, parsed.labels[row]) if i not in in_train]
            if unseen:
                label = parsed.label_names[unseen[0]]
                message = f"label {label!r} appears only in the {split} split, never in train"
                line = int(table.line_numbers[row])
                problems.append(
                    Problem(line, "label_not_in_train", message, int(row), None, label, "warning")
                )
    return counts, problems


def _label_counts(problem: str, parsed: ParsedRows, usable: np.ndarray) -> dict[str, int]:
    """Rows (multi-label: rows having it; tagging: tags) per label, over usable rows only."""
    if problem in (REGRESSION, SIMILARITY):
        return {}
    if problem == SINGLE_LABEL:
        ids = np.asarray(parsed.labels, dtype=np.int64)[usable]
        counts = np.bincount(ids[ids >= 0], minlength=len(parsed.label_names)).tolist()
    else:
        found = Counter(i for label in compress(parsed.labels, usable) for i in _label_ids_of(problem, label))
        counts = [found.get(index, 0) for index in range(len(parsed.label_names))]
    return dict(zip(parsed.label_names, counts))


def _imbalance(problem: str, counts: dict[str, int]) -> float | None:
    present = [count for count in counts.values() if count]
    if problem == TOKEN_TAGS or len(present) < 2:
        return None
    return max(present) / min(present)


def _target_stats(targets: list[float], usable: np.ndarray) -> dict[str, float]:
    values = np.asarray(targets, dtype=np.float64)[usable]
    if not len(values):
        return {}
    return {name: float(getattr(values, name)()) for name in ("min", "max", "mean", "std")}


def _token_stats(
    parsed, usable, tokenizer, max_length, seed, token_sample, model_limit=None
) -> TokenStats | None:
    from bertstudio.text import encode, max_length_of, special_token_ids

    rows = np.flatnonzero(usable)
    if not len(rows):
        return None
    sampled = token_sample is not None and len(rows) > token_sample
    if sampled:
        rows = np.sort(np.random.default_rng(seed).choice(rows, token_sample, replace=False))
    max_length = max_length or max_length_of(tokenizer) or 512
    tokenizer = unpadded(tokenizer)
    unk = special_token_ids(tokenizer)["unk"]
    lengths = np.zeros(len(rows), np.int64)
    clipped = np.zeros(len(rows), bool)  # so long they are cut before tokenizing: truncated for sure
    unknown = 0
    for start in range(0, len(rows), 4096):
        chunk = rows[start : start + 4096]
        texts, cut = clip_texts([parsed.texts[i] for i in chunk], max_length)
        pairs = None
        if parsed.pairs is not None:
            pairs, cut_pairs = clip_texts([parsed.pairs[i] for i in chunk], max_length)
            cut = [a or b for a, b in zip(cut, cut_pairs, strict=True)]
        encodings = encode(tokenizer, texts, pairs, max_length=UNTRUNCATED)
        lengths[start : start + len(chunk)] = [len(e) for e in encodings]
        clipped[start : start + len(chunk)] = cut
        unknown += sum(e.ids.count(unk) for e in encodings)
    width = -(-(int(lengths.max()) - int(lengths.min()) + 1) // HISTOGRAM_BINS)  # whole tokens per bin
    counts, edges = np.histogram(lengths, bins=np.arange(lengths.min(), lengths.max() + width + 1, width))
    return TokenStats(
        rows=len(rows),
        sampled=sampled,
        max_length=int(max_length),
        mean=float(lengths.mean()),
        median=float(np.median(lengths)),
        p95=float(np.percentile(lengths, 95)),
        longest=int(lengths.max()),
        truncated_share=float(((lengths > min(max_length, model_limit or max_length)) | clipped).mean()),
        unk_rate=unknown / max(int(lengths.sum()), 1),
        histogram_edges=[int(e) for e in edges],
        histogram_counts=[int(c) for c in counts],
        model_limit=model_limit,
    )
