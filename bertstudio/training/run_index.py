"""The run index over a workspace's runs/ folder: list, describe and delete runs as typed records.
Shared by the window's Runs page and `bertstudio runs`; reads run folders only (no torch)."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bertstudio.errors import RunStoreError
from bertstudio.training.run_store import RunFolder, run_status

RESUMABLE = ("interrupted", "cancelled", "failed")


@dataclass(frozen=True)
class RunProblem:
    """Why a run failed, or why its folder cannot be read."""

    message: str
    hint: str = ""


@dataclass(frozen=True)
class RunRecord:
    """What the run list shows of one run folder."""

    path: Path
    status: str  # running, completed, early_stopped, failed, cancelled, interrupted or unreadable
    task: str = ""
    model: str = ""  # what it trained: a model's display name, or the preset of a pretraining run
    best_metric: str = ""  # the metric that picks the best checkpoint
    best_value: float | None = None
    best_step: int | None = None  # the step of the best evaluation
    step: int = 0  # the last step reached (or checkpointed)
    updated: float | None = None  # when the run last wrote anything (seconds since the epoch)
    resumable: bool = False
    model_dir: Path | None = None  # the exported final model, once there is one
    config: dict[str, Any] = field(default_factory=dict)  # run.json's config
    problem: RunProblem | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def best(self) -> str:
        """e.g. 'accuracy 0.9125', or '' before an evaluation."""
        return f"{self.best_metric} {self.best_value:.4g}" if self.best_value is not None else ""

    @property
    def updated_text(self) -> str:
        """When it last wrote anything, in local time ('2026-12-01 20:15')."""
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.updated)) if self.updated else ""

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready values (`bertstudio runs --json`)."""
        return {
            "name": self.name,
            "path": str(self.path),
            "status": self.status,
            "task": self.task,
            "model": self.model,
            "best_metric": self.best_metric,
            "best_value": self.best_value,
            "best_step": self.best_step,
            "step": self.step,
            "updated": self.updated_text,
            "resumable": self.resumable,
            "model_dir": str(self.model_dir) if self.model_dir else "",
            "config": self.config,
            "problem": None
            if self.problem is None
            else {"message": self.problem.message, "hint": self.problem.hint},
        }


GENERIC_FOLDER_NAMES = ("model", "final", "best")


def model_display_name(path: str | Path) -> str:
    """A readable name for a model folder: 'org/name' for a Hugging Face cache snapshot,
    'run-name/model' for a run's exported model, the model card's title for another folder with a
    generic name (a package's `model/`), else the folder name."""
    path = Path(path)
    if path.parent.name == "snapshots" and path.parent.parent.name.startswith("models--"):
        return path.parent.parent.name[len("models--") :].replace("--", "/")
    if path.name not in GENERIC_FOLDER_NAMES:
        return path.name
    if not (path.parent / "run.json").is_file():
        title = model_card_title(path)
        if title:
            return title
    return f"{path.parent.name}/{path.name}"


def model_card_title(path: Path) -> str | None:
    """The first level-1 heading of the folder's README.md (after its front matter), when it is short."""
    try:
        with open(path / "README.md", encoding="utf-8") as handle:
            lines = [next(handle, "") for _ in range(200)]
    except (OSError, UnicodeDecodeError):
        return None
    if lines[0].strip() == "---":  # YAML front matter, where "# " starts a comment
        closing = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), len(lines))
        lines = lines[closing + 1 :]
    for line in lines:
        if line.startswith("# "):
            title = line[2:].strip()
            return title if 0 < len(title) <= 60 else None
    return None


def describe_run(path: str | Path) -> RunRecord:
    """One run folder as a record; status 'interrupted' when the process that trained it is gone.
    Raises RunStoreError when run.json cannot be read."""
    from bertstudio.training.checkpoint import latest_checkpoint

    folder = RunFolder(path)
    info = folder.read_info()
    config = info["config"]
    status = run_status(folder.path)
    result = info.get("result") or {}
    checkpoint = latest_checkpoint(folder.checkpoints)
    checkpoint_step = int(checkpoint.name.split("-")[1]) if checkpoint else 0
    reached = info.get("reached_step") if isinstance(info.get("reached_step"), int) else 0  # at a pause
    best = result.get("best_metric")
    error = info.get("error")
    return RunRecord(
        path=folder.path,
        status=status,
        task=config.get("task", ""),
        model=model_display_name(config["model_path"])
        if config.get("model_path")
        else config.get("preset", ""),
        best_metric=config.get("metric_for_best") or _default_best_metric(config.get("task", "")),
        best_value=float(best) if isinstance(best, (int, float)) else None,
        best_step=result.get("best_step") if isinstance(result.get("best_step"), int) else None,
        step=result.get("step") or max(checkpoint_step, reached if status == "running" else 0),
        updated=last_activity(folder),
        resumable=status in RESUMABLE and checkpoint is not None,
        model_dir=folder.model_dir if (folder.model_dir / "config.json").is_file() else None,
        config=config,
        problem=RunProblem(message=error.get("message", ""), hint=error.get("hint", ""))
        if isinstance(error, dict)
        else None,
    )


def _default_best_metric(task: str) -> str:
    from bertstudio.tasks import get_task, task_names

    return get_task(task).best_metric if task in task_names() else ""


def last_activity(folder: RunFolder) -> float | None:
    """When the run last wrote run.json or a line of metrics.jsonl: a killed run's run.json still
    holds its start."""
    times = [p.stat().st_mtime for p in (folder.run_file, folder.metrics_file) if p.is_file()]
    return max(times) if times else None


def list_runs(runs_dir: str | Path) -> list[RunRecord]:
    """Every run folder under `runs_dir`, newest first; one that cannot be read is listed as
    'unreadable' with the reason, so a broken folder never hides the others."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    records = []
    folders = [p for p in runs_dir.iterdir() if (p / "run.json").is_file()]
    for path in sorted(folders, key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            records.append(describe_run(path))
        except RunStoreError as exc:
            records.append(
                RunRecord(path=path, status="unreadable", problem=RunProblem(exc.message, exc.hint))
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:  # run.json edited by hand
            problem = RunProblem(
                f"run.json holds an unexpected value ({exc}).", "Restore the file or delete the run."
            )
            records.append(RunRecord(path=path, status="unreadable", problem=problem))
    return records


def is_training(path: str | Path) -> bool:
    """Whether a process on this machine is training this run now."""
    try:
        return run_status(path) == "running"
    except RunStoreError:
        return False  # an unreadable run.json is not a live run


def delete_run(path: str | Path) -> None:
    """Delete a run folder with its checkpoints and models; refuses a run that is training. The
    folder is renamed first, so a half-deleted folder never looks like a run."""
    path = Path(path)
    if not RunFolder(path).exists():
        raise RunStoreError(
            "This folder is not a run (run.json is missing), so it is not deleted.",
            "Choose a run folder of the workspace's runs/ folder.",
            path=path,
        )
    if is_training(path):
        raise RunStoreError(
            "This run is training now; deleting it would pull the folder from under it.",
            "Cancel the run (or wait until it ends), then delete it.",
            path=path,
        )
    doomed = path.with_name(f".deleting-{path.name}")
    try:
        path.rename(doomed)
        shutil.rmtree(doomed)
    except OSError as exc:
        raise RunStoreError(
            f"Could not delete the run ({exc.strerror or exc}).",
            "Check that the folder is writable and not open in another program, then try again.",
            path=path,
        ) from None
