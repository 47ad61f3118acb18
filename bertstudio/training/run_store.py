"""The run folder, the contract between engine, CLI and GUI (DESIGN.md).

    run.json        config, label names, data fingerprints, versions, status (rewritten atomically)
    metrics.jsonl   one JSON object per event, appended and flushed as it happens
    checkpoints/    resumable states, step-NNNNNNNN/ each (see checkpoint.py)
    tokenizer/      the tokenizer trained for a pretraining run (reused on resume)
    model/          the final model in the Hugging Face layout
    eval/           predictions and metrics of the evaluation sets

Readers tolerate a torn last line in metrics.jsonl (a kill mid-write), so a folder is always readable.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bertstudio import __version__
from bertstudio.atomic import atomic_write_text, remove_leftover_temps
from bertstudio.errors import RunStoreError
from bertstudio.storage import append_line, writing
from bertstudio.training.config import RunConfig
from bertstudio.training.events import Event, event_to_record

RUN_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
PARTIAL_MODEL = ".model-partial"  # the final model while it is written, renamed to model/ when whole


class RunFolder:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def run_file(self) -> Path:
        return self.path / RUN_FILE

    @property
    def metrics_file(self) -> Path:
        return self.path / METRICS_FILE

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def eval_dir(self) -> Path:
        return self.path / "eval"

    @property
    def tokenizer_dir(self) -> Path:
        return self.path / "tokenizer"

    def exists(self) -> bool:
        return self.run_file.is_file()

    def read_info(self) -> dict[str, Any]:
        """The contents of run.json; RunStoreError if this is not a run folder."""
        try:
            data = json.loads(self.run_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunStoreError(
                "This folder is not a run (run.json is missing).",
                "Choose a folder written by a training run.",
                path=self.path,
            ) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RunStoreError(
                f"run.json cannot be read ({exc}).",
                "It was damaged outside the app. The checkpoints and model/ in this folder are still usable: "
                "open model/ on the Model page, or delete the run.",
                path=self.run_file,
            ) from None
        if not isinstance(data, dict) or "config" not in data:
            raise RunStoreError(
                "run.json has no run config.",
                "It was not written by a training run, or was edited by hand; delete the run or restore the file.",
                path=self.run_file,
            )
        return data

    def read_config(self) -> RunConfig:
        return RunConfig.from_dict(self.read_info()["config"], source=self.run_file)

    def write_info(self, info: dict[str, Any]) -> None:
        with writing(self.run_file, "run.json"):
            atomic_write_text(self.run_file, json.dumps(info, indent=2, default=str))

    def update_info(self, **changes: Any) -> None:
        info = self.read_info()
        info.update(changes, updated=_now())
        self.write_info(info)

    def create(self, config: RunConfig, **extra: Any) -> None:
        """Start a new run folder; refuses a folder that already holds a run (resume that instead)."""
        if self.exists():
            raise RunStoreError(
                "The run folder already holds a run.",
                "Resume it (bertstudio train --resume RUN_DIR) or choose a new folder.",
                path=self.path,
            )
        with writing(self.path, "the run folder"):
            self.path.mkdir(parents=True, exist_ok=True)
        info = {
            "format": 1,
            "config": config.applicable_dict(),
            "status": "running",
            "created": _now(),
            "updated": _now(),
            "versions": versions(),
            **extra,
        }
        self.write_info(info)
        with writing(self.metrics_file, "metrics.jsonl"):
            self.metrics_file.touch()

    def clean_leftovers(self) -> None:
        """On resume: remove what a kill left half-written (temp files, a partial final model)."""
        with writing(self.path, "the run folder"):
            remove_leftover_temps(self.path)
            shutil.rmtree(self.path / PARTIAL_MODEL, ignore_errors=True)

    def append_event(self, event: Event) -> None:
        """Append one JSON line, whole or not at all, straight to the OS (visible to readers, survives a
        kill of this process)."""
        line = json.dumps(event_to_record(event), allow_nan=True, default=str) + "\n"
        with writing(self.metrics_file, "metrics.jsonl"):
            append_line(self.metrics_file, line)

    def read_events(self) -> list[dict[str, Any]]:
        """Every complete record of metrics.jsonl (a torn last line from a kill is skipped, and so is a
        line damaged by hand: one without a kind, or with a step that is not a whole number)."""
        return [r for r in read_jsonl(self.metrics_file) if _well_formed(r)]

    def drop_events_after(self, step: int) -> None:
        """On resume: forget step/eval/checkpoint records newer than the checkpoint resumed from,
        so the curves continue from there without a doubled stretch."""
        kept = [
            r
            for r in self.read_events()
            if not (r.get("step", 0) > step and r.get("kind") in ("step", "eval", "checkpoint"))
        ]
        with writing(self.metrics_file, "metrics.jsonl"):
            atomic_write_text(self.metrics_file, "".join(json.dumps(r, allow_nan=True) + "\n" for r in kept))


def _well_formed(record: dict[str, Any]) -> bool:
    step = record.get("step", 0)
    return isinstance(record.get("kind"), str) and isinstance(step, int) and not isinstance(step, bool)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    records = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # torn line from a kill mid-write
        if isinstance(record, dict):
            records.append(record)
    return records


def fingerprint(path: str | Path) -> dict[str, Any]:
    """Size and SHA-256 of a data file, so a resume can tell when the data changed underneath."""
    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"path": str(path), "size": path.stat().st_size, "sha256": digest.hexdigest()}


def versions() -> dict[str, str]:
    import numpy
    import tokenizers
    import torch

    return {
        "bertstudio": __version__,
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "tokenizers": tokenizers.__version__,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
    }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def run_status(path: str | Path) -> str:
    """ "running", "completed", "failed", "cancelled" or "interrupted" (killed: resumable), from run.json;
    "running" only while a process holds the folder's lock (the kernel drops it when that process dies)."""
    from bertstudio.training.run_lock import run_lock_holder

    info = RunFolder(path).read_info()
    status = info.get("status", "interrupted")
    if status == "running" and run_lock_holder(path) is None:
        return "interrupted"
    return status
