"""The Embeddings page: the open model as a sentence encoder. A similarity matrix of sentences typed in,
semantic search over the imported table (its index built once on a worker thread, with progress
and cancel, and cached on disk by bertstudio.embeddings), and a projector of the indexed rows."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.pages.embeddings_projector import ProjectorTab
from bertstudio.gui.pages.embeddings_training import TrainingProjectionTab
from bertstudio.gui.widgets.similarity_heatmap import SimilarityHeatmap
from bertstudio.gui.workers import ProgressRelay, run_in_background
from bertstudio.training.run_index import model_display_name

EXAMPLE_SENTENCES = "A man is playing a guitar.\nSomeone plays an instrument.\nThe stock market fell today.\nShares dropped sharply."


BACKEND_NAMES = {"onnx": "ONNX Runtime", "torch": "torch"}


def _similarity(encoder, sentences: list[str]):
    """The similarity matrix, and which sentences were cut at the encoder's max_length (by index)."""
    from bertstudio.embeddings.index import similarity_matrix

    result = encoder.encode_report(sentences)
    return similarity_matrix(result.vectors), result.truncated


class EmbeddingsPage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("embeddingsPage")
        self.model_path: Path | None = None
        self.data_path: Path | None = None
        self.read_options = DETECT
        self.encoder = None  # SentenceEncoder of model_path, loaded on first use
        self.index = None  # TableIndex of (model, data, column), once built
        self._search_when_indexed = False  # Search was pressed before the index existed
        self._stop = threading.Event()
        self._relay = ProgressRelay(self)
        self._relay.progressed.connect(self._show_progress)

        self.model_label = QLabel("Open a model on the Model page to embed text with it.")
        self.model_label.setObjectName("embeddingsModelLabel")
        self.model_label.setWordWrap(True)
        tabs = QTabWidget()
        tabs.addTab(self._build_similarity_tab(), "Similarity")
        tabs.addTab(self._build_search_tab(), "Search")
        self.projector_tab = ProjectorTab()
        tabs.addTab(self.projector_tab, "Projector")
        self.training_tab = TrainingProjectionTab()
        tabs.addTab(self.training_tab, "Across training")
        self.tabs = tabs
        layout = QVBoxLayout(self)
        layout.addWidget(self.model_label)
        layout.addWidget(tabs, 1)
        self._update_enabled()

    # ----- building -----
    def _build_similarity_tab(self) -> QWidget:
        self.sentences_edit = QPlainTextEdit(EXAMPLE_SENTENCES)
        self.sentences_edit.setObjectName("sentencesEdit")
        self.sentences_edit.setPlaceholderText("One sentence per line")
        self.sentences_edit.setMaximumHeight(140)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("compareButton")
        self.compare_button.clicked.connect(self.compare)
        self.heatmap = SimilarityHeatmap()
        self.hover_label = QLabel("")
        self.hover_label.setObjectName("similarityHover")
        self.heatmap.hovered.connect(self.hover_label.setText)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(QLabel("Sentences (one per line):"))
        layout.addWidget(self.sentences_edit)
        layout.addWidget(self.compare_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.heatmap, 1)
        layout.addWidget(self.hover_label)
        return tab

    def _build_search_tab(self) -> QWidget:
        self.column_combo = QComboBox()
        self.column_combo.setObjectName("searchColumn")
        self.column_combo.setAccessibleName("Text column")
        self.column_combo.currentTextChanged.connect(self._column_changed)
        self.build_button = QPushButton("Build index")
        self.build_button.setObjectName("buildIndexButton")
        self.build_button.setToolTip("Embed every row of the column once; the vectors are cached on disk")
        self.build_button.clicked.connect(self.build_index)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelIndexButton")
        self.cancel_button.clicked.connect(self._stop.set)
        self.progress = QProgressBar()
        self.progress.setObjectName("indexProgress")
        self.progress.setFormat("%v / %m texts")
        self.progress.hide()
        self.index_label = QLabel("Import a table on the Data page to search it.")
        self.index_label.setObjectName("indexLabel")
        self.index_label.setWordWrap(True)
        self.query_edit = QLineEdit()
        self.query_edit.setObjectName("queryEdit")
        self.query_edit.setPlaceholderText("Search the table by meaning...")
        self.query_edit.returnPressed.connect(self.search)
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 1000)
        self.top_k.setValue(10)
        self.top_k.setPrefix("top ")
        self.search_button = QPushButton("Search")
        self.search_button.setObjectName("searchButton")
        self.search_button.clicked.connect(self.search)
        self.results = QTableWidget(0, 5)
        self.results.setObjectName("searchResults")
        self.results.setHorizontalHeaderLabels(["Rank", "Score", "Line", "Truncated", "Text"])
        self.results.horizontalHeader().setStretchLastSection(True)
        self.results.verticalHeader().hide()
        self.results.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.results.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.results.currentCellChanged.connect(lambda row, *_: self._show_row(row))
        self.row_view = QTextBrowser()
        self.row_view.setObjectName("resultRow")
        self.hits: list = []

        top = QHBoxLayout()
        for widget in (
            QLabel("Text column:"),
            self.column_combo,
            self.build_button,
            self.progress,
            self.cancel_button,
        ):
            top.addWidget(widget)
        top.addStretch(1)
        query = QHBoxLayout()
        query.addWidget(self.query_edit, 1)
        query.addWidget(self.top_k)
        query.addWidget(self.search_button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.results)
        splitter.addWidget(self.row_view)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(top)
        layout.addWidget(self.index_label)
        layout.addLayout(query)
        layout.addWidget(splitter, 1)
        return tab

    # ----- inputs from the window -----
    def set_model(self, path: Path | None) -> None:
        if path == self.model_path:
            return
        self.model_path = Path(path) if path else None
        self.encoder = None
        self._set_index(None)
        self.model_label.setText(
            f"Model: {model_display_name(self.model_path)} — {_pooling_of(self.model_path)}"
            if self.model_path
            else "Open a model on the Model page to embed text with it."
        )
        self._update_enabled()

    def set_data(self, path: Path | None, read_options: ReadOptions, text_column: str | None) -> None:
        """The table to search and the column suggested for its text (the one mapped for training)."""
        from bertstudio.data import preview_table

        self.data_path = Path(path) if path else None
        self.read_options = read_options
        self._set_index(None)
        self.column_combo.blockSignals(True)
        self.column_combo.clear()
        columns = preview_table(self.data_path, 5, self.read_options).columns if self.data_path else []
        self.column_combo.addItems(columns)
        self.projector_tab.set_columns(columns)
        if text_column in columns:
            self.column_combo.setCurrentText(text_column)
        self.column_combo.blockSignals(False)
        self._column_changed()

    def set_runs_dir(self, runs_dir: Path | None) -> None:
        """The workspace's runs, whose evaluation sets the Across training tab projects."""
        self.training_tab.set_runs_dir(runs_dir)

    # ----- similarity -----
    def compare(self) -> None:
        sentences = [line.strip() for line in self.sentences_edit.toPlainText().splitlines() if line.strip()]
        if len(sentences) < 2:
            self.hover_label.setText("Type at least two sentences, one per line.")
            return
        self._with_encoder(lambda encoder: self._run(_similarity, encoder, sentences, done=self._compared))
        self._pending_sentences = sentences

    def _compared(self, result) -> None:
        matrix, truncated = result
        self.heatmap.set_matrix(matrix, self._pending_sentences)
        text = "Hover a cell to read its similarity."
        limit = self.encoder.max_length
        if len(truncated) == 1:
            text += (
                f" Sentence {truncated[0] + 1} is longer than {limit} tokens: only its start was compared."
            )
        elif truncated:
            numbers = ", ".join(str(i + 1) for i in truncated)
            text += f" Sentences {numbers} are longer than {limit} tokens: only their start was compared."
        self.hover_label.setText(text)

    # ----- search -----
    def build_index(self) -> None:
        if self.data_path is None or not self.column_combo.currentText():
            return
        from bertstudio.embeddings.table import index_table

        self._stop.clear()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.setEnabled(True)
        self.build_button.setEnabled(False)
        self.index_label.setText("Building the index...")
        path, column, options = self.data_path, self.column_combo.currentText(), self.read_options

        def build(encoder):
            return index_table(
                encoder,
                path,
                column,
                read_options=options,
                progress=self._relay.progressed.emit,
                should_stop=self._stop.is_set,
            )

        self._with_encoder(
            lambda encoder: self._run(build, encoder, done=self._indexed, failed=self._index_failed)
        )

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _indexed(self, index) -> None:
        self._set_index(index)
        self.progress.hide()
        self.index_label.setText(index.describe())
        self._update_enabled()
        if self._search_when_indexed:
            self._search_when_indexed = False
            self.search()

    def _index_failed(self, exc: BaseException) -> None:
        from bertstudio.embeddings import EncodingCancelled

        self._search_when_indexed = False
        self.progress.hide()
        self._update_enabled()
        if isinstance(exc, EncodingCancelled):
            self.index_label.setText(
                "Indexing was cancelled; nothing was saved. Press Build index to start again."
            )
        else:
            self.index_label.setText("The index could not be built.")
            show_error(self, exc, "Could not build the index")

    def search(self) -> None:
        query = self.query_edit.text().strip()
        if not query:
            self.index_label.setText("Type what to search for.")
            return
        if self.index is None:
            if self.build_button.isEnabled():
                self._search_when_indexed = True
                self.build_index()
                self.index_label.setText(
                    "No index yet: building it first (each row is embedded once, then cached); "
                    "the search runs when it is ready."
                )
            return
        self._run(self.index.search, query, self.top_k.value(), done=self._show_hits)

    def _show_hits(self, hits: list) -> None:
        self.hits = hits
        column = self.column_combo.currentText()
        self.results.setRowCount(len(hits))
        cut = f"cut at {self.index.info.max_length} tokens" if self.index is not None else ""
        for row, hit in enumerate(hits):
            cells = [
                str(row + 1),
                f"{hit.score:.4f}",
                str(hit.line),
                cut if hit.truncated else "",
                str(hit.values.get(column, "")),
            ]
            for col, text in enumerate(cells):
                self.results.setItem(row, col, QTableWidgetItem(text))
        if hits:
            self.results.selectRow(0)

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(self.hits):
            self.row_view.clear()
            return
        hit = self.hits[row]
        lines = [f"<b>Line {hit.line}</b>, score {hit.score:.4f}"]
        if hit.truncated:
            lines.append(
                f"<i>The text is longer than {self.index.info.max_length} tokens: only its start was embedded.</i>"
            )
        lines += [f"<b>{_escape(name)}</b>: {_escape(str(value))}" for name, value in hit.values.items()]
        self.row_view.setHtml("<br>".join(lines))

    # ----- plumbing -----
    def _set_index(self, index) -> None:
        self.index = index
        self.projector_tab.set_index(index, self.column_combo.currentText())

    def _column_changed(self, *_: object) -> None:
        self._set_index(None)
        if self.data_path is not None:
            self.index_label.setText(
                f"{self.data_path.name}: press Build index to search column {self.column_combo.currentText()!r}."
            )
        self._update_enabled()

    def _update_enabled(self) -> None:
        has_model = self.model_path is not None
        self.compare_button.setEnabled(has_model)
        self.projector_tab.project_button.setEnabled(has_model and self.data_path is not None)
        self.build_button.setEnabled(
            has_model and self.data_path is not None and bool(self.column_combo.currentText())
        )
        self.cancel_button.setEnabled(False)
        self.search_button.setEnabled(has_model and self.data_path is not None)
        if self.index is None:
            self.search_button.setText("Build index && search")
            self.search_button.setToolTip("No index yet: this embeds every row once (cached), then searches")
        else:
            self.search_button.setText("Search")
            self.search_button.setToolTip("Rank the rows by cosine similarity with the query")

    def _with_encoder(self, then) -> None:
        """Call then(encoder), loading the model's encoder on a worker thread first if needed."""
        if self.encoder is not None:
            then(self.encoder)
            return
        from bertstudio.embeddings import load_encoder

        def loaded(encoder) -> None:
            self.encoder = encoder
            self.model_label.setText(
                f"Model: {model_display_name(self.model_path)} — {encoder.layout.describe()}, {encoder.dimension} dimensions, up to {encoder.max_length} tokens per text; runs on {BACKEND_NAMES[encoder.backend]}"
            )
            then(encoder)

        self._run(load_encoder, self.model_path, done=loaded)

    def _run(self, fn, *args, done, failed=None) -> None:
        run_in_background(fn, *args, owner=self, on_done=done, on_error=failed or self._failed)

    def _failed(self, exc: BaseException) -> None:
        self._update_enabled()
        self.progress.hide()
        show_error(self, exc, "Embeddings")


def _pooling_of(path: Path) -> str:
    """What the folder declares, read at once (a few small JSON files), so the page says it before any
    text is embedded; a folder BERT Studio cannot pool is said so here too."""
    from bertstudio.embeddings.layout import read_layout
    from bertstudio.errors import BertStudioError
    from bertstudio.model.hub import resolve_model_folder

    try:
        return read_layout(resolve_model_folder(path)).describe()
    except BertStudioError as exc:
        return f"cannot be used as a sentence encoder: {exc.message}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
