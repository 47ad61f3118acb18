"""`bertstudio model info|list|create`: what a checkpoint is (its family and what it can do), the
checkpoints on this machine, and a new model from a preset size, without opening the window."""

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
        "list",
        help="checkpoints of the families BERT Studio opens on this machine (bundled, installed, Hugging Face "
        "cache, workspace), with family and capabilities",
    )
    listing.add_argument("--workspace", metavar="DIR", default=argparse.SUPPRESS, help="workspace folder")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)
    from bertstudio.model.config import PRESETS

    create = model_commands.add_parser(
        "create",
        help="a new masked-LM with random weights, of a preset size",
        description="Write a new model (random weights, seeded) of a preset size to OUT, in the Hugging Face "
        "layout, with the vocabulary of an existing model's tokenizer. Pretrain or fine-tune it next.",
    )
    create.add_argument(
        "--preset",
        required=True,
        choices=list(PRESETS),
        help="size: "
        + ", ".join(
            f"{name} ({layers} layers, hidden {hidden})" for name, (layers, hidden, _heads) in PRESETS.items()
        ),
    )
    create.add_argument("--out", required=True, metavar="DIR", help="new folder for the model")
    create.add_argument(
        "--tokenizer",
        metavar="DIR",
        help="model folder whose tokenizer to use (default: the bundled demo model)",
    )
    create.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    create.set_defaults(handler=run_create)


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
    from bertstudio.model.hub import folder_family
    from bertstudio.workspace import local_models, resolve_workspace

    models = local_models([resolve_workspace(getattr(args, "workspace", None)).models_dir])
    rows = []
    for model in models:
        family = folder_family(model.path)
        can = [name for name, present in family.capabilities.as_dict().items() if present]
        rows.append(
            {
                "name": model.name,
                "family": family.title,
                "capabilities": can,
                "source": model.source,
                "path": str(model.path),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(
                f"{row['name']}\t{row['family']}\t{', '.join(row['capabilities'])}\t{row['source']}\t{row['path']}"
            )
    return 0


def run_create(args: argparse.Namespace) -> int:
    from bertstudio.resources import resource_path
    from bertstudio.workspace import create_from_preset
    from bertstudio.workspace.models import DEMO_MODEL

    tokenizer = args.tokenizer or resource_path(*DEMO_MODEL)
    folder = create_from_preset(args.preset, tokenizer, args.out, seed=args.seed)
    print(f"created a {args.preset} model with random weights in {folder}")
    return 0
