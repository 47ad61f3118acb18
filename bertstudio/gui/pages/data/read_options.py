"""The file line of the Data page: its name, and the encoding / delimiter / header it is read with."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from bertstudio.data.read_options import ReadOptions
from bertstudio.gui.data_import import DataImport

ENCODINGS = ("auto", "utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252")
DELIMITERS = (("auto", None), ("comma ,", ","), ("semicolon ;", ";"), ("tab", "\t"), ("pipe |", "|"))
HEADERS = (("auto", None), ("first row is the header", True), ("no header row", False))
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class ReadOptionsBar(QWidget):
    def __init__(self, data_import: DataImport) -> None:
        super().__init__()
        self.data_import = data_import
        self._filling = False
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
            combo.currentIndexChanged.connect(self._changed)
            # wide enough for what detection writes into the first item, e.g. "auto (semicolon)"
            combo.setMinimumContentsLength(16)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.encoding_combo.lineEdit().editingFinished.connect(self._changed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.file_label, 1)
        row.addWidget(QLabel("Encoding"))
        row.addWidget(self.encoding_combo)
        row.addWidget(QLabel("Delimiter"))
        row.addWidget(self.delimiter_combo)
        row.addWidget(QLabel("Header"))
        row.addWidget(self.header_combo)
        data_import.opened.connect(self._opened)
        data_import.table_changed.connect(self._show_detected)

    def options(self) -> ReadOptions:
        combo = self.encoding_combo
        typed = combo.currentText().strip()
        listed = combo.itemText(combo.currentIndex()) == combo.currentText()
        return ReadOptions(
            encoding=combo.currentData() if listed else (typed or None),
            delimiter=self.delimiter_combo.currentData(),
            has_header=self.header_combo.currentData(),
        )

    def _opened(self, path) -> None:
        self.file_label.setText(f"<b>{path.name}</b>")
        self.file_label.setToolTip(str(path))
        options = self.data_import.read_options
        self._filling = True
        encoding = options.encoding
        index = self.encoding_combo.findData(encoding) if encoding else 0
        if index >= 0:
            self.encoding_combo.setCurrentIndex(index)
        else:
            self.encoding_combo.setCurrentText(encoding)
        self.delimiter_combo.setCurrentIndex(max(self.delimiter_combo.findData(options.delimiter), 0))
        self.header_combo.setCurrentIndex(max(self.header_combo.findData(options.has_header), 0))
        self._filling = False

    def _changed(self, *_: object) -> None:
        if not self._filling:
            self.data_import.set_read_options(self.options())

    def _show_detected(self, _whole: bool) -> None:
        """What 'auto' found, in the first item of each combo; a file that is no delimited table
        (JSON lines, plain text) has no delimiter or header to choose, so those show plain 'auto'."""
        dialect = self.data_import.table.dialect
        delimited = dialect.format == "csv"
        self._filling = True
        if self.options().encoding is None:
            self.encoding_combo.setItemText(0, f"auto ({dialect.encoding})")
        if self.delimiter_combo.currentData() is None:
            shown = DELIMITER_NAMES.get(dialect.delimiter, dialect.delimiter)
            self.delimiter_combo.setItemText(0, f"auto ({shown})" if delimited else "auto")
        if self.header_combo.currentData() is None:
            shown = "header" if dialect.has_header else "none"
            self.header_combo.setItemText(0, f"auto ({shown})" if delimited else "auto")
        for combo in (self.delimiter_combo, self.header_combo):
            combo.setEnabled(delimited)
        self._filling = False
