"""`bertstudio model info DIR`: what a checkpoint is, without opening the window."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("model", help="inspect model checkpoints")
    model_commands = parser.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    info = model_commands.add_parser("info", help="architecture summary of a model folder")
    info.add_argument("path", help="folder in the Hugging Face layout")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(handler=run_info)
    listing = model_commands.add_parser("list", help="BERT checkpoints in the local Hugging Face cache")
    listing.set_defaults(handler=run_list)


def run_info(args: argparse.Namespace) -> int:
    from bertstudio.model.summary import summarize

    summary = summarize(args.path)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for key, value in summary.items():
            print(f"{key:>22}: {value}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from bertstudio.model.hub import find_cached_checkpoints

    for checkpoint in find_cached_checkpoints():
        print(f"{checkpoint.name}\t{checkpoint.path}")
    return 0
