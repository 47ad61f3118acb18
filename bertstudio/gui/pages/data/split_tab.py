"""The Split tab: how much is held out for validation and test (unless a split column decides)."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QLabel, QWidget

from bertstudio.gui.data_import import DataImport

SPLIT_NOTE = (
    "Splits are random but fixed by the run's seed, and stratified by label for classification, "
    "so every class appears in each split. A split column or separate files take precedence."
)


def _percent(value: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, 50.0)
    spin.setSuffix(" %")
    spin.setDecimals(1)
    spin.setValue(value)
    return spin


class SplitTab(QWidget):
    def __init__(self, data_import: DataImport) -> None:
        super().__init__()
        self.data_import = data_import
        self.validation_spin = _percent(data_import.validation_fraction * 100)
        self.validation_spin.setObjectName("validationPercentSpin")
        self.test_spin = _percent(data_import.test_fraction * 100)
        self.test_spin.setObjectName("testPercentSpin")
        self.split_note = QLabel("")
        self.split_note.setObjectName("splitNote")
        self.split_note.setWordWrap(True)
        for spin in (self.validation_spin, self.test_spin):
            spin.valueChanged.connect(self._changed)
        form = QFormLayout(self)
        form.addRow("Validation", self.validation_spin)
        form.addRow("Test", self.test_spin)
        form.addRow(self.split_note)
        note = QLabel(SPLIT_NOTE)
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        form.addRow(note)
        data_import.mapping_changed.connect(self.show_note)
        data_import.table_changed.connect(lambda _whole: self.show_note())
        data_import.opened.connect(lambda _path: self.split_note.setText(""))

    def _changed(self, *_: object) -> None:
        self.data_import.set_split(self.validation_spin.value() / 100, self.test_spin.value() / 100)
        self.show_note()

    def show_note(self) -> None:
        imported = self.data_import
        if imported.table is None:
            self.split_note.setText("")
            return
        if imported.mapping is not None and imported.mapping.split_column:
            self.split_note.setText(f"Rows are split by the column '{imported.mapping.split_column}'.")
            return
        count, (train, validation, test) = len(imported.table), imported.split_sizes()
        self.split_note.setText(
            f"About {count * train:,.0f} training, {count * validation:,.0f} validation "
            f"and {count * test:,.0f} test rows."
        )
