"""Plain records of the window's state (the controller holds them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bertstudio.data.read_options import DETECT, ReadOptions


@dataclass
class DataSelection:
    """The data handed to training: file, column mapping, split, max length and read options."""

    path: Path
    mapping: Any  # bertstudio.data.ColumnMapping
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    max_length: int = 128
    label_names: list[str] = field(default_factory=list)
    exclude_problem_rows: bool = False  # train on the usable rows, leaving rows with errors out
    read_options: ReadOptions = DETECT  # how the file is read
    train_rows: int | None = None  # rows the split gives to training (the Train page's step plan)

    @property
    def task(self) -> str:
        return self.mapping.task
