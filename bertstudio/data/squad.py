"""Extractive question answering data: SQuAD v1.1 / v2.0 JSON and tables of context, question, answer.

Both readers give QAExamples and a `Problem` for every question that cannot be used as it is (empty
question or context, an answer that is not where its start says, or not in the context at all, a
duplicate id). `build_qa_dataset` refuses problem questions unless the user chose to exclude them,
and keeps the excluded ones, as `build_dataset` does for the other tasks: nothing disappears silently.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bertstudio.data.dataset import Problem, raise_unusable
from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.data.reading import Table
from bertstudio.errors import DataImportError

QA_TASK = "question_answering"
_ID_FIELD = re.compile(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class QAExample:
    """One question about one context. No answers: unanswerable (SQuAD v2.0 `is_impossible`)."""

    id: str
    question: str
    context: str
    answers: tuple[str, ...]  # the gold answer texts (several in SQuAD's dev sets)
    answer_starts: tuple[int, ...]  # character offset of each answer in the context
    line: int  # the file line it was read from (JSON: the line of its "id")
    position: str  # where it is: "data[0].paragraphs[2].qas[1]" or "row 5"
    title: str = ""

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass
class QADataset:
    """Questions for extractive QA; `excluded` lists the problem questions left out on request."""

    examples: list[QAExample]
    source: str | None = None
    format: str = "table"  # "squad" (JSON) or "table"
    excluded: list[Problem] = field(default_factory=list)
    task: str = QA_TASK

    def __len__(self) -> int:
        return len(self.examples)

    def subset(self, indices: Sequence[int] | np.ndarray) -> QADataset:
        return replace(self, examples=[self.examples[int(i)] for i in indices], excluded=[])

    @property
    def line_numbers(self) -> np.ndarray:
        return np.asarray([example.line for example in self.examples], dtype=np.int64)

    @property
    def unanswerable(self) -> int:
        return sum(not example.answerable for example in self.examples)


@dataclass(frozen=True)
class QAColumns:
    """The table columns of a QA table; `answer_start` may be empty (the answer is searched for)."""

    context: str
    question: str
    answer: str = ""  # empty for prediction (no gold answers)
    answer_start: str = ""
    id: str = ""


# Column names that say a table's role for question answering (case-insensitive), best first.
_ROLE_NAMES = {
    "context": ("context", "passage", "paragraph", "document"),
    "question": ("question", "query"),
    "answer": ("answer", "answer_text", "answers", "answer_texts"),
    "answer_start": ("answer_start", "answer_starts", "start"),
    "id": ("id", "qid", "question_id"),
}


def qa_columns_by_name(columns: Sequence[str]) -> QAColumns | None:
    """The question-answering roles of a table's columns, read from their names ("context",
    "question", "answer", "answer_start", "id"); None without both a context and a question column."""
    by_name = {name.lower(): name for name in columns}
    found = {
        role: next((by_name[name] for name in names if name in by_name), "")
        for role, names in _ROLE_NAMES.items()
    }
    if not (found["context"] and found["question"]):
        return None
    return QAColumns(**found)


@dataclass
class ParsedQuestions:
    examples: list[QAExample]
    problems: list[Problem]
    bad: set[int]  # indices into `examples` of questions with an error-severity problem
    format: str
    source: str | None


def is_squad_file(path: str | Path) -> bool:
    """A .json file (not JSON Lines) is read as SQuAD: {"data": [{"paragraphs": [{"qas": ...}]}]}."""
    return Path(path).suffix.lower() == ".json"


def read_squad(path: str | Path) -> ParsedQuestions:
    """Every question of a SQuAD v1.1 / v2.0 file with the problems found in it."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
        document = json.loads(raw)
    except FileNotFoundError:
        raise DataImportError(f"The file {path} does not exist.", "Check the path.", path=path) from None
    except UnicodeDecodeError as exc:
        raise DataImportError(
            f"The file is not UTF-8 text (byte {exc.start}).", "Save it as UTF-8 JSON.", path=path
        ) from None
    except json.JSONDecodeError as exc:
        raise DataImportError(
            f"The file is not valid JSON: {exc.msg}.",
            "Fix the JSON at that place (a SQuAD file is one JSON object).",
            path=path,
            line=exc.lineno,
            column=exc.colno,
        ) from None
    articles = document.get("data") if isinstance(document, dict) else None
    if not isinstance(articles, list):
        raise DataImportError(
            'The file is JSON but not SQuAD: it has no top-level "data" list.',
            'A SQuAD file is {"data": [{"title": ..., "paragraphs": [{"context": ..., "qas": [...]}]}]}; '
            "a table of questions should be CSV, TSV or JSON Lines.",
            path=path,
        )
    lines = _id_lines(raw)
    examples: list[QAExample] = []
    for a, article in enumerate(articles):
        title = str(article.get("title", "")) if isinstance(article, dict) else ""
        paragraphs = article.get("paragraphs", []) if isinstance(article, dict) else []
        for p, paragraph in enumerate(paragraphs):
            context = _text(paragraph.get("context")) if isinstance(paragraph, dict) else ""
            questions = paragraph.get("qas", []) if isinstance(paragraph, dict) else []
            for q, qa in enumerate(questions):
                qa = qa if isinstance(qa, dict) else {}
                position = f"data[{a}].paragraphs[{p}].qas[{q}]"
                qid = str(qa.get("id", "")) or position
                queue = lines.get(qid)
                impossible = bool(qa.get("is_impossible", False))
                answers = [] if impossible else [x for x in qa.get("answers", []) if isinstance(x, dict)]
                examples.append(
                    QAExample(
                        id=qid,
                        question=_text(qa.get("question")),
                        context=context,
                        answers=tuple(_text(x.get("text")) for x in answers),
                        answer_starts=tuple(_start(x.get("answer_start")) for x in answers),
                        line=queue.popleft() if queue else 0,
                        position=position,
                        title=title,
                    )
                )
    problems, bad = check_questions(examples)
    return ParsedQuestions(examples, problems, bad, "squad", str(path))


