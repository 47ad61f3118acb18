"""The Check tab: the validation report's verdict, errors and warnings, and the problem rows (click one
to see its row in the preview); rows with errors can be left out explicitly."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.data_import import DataImport

MAX_PROBLEMS_SHOWN = 5000
VERDICTS = {
    "ready": "<b style='color:#188038'>Ready to train.</b>",
    "doubtful": "<b style='color:#b06000'>Trainable, but training would learn little:</b>",
    "not_usable": "<b style='color:#d93025'>Not usable yet.</b>",
}


class CheckTab(QWidget):
    line_clicked = Signal(int)  # the source line of a clicked problem

    def __init__(self, data_import: DataImport) -> None:
        super().__init__()
        self.data_import = data_import
        self.report_label = QLabel("Import a file to check it.")
        self.report_label.setObjectName("reportLabel")
        self.report_label.setWordWrap(True)
        self.exclude_check = QCheckBox("Leave out rows with errors when training")
        self.exclude_check.setObjectName("excludeProblemsCheck")
        self.exclude_check.setToolTip(
            "Rows listed below as errors are counted and left out; nothing is dropped silently"
        )
        self.exclude_check.toggled.connect(data_import.set_exclude_problem_rows)
        self.problems = QTableWidget(0, 4)
        self.problems.setObjectName("problemsTable")
        self.problems.setAccessibleName("Problem rows")
        self.problems.setHorizontalHeaderLabels(["Line", "Column", "Problem", "Value"])
        self.problems.horizontalHeader().setStretchLastSection(True)
        self.problems.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.problems.verticalHeader().hide()
        self.problems.cellClicked.connect(self._problem_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.report_label)
        layout.addWidget(self.exclude_check)
        layout.addWidget(self.problems, 1)
        data_import.opened.connect(self._forget)
        data_import.read_failed.connect(self._forget)
        data_import.report_changed.connect(self.show_report)
        data_import.table_changed.connect(self._show_table_warnings)
        self.exclude_check.setVisible(False)

    def _forget(self, *_: object) -> None:
        self.report_label.setText("")
        self.problems.setRowCount(0)
        self.exclude_check.setChecked(False)
        self.exclude_check.setVisible(False)

    def _show_table_warnings(self, whole: bool) -> None:
        for warning in getattr(self.data_import.table, "warnings", [])[:3] if whole else []:
            self.report_label.setText(warning)

    def show_report(self) -> None:
        imported = self.data_import
        report, error = imported.report, imported.check_error
        if error is not None:
            self.report_label.setText(
                f"<b>This mapping does not fit:</b> {error.message}<br>{error.window_hint}"
            )
            self.problems.setRowCount(0)
            self.exclude_check.setVisible(False)
            return
        if report is None:
            self.report_label.setText("Checking..." if imported.checking else "")
            return
        verdict = VERDICTS[report.verdict]
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
        shown = report.problems[:MAX_PROBLEMS_SHOWN]
        if len(report.problems) > len(shown):
            lines.append(f"Showing the first {len(shown):,} of {len(report.problems):,} problems.")
        self.report_label.setText("<br>".join(lines))
        self.exclude_check.setVisible(report.problem_rows > 0)
        self.problems.setRowCount(0)
        self.problems.setRowCount(len(shown))
        for row, problem in enumerate(shown):
            cells = [str(problem.line), problem.column or "", problem.message, problem.value or ""]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.problems.setItem(row, col, item)
        self.problems.resizeColumnToContents(0)

    def _problem_clicked(self, row: int, _column: int) -> None:
        item = self.problems.item(row, 0)
        if item is not None:
            self.line_clicked.emit(int(item.text()))
