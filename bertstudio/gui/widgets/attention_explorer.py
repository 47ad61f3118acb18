"""The attention tab: a heatmap, the model view and the head view of one example, with the filters
(layer, head or mean / max, hide special tokens, A->B / B->A, threshold or top-k %, word level, rollout)
and exports (PNG / SVG exactly as drawn, the numbers as CSV)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bertstudio.errors import BertStudioError
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.widgets.attention_export import EXPORT_FILTERS, announce_saved, export_widget
from bertstudio.gui.widgets.attention_head_view import AttentionHeadView, head_color
from bertstudio.gui.widgets.attention_heatmap import AttentionHeatmap
from bertstudio.gui.widgets.attention_model_view import AttentionModelView
from bertstudio.gui.widgets.attention_worker import LatestJobs
from bertstudio.inspect.maps import PART_TITLES, AttentionMaps
from bertstudio.inspect.view_filters import (
    ViewMatrix,
    ViewOptions,
    shown_positions,
    view_matrix,
    write_matrix_csv,
)

if TYPE_CHECKING:
    from bertstudio.inspect.layerwise import LayerwiseAttention
    from bertstudio.inspect.score_parts import AttentionParts

HEATMAP, MODEL_VIEW, HEAD_VIEW = range(3)
MIN_BLOCKS, MAX_BLOCKS = 256, 1024  # a long input's heatmap: about one block per screen pixel
ALL_SCORES = "all"  # the heatmap shows the softmax weights, not one part of the scores
DIRECTIONS = (("All tokens", "all"), ("Text A → text B", "a_to_b"), ("Text B → text A", "b_to_a"))


def _scrolled(widget: QWidget, resizable: bool = False) -> QScrollArea:
    """A scroll area; `resizable`: the widget takes the area's width (down to its minimum width)."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(resizable)
    area.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    return area


