"""Which columns hold the text, the pair text and the target(s), and which task they make.

The user maps columns; `suggest_task` proposes a mapping from the column names and contents (the
user can override any part of it).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from bertstudio.errors import ConfigError, DataImportError
from bertstudio.tasks import get_task, task_names

if TYPE_CHECKING:
    from bertstudio.data.reading import Table

SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "trn": "train",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "eval": "validation",
    "test": "test",
    "testing": "test",
    "tst": "test",
}
LABEL_DELIMITERS = ("|", ";", ",")
SUGGEST_SAMPLE_ROWS = 2000
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")
_TAG = re.compile(r"^(O|[BIESLU]-\S+)$")
_TEXT_NAMES = (
    "text",
    "sentence",
    "sentence1",
    "review",
    "content",
    "document",
    "question",
    "premise",
    "query",
)
_PAIR_NAMES = ("text_pair", "sentence2", "hypothesis", "answer", "passage", "context", "text_b", "pair")
_LABEL_NAMES = (
    "label",
    "labels",
    "target",
    "class",
    "category",
    "sentiment",
    "rating",
    "stars",
    "polarity",
    "intent",
    "topic",
    "emotion",
    "score",
    "y",
    "tags",
    "ner_tags",
)
_WORD_NAMES = ("tokens", "words", "token", "word")
# (anchor, positive[, negative]) columns, as sentence-transformers' training sets name them
_ANCHOR_NAMES = ("anchor", "query", "question", "sentence", "text")
_POSITIVE_NAMES = ("positive", "pos", "positive_passage")
_NEGATIVE_NAMES = ("negative", "neg", "hard_negative", "negative_passage")
_SPLIT_COLUMNS = ("split", "set", "fold", "subset", "partition")
_NUMBERED = re.compile(r"(.+?)(?:[ _-]?[12]|[ _-][ab])")
ID_LIKE_MIN_ROWS = 20  # with this many labelled rows, most labels seen once means "not a label"


@dataclass
class ColumnMapping:
    """The columns a task reads. `labels` are the target column(s): one for classification,
    regression, token tags or a delimited multi-label cell; several 0/1 columns for multi-label."""

    text: str
    text_pair: str | None = None
    labels: list[str] = field(default_factory=list)
    task: str = "classification"
    label_delimiter: str | None = None
    split_column: str | None = None
    reason: str = field(default="", compare=False)  # why suggest_task proposed it
    negative: str | None = None  # a hard negative per (anchor, positive) pair (sentence_similarity)
    # Question answering from a table (`text` is then the question column too):
    context: str | None = None
    question: str | None = None
    answer: str | None = None  # an empty cell: the question has no answer in its context
    answer_start: str | None = None  # the answer's character offset; none: found in the context

    @property
    def spec(self):
        """The TaskSpec of the mapped task (DataImportError for an unknown one)."""
        try:
            return get_task(self.task)
        except ConfigError:
            raise DataImportError(
                f"Unknown task {self.task!r}.", f"Choose one of: {', '.join(task_names())}."
            ) from None

    @property
    def model_task(self) -> str:
        return self.spec.model_head

    def check(self, table: Table) -> None:
        """DataImportError if the mapping does not fit the table (unknown column, wrong task shape):
        every column the task's spec requires is mapped, and only a multiple role takes several."""
        columns = f"Columns in this file: {', '.join(map(repr, table.columns))}."
        spec = self.spec
        qa_columns = [self.context, self.question, self.answer, self.answer_start]
        for name in [self.text, self.text_pair, self.negative, self.split_column, *self.labels, *qa_columns]:
            if name:  # an empty role is reported below as not mapped, not as an unknown column
                table.column(name)
        for role in spec.columns:
            value = getattr(self, role.name)
            if role.required and not value:
                raise DataImportError(
                    f"{spec.title} needs a {role.title.lower()} column; none is mapped.",
                    f"{columns} Give {role.flag} COLUMN.",
                    path=table.path,
                    window_hint=f"{columns} Choose it in the {role.title} box of the Columns tab.",
                )
            if isinstance(value, list) and len(value) > 1 and not role.multiple:
                raise DataImportError(
                    f"The {spec.name} task takes one {role.title.lower()} column, not {len(value)}.",
                    "Several 0/1 columns make a multi-label task.",
                    path=table.path,
                )

        if self.negative and self.labels:
            raise DataImportError(
                f"A hard-negative column ({self.negative!r}) goes with (anchor, positive) pairs, but a score "
                f"column ({self.labels[0]!r}) is mapped too: scored pairs train with the cosine loss.",
                "Map either the score column or the hard-negative column, not both.",
                path=table.path,
            )

    def qa_columns(self):
        """The question-answering columns (data.squad.QAColumns) of a table mapped for that task."""
        from bertstudio.data.squad import QAColumns

        return QAColumns(
            context=self.context or "",
            question=self.question or "",
            answer=self.answer or "",
            answer_start=self.answer_start or "",
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("reason")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnMapping:
        known = {"text", "text_pair", "labels", "task", "label_delimiter", "split_column", "negative"}
        known |= {"context", "question", "answer", "answer_start"}
        unknown = set(data) - known
        if unknown:
            raise DataImportError(f"Unknown column mapping keys: {', '.join(sorted(unknown))}.")
        return cls(**data)


def suggest_task(table: Table) -> ColumnMapping:
    """A mapping proposed from column names and a sample of the contents (`reason` says why)."""
    mapping = _suggest(table)
    if not len(table):
        mapping.reason = "the file has no data rows: columns picked by their names alone"
    return mapping


def apply_given_columns(
    table: Table,
    suggested: ColumnMapping,
    *,
    text: str | None = None,
    text_pair: str | None = None,
    labels: list[str] | None = None,
    task: str | None = None,
    label_delimiter: str | None = None,
    split_column: str | None = None,
    negative: str | None = None,
) -> ColumnMapping:
    """The suggested mapping with what the user gave put over it. The columns the user gives decide
    the task: a suggestion never contradicts them (a suggested second text is dropped when the user
    names the text, and the task is then read again from the columns that remain)."""
    given_columns = text is not None or text_pair is not None or labels is not None
    mapping = ColumnMapping(
        text=text or suggested.text,
        text_pair=text_pair if text_pair else (None if text else suggested.text_pair),
        labels=list(labels or suggested.labels),
        task=task or suggested.task,
        label_delimiter=label_delimiter or suggested.label_delimiter,
        split_column=split_column or suggested.split_column,
        reason=suggested.reason,
        negative=negative if negative else (None if text else suggested.negative),
    )
    if task or not given_columns or not mapping.labels:
        return mapping
    derived, delimiter, reason = task_of_columns(table, mapping.text, mapping.text_pair, mapping.labels)
    mapping.task, mapping.reason = derived, f"from the columns given: {reason}"
    if not label_delimiter:
        mapping.label_delimiter = delimiter
    return mapping


def task_of_columns(
    table: Table, text: str, text_pair: str | None, labels: list[str]
) -> tuple[str, str | None, str]:
    """(task, label delimiter, reason) that these mapped columns make, from what the label holds."""
    if len(labels) > 1:
        return "multi_label", None, f"{len(labels)} label columns"
    label = labels[0]
    sample = {name: table.head(name, SUGGEST_SAMPLE_ROWS) for name in {text, label}}
    if label != text and _suggest_tagging(sample) == (text, label):
        return "token_classification", None, f"{label!r} holds one BIO tag per word of {text!r}"
    return _label_task(label, sample[label], text_pair, uses_decimal_comma(table))


def _suggest(table: Table) -> ColumnMapping:
    sample = {name: table.head(name, SUGGEST_SAMPLE_ROWS) for name in table.columns}
    split_column = next(
        (name for name, values in sample.items() if _looks_like_split(name, values)),
        None,
    )
    candidates = {name: values for name, values in sample.items() if name != split_column}
    questions = _suggest_question_answering(list(candidates))
    if questions is not None:
        return questions
    similarity = _suggest_similarity(candidates, split_column)
    if similarity is not None:
        return similarity
    tagging = _suggest_tagging(candidates)
    if tagging:
        words, tags = tagging
        reason = f"{tags!r} holds one BIO tag per word of {words!r}"
        return ColumnMapping(words, None, [tags], "token_classification", None, split_column, reason)
    text_like = [name for name, values in candidates.items() if _mean_length(values) >= 15]
    text, pair = _text_columns(text_like, candidates)
    if text is None:
        raise DataImportError("The table has no columns to map.", path=table.path)
    rest = {name: values for name, values in candidates.items() if name not in (text, pair)}
    labels_by_name = [name for name in rest if _named(name, _LABEL_NAMES)]
    binary = [name for name, values in rest.items() if _is_binary(values)]
    if len(binary) >= 2 and not any(name not in binary for name in labels_by_name):
        reason = f"{len(binary)} columns hold only 0/1 values"
        return ColumnMapping(text, pair, binary, "multi_label", None, split_column, reason)
    decimal_comma = uses_decimal_comma(table)
    skipped = []
    for label in _label_candidates(rest, labels_by_name):
        task, delimiter, reason = _label_task(label, rest[label], pair, decimal_comma)
        if task in ("classification", "pair_classification") and mostly_unique(_value_counts(rest[label])):
            skipped.append(label)
            continue
        return ColumnMapping(text, pair, [label], task, delimiter, split_column, reason)
    task = "pair_classification" if pair else "classification"
    reason = "no column is left for a label: map one"
    if skipped:
        listed = ", ".join(map(repr, skipped))
        reason = f"no column looks like a label ({listed}: a different value in almost every row): map one"
    return ColumnMapping(text, pair, [], task, None, split_column, reason)


def _suggest_question_answering(columns: list[str]) -> ColumnMapping | None:
    """question_answering when the columns are named context, question and answer (SQuAD's fields)."""
    from bertstudio.data.squad import QA_TASK, qa_columns_by_name

    named = qa_columns_by_name(columns)
    if named is None or not named.answer:
        return None
    start = f", its start in {named.answer_start!r}" if named.answer_start else " (found in the context)"
    return ColumnMapping(
        text=named.question,
        task=QA_TASK,
        context=named.context,
        question=named.question,
        answer=named.answer,
        answer_start=named.answer_start or None,
        reason=f"{named.question!r} asks about {named.context!r}; the answer is in {named.answer!r}{start}",
    )


def _suggest_similarity(columns: dict[str, list[Any]], split_column: str | None) -> ColumnMapping | None:
    """sentence_similarity when the columns are named as (anchor, positive[, negative]) triples."""
    by_name = {name.lower(): name for name in columns}
    positive = next((by_name[n] for n in _POSITIVE_NAMES if n in by_name), None)
    anchor = next((by_name[n] for n in _ANCHOR_NAMES if n in by_name), None)
    if positive is None or anchor is None:
        return None
    negative = next((by_name[n] for n in _NEGATIVE_NAMES if n in by_name), None)
    reason = f"{anchor!r} and {positive!r} are (anchor, positive) pairs"
    return ColumnMapping(
        text=anchor,
        text_pair=positive,
        task="sentence_similarity",
        split_column=split_column,
        negative=negative,
        reason=reason + (f" with hard negatives in {negative!r}" if negative else ""),
    )


def _text_columns(text_like: list[str], columns: dict[str, list[Any]]) -> tuple[str | None, str | None]:
    """(text, second text) among the long-text columns: a pair only when the names say so (premise /
    hypothesis, question1 / question2): two long columns of one row are as often a title and its body
    as two texts to compare."""
    for first in text_like:
        for second in text_like:
            stem = _numbered_stem(first)
            if first < second and stem not in (None, "column") and stem == _numbered_stem(second):
                return first, second
    text = _pick(text_like or list(columns), _TEXT_NAMES, by_length=columns)
    pair = next((name for name in text_like if name != text and _named(name, _PAIR_NAMES)), None)
    return text, pair


def _numbered_stem(name: str) -> str | None:
    """'question' for 'question1' / 'question_2' / 'text_a' style names; None for other names."""
    match = _NUMBERED.fullmatch(name.lower())
    return match.group(1) if match else None


def _name_words(name: str) -> list[str]:
    return [
        word for word in re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()) if word
    ]


