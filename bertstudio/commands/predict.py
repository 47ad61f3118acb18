"""`bertstudio predict`: label a table with a fine-tuned model; writes the input columns plus the
predicted label and each label's probability (the value for regression, tags for token tagging)."""

from __future__ import annotations

import argparse

from bertstudio.commands.train import READ_FLAGS, add_config_flags, read_options_from


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("predict", help="predict labels for a CSV/TSV/JSONL file")
    parser.add_argument("--model", required=True, help="fine-tuned model folder (e.g. RUN_DIR/model)")
    parser.add_argument("--data", required=True, help="CSV, TSV or JSONL file")
    parser.add_argument("--text", required=True, help="column holding the text (words, for token tagging)")
    parser.add_argument("--text-pair", help="column holding the second text of a pair")
    parser.add_argument("--out", required=True, help="CSV file to write")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--max-length", type=int, help="tokens per example (default: the length the model was trained with)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    add_config_flags(parser, READ_FLAGS)
    parser.set_defaults(handler=run_predict)


def run_predict(args: argparse.Namespace) -> int:
    from bertstudio.training.inference import predict_file

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
    )
    print(summary.describe(args.out))
    return 0