class AttentionExplorer(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base: AttentionMaps | None = None  # token level, straight from the model
        self._derived: dict[tuple[bool, bool], AttentionMaps] = {}
        self.current: ViewMatrix | None = None
        self.parts_source: Callable[[], AttentionParts] | None = None  # DeBERTa: computes the parts
        self.parts: AttentionParts | None = None  # of self.base, once computed
        self.long: LayerwiseAttention | None = None  # an input too long for every map: layer by layer
        self._row: tuple[tuple[int, int, int], np.ndarray] | None = None  # the last exact row looked up
        self.jobs = LatestJobs(self)  # word-level pooling and rollout of long inputs take a moment

        self.views = QTabWidget()
        self.heatmap = AttentionHeatmap()
        self.model_view = AttentionModelView()
        self.head_view = AttentionHeadView()
        self.views.addTab(self.heatmap, "Heatmap")
        self.views.addTab(_scrolled(self.model_view, resizable=True), "Model view")
        self.views.addTab(_scrolled(self.head_view), "Head view")
        self.views.currentChanged.connect(self.refresh)
        self.heatmap.step_requested.connect(self.step)
        self.model_view.opened.connect(self.open_head)

        self.layer = QSpinBox()
        self.layer.setToolTip("Layer (Up / Down in the heatmap)")
        self.head = QComboBox()
        self.head.setToolTip("Head, or the mean / max over the layer's heads (Left / Right in the heatmap)")
        self.hide_special = QCheckBox("Hide special tokens")
        self.direction = QComboBox()
        for text, value in DIRECTIONS:
            self.direction.addItem(text, value)
        self.word_level = QCheckBox("Word level")
        self.word_level.setToolTip("Pool word pieces into words: sum over key pieces, mean over query pieces")
        self.part = QComboBox()
        self.part.setToolTip(
            "DeBERTa: show one additive part of the heatmap's pre-softmax scores instead of the weights"
        )
        self.part_label = QLabel("Scores")
        self.rollout = QCheckBox("Rollout")
        self.rollout.setToolTip("Attention rolled out through the layers (Abnar & Zuidema 2020)")
        self.filter_mode = QComboBox()
        self.filter_mode.addItems(["Threshold", "Top %"])
        self.filter_slider = QSlider(Qt.Orientation.Horizontal)
        self.filter_slider.setRange(0, 100)
        self.filter_label = QLabel()
        export_image = QPushButton("Export image…")
        export_image.setToolTip("Save the current view as PNG or SVG, exactly as shown")
        export_image.clicked.connect(self._choose_image_file)
        self.long_progress = QLabel()
        self.long_progress.setWordWrap(True)
        self.long_progress.hide()
        export_csv = QPushButton("Export CSV…")
        self.export_csv_button = export_csv
        export_csv.setToolTip("Save the numbers of the current layer / head with the filters applied")
        export_csv.clicked.connect(self._choose_csv_file)

        controls = QFormLayout()
        controls.addRow("Layer", self.layer)
        controls.addRow("Head", self.head)
        controls.addRow(self.part_label, self.part)
        controls.addRow(self.hide_special)
        controls.addRow("Pairs", self.direction)
        controls.addRow(self.word_level)
        controls.addRow(self.rollout)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.filter_mode)
        filter_row.addWidget(self.filter_label)
        controls.addRow(filter_row)
        controls.addRow(self.filter_slider)
        controls.addRow(export_image)
        controls.addRow(export_csv)
        controls.addRow(self.long_progress)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addLayout(controls)
        side_layout.addStretch(1)
        side.setFixedWidth(230)
        layout = QHBoxLayout(self)
        layout.addWidget(side)
        layout.addWidget(self.views, 1)

        for signal in (
            self.layer.valueChanged,
            self.head.currentIndexChanged,
            self.part.currentIndexChanged,
            self.hide_special.toggled,
            self.direction.currentIndexChanged,
            self.word_level.toggled,
            self.rollout.toggled,
            self.filter_mode.currentIndexChanged,
            self.filter_slider.valueChanged,
        ):
            signal.connect(self.refresh)
        self.filter_mode.currentIndexChanged.connect(self._reset_filter)
        self._reset_filter()
        self.set_parts_source(None)
        self.setEnabled(False)

    # ----- data -----
    def set_maps(self, maps: AttentionMaps) -> None:
        """Show a new example (token-level maps); keeps the layer, head and filters chosen."""
        self._leave_long()
        same_shape = self.base is not None and self.base.maps.shape[:2] == maps.maps.shape[:2]
        self.base = maps
        self.parts = None
        self._derived = {(False, False): maps}
        if not same_shape:
            self._fill_choices(maps.num_layers, maps.num_heads)
        self.direction.setEnabled(maps.text_pair is not None)
        self.setEnabled(True)
        self.refresh()

    def set_parts_source(
        self, source: Callable[[], AttentionParts] | None, terms: tuple[str, ...] = ()
    ) -> None:
        """Offer the heatmap's split of the scores (DeBERTa): `source` computes the parts of the example
        shown (in the background, when first asked for); `terms` are the model's position terms. The
        part chosen stays chosen while the model has it. Call before set_maps of the same example."""
        self.parts_source, self.parts = source, None
        chosen = self.part.currentData()
        self.part.blockSignals(True)
        self.part.clear()
        self.part.addItem("Weights (softmax)", ALL_SCORES)
        for name in ("c2c", *terms):
            self.part.addItem(f"Scores: {PART_TITLES[name]}", name)
        self.part.setCurrentIndex(max(self.part.findData(chosen), 0))
        self.part.blockSignals(False)
        self.part.setVisible(source is not None)
        self.part_label.setVisible(source is not None)

    def chosen_part(self) -> str:
        return self.part.currentData() if self.parts_source is not None else ALL_SCORES

    # ----- long inputs -----
    def set_long(self, layerwise: LayerwiseAttention) -> None:
        """Show an input too long for every map at once: the layers run one after another in the
        background (progress below the controls), and the heatmap draws the chosen layer and head pooled
        to the screen's resolution, the exact weight under the mouse looked up at full resolution. Views
        and filters that need every map (model and head view, mean / max of heads, word level, rollout,
        token filters, CSV) are off until a shorter input is shown."""
        self.jobs.cancel("layers")
        self.jobs.cancel("map")
        self.base, self.current, self.long, self._row = None, None, layerwise, None
        self.set_parts_source(None)
        self._fill_choices(layerwise.num_layers, layerwise.num_heads, reductions=False)
        for widget in self._whole_map_controls():
            widget.setEnabled(False)
        for toggle in (self.word_level, self.rollout, self.hide_special):
            toggle.setChecked(False)
        for view in (MODEL_VIEW, HEAD_VIEW):
            self.views.setTabEnabled(view, False)
        self.views.setCurrentIndex(HEATMAP)
        self.long_progress.show()
        self._show_layers_ready(layerwise.layers_ready, layerwise.num_layers)
        self.setEnabled(True)
        self.refresh()  # the first layer's map comes first; the layers above start once it is drawn

    def _start_layers(self) -> None:
        layerwise = self.long
        if (
            layerwise is None
            or self.jobs.is_running("layers")
            or layerwise.layers_ready == layerwise.num_layers
        ):
            return
        self.jobs.submit(
            "layers",
            lambda job: layerwise.run_all(job.progress, job.stopped),
            lambda _: None,
            lambda exc: show_error(self, exc, "Could not compute the layers"),
            on_progress=self._layers_progressed,
        )

    def _whole_map_controls(self) -> list[QWidget]:
        return [
            self.hide_special,
            self.direction,
            self.word_level,
            self.rollout,
            self.filter_mode,
            self.filter_slider,
            self.export_csv_button,
        ]

    def _leave_long(self) -> None:
        if self.long is None:
            return
        self.jobs.cancel("layers")
        self.jobs.cancel("map")
        self.long, self._row = None, None
        for widget in self._whole_map_controls():
            widget.setEnabled(True)
        for view in (MODEL_VIEW, HEAD_VIEW):
            self.views.setTabEnabled(view, True)
        self.long_progress.hide()
        self.base = None  # the next maps refill the layer and head choices

    def _show_layers_ready(self, ready: int, total: int) -> None:
        wanted = self.layer.value()
        waiting = f" Layer {wanted} is drawn once the layers below it are done." if wanted >= ready else ""
        done = "every layer is ready" if ready == total else f"{ready} of {total} layers ready"
        self.long_progress.setText(f"Long input, computed a layer at a time: {done}.{waiting}")

    def _layers_progressed(self, ready: int, total: int) -> None:
        if self.long is None:
            return
        self._show_layers_ready(ready, total)
        if self.layer.value() == ready - 1:  # the layer asked for has just become ready
            self.refresh()

    def _refresh_long(self) -> None:
        layerwise, layer, head = self.long, self.layer.value(), self.head.currentData()
        self._show_layers_ready(layerwise.layers_ready, layerwise.num_layers)
        if head is None or layer >= layerwise.layers_ready:
            return
        blocks = int(np.clip(self.heatmap.graphics.width(), MIN_BLOCKS, MAX_BLOCKS))
        title = self.long_title(layer, head)

        def done(pooled) -> None:
            if layerwise is self.long:
                self.heatmap.set_pooled(
                    pooled,
                    layerwise.encoding.tokens,
                    title,
                    lambda row, col: self.exact(layer, head, row, col),
                )
                self._start_layers()

        self.jobs.submit(
            "map",
            lambda job: layerwise.pooled_map(layer, head, blocks),
            done,
            lambda exc: show_error(self, exc, "Could not compute the map"),
        )

    def long_title(self, layer: int, head: int) -> str:
        window = self.long.local_window(layer)
        kind = "global" if window is None else f"local ±{window}, hatched: outside the window"
        return f"Layer {layer} ({kind}) · head {head}"

    def exact(self, layer: int, head: int, row: int, col: int) -> float | None:
        """The weight query `row` gives key `col`, at full resolution (None while the layer's queries and
        keys are not at hand: a row is then more than a product away)."""
        key = (layer, head, row)
        if self._row is None or self._row[0] != key:
            if self.long is None or not self.long.has_scores(layer):
                return None
            self._row = (key, self.long.row(layer, head, row))
        return float(self._row[1][col])

    def _fill_choices(self, layers: int, heads: int, reductions: bool = True) -> None:
        widgets = (self.layer, self.head)
        for widget in widgets:
            widget.blockSignals(True)
        self.layer.setRange(0, layers - 1)
        self.head.clear()
        for head in range(heads):
            self.head.addItem(f"Head {head}", head)
        if reductions:
            self.head.addItem("Mean of heads", "mean")
            self.head.addItem("Max of heads", "max")
        for widget in widgets:
            widget.blockSignals(False)

    def derived_key(self) -> tuple[bool, bool]:
        return self.word_level.isChecked(), self.rollout.isChecked()

    def shown_maps(self) -> AttentionMaps | None:
        """The maps the views draw (word-level and / or rolled out as the toggles say), None while
        they are still being computed."""
        return self._derived.get(self.derived_key())

    def _derive(self, key: tuple[bool, bool]) -> None:
        """Compute word-level / rolled-out maps off the GUI thread, then draw them."""
        base = self.base

        def work(job) -> AttentionMaps:
            maps = base.rollout() if key[1] else base
            return maps.to_word_level() if key[0] else maps

        def done(maps: AttentionMaps) -> None:
            if base is self.base:
                self._derived[key] = maps
                self.refresh()

        self.views.setEnabled(False)
        self.jobs.submit(
            "derive", work, done, lambda exc: show_error(self, exc, "Could not compute the view")
        )

    def options(self) -> ViewOptions:
        value = self.filter_slider.value()
        threshold_mode = self.filter_mode.currentIndex() == 0
        chosen = self.head.currentData()
        return ViewOptions(
            layer=self.layer.value(),
            head=0 if self.rollout.isChecked() else chosen if chosen is not None else 0,
            hide_special=self.hide_special.isChecked(),
            direction=self.direction.currentData() if self.direction.isEnabled() else "all",
            min_weight=value / 100 if threshold_mode else 0.0,
            top_percent=100.0 if threshold_mode else float(max(value, 1)),
        )

    # ----- drawing -----
    def _compute_parts(self) -> None:
        base, source = self.base, self.parts_source

        def done(parts: AttentionParts) -> None:
            if base is self.base and source is self.parts_source:
                self.parts = parts
                self.refresh()

        self.views.setEnabled(False)
        self.jobs.submit(
            "parts",
            lambda job: source(),
            done,
            lambda exc: show_error(self, exc, "Could not split the scores"),
        )

    def part_view(self, part: str) -> ViewMatrix:
        """One part of the scores as the heatmap draws it: token level, weight filters off (scores are
        signed and unbounded)."""
        options = replace(self.options(), min_weight=-np.inf, top_percent=100.0)
        return view_matrix(replace(self.base, maps=self.parts.parts[part]), options)

    def refresh(self) -> None:
        if self.long is not None:
            self._refresh_long()
            return
        if self.base is None:
            return
        part = self.chosen_part() if self.views.currentIndex() == HEATMAP else ALL_SCORES
        for toggle in (self.word_level, self.rollout):
            toggle.setEnabled(part == ALL_SCORES)
            if part != ALL_SCORES:
                toggle.setChecked(False)
        self.head.setEnabled(not self.rollout.isChecked())
        self._update_filter_label()
        maps, options = self.shown_maps(), self.options()
        if maps is None:
            self._derive(self.derived_key())
            return
        if part != ALL_SCORES and self.parts is None:
            self._compute_parts()
            return
        self.views.setEnabled(True)
        self.current = view_matrix(maps, options) if part == ALL_SCORES else self.part_view(part)
        index = self.views.currentIndex()
        if index == HEATMAP:
            title = self.title() + ("" if part == ALL_SCORES else f" · {PART_TITLES[part]} scores")
            self.heatmap.set_view(self.current, title, signed=part != ALL_SCORES)
        elif index == MODEL_VIEW:
            rows, cols = shown_positions(maps, options)
            everything = len(rows) == len(cols) == len(maps.tokens)
            grid = maps.maps if everything else maps.maps[:, :, np.asarray(rows)[:, None], np.asarray(cols)]
            head = options.head if isinstance(options.head, int) else None
            masked = [maps.outside_window(layer, rows, cols) for layer in range(maps.num_layers)]
            self.model_view.set_maps(
                grid,
                (options.layer, head) if head is not None else None,
                masked=None
                if all(m is None for m in masked)
                else np.stack([np.zeros((len(rows), len(cols)), bool) if m is None else m for m in masked]),
                kinds=[maps.layer_kind(layer) for layer in range(maps.num_layers)],
            )
        else:
            head = options.head
            color = head_color(head if isinstance(head, int) else 0)
            self.head_view.set_heads([(self._head_name(head), color, self.current)])

    def _head_name(self, head: int | str) -> str:
        if self.rollout.isChecked():
            return "rollout"
        return f"L{self.layer.value()} " + (f"H{head}" if isinstance(head, int) else f"{head} of heads")

    def title(self) -> str:
        if self.rollout.isChecked():
            return f"Rollout through layer {self.layer.value()}"
        head = self.head.currentData()
        which = f"head {head}" if isinstance(head, int) else f"{head} over heads"
        kind = self.base.layer_kind(self.layer.value()) if self.base is not None else ""
        if kind.startswith("local"):
            kind += ", hatched: outside the window"
        return f"Layer {self.layer.value()}" + (f" ({kind})" if kind else "") + f" · {which}"

    def _reset_filter(self) -> None:
        self.filter_slider.setValue(0 if self.filter_mode.currentIndex() == 0 else 100)

    def _update_filter_label(self) -> None:
        value = self.filter_slider.value()
        self.filter_label.setText(
            f"≥ {value / 100:.2f}" if self.filter_mode.currentIndex() == 0 else f"top {value}%"
        )

    # ----- navigation -----
    def step(self, layers: int, heads: int) -> None:
        """Move by `layers` and `heads` (arrow keys); wraps around at the ends."""
        if self.base is None and self.long is None:
            return
        if layers:
            self.layer.setValue((self.layer.value() + layers) % (self.layer.maximum() + 1))
        if heads and self.head.isEnabled():
            self.head.setCurrentIndex((self.head.currentIndex() + heads) % self.head.count())

    def open_head(self, layer: int, head: int) -> None:
        """Open one thumbnail of the model view in the heatmap."""
        self.rollout.setChecked(False)
        self.layer.setValue(layer)
        self.head.setCurrentIndex(head)
        self.views.setCurrentIndex(HEATMAP)
        self.heatmap.setFocus()

    # ----- export -----
    def current_view_widget(self) -> QWidget:
        return (self.heatmap.graphics, self.model_view, self.head_view)[self.views.currentIndex()]

    def export_image(self, path: str | Path) -> None:
        export_widget(self.current_view_widget(), path)

    def export_csv(self, path: str | Path) -> None:
        write_matrix_csv(path, self.current)

    def _choose_image_file(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Export view", "attention.png", EXPORT_FILTERS)
        if path:
            if not Path(path).suffix:
                path += ".svg" if "svg" in chosen.lower() else ".png"
            try:
                self.export_image(path)
            except (BertStudioError, OSError) as exc:
                show_error(self, exc, "Could not export the view")
            else:
                announce_saved(self, path)

    def _choose_csv_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export numbers", "attention.csv", "CSV (*.csv)")
        if path and self.current is not None:
            try:
                self.export_csv(path)
            except (BertStudioError, OSError) as exc:
                show_error(self, exc, "Could not export the numbers")
            else:
                announce_saved(self, path)
