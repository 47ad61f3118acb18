"""The Data page coordinates the read options, the preview and the four tabs over the controller's
DataImport; "Use for Training" hands the checked data to the controller."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget

from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.errors import BertStudioError
from bertstudio.gui.controller import AppController
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.pages.data.check_tab import CheckTab
from bertstudio.gui.pages.data.columns_tab import ColumnsTab
from bertstudio.gui.pages.data.lengths_tab import LengthsTab
from bertstudio.gui.pages.data.preview import DataPreview
from bertstudio.gui.pages.data.read_options import ReadOptionsBar
from bertstudio.gui.pages.data.split_tab import SplitTab
from bertstudio.gui.settings import Settings
from bertstudio.gui.widgets.common import page_header

DATA_SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".txt", ".json")  # .json: SQuAD questions


class DataPage(QWidget):
    def __init__(self, controller: AppController, settings: Settings) -> None:
        super().__init__()
        self.setObjectName("dataPage")
        self.controller = controller
        self.settings = settings
        imported = self.data_import = controller.data_import

        self.import_button = QPushButton("Import Data...")
        self.import_button.setObjectName("importDataButton")
        self.import_button.setAccessibleName("Import data file")
        self.import_button.setProperty("role", "primary")
        self.import_button.setToolTip("CSV, TSV, JSON Lines or plain text (one example per line)")
        self.import_button.clicked.connect(self.choose_file)
        self.use_button = QPushButton("Use for Training")
        self.use_button.setObjectName("useDataButton")
        self.use_button.setAccessibleName("Use this data for training")
        self.use_button.setProperty("role", "primary")
        self.use_button.clicked.connect(self.use_for_training)

        self.read_options = ReadOptionsBar(imported)
        self.preview = DataPreview(imported)
        self.columns_tab = ColumnsTab(imported)
        self.check_tab = CheckTab(imported)
        self.lengths_tab = LengthsTab(imported)
        self.split_tab = SplitTab(imported)
        self.check_tab.line_clicked.connect(self.preview.select_line)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("dataTabs")
        self.tabs.addTab(self.columns_tab, "1  Columns")
        self.tabs.addTab(self.check_tab, "2  Check")
        self.tabs.addTab(self.lengths_tab, "3  Labels && lengths")
        self.tabs.addTab(self.split_tab, "4  Split")
        self.tabs.setMinimumWidth(380)
        splitter = QSplitter()
        splitter.addWidget(self.preview)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([760, 460])
        layout = QVBoxLayout(self)
        layout.addLayout(
            page_header(
                "Data",
                "Import a table, map its columns to a task, check it, then use it for training.",
                self.import_button,
                self.use_button,
            )
        )
        layout.addWidget(self.read_options)
        layout.addWidget(splitter, 1)

        imported.read_failed.connect(lambda exc: show_error(self, exc, "Could not import the data"))
        imported.check_crashed.connect(lambda exc: show_error(self, exc, "Could not check the data"))
        imported.report_changed.connect(self._update_use_enabled)
        imported.report_changed.connect(self._show_mapping_problem)
        imported.opened.connect(self._update_use_enabled)
        imported.read_failed.connect(self._update_use_enabled)
        self._update_use_enabled()

    # ----- opening -----
    def choose_file(self) -> None:
        start = self.settings.get("data/last_dir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Import data",
            start,
            "Tables (*.csv *.tsv *.tab *.jsonl *.ndjson *.txt);;SQuAD questions (*.json);;All files (*)",
        )
        if path:
            self.settings.set("data/last_dir", str(Path(path).parent))
            self.controller.import_data(Path(path))

    def import_file(self, path: Path, options: ReadOptions = DETECT) -> None:
        self.controller.import_data(path, options)

    # ----- hand-over -----
    def _show_mapping_problem(self) -> None:
        if self.data_import.check_error is not None:
            self.tabs.setCurrentWidget(self.columns_tab)

    def _update_use_enabled(self, *_: object) -> None:
        imported = self.data_import
        report = imported.report
        usable = imported.usable
        self.use_button.setEnabled(usable)
        if usable:
            self.use_button.setToolTip("Train on this data with this mapping")
        elif report is not None and report.usable and report.problem_rows:
            self.use_button.setToolTip(
                "Some rows have errors: fix them, or tick 'Leave out rows with errors' (Check tab)."
            )
        else:
            self.use_button.setToolTip("Import a file and map its columns; the check must pass.")

    def use_for_training(self) -> None:
        try:
            self.controller.use_data()
        except BertStudioError as exc:
            show_error(self, exc, "Cannot use this data yet")

    def save_settings(self) -> None:
        imported = self.data_import
        self.settings.set("data/max_length", imported.max_length)
        self.settings.set("data/validation", imported.validation_fraction * 100)
        self.settings.set("data/test", imported.test_fraction * 100)
