"""`bertstudio data inspect FILE`: the validation report of a data file (exit 0 when usable, 2 if not)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from bertstudio.commands.train import READ_FLAGS, add_config_flags, read_options_from


def register(subparsers: argparse._SubParsersAction) -> None:
    from bertstudio.tasks import fine_tuning_tasks

    tasks = [spec.name for spec in fine_tuning_tasks()]
    parser = subparsers.add_parser("data", help="inspect and validate data files")
    data_commands = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    inspect = data_commands.add_parser(
        "inspect",
        help="validation report of a CSV / TSV / JSON Lines file",
        description="Read a data file, map its columns (suggested unless given) and report rows, columns, "
        "labels, token lengths and every problem row. Exit status 0 when the data is usable, 2 otherwise.",
    )
    inspect.add_argument("file", help="CSV, TSV, JSON Lines or text file")
    inspect.add_argument("--text", metavar="COLUMN", help="column with the text")
    inspect.add_argument("--text-pair", metavar="COLUMN", help="column with the second text (sentence pairs)")
    inspect.add_argument(
        "--negative", metavar="COLUMN", help="sentence_similarity: column with a hard negative per pair"
    )
    inspect.add_argument(
        "--label", metavar="COLUMN", action="append", help="target column (repeat for several 0/1 columns)"
    )
    inspect.add_argument(
        "--task",
        choices=tasks,
        metavar="TASK",
        help=f"one of {', '.join(tasks)} (default: what the columns hold)",
    )
    inspect.add_argument(
        "--label-delimiter", metavar="CHAR", help="separator of several labels in one cell (multi-label)"
    )
    inspect.add_argument(
        "--split-column", metavar="COLUMN", help="column naming each row's split (train / validation / test)"
    )
    inspect.add_argument(
        "--split", metavar="TRAIN,VAL,TEST", help="check a seeded split of these sizes, e.g. 0.8,0.1,0.1"
    )
    inspect.add_argument(
        "--seed", metavar="N", type=int, default=0, help="seed of the split and token sample (default 0)"
    )
    inspect.add_argument("--model", metavar="DIR", help="model folder whose tokenizer gives token statistics")
    inspect.add_argument(
        "--max-length", metavar="N", type=int, help="tokens per example (default: the tokenizer's)"
    )
    add_config_flags(inspect, READ_FLAGS)
    inspect.add_argument(
        "--no-quoting",
        dest="quoting",
        action="store_false",
        default=None,
        help="quote characters are plain text (TSV datasets with bare quotes); default: detected",
    )
    inspect.add_argument(
        "--max-problems", metavar="N", type=int, default=20, help="problem rows to print (default 20)"
    )
    qa = inspect.add_argument_group("question answering (a SQuAD .json file needs no columns)")
    qa.add_argument("--context", metavar="COLUMN", help="column holding the context")
    qa.add_argument("--question", metavar="COLUMN", help="column holding the question")
    qa.add_argument("--answer", metavar="COLUMN", help="column holding the answer (empty: no answer)")
    qa.add_argument("--answer-start", metavar="COLUMN", help="column holding the answer's character offset")
    qa.add_argument(
        "--doc-stride", metavar="N", type=int, default=128, help="tokens shared by neighbouring windows (128)"
    )
    inspect.add_argument("--json", action="store_true", help="print the full report as JSON")
    inspect.set_defaults(handler=run_inspect)


def run_inspect(args: argparse.Namespace) -> int:
    from bertstudio.data import suggest_task, validate
    from bertstudio.data.squad import is_squad_file

    if is_squad_file(args.file) or args.context or args.question:
        return _print(args, _question_report(args))
    table = _read(args)
    mapping = _mapping(args, table, suggest_task(table))
    tokenizer = _tokenizer(args.model) if args.model else None
    sizes = _sizes(args.split) if args.split else None
    report = validate(table, mapping, tokenizer, args.max_length, sizes=sizes, seed=args.seed)
    return _print(args, report)


def _print(args: argparse.Namespace, report) -> int:
    from bertstudio.data.report_text import format_report

    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_report(report, args.max_problems))
    if not report.usable:
        print(f"error: {args.file}: the data is not usable: {' '.join(report.errors)}", file=sys.stderr)
        return 2
    return 0


def _read(args: argparse.Namespace):
    from bertstudio.data import read_table

    return read_table(args.file, dataclasses.replace(read_options_from(args), quoting=args.quoting))


def _question_report(args: argparse.Namespace):
    """The question-answering report of a SQuAD .json file, or of a table with --context / --question."""
    from bertstudio.data.qa_validation import validate_questions
    from bertstudio.data.squad import QAColumns, read_qa_table, read_squad

    columns = None
    if args.context or args.question:
        columns = QAColumns(
            context=args.context or "",
            question=args.question or "",
            answer=args.answer or "",
            answer_start=args.answer_start or "",
        )
        parsed = read_qa_table(_read(args), columns)
    else:
        parsed = read_squad(args.file)
    tokenizer = _tokenizer(args.model) if args.model else None
    sizes = _sizes(args.split) if args.split else None
    return validate_questions(
        parsed, tokenizer, args.max_length, args.doc_stride, sizes=sizes, columns=columns
    )


def _mapping(args: argparse.Namespace, table, suggested):
    """The suggested mapping with whatever the user gave on the command line put over it."""
    from bertstudio.data.mapping import apply_given_columns

    return apply_given_columns(
        table,
        suggested,
        text=args.text,
        text_pair=args.text_pair,
        negative=args.negative,
        labels=args.label,
        task=args.task,
        label_delimiter=args.label_delimiter,
        split_column=args.split_column,
    )


def _tokenizer(folder: str):
    from bertstudio.text import load_tokenizer

    return load_tokenizer(folder)


def _sizes(text: str) -> tuple[float, ...]:
    from bertstudio.errors import DataImportError

    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise DataImportError(
            f"--split {text!r} is not a list of numbers.", "Write e.g. --split 0.8,0.1,0.1."
        ) from None
