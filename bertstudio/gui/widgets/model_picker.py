"""A model picker: the open model, and every run's exported model and best / final checkpoint."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from bertstudio.gui.controller import AppController
from bertstudio.gui.workers import run_in_background
from bertstudio.training.run_models import ModelChoice, open_model_choice, run_model_choices


class ModelPicker(QWidget):
    chosen = Signal(object)  # a ModelChoice, or None when there is nothing to choose

    def __init__(self, controller: AppController, object_name: str) -> None:
        super().__init__()
        self.controller = controller
        self.choices: list[ModelChoice] = []
        self.combo = QComboBox()
        self.combo.setObjectName(object_name)
        self.combo.setAccessibleName("Model")
        self.combo.setMinimumWidth(320)
        self.combo.setToolTip("The open model, or a run's exported model or kept checkpoint")
        self.combo.currentIndexChanged.connect(self._chosen)
        refresh = QPushButton("Refresh")
        refresh.setToolTip("List the runs' models again")
        refresh.clicked.connect(self.refresh)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Model"))
        row.addWidget(self.combo, 1)
        row.addWidget(refresh)
        self._prefer: str | None = None  # the key to select once the list arrives
        controller.model_changed.connect(self._model_opened)
        controller.run_finished.connect(self._run_finished)
        controller.workspace_changed.connect(self.refresh)
        self.refresh()

    def current(self) -> ModelChoice | None:
        index = self.combo.currentIndex()
        return self.choices[index] if 0 <= index < len(self.choices) else None

    def refresh(self) -> None:
        run_in_background(
            run_model_choices,
            self.controller.runs_dir,
            owner=self,
            on_done=self._show,
            on_error=lambda _e: self._show([]),
        )

    def select(self, choice_key: str) -> None:
        """Select the choice with this key (now, or once the list is read)."""
        keys = [c.key for c in self.choices]
        if choice_key in keys:
            self.combo.setCurrentIndex(keys.index(choice_key))
        else:
            self._prefer = choice_key

    def _model_opened(self) -> None:
        if self.controller.model_path is not None:
            self._prefer = open_model_choice(self.controller.model_path).key
        self.refresh()

    def _run_finished(self, run_dir: str) -> None:
        from pathlib import Path

        model = Path(run_dir) / "model"
        if (model / "config.json").is_file():
            self._prefer = ModelChoice(title="", model_dir=model).key
        self.refresh()

    def _show(self, runs: list[ModelChoice]) -> None:
        current = self.current()
        wanted = self._prefer or (current.key if current else None)
        self._prefer = None
        opened = [open_model_choice(self.controller.model_path)] if self.controller.model_path else []
        self.choices = opened + [c for c in runs if not opened or c.key != opened[0].key]
        self.combo.blockSignals(True)
        self.combo.clear()
        for choice in self.choices:
            self.combo.addItem(choice.title)
            self.combo.setItemData(
                self.combo.count() - 1,
                str(choice.checkpoint or choice.model_dir),
                Qt.ItemDataRole.ToolTipRole,
            )
        keys = [c.key for c in self.choices]
        self.combo.setCurrentIndex(keys.index(wanted) if wanted in keys else (0 if keys else -1))
        self.combo.blockSignals(False)
        if not self.choices:
            self.combo.addItem("No model: open one on the Model page, or finish a run")
            self.combo.setEnabled(False)
        else:
            self.combo.setEnabled(True)
        if (current.key if current else None) != (self.current().key if self.current() else None):
            self._chosen()

    def _chosen(self, *_: object) -> None:
        self.chosen.emit(self.current())
