"""A virtualised table model over a data-layer Table: the view asks only for the cells it shows, so a
million-row file scrolls as smoothly as a ten-row one. Row headers are the rows' source line numbers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

MAX_CELL_CHARS = 300


class TableModel(QAbstractTableModel):
    def __init__(self, table: Any = None) -> None:
        super().__init__()
        self._table = table
        self._marked_rows: set[int] = set()

    def set_table(self, table: Any) -> None:
        self.beginResetModel()
        self._table = table
        self._marked_rows = set()
        self.endResetModel()

    @property
    def table(self) -> Any:
        return self._table

    def mark_rows(self, rows: set[int]) -> None:
        """Highlight rows that have problems (validation)."""
        self._marked_rows = set(rows)
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if self._table is None or parent.isValid() else len(self._table)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if self._table is None or parent.isValid() else len(self._table.columns)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self._table.data[index.column()][index.row()]
            if value is None:
                return "" if role == Qt.ItemDataRole.DisplayRole else "(missing)"
            text = value if isinstance(value, str) else str(value)
            if role == Qt.ItemDataRole.DisplayRole:
                text = text.replace("\n", " ⏎ ")
                return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS] + "…"
            return text[:2000]
        if role == Qt.ItemDataRole.BackgroundRole and index.row() in self._marked_rows:
            return QBrush(QColor(230, 80, 60, 60))
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or self._table is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._table.columns[section]
        return str(int(self._table.line_numbers[section]))

    def row_of_line(self, line: int) -> int | None:
        """The row index whose source line is `line` (line numbers increase with rows)."""
        import numpy as np

        lines = self._table.line_numbers
        row = int(np.searchsorted(lines, line))
        if row < len(lines) and int(lines[row]) == line:
            return row
        return row - 1 if row > 0 else None