def _named(name: str, names: tuple[str, ...]) -> bool:
    """Whether the column's name, or one word of it ('star_rating', 'airline_sentiment'), is in `names`."""
    return name.lower() in names or any(word in names for word in _name_words(name))


def _label_candidates(columns: dict[str, list[Any]], by_name: list[str]) -> list[str]:
    """Label columns to try in order: named ones (exact names first), then the rest, fewest distinct
    values first (the last column on ties)."""
    exact = [name for name in by_name if name.lower() in _LABEL_NAMES]
    named = sorted(exact, key=lambda name: _LABEL_NAMES.index(name.lower())) + [
        name for name in by_name if name not in exact
    ]
    distinct = {
        name: len({str(v) for v in values if v not in (None, "")}) for name, values in columns.items()
    }
    others = [name for name in reversed(columns) if name not in by_name and distinct[name] >= 2]
    return named + sorted(others, key=distinct.__getitem__)


def mostly_unique(counts: Counter) -> bool:
    """Whether most values (value -> rows) occur once: an id, a name or free text, not a class."""
    labelled = sum(counts.values())
    once = sum(1 for count in counts.values() if count == 1)
    return labelled >= ID_LIKE_MIN_ROWS and once > labelled / 2


def _label_task(
    label: str, values: list[Any], pair: str | None, decimal_comma: bool
) -> tuple[str, str | None, str]:
    """(task, label delimiter, reason) from what the label column holds."""
    values = [v for v in values if v not in (None, "")]
    if values and all(isinstance(v, list) for v in values):
        return "multi_label", None, f"{label!r} holds lists of labels"
    if _is_continuous(values, decimal_comma):
        return "regression", None, f"{label!r} holds numbers with many distinct values"
    delimiter = guess_label_delimiter(values)
    if delimiter:
        return "multi_label", delimiter, f"{label!r} holds several labels separated by {delimiter!r}"
    reason = f"{label!r} has {len(set(map(str, values)))} distinct labels"
    if pair:
        return "pair_classification", None, f"{reason}; {pair!r} is a second text"
    return "classification", None, reason


