"""`bertstudio runs list|show|delete`: the workspace's runs, as the window's Runs page lists them."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("runs", help="list, describe and delete the workspace's runs")
    actions = parser.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every run with its status, task, model, best metric and step")
    show = actions.add_parser("show", help="one run's status and full config")
    show.add_argument("run", help="run name (a folder of the workspace's runs/) or a run folder")
    delete = actions.add_parser("delete", help="delete runs with their checkpoints and models")
    delete.add_argument("run", nargs="+", help="run names or run folders")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    for action in (listing, show, delete):
        action.add_argument(
            "--workspace",
            metavar="DIR",
            default=argparse.SUPPRESS,  # keeps `bertstudio --workspace DIR runs ...` working too
            help="workspace folder (default: $BERTSTUDIO_WORKSPACE, else the one chosen in the window)",
        )
        action.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)
    show.set_defaults(handler=run_show)
    delete.set_defaults(handler=run_delete)


def _runs_dir(args: argparse.Namespace):
    from bertstudio.workspace import resolve_workspace

    return resolve_workspace(getattr(args, "workspace", None)).runs_dir


def _run_folder(args: argparse.Namespace, name: str):
    from pathlib import Path

    from bertstudio.errors import RunStoreError

    path = Path(name)
    if not (path / "run.json").is_file():
        path = _runs_dir(args) / name
    if not (path / "run.json").is_file():
        raise RunStoreError(
            f"No run named {name!r}.",
            "Give a run name from `bertstudio runs list` (add --workspace DIR for another workspace) or a run folder.",
            path=path,
        )
    return path


def run_list(args: argparse.Namespace) -> int:
    from bertstudio.training.run_index import list_runs

    records = list_runs(_runs_dir(args))
    if args.json:
        print(json.dumps([record.to_dict() for record in records], indent=2))
        return 0
    if not records:
        print(f"no runs in {_runs_dir(args)}")
        return 0
    rows = [("RUN", "STATUS", "TASK", "MODEL", "BEST", "STEP", "UPDATED")]
    for record in records:
        status = record.status + (" (resumable)" if record.resumable else "")
        rows.append(
            (
                record.name,
                status,
                record.task,
                record.model,
                record.best,
                str(record.step),
                record.updated_text,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def run_show(args: argparse.Namespace) -> int:
    from bertstudio.training.run_index import describe_run

    record = describe_run(_run_folder(args, args.run))
    if args.json:
        print(json.dumps(record.to_dict(), indent=2))
        return 0
    print(f"run:      {record.name}\nfolder:   {record.path}")
    print(
        f"status:   {record.status}"
        + (" (resumable: bertstudio train --resume RUN_DIR)" if record.resumable else "")
    )
    print(f"task:     {record.task}\nmodel:    {record.model}\nstep:     {record.step}")
    if record.best:
        print(f"best:     {record.best}")
    if record.model_dir:
        print(f"exported: {record.model_dir}")
    if record.problem:
        print(
            f"error:    {record.problem.message}"
            + (f"\n          {record.problem.hint}" if record.problem.hint else "")
        )
    print("config:")
    for key, value in record.config.items():
        print(f"  {key} = {value!r}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    import sys

    from bertstudio.training.run_index import delete_run

    folders = [_run_folder(args, name) for name in args.run]
    if not args.yes:
        if not sys.stdin.isatty():
            from bertstudio.errors import ConfigError

            raise ConfigError("Deleting runs needs a confirmation.", "Add --yes to delete without asking.")
        answer = input(f"Delete {len(folders)} run(s) with their checkpoints and models? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    deleted = []
    for folder in folders:
        delete_run(folder)
        deleted.append(str(folder))
    if args.json:
        print(json.dumps({"deleted": deleted}, indent=2))
    else:
        for path in deleted:
            print(f"deleted {path}")
    return 0
