"""The Embeddings page's Projector tab: every indexed row of the table in 2D (PCA at once, UMAP on a
worker thread with progress and cancel, cached on disk), coloured by a column; hover for the text,
click for the nearest neighbours in the embedding space, box / lasso selection listed and exported."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.widgets.projector_view import ProjectorView
from bertstudio.gui.workers import ProgressRelay, run_in_background

NO_COLOUR = "(none)"
PREDICTION = "prediction (the model's head)"
CORRECTNESS = "correct / wrong vs {}"
METHODS = {"PCA": "pca", "UMAP": "umap"}
MODES = {"Pan / pick": "pan", "Box select": "box", "Lasso select": "lasso"}
NEIGHBOURS = 10
LISTED_SELECTION = 1000  # rows shown in the selection table; the export writes all of them


def read_only_table(name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return table


def fill_table(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            table.setItem(row, column, QTableWidgetItem(text))


class ProjectorTab(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.index = None  # the page's TableIndex, once built
        self.column = ""  # its text column
        self.positions_shown = False  # a projection of the current index is on screen
        self.columns: list[str] = []
        self.gold = None  # the column holding the labels the open model's head predicts
        self.predictions: list[str] | None = None  # the head's label per indexed row, once computed
        self._stop = threading.Event()
        self._relay = ProgressRelay(self)
        self._relay.progressed.connect(self._show_progress)

        self.method_combo = QComboBox()
        self.method_combo.setObjectName("projectorMethod")
        self.method_combo.setAccessibleName("Projection")
        self.method_combo.addItems(list(METHODS))
        self.method_combo.setToolTip("PCA is instant; UMAP keeps neighbourhoods and takes longer (cached)")
        self.colour_combo = QComboBox()
        self.colour_combo.setObjectName("projectorColour")
        self.colour_combo.setAccessibleName("Colour by")
        self.colour_combo.currentTextChanged.connect(self._recolour)
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("projectorMode")
        self.mode_combo.setAccessibleName("Mouse drag")
        self.mode_combo.addItems(list(MODES))
        self.mode_combo.currentTextChanged.connect(lambda text: self.projector.set_mode(MODES[text]))
        self.project_button = QPushButton("Project")
        self.project_button.setObjectName("projectButton")
        self.project_button.setToolTip("Project the indexed rows (build the index on the Search tab first)")
        self.project_button.clicked.connect(self.project)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelProjectionButton")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._stop.set)
        self.progress = QProgressBar()
        self.progress.setObjectName("projectionProgress")
        self.progress.setFormat("%v / %m epochs")
        self.progress.hide()
        self.projector = ProjectorView()
        self.label = QLabel("Build the index on the Search tab, then press Project.")
        self.label.setObjectName("projectorLabel")
        self.label.setWordWrap(True)
        self.hover_label = QLabel("")
        self.hover_label.setObjectName("projectorHover")
        self.hover_label.setWordWrap(True)
        self.projector.hovered.connect(self.hover_label.setText)
        self.projector.point_clicked.connect(self.show_neighbours)
        self.projector.selection_changed.connect(self._list_selection)
        self.neighbours_label = QLabel(
            "Click a point for its nearest neighbours (cosine, in the embedding space)."
        )
        self.neighbours_label.setWordWrap(True)
        self.neighbours = read_only_table("projectorNeighbours", ["Cosine", "Line", "Text"])
        self.selection_label = QLabel("Choose Box or Lasso select and drag over the points to list them.")
        self.selection_label.setObjectName("selectionLabel")
        self.selection_label.setWordWrap(True)
        self.selection = read_only_table("projectorSelection", ["Line", "Colour group", "Text"])
        self.export_button = QPushButton("Export selection as CSV…")
        self.export_button.setObjectName("exportSelectionButton")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._choose_export_file)

        top = QHBoxLayout()
        for widget in (
            QLabel("Projection:"),
            self.method_combo,
            QLabel("Colour by:"),
            self.colour_combo,
            QLabel("Drag:"),
            self.mode_combo,
            self.project_button,
            self.progress,
            self.cancel_button,
        ):
            top.addWidget(widget)
        top.addStretch(1)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.neighbours_label)
        side_layout.addWidget(self.neighbours, 1)
        side_layout.addWidget(self.selection_label)
        side_layout.addWidget(self.selection, 1)
        side_layout.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignRight)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.projector)
        splitter.addWidget(side)
        splitter.setSizes([700, 350])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.label)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.hover_label)

    # ----- inputs from the page -----
    def set_columns(self, columns: list[str]) -> None:
        self.columns = list(columns)
        self._fill_colours(has_head=False)

    def _fill_colours(self, has_head: bool) -> None:
        """The table's columns, and the model's predictions (and their correctness against the column
        holding its labels) when the open model has a classification head."""
        current = self.colour_combo.currentText()
        extra = [PREDICTION] + ([CORRECTNESS.format(self.gold)] if self.gold else []) if has_head else []
        self.colour_combo.blockSignals(True)
        self.colour_combo.clear()
        self.colour_combo.addItems([NO_COLOUR, *self.columns, *extra])
        if self.colour_combo.findText(current) >= 0:
            self.colour_combo.setCurrentText(current)
        self.colour_combo.blockSignals(False)

    def set_index(self, index, column: str) -> None:
        """The page's index (None when there is none) and its text column."""
        from bertstudio.embeddings.table_predictions import classification_labels, gold_column

        self.index, self.column = index, column
        self.positions_shown = False
        self.predictions = None
        labels = classification_labels(index.encoder.source) if index is not None else None
        self.gold = gold_column(index.table, labels) if labels else None
        self._fill_colours(has_head=labels is not None)
        if index is None:
            self.projector.set_points(np.empty((0, 2), np.float32), [], None)
            self.label.setText("Build the index on the Search tab, then press Project.")

    # ----- projecting -----
    def project(self) -> None:
        if self.index is None:
            self.label.setText("No index yet: build it on the Search tab first, then press Project.")
            return
        method = METHODS[self.method_combo.currentText()]
        vectors = self.index.entry.vectors
        self._stop.clear()
        self.project_button.setEnabled(False)
        if method == "pca":
            from bertstudio.embeddings.projection import pca_2d

            self.label.setText("Projecting (PCA)...")
            self._run(pca_2d, vectors, done=lambda result: self._projected("pca", *result))
            return
        from bertstudio.embeddings.cache import default_cache_dir
        from bertstudio.embeddings.umap_projection import UmapSettings, cached_umap, umap_2d

        settings, cache, key = UmapSettings(), default_cache_dir(), self.index.info.key
        if cached_umap(cache, key, settings, len(vectors)) is None:
            self.label.setText(
                f"Computing UMAP of {len(vectors):,} rows (finding neighbours first, then the layout)..."
            )
            self.progress.setRange(0, 0)
            self.progress.show()
            self.cancel_button.setEnabled(True)

        def compute():
            return umap_2d(
                vectors,
                settings,
                cache_dir=cache,
                index_key=key,
                progress=self._relay.progressed.emit,
                should_stop=self._stop.is_set,
            )

        self._run(compute, done=lambda points: self._projected("umap", points, None))

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _projected(self, method: str, points: np.ndarray, explained) -> None:
        self._finished()
        rows = self.index.entry.rows
        values = self.index.table.column(self.column)
        texts = ["" if values[r] is None else str(values[r]) for r in rows]
        self.projector.set_points(points, texts, self._groups())
        self.positions_shown = True
        info = self.index.info
        text = f"{len(rows):,} rows"
        if info.empty_lines:
            text += f" ({len(info.empty_lines):,} rows without text are not shown)"
        if method == "pca":
            text += f"; PCA axes explain {explained[0]:.0%} and {explained[1]:.0%} of the variance"
        else:
            text += "; UMAP (15 neighbours, cosine; cached for this index)"
        self.label.setText(text + ". Hover a point for its text, click it for its nearest neighbours.")

    def _groups(self) -> list[str] | None:
        """The colour group of each shown row; None for one colour (also while predictions are computed)."""
        colour = self.colour_combo.currentText()
        if self.index is None or not colour or colour == NO_COLOUR:
            return None
        if colour == PREDICTION or colour == CORRECTNESS.format(self.gold):
            if self.predictions is None:
                self._predict()
                return None
            if colour == PREDICTION:
                return self.predictions
            gold = self._column_values(self.gold)
            return ["correct" if p == g else "wrong" for p, g in zip(self.predictions, gold)]
        return self._column_values(colour)

    def _column_values(self, column: str) -> list[str]:
        values = self.index.table.column(column)
        return ["" if values[r] is None else str(values[r]) for r in self.index.entry.rows]

    def _recolour(self, *_: object) -> None:
        if self.positions_shown:
            self.projector.set_groups(self._groups())

    def _predict(self) -> None:
        """Run the model's head over every indexed row (once; cached), then recolour."""
        from bertstudio.embeddings.table_predictions import predict_rows

        if not self.project_button.isEnabled():
            return  # a projection or a prediction is running; it recolours when done
        self._stop.clear()
        self.project_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setFormat("%v / %m rows predicted")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.label.setText(f"Predicting the {len(self.index.entry.rows):,} rows with the model's head...")
        index = self.index

        def predict():
            return predict_rows(index, progress=self._relay.progressed.emit, should_stop=self._stop.is_set)

        def done(predictions: list[str]) -> None:
            self._finished()
            if index is self.index:
                self.predictions = predictions
                self.label.setText(f"{len(predictions):,} rows predicted by the model's head (cached).")
                self._recolour()

        self._run(predict, done=done)

    def _failed(self, exc: BaseException) -> None:
        from bertstudio.embeddings.umap_projection import ProjectionCancelled

        self._finished()
        if isinstance(exc, ProjectionCancelled):
            self.label.setText(
                "Cancelled; nothing was saved. Press Project (or choose the colour again) to start again."
            )
        else:
            self.label.setText("The projection could not be computed.")
            show_error(self, exc, "Could not project the rows")

    def _finished(self) -> None:
        self.progress.setFormat("%v / %m epochs")
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self.project_button.setEnabled(True)

    # ----- neighbours and selection -----
    def show_neighbours(self, position: int) -> None:
        if self.index is None:
            return
        hits = self.index.neighbours(position, NEIGHBOURS)
        fill_table(
            self.neighbours,
            [[f"{hit.score:.4f}", str(hit.line), str(hit.values.get(self.column, ""))] for hit in hits],
        )
        self.neighbours_label.setText(f"Nearest neighbours of: {self.projector.texts[position][:150]}")

    def _list_selection(self, positions: np.ndarray) -> None:
        self.export_button.setEnabled(self.index is not None and len(positions) > 0)
        if self.index is None or not len(positions):
            self.selection_label.setText("Nothing selected.")
            fill_table(self.selection, [])
            return
        lines = self.index.table.line_numbers
        rows = self.index.entry.rows
        listed = positions[:LISTED_SELECTION]
        fill_table(
            self.selection,
            [[str(int(lines[rows[p]])), self.projector.groups[p], self.projector.texts[p]] for p in listed],
        )
        more = (
            f" (the first {LISTED_SELECTION:,} listed; all are exported)"
            if len(positions) > len(listed)
            else ""
        )
        self.selection_label.setText(f"{len(positions):,} rows selected{more}.")

    def _choose_export_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the selected rows", "selection.csv", "CSV (*.csv)"
        )
        if path:
            self.export_selection(path)

    def export_selection(self, path) -> None:
        """Write the selected rows (every column of the table, their line first) to `path` as CSV."""
        from bertstudio.embeddings.selection import write_selection_csv

        table = self.index.table
        rows = self.index.entry.rows[self.projector.selected]
        records = [[int(table.line_numbers[r]), *table.row(int(r))] for r in rows]
        try:
            saved = write_selection_csv(path, ["line", *table.columns], records)
        except Exception as exc:  # shown to the user; the selection stays
            show_error(self, exc, "Could not export the selection")
            return
        self.selection_label.setText(f"{len(records):,} selected rows saved to {saved}")

    def _run(self, fn, *args, done) -> None:
        run_in_background(fn, *args, owner=self, on_done=done, on_error=self._failed)
