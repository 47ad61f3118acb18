"""Data page: the import wizard over the data layer. Preview (virtualised table), read options with live
re-preview, column mapping with the suggested task, the validation report (click a problem to jump to its
row), label balance and token lengths against the max length, and the split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.settings import Settings
from bertstudio.gui.state import DataSelection, Workbench
from bertstudio.gui.widgets.charts import BarChart, Histogram
from bertstudio.gui.widgets.common import page_header
from bertstudio.gui.widgets.table_model import TableModel
from bertstudio.gui.workers import run_in_background
from bertstudio.tasks import fine_tuning_tasks, get_task

DATA_SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".txt")
PREVIEW_ROWS = 200
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252")
DELIMITERS = (("auto", None), ("comma ,", ","), ("semicolon ;", ";"), ("tab", "\t"), ("pipe |", "|"))
HEADERS = (("auto", None), ("first row is the header", True), ("no header row", False))
NONE = "(none)"
MAX_PROBLEMS_SHOWN = 5000


def read_preview(path: Path, options: dict[str, Any]) -> Any:
    from bertstudio.data.reading import preview_table

    return preview_table(path, n_rows=PREVIEW_ROWS, **options)


def read_whole(path: Path, options: dict[str, Any]) -> Any:
    from bertstudio.data.reading import read_table

    return read_table(path, **options)


def check_data(
    table: Any, mapping: Any, model_path: Path | None, max_length: int, sizes: tuple[float, float, float]
) -> Any:
    """The data layer's validation report, with token lengths when a model (tokenizer) is open."""
    from bertstudio.data import validate

    tokenizer = None
    if model_path is not None:
        from bertstudio.text import load_tokenizer

        tokenizer = load_tokenizer(model_path)
    return validate(table, mapping, tokenizer=tokenizer, max_length=max_length, sizes=sizes)


