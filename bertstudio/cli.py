"""The `bertstudio` command: opens the window, or runs a headless command over the same core.

Each subcommand lives in `bertstudio/commands/<name>.py` with `register(subparsers)`; its handler
returns an exit code. A BertStudioError is printed (what is wrong, what to do) with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from bertstudio import __version__
from bertstudio.errors import BertStudioError

COMMAND_MODULES = (
    "bertstudio.commands.model",
    "bertstudio.commands.data",
    "bertstudio.commands.train",
    "bertstudio.commands.pretrain",
    "bertstudio.commands.predict",
    "bertstudio.commands.evaluate",
    "bertstudio.commands.runs",
    "bertstudio.commands.embed",
    "bertstudio.commands.export",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bertstudio",
        description="BERT Studio: fine-tune, evaluate and inspect BERT-family models. "
        "Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"bertstudio {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="open the window on the built-in demo model and data"
    )
    parser.add_argument(
        "--self-test", action="store_true", help="start the window, check it works, exit 0 (for installers)"
    )
    parser.add_argument("--workspace", help="folder holding runs (default: the one chosen in the app)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from bertstudio.gui.app import run_app

            return run_app(demo=args.demo, self_test=args.self_test, workspace=args.workspace)
        return int(args.handler(args) or 0)
    except BertStudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
