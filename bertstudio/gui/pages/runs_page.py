"""Runs page: every run folder of the workspace with its status (a run whose process is gone shows as
interrupted and resumable), config and best metric; overlay the curves of selected runs; resume, open
the exported model, reveal the folder, delete with confirmation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui import theme
from bertstudio.gui.controller import AppController
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.settings import Settings
from bertstudio.gui.widgets.common import page_header
from bertstudio.gui.widgets.config_diff_table import ConfigDiffTable
from bertstudio.gui.widgets.curves import MINIMUM_X_SPAN, make_curve, series_from_events, smooth
from bertstudio.gui.widgets.run_store_watcher import RunStoreWatcher
from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget
from bertstudio.gui.workers import run_in_background
from bertstudio.training.run_index import RunRecord, delete_run, list_runs

COLUMNS = ("Run", "Status", "Task", "Model", "Best", "Step", "Updated")


def read_curves(paths: list[str]) -> dict[str, list[dict]]:
    from bertstudio.training.run_store import RunFolder

    return {path: RunFolder(path).read_events() for path in paths}


class RunsPage(QWidget):
    open_model_requested = Signal(object)
    resume_requested = Signal(str)
    export_requested = Signal(str)  # run folder

    def __init__(self, state: AppController, settings: Settings) -> None:
        super().__init__()
        self.setObjectName("runsPage")
        self.state = state
        self.settings = settings
        self.runs: dict[str, RunRecord] = {}
        self._records: dict[str, list[dict]] = {}

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("refreshRunsButton")
        self.refresh_button.clicked.connect(self.refresh)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("resumeRunButton")
        self.resume_button.setToolTip("Continue the run from its last checkpoint")
        self.resume_button.clicked.connect(self._resume)
        self.open_model_button = QPushButton("Open Model")
        self.open_model_button.setObjectName("openRunModelButton")
        self.open_model_button.setToolTip("Open the run's exported model on the Model page")
        self.open_model_button.clicked.connect(self._open_model)
        self.export_button = QPushButton("Export...")
        self.export_button.setObjectName("exportRunButton")
        self.export_button.setToolTip(
            "Export the run's model: Hugging Face folder, ONNX or ONNX int8, with a card"
        )
        self.export_button.clicked.connect(self._export)
        self.reveal_button = QPushButton("Reveal Folder")
        self.reveal_button.setObjectName("revealRunButton")
        self.reveal_button.clicked.connect(self._reveal)
        self.delete_button = QPushButton("Delete...")
        self.delete_button.setObjectName("deleteRunButton")
        self.delete_button.clicked.connect(self._delete)

        self.table = QTreeWidget()
        self.table.setObjectName("runsTable")
        self.table.setAccessibleName("Runs")
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setColumnWidth(0, 300)
        self.table.setColumnWidth(4, 160)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemDoubleClicked.connect(lambda *_: self._open_model())
        self.empty_label = QLabel("")
        self.empty_label.setProperty("role", "muted")

        self.quantity_combo = QComboBox()
        self.quantity_combo.setObjectName("overlayQuantityCombo")
        self.quantity_combo.addItem("Training loss (smoothed)", "train_loss")
        self.quantity_combo.addItem("Validation loss", "val_loss")
        self.quantity_combo.currentIndexChanged.connect(self._draw_overlay)
        self.overlay_plot = ThemedPlotWidget("overlayPlot", "Compare selected runs", "")
        self.overlay_plot.addLegend(offset=(-10, 10))
        self.details = QPlainTextEdit()
        self.details.setObjectName("runDetails")
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a run to see its config.")
        self.differences = ConfigDiffTable()
        self.config_pane = QStackedWidget()  # one run's config, or what differs between several
        self.config_pane.addWidget(self.details)
        self.config_pane.addWidget(self.differences)

        overlay = QWidget()
        overlay_layout = QVBoxLayout(overlay)
        overlay_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare"))
        row.addWidget(self.quantity_combo)
        row.addStretch(1)
        overlay_layout.addLayout(row)
        overlay_layout.addWidget(self.overlay_plot, 1)
        bottom = QSplitter()
        bottom.addWidget(overlay)
        bottom.addWidget(self.config_pane)
        bottom.setSizes([700, 400])
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table, 1)
        top_layout.addWidget(self.empty_label)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setSizes([300, 450])

        layout = QVBoxLayout(self)
        layout.addLayout(
            page_header(
                "Runs",
                "Every run in the workspace. Select several to compare their curves.",
                self.refresh_button,
                self.resume_button,
                self.open_model_button,
                self.export_button,
                self.reveal_button,
                self.delete_button,
            )
        )
        layout.addWidget(splitter, 1)
        state.workspace_changed.connect(self.refresh)
        self.watcher = RunStoreWatcher(self)  # the list follows the run store: no Refresh needed
        self.watcher.changed.connect(self.refresh)
        state.session.pause_changed.connect(self.refresh)
        self._selection_changed()

    # ----- listing -----
    def refresh(self, *_: object) -> None:
        run_in_background(
            list_runs,
            self.state.runs_dir,
            owner=self,
            on_done=self._show_runs,
            on_error=lambda e: show_error(self, e),
        )

    def _show_runs(self, runs: list[RunRecord]) -> None:
        selected = {item.data(0, Qt.ItemDataRole.UserRole) for item in self.table.selectedItems()}
        self.table.clear()
        self.runs = {str(run.path): run for run in runs}
        self.watcher.watch(self.state.runs_dir, [run.path for run in runs])
        for run in runs:
            path = str(run.path)
            status = run.status + (" (resumable)" if run.resumable else "")
            if path == self.state.running_run and run.status == "running":
                status = ("paused" if self.state.session.paused else "running") + " (this window)"
            item = QTreeWidgetItem(
                [run.name, status, run.task, run.model, run.best, f"{run.step:,}", run.updated_text]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, path)
            item.setToolTip(0, path)
            if run.problem is not None:
                item.setToolTip(1, run.problem.message)
            self.table.addTopLevelItem(item)
            item.setSelected(path in selected)
        for column in range(1, len(COLUMNS)):  # the run name column stretches; the rest fit their text
            self.table.resizeColumnToContents(column)
        self.empty_label.setText(
            "" if runs else f"No runs yet in {self.state.runs_dir}. Start one on the Train page."
        )
        self._selection_changed()

    def selected_runs(self) -> list[RunRecord]:
        paths = [item.data(0, Qt.ItemDataRole.UserRole) for item in self.table.selectedItems()]
        return [self.runs[p] for p in paths if p in self.runs]

    def select_run(self, path: str) -> None:
        for row in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(row)
            item.setSelected(item.data(0, Qt.ItemDataRole.UserRole) == path)

    def _selection_changed(self) -> None:
        runs = self.selected_runs()
        single = runs[0] if len(runs) == 1 else None
        self.resume_button.setEnabled(
            bool(single and single.resumable and str(single.path) != self.state.running_run)
        )
        self.open_model_button.setEnabled(bool(single and single.model_dir))
        self.export_button.setEnabled(bool(single and single.model_dir))
        self.reveal_button.setEnabled(single is not None)
        # the statuses read at the last refresh (no disk reads per click); delete_runs checks again
        training = any(r.status == "running" or str(r.path) == self.state.running_run for r in runs)
        self.delete_button.setEnabled(bool(runs) and not training)
        self.delete_button.setToolTip(
            "A run that is training (here or in another process) cannot be deleted: cancel it first."
            if training
            else "Delete the selected run folders, with their checkpoints and models"
        )
        self.config_pane.setCurrentWidget(self.differences if len(runs) >= 2 else self.details)
        if len(runs) >= 2:
            self.differences.show_runs([r.name for r in runs], [r.config for r in runs])
        if single is not None:
            import json

            from bertstudio.training.run_compare import applicable_settings

            text = json.dumps(applicable_settings(single.config), indent=2)
            if single.problem is not None:
                text = f"Error: {single.problem.message}\n{single.problem.hint}\n\n" + text
            self.details.setPlainText(text)
        else:
            self.details.setPlainText(f"{len(runs)} runs selected." if runs else "")
        paths = [str(r.path) for r in runs]
        if paths:
            run_in_background(
                read_curves,
                paths,
                owner=self,
                on_done=self._curves_read,
                on_error=lambda e: show_error(self, e),
            )
        else:
            self._records = {}
            self._draw_overlay()

    def _curves_read(self, records: dict[str, list[dict]]) -> None:
        self._records = records
        known = {self.quantity_combo.itemData(i) for i in range(self.quantity_combo.count())}
        for events in records.values():
            for record in events:
                if record.get("kind") == "eval":
                    for name, value in (record.get("metrics") or {}).items():
                        key = f"val_{name}"
                        if isinstance(value, (int, float)) and key not in known:
                            known.add(key)
                            self.quantity_combo.addItem(f"Validation {name}", key)
        self._draw_overlay()

    def _draw_overlay(self) -> None:
        self.overlay_plot.clear()
        key = self.quantity_combo.currentData()
        for index, (path, records) in enumerate(self._records.items()):
            steps, _, values = series_from_events(records, key)
            if not len(values):
                continue
            if key == "train_loss":
                values = smooth(values, 0.6)
            color = theme.SERIES_COLORS[index % len(theme.SERIES_COLORS)]
            curve = make_curve(self.overlay_plot, color, Path(path).name)
            if len(values) < 50:
                curve.setSymbol("o")
                curve.setSymbolSize(5)
                curve.setSymbolBrush(pg.mkBrush(color))
            curve.setData(np.asarray(steps), np.asarray(values))
        self.overlay_plot.setLabel("bottom", "step")
        if not self.curve_count():
            self.overlay_plot.show_empty_axes(MINIMUM_X_SPAN["step"])

    def curve_count(self) -> int:
        return sum(
            1 for item in self.overlay_plot.listDataItems() if item.xData is not None and len(item.xData)
        )

    # ----- actions -----
    def _single(self) -> RunRecord | None:
        runs = self.selected_runs()
        return runs[0] if len(runs) == 1 else None

    def _resume(self) -> None:
        run = self._single()
        if run and run.resumable:
            self.resume_requested.emit(str(run.path))

    def _open_model(self) -> None:
        run = self._single()
        if run and run.model_dir:
            self.open_model_requested.emit(run.model_dir)

    def _export(self) -> None:
        run = self._single()
        if run and run.model_dir:
            self.export_requested.emit(str(run.path))

    def _reveal(self) -> None:
        run = self._single()
        if run:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(run.path)))

    def _delete(self) -> None:
        runs = self.selected_runs()
        if not runs:
            return
        names = "\n".join(r.name for r in runs[:10]) + ("\n..." if len(runs) > 10 else "")
        answer = QMessageBox.warning(
            self,
            "Delete runs",
            f"Delete {len(runs)} run folder(s) with their checkpoints and models? This cannot be undone.\n\n{names}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_runs([str(r.path) for r in runs])

    def delete_runs(self, paths: list[str]) -> None:
        from bertstudio.errors import RunStoreError

        for path in paths:
            if path == self.state.running_run:  # checked again: it may have started since it was selected
                show_error(
                    self,
                    RunStoreError(
                        "This run is training now; deleting it would pull the folder from under it.",
                        "Cancel the run (Cancel on the Train page), then delete it.",
                        path=path,
                    ),
                )
                continue
            try:
                delete_run(path)
            except RunStoreError as exc:
                show_error(self, exc)
        self.refresh()