class DataPage(QWidget):
    file_opened = Signal(object)  # a file was read whole (path)
    report_ready = Signal()  # a validation report (or its failure) for the current mapping arrived

    def __init__(self, state: Workbench, settings: Settings) -> None:
        super().__init__()
        self.setObjectName("dataPage")
        self.state = state
        self.settings = settings
        self.path: Path | None = None
        self.table: Any = None  # the whole file once read; the preview until then
        self.report: Any = None
        self.suggestion: Any = None
        # stale background results are ignored: a read or a check answers only if it is still the newest
        self._read_generation = 0
        self._check_generation = 0
        self._whole_read_generation = -1
        self._filling = False

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

        # ----- read options -----
        self.file_label = QLabel("No file. Import one, or drop it onto the window.")
        self.file_label.setObjectName("dataFileLabel")
        self.encoding_combo = QComboBox()
        self.encoding_combo.setObjectName("encodingCombo")
        for name in ENCODINGS:
            self.encoding_combo.addItem(name, None if name == "auto" else name)
        self.encoding_combo.setEditable(True)
        self.delimiter_combo = QComboBox()
        self.delimiter_combo.setObjectName("delimiterCombo")
        for title, value in DELIMITERS:
            self.delimiter_combo.addItem(title, value)
        self.header_combo = QComboBox()
        self.header_combo.setObjectName("headerCombo")
        for title, value in HEADERS:
            self.header_combo.addItem(title, value)
        for combo in (self.encoding_combo, self.delimiter_combo, self.header_combo):
            combo.currentIndexChanged.connect(self._options_changed)
            # wide enough for what detection writes into the first item, e.g. "auto (semicolon)"
            combo.setMinimumContentsLength(16)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.encoding_combo.lineEdit().editingFinished.connect(self._options_changed)
        options_row = QHBoxLayout()
        options_row.addWidget(self.file_label, 1)
        options_row.addWidget(QLabel("Encoding"))
        options_row.addWidget(self.encoding_combo)
        options_row.addWidget(QLabel("Delimiter"))
        options_row.addWidget(self.delimiter_combo)
        options_row.addWidget(QLabel("Header"))
        options_row.addWidget(self.header_combo)

        # ----- preview -----
        self.preview_model = TableModel()
        self.preview = QTableView()
        self.preview.setObjectName("dataPreview")
        self.preview.setAccessibleName("Data preview")
        self.preview.setModel(self.preview_model)
        self.preview.setAlternatingRowColors(True)
        self.preview.setWordWrap(False)
        self.preview.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.preview.verticalHeader().setDefaultSectionSize(24)
        self.preview.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.preview.horizontalHeader().setDefaultSectionSize(180)
        self.preview.horizontalHeader().setStretchLastSection(True)
        self.rows_label = QLabel("")
        self.rows_label.setObjectName("rowsLabel")
        self.rows_label.setProperty("role", "muted")
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_layout.addWidget(self.preview, 1)
        preview_layout.addWidget(self.rows_label)

        # ----- mapping -----
        self.task_combo = QComboBox()
        self.task_combo.setObjectName("dataTaskCombo")
        for spec in fine_tuning_tasks():
            self.task_combo.addItem(spec.title, spec.name)
            self.task_combo.setItemData(self.task_combo.count() - 1, spec.help, Qt.ItemDataRole.ToolTipRole)
        self.text_combo = QComboBox()
        self.text_combo.setObjectName("textColumnCombo")
        self.pair_combo = QComboBox()
        self.pair_combo.setObjectName("pairColumnCombo")
        self.label_list = QListWidget()
        self.label_list.setObjectName("labelColumnsList")
        self.label_list.setMaximumHeight(110)
        self.label_list.setToolTip("Tick the target column; tick several 0/1 columns for multi-label")
        self.delimiter_edit = QLineEdit()
        self.delimiter_edit.setObjectName("labelDelimiterEdit")
        self.delimiter_edit.setPlaceholderText("e.g. | for 'sports|politics'")
        self.delimiter_edit.setMaximumWidth(120)
        self.split_combo = QComboBox()
        self.split_combo.setObjectName("splitColumnCombo")
        self.suggestion_label = QLabel("")
        self.suggestion_label.setObjectName("suggestionLabel")
        self.suggestion_label.setWordWrap(True)
        self.suggest_button = QPushButton("Apply Suggestion")
        self.suggest_button.clicked.connect(self._apply_suggestion)
        for widget in (self.task_combo, self.text_combo, self.pair_combo, self.split_combo):
            widget.currentIndexChanged.connect(self._mapping_changed)
        self.label_list.itemChanged.connect(self._mapping_changed)
        self.delimiter_edit.editingFinished.connect(self._mapping_changed)
        columns_tab = QWidget()
        mapping_form = QFormLayout(columns_tab)
        mapping_form.addRow(self.suggestion_label)
        mapping_form.addRow("", self.suggest_button)
        mapping_form.addRow("Task", self.task_combo)
        mapping_form.addRow("Text", self.text_combo)
        mapping_form.addRow("Second text (pairs)", self.pair_combo)
        mapping_form.addRow("Target column(s)", self.label_list)
        mapping_form.addRow("Label separator", self.delimiter_edit)
        mapping_form.addRow("Split column", self.split_combo)

        # ----- check -----
        self.report_label = QLabel("Import a file to check it.")
        self.report_label.setObjectName("reportLabel")
        self.report_label.setWordWrap(True)
        self.exclude_check = QCheckBox("Leave out rows with errors when training")
        self.exclude_check.setObjectName("excludeProblemsCheck")
        self.exclude_check.setToolTip(
            "Rows listed below as errors are counted and left out; nothing is dropped silently"
        )
        self.exclude_check.toggled.connect(self._update_use_enabled)
        self.problems = QTableWidget(0, 4)
        self.problems.setObjectName("problemsTable")
        self.problems.setAccessibleName("Problem rows")
        self.problems.setHorizontalHeaderLabels(["Line", "Column", "Problem", "Value"])
        self.problems.horizontalHeader().setStretchLastSection(True)
        self.problems.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.problems.verticalHeader().hide()
        self.problems.cellClicked.connect(self._problem_clicked)
        check_tab = QWidget()
        check_layout = QVBoxLayout(check_tab)
        check_layout.addWidget(self.report_label)
        check_layout.addWidget(self.exclude_check)
        check_layout.addWidget(self.problems, 1)

        self.label_chart = BarChart("labelChart", "Label balance")
        self.length_chart = Histogram("lengthHistogram", "Tokens per example", "tokens")
        self.max_length_spin = QSpinBox()
        self.max_length_spin.setObjectName("maxLengthSpin")
        self.max_length_spin.setRange(8, 8192)
        self.max_length_spin.setValue(int(settings.get("data/max_length", 128, int)))
        self.max_length_spin.setToolTip("Tokens per example when training; longer examples are cut")
        self.max_length_spin.valueChanged.connect(self._max_length_changed)
        self.truncation_label = QLabel("")
        self.truncation_label.setObjectName("truncationLabel")
        self.truncation_label.setWordWrap(True)
        charts_tab = QWidget()
        charts_layout = QVBoxLayout(charts_tab)
        charts_layout.addWidget(self.label_chart, 1)
        length_row = QHBoxLayout()
        length_row.addWidget(QLabel("Max length"))
        length_row.addWidget(self.max_length_spin)
        length_row.addWidget(self.truncation_label, 1)
        charts_layout.addLayout(length_row)
        charts_layout.addWidget(self.length_chart, 1)

        # ----- split -----
        self.validation_spin = self._percent(settings.get("data/validation", 10.0, float))
        self.validation_spin.setObjectName("validationPercentSpin")
        self.test_spin = self._percent(settings.get("data/test", 10.0, float))
        self.test_spin.setObjectName("testPercentSpin")
        self.split_note = QLabel("")
        self.split_note.setObjectName("splitNote")
        self.split_note.setWordWrap(True)
        for spin in (self.validation_spin, self.test_spin):
            spin.valueChanged.connect(self._update_split_note)
            spin.valueChanged.connect(lambda *_: self._recheck_timer.start())
        split_tab = QWidget()
        split_form = QFormLayout(split_tab)
        split_form.addRow("Validation", self.validation_spin)
        split_form.addRow("Test", self.test_spin)
        split_form.addRow(self.split_note)
        split_note = QLabel(
            "Splits are random but fixed by the run's seed, and stratified by label for classification, "
            "so every class appears in each split. A split column or separate files take precedence."
        )
        split_note.setWordWrap(True)
        split_note.setProperty("role", "muted")
        split_form.addRow(split_note)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("dataTabs")
        self.tabs.addTab(columns_tab, "1  Columns")
        self.tabs.addTab(check_tab, "2  Check")
        self.tabs.addTab(charts_tab, "3  Labels && lengths")
        self.tabs.addTab(split_tab, "4  Split")
        self.tabs.setMinimumWidth(380)

        splitter = QSplitter()
        splitter.addWidget(preview_box)
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
        layout.addLayout(options_row)
        layout.addWidget(splitter, 1)
        state.model_changed.connect(self._recheck)
        self._recheck_timer = QTimer(self)  # typing a max length re-checks once, after a pause
        self._recheck_timer.setSingleShot(True)
        self._recheck_timer.setInterval(400)
        self._recheck_timer.timeout.connect(self._recheck)
        self._set_columns([])
        self._update_use_enabled()

    def _percent(self, value: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0.0, 50.0)
        spin.setSuffix(" %")
        spin.setDecimals(1)
        spin.setValue(value)
        return spin

    # ----- opening and reading -----
    def choose_file(self) -> None:
        start = self.settings.get("data/last_dir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(
            self, "Import data", start, "Tables (*.csv *.tsv *.tab *.jsonl *.ndjson *.txt);;All files (*)"
        )
        if path:
            self.settings.set("data/last_dir", str(Path(path).parent))
            self.import_file(Path(path))

    def import_file(self, path: Path, options: dict[str, Any] | None = None) -> None:
        """Preview the head of `path` at once, then read the whole file in the background."""
        self.path = Path(path)
        self.file_label.setText(f"<b>{self.path.name}</b>")
        self.file_label.setToolTip(str(self.path))
        self._forget_table()  # a new file gets a fresh suggestion, even with the same column names
        self._set_options(options or {})
        self._reload()

    def read_options(self) -> dict[str, Any]:
        combo = self.encoding_combo
        typed = combo.currentText().strip()
        listed = combo.itemText(combo.currentIndex()) == combo.currentText()
        return {
            "encoding": combo.currentData() if listed else (typed or None),
            "delimiter": self.delimiter_combo.currentData(),
            "has_header": self.header_combo.currentData(),
        }

    def _set_options(self, options: dict[str, Any]) -> None:
        self._filling = True
        encoding = options.get("encoding")
        index = self.encoding_combo.findData(encoding) if encoding else 0
        if index >= 0:
            self.encoding_combo.setCurrentIndex(index)
        else:
            self.encoding_combo.setCurrentText(encoding)
        self.delimiter_combo.setCurrentIndex(max(self.delimiter_combo.findData(options.get("delimiter")), 0))
        self.header_combo.setCurrentIndex(max(self.header_combo.findData(options.get("has_header")), 0))
        self._filling = False

    def _options_changed(self, *_: object) -> None:
        if not self._filling and self.path is not None:
            self._reload()

    def _reload(self) -> None:
        self._read_generation += 1
        generation = self._read_generation
        options = self.read_options()
        self.rows_label.setText("Reading...")
        self.state.busy.emit(f"Reading {self.path.name}...")
        run_in_background(
            read_preview,
            self.path,
            options,
            owner=self,
            on_done=lambda table: self._preview_read(generation, table),
            on_error=lambda exc: self._read_failed(generation, exc),
        )
        run_in_background(
            read_whole,
            self.path,
            options,
            owner=self,
            on_done=lambda table: self._whole_read(generation, table),
            on_error=lambda exc: self._read_failed(generation, exc),
        )

    def _preview_read(self, generation: int, table: Any) -> None:
        if generation == self._read_generation and self._whole_read_generation != generation:
            self._show_table(table, whole=False)

    def _whole_read(self, generation: int, table: Any) -> None:
        if generation != self._read_generation:
            return
        self._whole_read_generation = generation
        self.state.busy.emit("")
        self._show_table(table, whole=True)
        self.file_opened.emit(self.path)  # read: worth a place in Open Recent

    def _read_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._read_generation:
            return
        self._read_generation += 1  # the other read of this generation is moot
        self.state.busy.emit("")
        self.rows_label.setText("The file could not be read.")
        self._forget_table()
        show_error(self, exc, "Could not import the data")

    def _forget_table(self) -> None:
        """Drop the table, mapping and report: nothing of a file read before may pass for this one."""
        self._check_generation += 1  # a check still running belongs to the old table
        self.table = self.report = self.suggestion = None
        self.preview_model.set_table(None)
        self._set_columns([])
        self.suggestion_label.setText("")
        self.suggest_button.setEnabled(False)
        self.report_label.setText("")
        self.problems.setRowCount(0)
        self.label_chart.set_bars([], [])
        self.length_chart.set_histogram([], [], self.max_length_spin.value())
        self.truncation_label.setText("")
        self.split_note.setText("")
        self._update_use_enabled()

    def _show_table(self, table: Any, whole: bool) -> None:
        previous_columns = list(self.table.columns) if self.table is not None else None
        self.table = table
        self.preview_model.set_table(table)
        dialect = table.dialect
        self._filling = True
        if self.read_options()["encoding"] is None:
            self.encoding_combo.setItemText(0, f"auto ({dialect.encoding})")
        if self.delimiter_combo.currentData() is None and dialect.format == "csv":
            shown = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(
                dialect.delimiter, dialect.delimiter
            )
            self.delimiter_combo.setItemText(0, f"auto ({shown})")
        if self.header_combo.currentData() is None:
            self.header_combo.setItemText(0, f"auto ({'header' if dialect.has_header else 'none'})")
        self._filling = False
        count, columns = len(table), len(table.columns)
        self.rows_label.setText(
            f"{count:,} rows · {columns} column{'s' if columns != 1 else ''} · {dialect.format.upper()}"
            if whole
            else f"First {count:,} rows (reading the whole file...)"
        )
        if table.columns != previous_columns:
            self._set_columns(table.columns)
            self._suggest()
        elif whole:
            self._recheck()
        for warning in getattr(table, "warnings", [])[:3] if whole else []:
            self.report_label.setText(warning)

    # ----- mapping -----
    def _set_columns(self, columns: list[str]) -> None:
        self._filling = True
        for combo in (self.text_combo, self.pair_combo, self.split_combo):
            combo.clear()
        self.text_combo.addItems(columns)
        self.pair_combo.addItems([NONE, *columns])
        self.split_combo.addItems([NONE, *columns])
        self.label_list.clear()
        for name in columns:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.label_list.addItem(item)
        self._filling = False

    def _suggest(self) -> None:
        from bertstudio.data import suggest_task

        try:
            self.suggestion = suggest_task(self.table)
        except Exception as exc:  # noqa: BLE001 - no suggestion is fine; say why
            self.suggestion = None
            self.suggestion_label.setText(f"No suggestion: {exc}")
            self.suggest_button.setEnabled(False)
            return
        self.suggest_button.setEnabled(True)
        title = get_task(self.suggestion.task).title
        self.suggestion_label.setText(f"<b>Suggested: {title}</b><br>{self.suggestion.reason}")
        self._apply_suggestion()

    def _apply_suggestion(self) -> None:
        if self.suggestion is not None:
            self.set_mapping(self.suggestion)

    def set_mapping(self, mapping: Any) -> None:
        self._filling = True
        self.task_combo.setCurrentIndex(max(self.task_combo.findData(mapping.task), 0))
        self.text_combo.setCurrentText(mapping.text)
        self.pair_combo.setCurrentText(mapping.text_pair or NONE)
        self.split_combo.setCurrentText(mapping.split_column or NONE)
        for row in range(self.label_list.count()):
            item = self.label_list.item(row)
            item.setCheckState(
                Qt.CheckState.Checked if item.text() in mapping.labels else Qt.CheckState.Unchecked
            )
        self.delimiter_edit.setText(mapping.label_delimiter or "")
        self._filling = False
        for column, name in enumerate(self.table.columns):  # room for the text, a glance at the rest
            self.preview.setColumnWidth(column, 460 if name in (mapping.text, mapping.text_pair) else 140)
        self._mapping_changed()

    def mapping(self) -> Any:
        from bertstudio.data import ColumnMapping

        labels = [
            self.label_list.item(row).text()
            for row in range(self.label_list.count())
            if self.label_list.item(row).checkState() == Qt.CheckState.Checked
        ]
        pair = self.pair_combo.currentText()
        split = self.split_combo.currentText()
        return ColumnMapping(
            text=self.text_combo.currentText(),
            text_pair=None if pair in ("", NONE) else pair,
            labels=labels,
            task=self.task_combo.currentData(),
            label_delimiter=self.delimiter_edit.text() or None,
            split_column=None if split in ("", NONE) else split,
        )

    def _mapping_changed(self, *_: object) -> None:
        if self._filling or self.table is None:
            return
        spec = get_task(self.task_combo.currentData())
        self.pair_combo.setEnabled(spec.requires("text_pair"))
        self.delimiter_edit.setEnabled(spec.role("labels").multiple)
        self._update_split_note()
        self._recheck()

    # ----- checking -----
    def _recheck(self, *_: object) -> None:
        if self.table is None or not self.text_combo.currentText():
            return
        if not getattr(self.table, "complete", True):
            return  # the whole file is still being read; it is checked when it arrives
        self._check_generation += 1
        generation = self._check_generation
        self.report = None
        self.report_label.setText("Checking...")
        self._update_use_enabled()
        run_in_background(
            check_data,
            self.table,
            self.mapping(),
            self.state.model_path,
            self.max_length_spin.value(),
            self.split_sizes(),
            owner=self,
            on_done=lambda report: self._checked(generation, report),
            on_error=lambda exc: self._check_failed(generation, exc),
        )

    def _checked(self, generation: int, report: Any) -> None:
        if generation != self._check_generation:
            return
        self.report = report
        self._show_report(report)
        self._update_use_enabled()
        self.report_ready.emit()

    def _check_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._check_generation:
            return
        from bertstudio.errors import BertStudioError

        self.report = None
        if isinstance(exc, BertStudioError):
            self.report_label.setText(f"<b>This mapping does not fit:</b> {exc.message}<br>{exc.hint}")
            self.tabs.setCurrentIndex(0)
        else:
            show_error(self, exc, "Could not check the data")
        self._update_use_enabled()
        self.report_ready.emit()

    def _show_report(self, report: Any) -> None:
        verdict = {
            "ready": "<b style='color:#188038'>Ready to train.</b>",
            "doubtful": "<b style='color:#b06000'>Trainable, but training would learn little:</b>",
            "not_usable": "<b style='color:#d93025'>Not usable yet.</b>",
        }[report.verdict]
        lines = [
            f"{verdict} {report.rows:,} rows, {report.usable_rows:,} usable, {report.problem_rows:,} with problems."
        ]
        if report.split_counts:
            lines.append(
                "Split: " + ", ".join(f"{name} {count:,}" for name, count in report.split_counts.items())
            )
        lines += [f"<span style='color:#d93025'>• {e}</span>" for e in report.errors]
        lines += [f"<span style='color:#b06000'>• {d}</span>" for d in report.doubts]
        lines += [f"• {w}" for w in report.warnings]
        self.report_label.setText("<br>".join(lines))
        self.problems.setRowCount(0)
        shown = report.problems[:MAX_PROBLEMS_SHOWN]
        self.problems.setRowCount(len(shown))
        for row, problem in enumerate(shown):
            cells = [str(problem.line), problem.column or "", problem.message, problem.value or ""]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.problems.setItem(row, col, item)
        if len(report.problems) > len(shown):
            self.report_label.setText(
                self.report_label.text()
                + f"<br>Showing the first {len(shown):,} of {len(report.problems):,} problems."
            )
        self.problems.resizeColumnToContents(0)
        marked = {p.row for p in report.problems if p.row is not None and p.severity == "error"}
        self.preview_model.mark_rows(marked)
        names = list(report.label_counts)
        self.label_chart.set_bars(names, [report.label_counts[n] for n in names])
        self.label_chart.setVisible(bool(names))
        tokens = report.tokens
        if tokens is None:
            self.length_chart.set_histogram([], [], self.max_length_spin.value())
            self.truncation_label.setText("Open a model to measure token lengths.")
        else:
            self.length_chart.set_histogram(
                tokens.histogram_edges, tokens.histogram_counts, tokens.max_length
            )
            sample = f" (sample of {tokens.rows:,} rows)" if tokens.sampled else ""
            self.truncation_label.setText(
                f"<b>{tokens.truncated_share:.1%}</b> longer than {tokens.max_length} tokens (truncated) · "
                f"median {tokens.median:.0f} · 95th percentile {tokens.p95:.0f} · longest {tokens.longest:,}"
                f" · [UNK] {tokens.unk_rate:.2%}{sample}"
            )

    def _problem_clicked(self, row: int, _column: int) -> None:
        """Select the problem's row in the preview."""
        item = self.problems.item(row, 0)
        if item is None or self.table is None:
            return
        table_row = self.preview_model.row_of_line(int(item.text()))
        if table_row is not None:
            index = self.preview_model.index(table_row, 0)
            self.preview.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
            self.preview.selectRow(table_row)

    def _max_length_changed(self, value: int) -> None:
        self.length_chart.set_marker(value)
        self._recheck_timer.start()

    def split_sizes(self) -> tuple[float, float, float]:
        validation, test = self.validation_spin.value() / 100, self.test_spin.value() / 100
        return (1.0 - validation - test, validation, test)

    def _update_split_note(self, *_: object) -> None:
        if self.table is None:
            return
        if self.split_combo.currentText() not in ("", NONE):
            self.split_note.setText(f"Rows are split by the column '{self.split_combo.currentText()}'.")
            return
        count = len(self.table)
        validation = self.validation_spin.value() / 100
        test = self.test_spin.value() / 100
        self.split_note.setText(
            f"About {count * (1 - validation - test):,.0f} training, {count * validation:,.0f} validation "
            f"and {count * test:,.0f} test rows."
        )

    # ----- hand-over -----
    def _update_use_enabled(self, *_: object) -> None:
        report = self.report
        problems = report is not None and report.problem_rows > 0
        self.exclude_check.setVisible(bool(problems))
        usable = report is not None and report.usable and (not problems or self.exclude_check.isChecked())
        self.use_button.setEnabled(usable)
        if usable:
            self.use_button.setToolTip("Train on this data with this mapping")
        elif problems and report.usable:
            self.use_button.setToolTip(
                "Some rows have errors: fix them, or tick 'Leave out rows with errors' (Check tab)."
            )
        else:
            self.use_button.setToolTip("Import a file and map its columns; the check must pass.")

    def use_for_training(self) -> None:
        if self.path is None or self.table is None or self.report is None:
            return
        selection = DataSelection(
            path=self.path,
            mapping=self.mapping(),
            validation_fraction=self.validation_spin.value() / 100,
            test_fraction=self.test_spin.value() / 100,
            max_length=self.max_length_spin.value(),
            label_names=list(getattr(self.report, "label_names", []) or []),
            exclude_problem_rows=self.exclude_check.isChecked(),
            read_options=self.read_options(),
        )
        self.state.set_data(selection)

    def save_settings(self) -> None:
        self.settings.set("data/max_length", self.max_length_spin.value())
        self.settings.set("data/validation", self.validation_spin.value())
        self.settings.set("data/test", self.test_spin.value())