def read_qa_table(table: Table, columns: QAColumns) -> ParsedQuestions:
    """Questions from a table: one row each; an empty answer cell makes an unanswerable question. Without
    an answer-start column the answer is searched for in the context (it must occur exactly once)."""
    contexts, questions = table.column(columns.context), table.column(columns.question)
    answers = table.column(columns.answer) if columns.answer else [None] * len(table)
    starts = table.column(columns.answer_start) if columns.answer_start else [None] * len(table)
    ids = table.column(columns.id) if columns.id else [None] * len(table)
    examples: list[QAExample] = []
    problems: list[Problem] = []
    for row in range(len(table)):
        line = int(table.line_numbers[row])
        answer = _text(answers[row])
        start = starts[row]
        context = _text(contexts[row])
        if answer and start in (None, ""):
            found = _occurrences(context, answer)
            if len(found) > 1:
                problems.append(
                    _problem(
                        line,
                        row,
                        "ambiguous_answer",
                        f"the answer {_short(answer)} occurs {len(found)} times in the context "
                        f"(at characters {', '.join(map(str, found[:5]))}); give its start in an answer-start column",
                        columns.answer,
                    )
                )
            start = found[0] if found else -1
        examples.append(
            QAExample(
                id=_text(ids[row]) or str(line),
                question=_text(questions[row]),
                context=context,
                answers=(answer,) if answer else (),
                answer_starts=(_start(start),) if answer else (),
                line=line,
                position=f"row {row + 1}",
            )
        )
    checked, bad = check_questions(
        examples, {"context": columns.context, "question": columns.question, "answer": columns.answer}
    )
    problems += checked
    bad |= {p.row for p in problems if p.severity == "error" and p.row is not None}
    problems.sort(key=lambda p: p.row if p.row is not None else -1)
    return ParsedQuestions(examples, problems, bad, "table", str(table.path) if table.path else None)


