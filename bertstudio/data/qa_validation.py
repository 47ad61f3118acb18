"""The validation report of question-answering data, in the same ValidationReport as tables get.

Per question: the reader's problems (empty question or context, an answer not at its start and where
it does occur, an answer not in the context, a duplicate id, an answer found more than once) and, with
a tokenizer, a warning for each context longer than one window saying how many windows it needs.
Overall: answerable / unanswerable counts and share, windows per context, the split.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from bertstudio.data.dataset import Problem
from bertstudio.data.splits import split_counts
from bertstudio.data.squad import QA_TASK, ParsedQuestions, QAColumns
from bertstudio.data.validation import ValidationReport

if TYPE_CHECKING:
    from tokenizers import Tokenizer

DEFAULT_MAX_LENGTH = 384
DEFAULT_DOC_STRIDE = 128


@dataclass
class QAStats:
    """What the questions are like: how many can be answered, how many windows their contexts need."""

    questions: int
    answerable: int
    unanswerable: int
    unanswerable_share: float
    contexts: int  # distinct contexts
    max_length: int
    doc_stride: int
    windows: int | None = None  # windows over all questions (with a tokenizer)
    long_contexts: int | None = None  # questions whose context needs more than one window
    most_windows: int | None = None


def validate_questions(
    parsed: ParsedQuestions,
    tokenizer: Tokenizer | None = None,
    max_length: int | None = None,
    doc_stride: int = DEFAULT_DOC_STRIDE,
    sizes: Sequence[float] | None = None,
    columns: QAColumns | None = None,
) -> ValidationReport:
    """The report for `parsed` (data.squad.read_squad / read_qa_table); windows counted with a tokenizer."""
    examples = parsed.examples
    max_length = max_length or DEFAULT_MAX_LENGTH
    problems = list(parsed.problems)
    usable = np.ones(len(examples), dtype=bool)
    usable[list(parsed.bad)] = False
    answerable = sum(example.answerable for example in examples)
    stats = QAStats(
        questions=len(examples),
        answerable=answerable,
        unanswerable=len(examples) - answerable,
        unanswerable_share=(len(examples) - answerable) / len(examples) if examples else 0.0,
        contexts=len({example.context for example in examples}),
        max_length=max_length,
        doc_stride=doc_stride,
    )
    if tokenizer is not None and examples:
        problems += _window_counts(parsed, tokenizer, max_length, doc_stride, stats)
    problems.sort(key=attrgetter("line", "reason"))
    mapping = {"format": parsed.format}
    if columns is not None:
        mapping.update(
            context=columns.context,
            question=columns.question,
            answer=columns.answer,
            answer_start=columns.answer_start,
        )
    report = ValidationReport(
        source=parsed.source,
        dialect={"format": parsed.format, "encoding": "utf-8"},
        rows=len(examples),
        blank_lines=0,
        columns=[],
        mapping=mapping,
        task=QA_TASK,
        label_names=[],
        label_counts={"answerable": stats.answerable, "unanswerable": stats.unanswerable},
        imbalance_ratio=None,
        imbalanced=False,
        target_stats=None,
        problems=problems,
        problem_counts=dict(Counter(p.reason for p in problems)),
        problem_rows=len(parsed.bad),
        usable_rows=int(usable.sum()),
        split_counts=split_counts(int(usable.sum()), sizes) if sizes else {},
        tokens=None,
        questions=stats,
    )
    _conclude(report, stats)
    return report


def _window_counts(parsed, tokenizer, max_length: int, doc_stride: int, stats: QAStats) -> list[Problem]:
    from bertstudio.data.qa_windows import encode_windows

    windows = encode_windows(parsed.examples, tokenizer, max_length, doc_stride)
    per_question = windows.windows_per_example(len(parsed.examples))
    stats.windows = int(per_question.sum())
    stats.long_contexts = int((per_question > 1).sum())
    stats.most_windows = int(per_question.max())
    return [
        Problem(
            line=example.line,
            reason="long_context",
            message=f"{example.position}: the context needs {count} windows of {max_length} tokens "
            f"(stride {doc_stride})",
            row=index,
            severity="warning",
        )
        for index, (example, count) in enumerate(zip(parsed.examples, per_question.tolist(), strict=True))
        if count > 1
    ]


def _conclude(report: ValidationReport, stats: QAStats) -> None:
    if not report.rows:
        report.errors.append("The file holds no questions.")
    elif not report.usable_rows:
        report.errors.append(f"All {report.rows} questions have problems; none can be used.")
    elif stats.answerable == 0:
        report.errors.append("No question has an answer: the model would only learn to answer nothing.")
    if report.problem_rows:
        report.warnings.append(
            f"{report.problem_rows} of {report.rows} questions have problems; "
            "fix them or choose to exclude them from training."
        )
    if stats.unanswerable:
        report.warnings.append(
            f"{stats.unanswerable_share:.1%} of the questions have no answer (SQuAD v2.0 style): the model "
            "learns to answer nothing for them, and answers are scored with HasAns / NoAns."
        )
    if stats.long_contexts:
        report.warnings.append(
            f"{stats.long_contexts:,} questions have a context longer than one window of {stats.max_length} "
            f"tokens (up to {stats.most_windows} windows each, {stats.windows:,} windows in all)."
        )
