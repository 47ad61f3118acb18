"""File > Export... and the Runs page's Export: a model or run as a Hugging Face folder, ONNX or ONNX
int8. The export runs off the GUI thread with progress; the comparison (metric, agreement, sizes,
latency) shows when it is done, with a button that opens the folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.workers import run_in_background

# choice -> (label, export format, quantisation, folder suffix)
CHOICES = {
    "hf": ("Hugging Face folder (safetensors, for transformers)", "hf", None, "hf"),
    "onnx": ("ONNX (for ONNX Runtime, Optimum, browsers)", "onnx", None, "onnx"),
    "onnx-int8": ("ONNX int8 (smaller and faster on CPU; accuracy measured)", "onnx", "int8", "onnx-int8"),
}


class ProgressRelay(QObject):
    """Carries the export's progress calls from its thread to the dialog (a queued signal)."""

    progressed = Signal(float, str)

    def report(self, fraction: float, message: str) -> None:
        self.progressed.emit(fraction, message)


class ExportDialog(QDialog):
    finished_export = Signal(object)  # the ExportReport

    def __init__(self, model: Path | None, exports_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export Model")
        self.exports_dir = exports_dir
        self.report = None
        self.job = None
        self.relay = ProgressRelay(self)
        self.relay.progressed.connect(self._progress)

        self.model_edit = QLineEdit(str(model) if model else "")
        self.model_edit.setObjectName("exportModelEdit")
        self.model_edit.setPlaceholderText("A run folder or a model folder")
        self.model_edit.textChanged.connect(self._suggest_output)
        browse_model = QPushButton("Browse...")
        browse_model.clicked.connect(self._choose_model)
        self.format_buttons = QButtonGroup(self)
        formats = QVBoxLayout()
        for key, (label, *_rest) in CHOICES.items():
            button = QRadioButton(label)
            button.setObjectName(f"exportFormat-{key}")
            button.setProperty("choice", key)
            self.format_buttons.addButton(button)
            formats.addWidget(button)
        self.format_buttons.buttons()[2].setChecked(True)
        self.format_buttons.buttonToggled.connect(lambda *_: self._suggest_output())
        self.out_edit = QLineEdit()
        self.out_edit.setObjectName("exportOutEdit")
        browse_out = QPushButton("Browse...")
        browse_out.clicked.connect(self._choose_output)
        self.overwrite_check = QCheckBox("Replace the folder if it exists")
        self.overwrite_check.setObjectName("exportOverwriteCheck")

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("exportProgress")
        self.progress_bar.setRange(0, 100)
        self.status_label = QLabel("")
        self.status_label.setObjectName("exportStatus")
        self.status_label.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.setObjectName("exportComparison")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.hide()

        self.export_button = QPushButton("Export")
        self.export_button.setObjectName("exportStartButton")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.open_folder_button = QPushButton("Open Folder")
        self.open_folder_button.setObjectName("exportOpenFolderButton")
        self.open_folder_button.setEnabled(False)
        self.open_folder_button.clicked.connect(self.open_folder)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.open_folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Model or run", _row(self.model_edit, browse_model))
        form.addRow("Format", formats)
        form.addRow("Output folder", _row(self.out_edit, browse_out))
        form.addRow("", self.overwrite_check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.table, 10)
        layout.addStretch(1)  # keeps the status line under the bar while the table is hidden
        layout.addWidget(buttons)
        self.resize(760, 460)
        self._suggest_output()

    # ----- choices -----
    def choice(self) -> str:
        return self.format_buttons.checkedButton().property("choice")

    def set_choice(self, key: str) -> None:
        for button in self.format_buttons.buttons():
            button.setChecked(button.property("choice") == key)

    def _suggest_output(self) -> None:
        text = self.model_edit.text().strip()
        if not text:
            return
        source = Path(text)
        name = source.parent.name if source.name == "model" else source.name
        self.out_edit.setText(str(self.exports_dir / f"{name}-{CHOICES[self.choice()][3]}"))

    def _choose_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model or run folder", self.model_edit.text())
        if folder:
            self.model_edit.setText(folder)

    def _choose_output(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into folder", str(self.exports_dir))
        if folder:
            self.out_edit.setText(folder)

    # ----- the export -----
    def request(self):
        from bertstudio.export import ExportRequest

        _, export_format, quantize, _ = CHOICES[self.choice()]
        return ExportRequest(
            model=Path(self.model_edit.text().strip()),
            out=Path(self.out_edit.text().strip()),
            format=export_format,
            quantize=quantize,
            overwrite=self.overwrite_check.isChecked(),
        )

    def start(self) -> None:
        from bertstudio.export import export_model

        if not self.model_edit.text().strip() or not self.out_edit.text().strip():
            self.status_label.setText("Choose the model or run to export and the output folder.")
            return
        self.report = None
        self.table.hide()
        self.open_folder_button.setEnabled(False)
        self.export_button.setEnabled(False)
        self._progress(0.0, "Starting")
        self.job = run_in_background(
            export_model,
            self.request(),
            self.relay.report,
            owner=self,
            on_done=self._done,
            on_error=self._failed,
        )

    def is_running(self) -> bool:
        return self.job is not None and self.job.is_running()

    def _progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(round(fraction * 100))
        self.status_label.setText(message)

    def _done(self, report) -> None:
        self.report = report
        self.export_button.setEnabled(True)
        self.open_folder_button.setEnabled(True)
        self._progress(1.0, f"Exported to {report.out_dir}." + "".join(f" {n}" for n in report.notes))
        if report.comparison is not None:
            self._show_table(*report.comparison.table())
        self.finished_export.emit(report)

    def _failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self.status_label.setText("The export failed; nothing was written.")
        show_error(self, exc, "Could not export the model")

    def _show_table(self, header: list[str], rows: list[list[str]]) -> None:
        self.table.setColumnCount(len(header))
        self.table.setHorizontalHeaderLabels(header)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(value)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.show()

    def open_folder(self) -> None:
        if self.report is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.report.out_dir)))

    def reject(self) -> None:
        if self.is_running():
            self.status_label.setText("The export is still running; it can be closed when it has finished.")
            return
        super().reject()


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget, 1 if isinstance(widget, QLineEdit) else 0)
    return row
