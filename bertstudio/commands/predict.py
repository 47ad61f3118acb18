"""`bertstudio predict`: label a table with a fine-tuned model; writes the input columns plus the
predicted label and each label's probability (the value for regression, tags for token tagging)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bertstudio.commands.qa_flags import add_qa_flags, qa_columns, qa_options, require_text
from bertstudio.commands.train import READ_FLAGS, add_config_flags, read_options_from


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("predict", help="predict labels for a CSV/TSV/JSONL file")
    parser.add_argument("--model", required=True, help="fine-tuned model folder (e.g. RUN_DIR/model)")
    parser.add_argument(
        "--data", required=True, help="CSV, TSV or JSONL file (question answering: or SQuAD .json)"
    )
    parser.add_argument(
        "--checkpoint",
        help="a checkpoint folder of the run that exported --model (RUN_DIR/checkpoints/step-N): its weights are used",
    )
    parser.add_argument("--text", help="column holding the text (words, for token tagging)")
    parser.add_argument("--text-pair", help="column holding the second text of a pair")
    parser.add_argument(
        "--out", required=True, help="CSV file to write (question answering: .json writes {id: answer})"
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--max-length", type=int, help="tokens per example (default: the length the model was trained with)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    add_config_flags(parser, READ_FLAGS)
    add_qa_flags(parser, answers_needed=False)
    parser.set_defaults(handler=run_predict)


def run_predict(args: argparse.Namespace) -> int:
    from bertstudio.training.inference import predict_file
    from bertstudio.training.qa_inference import is_qa_model, predict_questions_file

    if is_qa_model(args.model):
        print(
            predict_questions_file(
                args.model,
                args.data,
                args.out,
                columns=qa_columns(args),
                options=qa_options(args),
                device=args.device,
                read_options=read_options_from(args),
                checkpoint=args.checkpoint and Path(args.checkpoint),
            )
        )
        return 0
    require_text(args)

    summary = predict_file(
        args.model,
        args.data,
        args.text,
        args.out,
        pair_column=args.text_pair,
        batch_size=args.batch_size,
        max_length=args.max_length,
        device=args.device,
        read_options=read_options_from(args),
        checkpoint=args.checkpoint and Path(args.checkpoint),
    )
    print(summary.describe(args.out))
    return 0
