"""What the pages share: the open model, the chosen data, the workspace. Pages listen to its signals."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal


def model_display_name(path: Path) -> str:
    """A readable name for a model folder: 'org/name' for a Hugging Face cache snapshot,
    'run-name/model' for a run's exported model, else the folder name."""
    path = Path(path)
    if path.parent.name == "snapshots" and path.parent.parent.name.startswith("models--"):
        return path.parent.parent.name[len("models--") :].replace("--", "/")
    if path.name in ("model", "final", "best"):
        return f"{path.parent.name}/{path.name}"
    return path.name


@dataclass
class DataSelection:
    """The data the Data page prepared for training: file, column mapping, split, max length."""

    path: Path
    mapping: Any  # bertstudio.data.ColumnMapping
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    max_length: int = 128
    label_names: list[str] = field(default_factory=list)
    exclude_problem_rows: bool = False  # train on the usable rows, leaving rows with errors out
    read_options: dict[str, Any] = field(default_factory=dict)  # encoding / delimiter / has_header chosen

    @property
    def task(self) -> str:
        return self.mapping.task


class Workbench(QObject):
    model_changed = Signal()
    data_changed = Signal()
    workspace_changed = Signal()
    run_started = Signal(str)  # run folder, once the engine has created it
    run_finished = Signal(str)  # run folder
    busy = Signal(str)  # what is running now, "" when idle

    def __init__(self, workspace: Path) -> None:
        super().__init__()
        self.workspace = workspace
        self.model_path: Path | None = None
        self.model_summary: dict[str, Any] | None = None
        self.data: DataSelection | None = None
        self.running_run: str | None = None  # the run folder training in this window now

    def set_model(self, path: Path, summary: dict[str, Any]) -> None:
        self.model_path = Path(path)
        self.model_summary = summary
        self.model_changed.emit()

    def set_data(self, selection: DataSelection) -> None:
        self.data = selection
        self.data_changed.emit()

    def set_workspace(self, path: Path) -> None:
        self.workspace = Path(path)
        self.workspace_changed.emit()

    @property
    def runs_dir(self) -> Path:
        return self.workspace / "runs"

    @property
    def models_dir(self) -> Path:
        return self.workspace / "models"