def check_questions(
    examples: Sequence[QAExample], column_names: dict[str, str] | None = None
) -> tuple[list[Problem], set[int]]:
    """The problems of every question (row = its index): empty question or context, an answer not at
    its start (and where it does occur), an answer not in the context, a duplicate id."""
    names = column_names or {}
    problems: list[Problem] = []
    first_of: dict[str, int] = {}
    for index, example in enumerate(examples):
        where = f"{example.position} (id {example.id!r})"
        if not example.question.strip():
            problems.append(
                _problem(
                    example.line,
                    index,
                    "empty_question",
                    f"{where}: the question is empty",
                    names.get("question"),
                )
            )
        if not example.context.strip():
            problems.append(
                _problem(
                    example.line,
                    index,
                    "empty_context",
                    f"{where}: the context is empty",
                    names.get("context"),
                )
            )
        for answer, start in zip(example.answers, example.answer_starts, strict=True):
            if example.context[start : start + len(answer)] == answer and start >= 0:
                continue
            found = _occurrences(example.context, answer)
            if not found:
                problems.append(
                    _problem(
                        example.line,
                        index,
                        "answer_not_in_context",
                        f"{where}: the answer {_short(answer)} does not occur in the context",
                        names.get("answer"),
                        answer,
                    )
                )
            else:
                said = f"at its start {start}" if start >= 0 else "given a valid start"
                problems.append(
                    _problem(
                        example.line,
                        index,
                        "answer_not_at_start",
                        f"{where}: the answer {_short(answer)} is not {said}; it occurs at "
                        f"character{'s' if len(found) > 1 else ''} {', '.join(map(str, found[:5]))}",
                        names.get("answer"),
                        answer,
                    )
                )
        if example.id in first_of:
            problems.append(
                _problem(
                    example.line,
                    index,
                    "duplicate_id",
                    f"{where}: the id is also that of {examples[first_of[example.id]].position}",
                    names.get("id"),
                    example.id,
                )
            )
        else:
            first_of[example.id] = index
    return problems, {p.row for p in problems if p.severity == "error"}


def build_qa_dataset(parsed: ParsedQuestions, exclude_problem_rows: bool = False) -> QADataset:
    """The dataset of `parsed`: problem questions raise DataImportError (naming the first ones) unless
    `exclude_problem_rows`, when they are left out and listed in `dataset.excluded`."""
    if not parsed.examples:
        raise DataImportError("The file holds no questions.", "Add questions to it.", path=parsed.source)
    errors = [p for p in parsed.problems if p.severity == "error"]
    if errors and not exclude_problem_rows:
        raise_unusable(errors, len(parsed.bad), "questions", parsed.source)
    kept = [example for index, example in enumerate(parsed.examples) if index not in parsed.bad]
    if not kept:
        raise DataImportError(
            "No usable questions are left.", "Check the answers and contexts.", path=parsed.source
        )
    return QADataset(examples=kept, source=parsed.source, format=parsed.format, excluded=errors)


def read_questions(
    path: str | Path, columns: QAColumns | None = None, read_options: ReadOptions = DETECT
) -> ParsedQuestions:
    """A SQuAD .json file, or a table (CSV / TSV / JSON Lines) read with `columns`."""
    if is_squad_file(path):
        return read_squad(path)
    if columns is None:
        raise DataImportError(
            "A table of questions needs its context, question and answer columns.",
            "Give --context COL --question COL --answer COL (and --answer-start COL if there is one).",
            path=path,
        )
    from bertstudio.data.reading import read_table

    return read_qa_table(read_table(path, read_options), columns)


def _id_lines(raw: str) -> dict[str, deque[int]]:
    """Each question id's line numbers in the file, in order (ids may repeat)."""
    newlines = [m.start() for m in re.finditer("\n", raw)]
    lines: dict[str, deque[int]] = defaultdict(deque)
    for match in _ID_FIELD.finditer(raw):
        qid = json.loads(f'"{match.group(1)}"')
        lines[qid].append(bisect.bisect_left(newlines, match.start()) + 1)
    return lines


def _occurrences(context: str, answer: str) -> list[int]:
    if not answer:
        return []
    found, start = [], context.find(answer)
    while start >= 0:
        found.append(start)
        start = context.find(answer, start + 1)
    return found


def _text(value) -> str:
    return "" if value is None else str(value)


def _start(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _problem(line, row, reason, message, column=None, value=None) -> Problem:
    return Problem(line=line, reason=reason, message=message, row=row, column=column, value=value)
