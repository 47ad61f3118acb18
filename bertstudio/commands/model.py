"""`bertstudio model info DIR` / `model list`: what a checkpoint is (family, what it can do), without
opening the window."""

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
    listing = model_commands.add_parser(
        "list", help="checkpoints of the families BERT Studio opens in the local Hugging Face cache"
    )
    listing.set_defaults(handler=run_list)


def run_info(args: argparse.Namespace) -> int:
    from bertstudio.model.summary import summarize

    summary = summarize(args.path)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for key, value in summary.items():
            if isinstance(value, list) and key in ("tasks", "capabilities"):
                value = ", ".join(value) or "-"
            print(f"{key:>22}: {value}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from bertstudio.model.family import family_for
    from bertstudio.model.hub import find_cached_checkpoints

    for checkpoint in find_cached_checkpoints():
        family = family_for(checkpoint.model_type)
        can = [name for name, present in family.capabilities.as_dict().items() if present]
        print(f"{checkpoint.name}\t{family.title}\t{', '.join(can)}\t{checkpoint.path}")
    return 0
