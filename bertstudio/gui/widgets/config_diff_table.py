"""The settings that differ between the selected runs: one row per setting, one column per run."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class ConfigDiffTable(QTableWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("configDiffTable")
        self.setAccessibleName("Settings that differ")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)

    def show_runs(self, names: list[str], configs: list[dict[str, Any]]) -> None:
        """Compare the run.json configs of `names` (two or more); an empty table says they agree."""
        from bertstudio.training.run_compare import config_differences

        differences = config_differences(configs)
        self.clear()
        self.setColumnCount(len(names))
        self.setHorizontalHeaderLabels(names)
        self.setRowCount(max(len(differences), 1))
        if not differences:
            self.setVerticalHeaderLabels([""])
            self.setItem(0, 0, QTableWidgetItem("The selected runs have the same settings."))
            return
        self.setVerticalHeaderLabels([difference.setting for difference in differences])
        for row, difference in enumerate(differences):
            for column, value in enumerate(difference.values):
                item = QTableWidgetItem(_shown(value))
                item.setToolTip(f"{difference.setting} of {names[column]}: {_shown(value)}")
                self.setItem(row, column, item)
        self.resizeColumnsToContents()

    def rows(self) -> dict[str, list[str]]:
        """setting -> the values shown per run (what a person reads)."""
        return {
            self.verticalHeaderItem(row).text(): [self.item(row, c).text() for c in range(self.columnCount())]
            for row in range(self.rowCount())
            if self.verticalHeaderItem(row) is not None and self.verticalHeaderItem(row).text()
        }
