"""The Inspect page: type or pick an example and look inside the loaded model: tokens, attention
(heatmap, model view, head view), attributions, fill-mask and head masking, and probes across training.

Heavy work (forward passes, gradients, rankings, dataset statistics) runs off the GUI thread through
LatestJobs; only the newest result of each kind is shown.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.widgets.attention_explorer import AttentionExplorer
from bertstudio.gui.widgets.attention_probe_panels import FillMaskPanel, HeadMaskPanel
from bertstudio.gui.widgets.attention_training_panel import TrainingProbesPanel
from bertstudio.gui.widgets.attention_worker import LatestJobs
from bertstudio.gui.widgets.common import page_header
from bertstudio.gui.widgets.span_attention_table import SpanAttentionTable
from bertstudio.gui.widgets.token_attribution_strips import AttributionStrips
from bertstudio.gui.widgets.token_chips import TokenizationPanel
from bertstudio.inspect.kinds import SEQUENCE_HEADS
from bertstudio.inspect.maps import WHOLE_MAPS_BUDGET, whole_maps_bytes
from bertstudio.inspect.tokenization import DatasetTokenStats, analyse_tokenization, compare_tokenizers

QA_HEAD = "question_answering"  # the model head that answers questions
MAX_TEXT_CHARACTERS = 1_000_000  # Qt's default (32,767) cuts a long document short of 8,192 tokens
EXAMPLES = (
    ("The cat sat on the mat because it was tired.", ""),
    ("The movie was unbelievably good, I loved every minute.", ""),
    ("Paris is the capital of France.", "Berlin is the capital of Germany."),
    ("A man is playing a guitar.", "Someone plays an instrument."),
)


def differences_text(differences: list[tuple[str, list[str], list[str]]]) -> str:
    """One line naming the words the two tokenizers cut differently, with their pieces."""
    if not differences:
        return "Both tokenizers cut every word the same way."
    shown = "; ".join(
        f"<b>{html.escape(word)}</b>: {html.escape(' '.join(left))} | {html.escape(' '.join(right))}"
        for word, left, right in differences[:12]
    )
    more = f" and {len(differences) - 12} more" if len(differences) > 12 else ""
    return f"Cut differently ({len(differences)} words, model | compared): {shown}{more}"


class InspectPage(QWidget):
    busy = Signal(str)  # what the page computes now for the status bar, "" once it is done

    def __init__(self, parent: QWidget | None = None, model_picker: QWidget | None = None) -> None:
        """`model_picker`, when given, is shown under the title: the choice of the model inspected."""
        super().__init__(parent)
        self.model = self.tokenizer = None
        self.compare_tokenizer = None
        self.head_mask = None
        self.data_selection = None
        # an example whose maps would take more bytes than this is inspected a layer at a time
        self.whole_maps_budget = WHOLE_MAPS_BUDGET
        self.jobs = LatestJobs(self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(350)
        self._debounce.timeout.connect(self.analyse)

        self.model_label = QLabel("No model loaded: open one on the Model page.")
        self.model_label.setProperty("role", "muted")
        self.text = QLineEdit(EXAMPLES[0][0])
        self.text.setMaxLength(MAX_TEXT_CHARACTERS)
        self.text.setPlaceholderText("Text")
        self.pair = QLineEdit()
        self.pair.setPlaceholderText("Second text of a pair (optional)")
        self.examples = QComboBox()
        self.examples.addItem("Examples…")
        for text, pair in EXAMPLES:
            self.examples.addItem(text if not pair else f"{text} | {pair}", (text, pair))
        self.examples.activated.connect(self._pick_example)
        self.analyse_button = QPushButton("Analyse")
        self.analyse_button.setEnabled(False)
        self.analyse_button.clicked.connect(self.analyse)
        self.status = QLabel()
        self.status.setWordWrap(True)
        for edit in (self.text, self.pair):
            edit.textEdited.connect(lambda _text: self._debounce.start())
            edit.textChanged.connect(lambda _text: self._forget_old_attributions())
            edit.returnPressed.connect(self.analyse)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_tokens_tab(), "Tokens")
        self.explorer = AttentionExplorer()
        self.tabs.addTab(self.explorer, "Attention")
        self.tabs.addTab(self._build_attributions_tab(), "Attributions")
        self.fill_mask = FillMaskPanel(self.jobs)
        self.head_masking = HeadMaskPanel(self.jobs)
        self.head_masking.mask_changed.connect(self._mask_changed)
        probes = QSplitter(Qt.Orientation.Horizontal)
        probes.addWidget(self.head_masking)
        probes.addWidget(self.fill_mask)
        self.tabs.addTab(probes, "Probes")
        self.training = TrainingProbesPanel()
        self.tabs.addTab(self.training, "Across training")
        self.tabs.currentChanged.connect(self._tab_changed)

        inputs = QHBoxLayout()
        inputs.addWidget(self.text, 3)
        inputs.addWidget(self.pair, 2)
        inputs.addWidget(self.examples)
        inputs.addWidget(self.analyse_button)
        layout = QVBoxLayout(self)
        layout.addLayout(
            page_header(
                "Inspect", "Tokens, attention, attributions and probes of the loaded model, on one example."
            )
        )
        if model_picker is not None:
            layout.addWidget(model_picker)
        layout.addWidget(self.model_label)
        layout.addLayout(inputs)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)

    # ----- tabs -----
    def _build_tokens_tab(self) -> QWidget:
        self.tokens_panel = TokenizationPanel("Model tokenizer")
        self.compare_panel = TokenizationPanel("Compared tokenizer")
        self.compare_panel.hide()
        compare = QPushButton("Compare with tokenizer…")
        compare.setToolTip("Pick a model or tokenizer folder (e.g. one trained by pretraining)")
        compare.clicked.connect(self._choose_compare_tokenizer)
        self.stop_compare = QPushButton("Stop comparing")
        self.stop_compare.hide()
        self.stop_compare.clicked.connect(lambda: self.set_compare_tokenizer(None))
        stats = QPushButton("Dataset statistics…")
        stats.setObjectName("datasetStatisticsButton")
        stats.setToolTip("Tokens per word, [UNK] rate, most split words and truncated share of a text column")
        stats_menu = QMenu(stats)
        self.imported_data_action = stats_menu.addAction("Imported data", self.imported_data_statistics)
        self.imported_data_action.setEnabled(False)
        stats_menu.addAction("Another file…", self._choose_dataset)
        stats.setMenu(stats_menu)
        self.compare_summary = QLabel()
        self.compare_summary.setWordWrap(True)
        self.compare_summary.hide()
        self.stats_view = QTextBrowser()
        self.stats_view.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(compare)
        buttons.addWidget(self.stop_compare)
        buttons.addWidget(stats)
        buttons.addStretch(1)
        panels = QSplitter(Qt.Orientation.Horizontal)
        panels.addWidget(self.tokens_panel)
        panels.addWidget(self.compare_panel)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(buttons)
        layout.addWidget(self.compare_summary)
        layout.addWidget(panels, 3)
        layout.addWidget(self.stats_view, 2)
        return tab

    def _build_attributions_tab(self) -> QWidget:
        self.target = QComboBox()
        self.target.setObjectName("attributionTargetCombo")
        self.target.setToolTip("What the attributions explain")
        self.method = QComboBox()
        self.method.addItem("Integrated gradients", "integrated_gradients")
        self.method.addItem("Gradient × input", "gradient_x_input")
        self.baseline = QComboBox()
        self.baseline.addItem("Padding-token baseline", "pad")
        self.baseline.addItem("Mask-token baseline", "mask")
        self.baseline.addItem("Zero embedding", "zero")
        self.steps = QSpinBox()
        self.steps.setRange(4, 512)
        self.steps.setValue(32)
        self.steps.setToolTip("Points along the path from the baseline (more: smaller completeness error)")
        self.internal_batch = QSpinBox()
        self.internal_batch.setRange(1, 256)
        self.internal_batch.setValue(16)
        self.internal_batch.setToolTip("Points per forward/backward pass (bounds memory)")
        self.attribute_button = QPushButton("Compute attributions")
        self.attribute_button.clicked.connect(self.compute_attributions)
        self.attribution_note = QLabel("Attributions explain a fine-tuned sequence classifier.")
        self.attribution_note.setWordWrap(True)
        self.strips = AttributionStrips()
        self.span_attention = SpanAttentionTable()
        self.span_attention_title = QLabel(
            "Attention of the answer span's tokens to each question word (rows: layers, mean over heads)"
        )
        self.attributed_example: tuple[str, str | None] | None = None  # the text the strips explain
        controls = QHBoxLayout()
        for widget in (
            self.target,
            self.method,
            self.baseline,
            QLabel("Steps"),
            self.steps,
            QLabel("Batch"),
            self.internal_batch,
        ):
            controls.addWidget(widget)
        controls.addWidget(self.attribute_button)
        controls.addStretch(1)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setWidget(self.strips)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(controls)
        layout.addWidget(self.attribution_note)
        layout.addWidget(area, 1)
        layout.addWidget(self.span_attention_title)
        layout.addWidget(self.span_attention, 1)
        self._show_span_attention(None)
        return tab

    def _show_span_attention(self, inspection) -> None:
        self.span_attention.show_inspection(inspection)
        for widget in (self.span_attention_title, self.span_attention):
            widget.setVisible(inspection is not None)

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.explorer and self.explorer.views.currentIndex() == 0:
            self.explorer.heatmap.setFocus()  # arrow keys step layers / heads right away

    # ----- model and example -----
    def show_unloaded(self, text: str) -> None:
        """No model to analyse now (the chosen one loads, or failed to): the header says `text` and
        the previous model's prediction goes."""
        self.model_label.setText(text)
        self.status.setText("")
        self.analyse_button.setEnabled(False)

    def set_model(self, model, tokenizer, name: str = "") -> None:
        """Inspect this model from now on (called by the main window once a model is loaded);
        `name` is how the header names it (the picker's title)."""
        self.model, self.tokenizer = model, tokenizer
        config = model.config
        self.model_label.setText(
            f"Model: {name + ' · ' if name else ''}{model.task} · {config.num_hidden_layers} layers × "
            f"{config.num_attention_heads} heads · hidden {config.hidden_size}"
        )
        self.analyse_button.setEnabled(True)
        self.head_mask = None
        self.fill_mask.set_model(model, tokenizer)
        self.head_masking.set_model(model, tokenizer)
        sequence_model = model.task in SEQUENCE_HEADS
        answers = model.task == QA_HEAD
        self.target.clear()
        if answers:
            self.target.addItem("Answer span → question words", "answer_span")
        elif sequence_model:
            self.target.addItem("Every class (or value)", "classes")
        self.attribute_button.setEnabled(sequence_model or answers)
        self.attribution_note.setText(
            "Attributions explain the class probabilities (or value) of a fine-tuned sequence model."
            if sequence_model
            else "Question answering: type the question as the text and the context as the second text. "
            "The attributions explain the start + end logit of the answer span over the question's words."
            if answers
            else f"This model's task is {model.task!r}: attributions need a fine-tuned sequence classifier, "
            "regressor or question-answering model."
        )
        self.strips.set_attributions([])
        self._show_span_attention(None)
        self.attributed_example = None
        self.analyse()

    def example(self) -> tuple[str, str | None]:
        return self.text.text(), self.pair.text().strip() or None

    def _pick_example(self, index: int) -> None:
        data = self.examples.itemData(index)
        if data:
            self.text.setText(data[0])
            self.pair.setText(data[1])
            self.analyse()
        self.examples.setCurrentIndex(0)

    def analyse(self) -> None:
        """Tokenize at once (cheap); compute attention and the prediction in the background."""
        self._debounce.stop()
        if self.tokenizer is None:
            return
        text, pair = self.example()
        if not text.strip():
            self.status.setText("Type a text to inspect.")
            return
        self.head_masking.current_text = text
        if self.compare_tokenizer is None:
            self.tokens_panel.show_view(analyse_tokenization(self.tokenizer, text, pair))
        else:
            comparison = compare_tokenizers(self.tokenizer, self.compare_tokenizer, text, pair)
            self.tokens_panel.show_view(comparison.left)
            self.compare_panel.show_view(comparison.right)
            self.compare_summary.setText(differences_text(comparison.differently_split))
        self._compute_attention()

    def _compute_attention(self) -> None:
        from bertstudio.inspect.probes import predict

        model, tokenizer, mask = self.model, self.tokenizer, self.head_mask
        text, pair = self.example()
        length = len(tokenizer.encode(text, pair).ids)
        config = model.config
        if (
            whole_maps_bytes(config.num_hidden_layers, config.num_attention_heads, length)
            > self.whole_maps_budget
        ):
            self._compute_long(text, pair, length)
            return
        self.status.setText("Computing attention…")
        self.jobs.submit(
            "attention",
            lambda job: predict(model, tokenizer, text, pair, head_mask=mask),
            lambda result: self._attention_ready(result, (text, pair)),
            self._failed,
        )

    def _compute_long(self, text: str, pair: str | None, length: int) -> None:
        """An input whose maps would not fit at once: inspected a layer at a time (no prediction: that
        needs every layer, which the explorer computes in turn)."""
        from bertstudio.inspect.layerwise import LayerwiseAttention

        model, tokenizer = self.model, self.tokenizer
        masking = " Head masking does not apply to inputs this long." if self.head_mask is not None else ""
        self.status.setText(f"{length} tokens: preparing the layer-by-layer view…")

        def ready(layerwise) -> None:
            self.explorer.set_long(layerwise)
            self.status.setText(
                f"{length} tokens: too long for every attention map at once, so each layer is computed in turn "
                f"and the heatmap shows blocks of tokens (hover for the exact weight); no prediction is made for "
                f"inputs this long.{masking}"
            )

        self.jobs.submit(
            "attention", lambda job: LayerwiseAttention(model, tokenizer, text, pair), ready, self._failed
        )

    def _offer_parts(self, text: str, pair: str | None) -> None:
        """DeBERTa's heatmap can split its scores into content / position parts (of this example)."""
        from bertstudio.inspect.score_parts import attention_parts, has_attention_parts

        model, tokenizer = self.model, self.tokenizer
        if has_attention_parts(model):
            self.explorer.set_parts_source(
                lambda: attention_parts(model, tokenizer, text, pair), model.config.options.position_terms
            )
        else:
            self.explorer.set_parts_source(None)

    def _attention_ready(self, result, example: tuple[str, str | None]) -> None:
        prediction, maps = result
        self._offer_parts(*example)
        self.explorer.set_maps(maps)
        note = " (truncated at the model's max length)" if maps.truncated else ""
        self.status.setText(f"{len(maps.tokens)} tokens{note} · prediction: {prediction.summary()}")
        self.head_masking.show_prediction(prediction.summary())

    def _mask_changed(self, mask) -> None:
        self.head_mask = None if mask.all() else mask
        if self.model is not None:
            self._compute_attention()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(f"<span style='color:#b91c1c'>{exc}</span>")

    # ----- attributions -----
    def compute_attributions(self) -> None:
        from bertstudio.inspect.attributions import attribute

        if self.model is None or self.target.currentData() is None:
            return
        model, tokenizer = self.model, self.tokenizer
        text, pair = self.example()
        if not text.strip():
            self.strips.set_attributions([])
            self.attribution_note.setText("Type a text to inspect first: there is nothing to attribute.")
            return
        method, baseline = self.method.currentData(), self.baseline.currentData()
        steps, batch = self.steps.value(), self.internal_batch.value()
        self.attribution_note.setText("Computing attributions…")
        self.busy.emit("Computing attributions...")
        if self.target.currentData() == "answer_span":
            self._attribute_answer_span(model, tokenizer, text, pair, method, baseline, steps, batch)
            return
        self.jobs.submit(
            "attributions",
            lambda job: attribute(model, tokenizer, text, pair, method, baseline, steps, batch),
            lambda attributions: self._attributions_ready(attributions, (text, pair)),
            self._attributions_failed,
        )

    def _attribute_answer_span(
        self, model, tokenizer, question, context, method, baseline, steps, batch
    ) -> None:
        from bertstudio.inspect.span_attributions import inspect_answer_span

        if not context:
            self.busy.emit("")
            self.strips.set_attributions([])
            self._show_span_attention(None)
            self.attribution_note.setText("Type the context as the second text: the answer is a span of it.")
            return
        self.jobs.submit(
            "attributions",
            lambda job: inspect_answer_span(
                model, tokenizer, context, question, method, baseline, steps, batch
            ),
            lambda inspection: self._span_ready(inspection, (question, context)),
            self._attributions_failed,
        )

    def _attributions_failed(self, exc: BaseException) -> None:
        self.busy.emit("")
        self.attribution_note.setText(str(exc))

    def _span_ready(self, inspection, example: tuple[str, str | None]) -> None:
        self.busy.emit("")
        if example != self.example():
            self.attribution_note.setText("The text changed: press Compute attributions to explain this one.")
            return
        self.attributed_example = example
        answer = inspection.answer
        said = f"answer {answer.text!r}" if answer.text else "no answer (the span is [CLS])"
        self.attribution_note.setText(
            f"The model's {said}, span {' '.join(inspection.span_tokens)} in window {inspection.window + 1}. "
            f"Red question words raise its start + end logit, blue lower it; "
            f"{inspection.question_share:.0%} of the attribution falls on the question. "
            f"Completeness error {inspection.attribution.completeness_error:.2g}."
        )
        self.strips.set_attributions([inspection.attribution])
        self._show_span_attention(inspection)

    def _forget_old_attributions(self) -> None:
        """Attributions are of one text: once it changes they go (they would explain another text)."""
        if self.attributed_example is not None and self.attributed_example != self.example():
            self.attributed_example = None
            self.strips.set_attributions([])
            self._show_span_attention(None)
            self.attribution_note.setText("The text changed: press Compute attributions to explain this one.")

    def _attributions_ready(self, attributions, example: tuple[str, str | None]) -> None:
        self.busy.emit("")
        if example != self.example():  # computed for a text that has changed since
            self.attribution_note.setText("The text changed: press Compute attributions to explain this one.")
            return
        self.attributed_example = example
        worst = max((a.completeness_error for a in attributions), default=0.0)
        self.attribution_note.setText(
            f"{attributions[0].method.replace('_', ' ')}: red raises a class's output, blue lowers it. "
            f"Largest completeness error {worst:.2g}"
            + (
                " (integrated gradients: add steps to shrink it)"
                if attributions[0].method != "gradient_x_input"
                else ""
            )
        )
        self.strips.set_attributions(attributions)

    # ----- tokenizer comparison and dataset statistics -----
    def _choose_compare_tokenizer(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with tokenizer.json or vocab.txt")
        if folder:
            try:
                from bertstudio.text import load_tokenizer

                self.set_compare_tokenizer(load_tokenizer(folder), Path(folder).name)
            except Exception as exc:  # shown to the user; the page stays usable
                show_error(self, exc, "Could not load the tokenizer")

    def set_compare_tokenizer(self, tokenizer, name: str = "") -> None:
        self.compare_tokenizer = tokenizer
        self.compare_panel.setVisible(tokenizer is not None)
        self.compare_summary.setVisible(tokenizer is not None)
        self.stop_compare.setVisible(tokenizer is not None)
        if tokenizer is not None:
            self.compare_panel.set_title(f"Compared tokenizer: {name}")
        self.analyse()

    def set_data(self, selection) -> None:
        """The data imported on the Data page (a gui.state.DataSelection, or None): statistics of its
        text column(s) at its max length are one click away."""
        self.data_selection = selection
        from bertstudio.tasks import get_task

        # token statistics read a table's text columns; a SQuAD file has none
        self.imported_data_action.setEnabled(
            selection is not None and not get_task(selection.task).answers_questions
        )
        if selection is not None:
            columns = " + ".join(c for c in (selection.mapping.text, selection.mapping.text_pair) if c)
            self.imported_data_action.setText(f"Imported data: {selection.path.name}, {columns}")

    def imported_data_statistics(self) -> None:
        selection = self.data_selection
        if selection is None or self.tokenizer is None:
            return
        from bertstudio.data import read_table

        self.status.setText(f"Reading {selection.path.name}…")
        self.jobs.submit(
            "dataset",
            lambda job: read_table(selection.path, selection.read_options),
            lambda table: self.dataset_statistics(
                table, selection.mapping.text, selection.mapping.text_pair, selection.max_length
            ),
            self._dataset_failed,
        )

    def _choose_dataset(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Dataset", "", "Data files (*.csv *.tsv *.txt *.jsonl *.json);;All files (*)"
        )
        if path and self.tokenizer is not None:
            self.status.setText(f"Reading {Path(path).name}…")
            from bertstudio.data import read_table

            self.jobs.submit(
                "dataset", lambda job: read_table(path), self._dataset_read, self._dataset_failed
            )

    def _dataset_read(self, table) -> None:
        column, ok = QInputDialog.getItem(self, "Text column", "Column to tokenize:", table.columns, 0, False)
        if not ok:
            return
        others = ["(none)", *[c for c in table.columns if c != column]]
        pair, ok = QInputDialog.getItem(self, "Pair column", "Second text column (pairs):", others, 0, False)
        self.dataset_statistics(table, column, pair if ok and pair != "(none)" else None)

    def dataset_statistics(
        self, table, column: str, pair_column: str | None = None, max_length: int | None = None
    ) -> None:
        """Compute statistics of `column` (and `pair_column`) of a read table in the background; examples
        longer than `max_length` (default: the tokenizer's) count as truncated."""
        from bertstudio.inspect.tokenization import dataset_token_stats

        firsts, seconds = table.column(column), table.column(pair_column) if pair_column else None
        rows = [
            i
            for i in range(len(firsts))
            if firsts[i] is not None and (seconds is None or seconds[i] is not None)
        ]
        texts = [str(firsts[i]) for i in rows]
        pairs = [str(seconds[i]) for i in rows] if seconds is not None else None
        skipped = len(firsts) - len(rows)
        tokenizer = self.tokenizer
        self.status.setText(f"Tokenizing {len(texts)} rows…")
        self.jobs.submit(
            "dataset",
            lambda job: dataset_token_stats(tokenizer, texts, pairs, max_length=max_length),
            lambda stats: self._show_stats(stats, column, skipped),
            self._dataset_failed,
        )

    def _show_stats(self, stats: DatasetTokenStats, column: str, skipped: int) -> None:
        self.status.setText(f"Dataset statistics of column {column!r} ready.")
        rows = "".join(
            f"<tr><td>{html.escape(word)}</td><td align='right'>{pieces}</td><td align='right'>{seen}</td></tr>"
            for word, pieces, seen in stats.most_split_words(15)
        )
        skipped_note = (
            f"<p>{skipped} rows had no value in the column and were not counted.</p>" if skipped else ""
        )
        self.stats_view.setHtml(
            f"<h3>Column {html.escape(repr(column))}: {stats.examples} examples</h3>{skipped_note}"
            f"<p>{stats.words} words · {stats.tokens} tokens · <b>{stats.tokens_per_word:.2f}</b> tokens per word · "
            f"[UNK] rate <b>{stats.unknown_rate:.2%}</b> · longest example {stats.longest_example} tokens · "
            f"<b>{stats.truncated_share:.1%}</b> longer than the max length ({stats.max_length})</p>"
            f"<table border='0' cellspacing='6'><tr><th>Most split words</th><th>pieces</th><th>seen</th></tr>"
            f"{rows}</table>"
        )
        self.stats_view.show()

    def _dataset_failed(self, exc: BaseException) -> None:
        self.status.setText("")
        show_error(self, exc, "Could not compute the dataset statistics")
