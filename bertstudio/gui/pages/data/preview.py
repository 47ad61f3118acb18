"""The Data page's preview: a virtual table of the rows read so far, rows with errors marked."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from bertstudio.gui.data_import import DataImport
from bertstudio.gui.widgets.table_model import TableModel


class DataPreview(QWidget):
    def __init__(self, data_import: DataImport) -> None:
        super().__init__()
        self.data_import = data_import
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.rows_label)
        data_import.opened.connect(self._forget)
        data_import.busy.connect(lambda text: self.rows_label.setText("Reading...") if text else None)
        data_import.table_changed.connect(self._show_table)
        data_import.read_failed.connect(self._read_failed)
        data_import.mapping_changed.connect(self._widen_mapped_columns)
        data_import.report_changed.connect(self._mark_problem_rows)

    def _forget(self, *_: object) -> None:
        self.preview_model.set_table(None)

    def _read_failed(self, _exc: object) -> None:
        self.preview_model.set_table(None)
        self.rows_label.setText("The file could not be read.")

    def _show_table(self, whole: bool) -> None:
        table = self.data_import.table
        self.preview_model.set_table(table)
        count, columns = len(table), len(table.columns)
        self.rows_label.setText(
            f"{count:,} rows · {columns} column{'s' if columns != 1 else ''} · {table.dialect.format.upper()}"
            if whole
            else f"First {count:,} rows (reading the whole file...)"
        )

    def _widen_mapped_columns(self) -> None:
        """Room for the text, a glance at the rest."""
        mapping, table = self.data_import.mapping, self.data_import.table
        if mapping is None or table is None:
            return
        for column, name in enumerate(table.columns):
            self.preview.setColumnWidth(column, 460 if name in (mapping.text, mapping.text_pair) else 140)

    def _mark_problem_rows(self) -> None:
        report = self.data_import.report
        if report is not None:
            self.preview_model.mark_rows(
                {p.row for p in report.problems if p.row is not None and p.severity == "error"}
            )

    def select_line(self, line: int) -> None:
        """Scroll to and select the row read from source line `line`."""
        row = self.preview_model.row_of_line(line)
        if row is not None:
            index = self.preview_model.index(row, 0)
            self.preview.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
            self.preview.selectRow(row)