def _looks_like_split(name: str, values: list[Any]) -> bool:
    present = {str(v).strip().lower() for v in values if v not in (None, "")}
    return name.lower() in _SPLIT_COLUMNS and bool(present) and present <= set(SPLIT_NAMES)


def _suggest_tagging(columns: dict[str, list[Any]]) -> tuple[str, str] | None:
    """(words, tags) columns: tags are BIO-like and match the word count in all rows but one or 10%
    (those rows are problems the report lists)."""
    tag_columns = [name for name, values in columns.items() if _is_tag_column(values)]
    for tags in tag_columns:
        tag_counts = [len(_split_words(v)) for v in columns[tags]]
        for words, values in columns.items():
            if words == tags or words in tag_columns:
                continue
            mismatched = sum(len(_split_words(v)) != count for v, count in zip(values, tag_counts))
            if mismatched <= max(1, len(tag_counts) // 10) < len(tag_counts):
                return words, tags
    return None


def _value_counts(values: list[Any]) -> Counter:
    return Counter(str(v) for v in values if v not in (None, ""))


def _split_words(value: Any) -> list:
    if isinstance(value, list):
        return value
    return value.split() if isinstance(value, str) else []


def _is_tag_column(values: list[Any]) -> bool:
    tags = [tag for value in values for tag in _split_words(value)]
    return bool(tags) and all(isinstance(tag, str) and _TAG.match(tag) for tag in tags)


def _mean_length(values: list[Any]) -> float:
    texts = [v for v in values if isinstance(v, str)]
    return sum(map(len, texts)) / len(texts) if texts else 0.0


def _pick(names: list[str], preferred: tuple[str, ...], by_length: dict[str, list]) -> str | None:
    """A column with a preferred name, else the longest-text one."""
    for wanted in preferred:
        for name in names:
            if name.lower() == wanted:
                return name
    return max(names, key=lambda name: _mean_length(by_length[name])) if names else None


def _is_binary(values: list[Any]) -> bool:
    present = {str(v).strip().lower() for v in values if v not in (None, "")}
    return bool(present) and present <= {"0", "1", "0.0", "1.0", "true", "false"}


def guess_label_delimiter(values: list[Any]) -> str | None:
    """The separator of cells that list several labels ("sports|politics"), if the values look so."""
    texts = [v for v in values if isinstance(v, str)]
    if isinstance(next(iter(values), None), list):
        return None
    for delimiter in LABEL_DELIMITERS:
        with_delimiter = [v for v in texts if delimiter in v]
        if len(with_delimiter) < max(2, len(texts) // 20):
            continue
        pieces = Counter(piece.strip() for v in texts for piece in v.split(delimiter))
        # a label vocabulary: few distinct, short pieces, each used many times
        if len(pieces) <= max(50, len(texts) // 10) and all(len(p) <= 40 for p in pieces):
            return delimiter
    return None


def uses_decimal_comma(table: Table) -> bool:
    """Whether numbers may be written 3,5 (a CSV delimited by ; tab or |, as European Excel writes)."""
    return table.dialect.format == "csv" and table.dialect.delimiter != ","


def to_number(value: Any, decimal_comma: bool = False) -> float:
    """float(value), also for "3,5" when `decimal_comma`; ValueError / TypeError if not a number."""
    if decimal_comma and isinstance(value, str) and _DECIMAL_COMMA.fullmatch(value.strip()):
        value = value.replace(",", ".")
    return float(value)


def _is_continuous(values: list[Any], decimal_comma: bool) -> bool:
    """Numbers (at least 90% of the values: the rest are problem rows) that are fractional or many."""
    numbers = []
    for value in values:
        try:
            numbers.append(to_number(value, decimal_comma))
        except (TypeError, ValueError):
            continue
    if not numbers or len(numbers) < 0.9 * len(values):
        return False
    fractional = any(n != int(n) for n in numbers if math.isfinite(n))
    return fractional or len(set(numbers)) > 20
