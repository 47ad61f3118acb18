"""`bertstudio evaluate`: score a fine-tuned model on a labelled table (metrics of its task)."""

from __future__ import annotations

import argparse
import json

from bertstudio.commands.qa_flags import add_qa_flags, qa_columns, qa_options, require_text
from bertstudio.commands.train import READ_FLAGS, add_config_flags, read_options_from


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="metrics of a fine-tuned model on a labelled file")
    parser.add_argument("--model", required=True, help="fine-tuned model folder (e.g. RUN_DIR/model)")
    parser.add_argument(
        "--data",
        required=True,
        help="CSV, TSV or JSONL file with labels (question answering: or SQuAD .json)",
    )
    parser.add_argument("--text", help="column holding the text")
    parser.add_argument("--text-pair", help="column holding the second text of a pair")
    parser.add_argument("--label", action="append", help="label column (repeatable for multi-label)")
    parser.add_argument("--label-delimiter", help="multi-label cells: labels separated by this")
    parser.add_argument("--exclude-problem-rows", action="store_true", help="leave out unusable rows")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--max-length", type=int, help="tokens per example (default: the length the model was trained with)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    add_config_flags(parser, READ_FLAGS)
    parser.add_argument("--out", help="folder for metrics.json and predictions")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    add_qa_flags(parser, answers_needed=True)
    parser.set_defaults(handler=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bertstudio.training.inference import evaluate_file, summary_lines
    from bertstudio.training.qa_inference import evaluate_questions_file, is_qa_model
    from bertstudio.training.results import write_eval_files

    if is_qa_model(args.model):
        result, source = evaluate_questions_file(
            args.model,
            args.data,
            columns=qa_columns(args),
            options=qa_options(args),
            device=args.device,
            read_options=read_options_from(args),
            exclude_problem_rows=args.exclude_problem_rows,
        )
        if args.out:
            write_eval_files(Path(args.out), "test", result, source.dataset, None, source.dataset.task)
        print(json.dumps(result.metrics, indent=2) if args.json else "\n".join(summary_lines(result.metrics)))
        return 0
    require_text(args, label=True)
    result, source = evaluate_file(
        args.model,
        args.data,
        args.text,
        args.label,
        pair_column=args.text_pair,
        label_delimiter=args.label_delimiter,
        batch_size=args.batch_size,
        max_length=args.max_length,
        device=args.device,
        read_options=read_options_from(args),
        exclude_problem_rows=args.exclude_problem_rows,
    )
    if args.out:
        dataset = source.dataset
        write_eval_files(Path(args.out), "test", result, dataset, dataset.label_names, dataset.task)
    print(json.dumps(result.metrics, indent=2) if args.json else "\n".join(summary_lines(result.metrics)))
    return 0
