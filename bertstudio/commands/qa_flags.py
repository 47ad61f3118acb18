"""The question-answering flags of `predict` and `evaluate` (a table's columns, windows, answers)."""

from __future__ import annotations

import argparse

from bertstudio.errors import ConfigError


def add_qa_flags(parser: argparse.ArgumentParser, answers_needed: bool) -> None:
    group = parser.add_argument_group("question answering (a SQuAD .json file needs no columns)")
    group.add_argument("--context", metavar="COLUMN", help="column holding the context")
    group.add_argument("--question", metavar="COLUMN", help="column holding the question")
    if answers_needed:
        group.add_argument("--answer", metavar="COLUMN", help="column holding the answer (empty: no answer)")
        group.add_argument("--answer-start", metavar="COLUMN", help="column holding the answer's start")
    group.add_argument("--id-column", metavar="COLUMN", help="column holding each question's id")
    group.add_argument(
        "--doc-stride",
        type=int,
        help="tokens shared by neighbouring windows (default 128, under half of shorter windows)",
    )
    group.add_argument("--max-answer-length", type=int, default=30, help="longest answer in tokens (30)")
    group.add_argument(
        "--null-threshold",
        type=float,
        help="answer '' when 'no answer' outscores the best span by more than this "
        "(default: 0 for a model trained on unanswerable questions, else never)",
    )


def qa_columns(args: argparse.Namespace):
    """QAColumns from the flags, or None (a SQuAD .json file names its own fields)."""
    from bertstudio.data.squad import QAColumns

    if not (args.context or args.question):
        return None
    if not (args.context and args.question):
        raise ConfigError("A table of questions needs both --context COLUMN and --question COLUMN.")
    return QAColumns(
        context=args.context,
        question=args.question,
        answer=getattr(args, "answer", None) or "",
        answer_start=getattr(args, "answer_start", None) or "",
        id=args.id_column or "",
    )


def qa_options(args: argparse.Namespace):
    from bertstudio.training.qa_inference import QAOptions

    return QAOptions(
        max_length=args.max_length,
        doc_stride=args.doc_stride,
        max_answer_length=args.max_answer_length,
        null_threshold=args.null_threshold,
        batch_size=args.batch_size,
    )


def require_text(args: argparse.Namespace, label: bool = False) -> None:
    """ConfigError unless a model that is not a question-answering one is given its columns."""
    if not args.text:
        raise ConfigError("--text COLUMN is required: name the column holding the text.")
    if label and not args.label:
        raise ConfigError("--label COLUMN is required: name the column holding the labels.")
