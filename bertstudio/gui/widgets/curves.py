"""Live training curves (pyqtgraph): loss raw and smoothed, validation loss, the chosen metric, the
learning rate. Points go into growing numpy buffers; the plots redraw from them on a ~10 Hz timer, so
a fast run never floods the event loop, and 100,000 points per series stay interactive (clip to view,
peak downsampling)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bertstudio.atomic import atomic_write_text
from bertstudio.errors import BertStudioError
from bertstudio.gui import theme
from bertstudio.gui.error_dialog import show_error
from bertstudio.gui.widgets.attention_export import announce_saved, export_widget
from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget
from bertstudio.gui.widgets.x_extent import XExtent, stepped_range

REDRAW_INTERVAL_MS = 100
READOUT_PROMPT = "Move the mouse over a plot to read values."
MINIMUM_X_SPAN = {"step": 10.0, "epoch": 0.01}


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average (weight 0 = raw, 0.99 = very smooth)."""
    smoothed, _ = smooth_continue(values, weight, 0.0, 0)
    return smoothed


def smooth_continue(values: np.ndarray, weight: float, last: float, count: int) -> tuple[np.ndarray, tuple]:
    """Smooth `values` continuing from the state (last, count) of earlier points; returns the new state too."""
    out = np.empty(len(values))
    for i, value in enumerate(values):
        if not math.isfinite(value):
            out[i] = value
            continue
        last = last * weight + (1.0 - weight) * value
        count += 1
        out[i] = last / (1.0 - weight**count) if weight > 0 else value
    return out, (last, count)


class SeriesBuffer:
    """Growing arrays of (step, epoch, value); appends are amortised O(1)."""

    def __init__(self) -> None:
        self._data = np.empty((3, 1024))
        self.size = 0

    def append(self, step: float, epoch: float, value: float) -> None:
        if self.size == self._data.shape[1]:
            self._data = np.concatenate([self._data, np.empty_like(self._data)], axis=1)
        self._data[:, self.size] = (step, epoch, value)
        self.size += 1

    @property
    def steps(self) -> np.ndarray:
        return self._data[0, : self.size]

    @property
    def epochs(self) -> np.ndarray:
        return self._data[1, : self.size]

    @property
    def values(self) -> np.ndarray:
        return self._data[2, : self.size]

    def x(self, axis: str) -> np.ndarray:
        return self.epochs if axis == "epoch" else self.steps


def make_curve(
    plot: pg.PlotWidget, color: str, name: str, width: float = 2.0, alpha: int = 255
) -> pg.PlotDataItem:
    color_with_alpha = pg.mkColor(color)
    color_with_alpha.setAlpha(alpha)
    curve = plot.plot([], [], pen=pg.mkPen(color=color_with_alpha, width=width), name=name)
    curve.setClipToView(True)
    curve.setDownsampling(auto=True, method="peak")
    curve.setSkipFiniteCheck(True)
    return curve


class LiveCurves(QWidget):
    """The Train page's plots; feed it with add_step / add_eval, it redraws itself."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("liveCurves")
        self.train_loss = SeriesBuffer()
        self.learning_rate = SeriesBuffer()
        self.eval_series: dict[str, SeriesBuffer] = {}
        self._smoothed = np.empty(0)
        self._smooth_state: tuple = (0.0, 0)
        self._dirty = False
        self._drawn: dict[pg.PlotDataItem, tuple[str, int]] = {}  # what each curve shows: (series, points)
        self._preferred_metric = ""
        self.run_name = ""

        self.x_axis_combo = QComboBox()
        self.x_axis_combo.setObjectName("xAxisCombo")
        self.x_axis_combo.addItem("Step", "step")
        self.x_axis_combo.addItem("Epoch", "epoch")
        self.x_axis_combo.currentIndexChanged.connect(self._axis_changed)
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setObjectName("smoothingSlider")
        self.smoothing_slider.setAccessibleName("Smoothing")
        self.smoothing_slider.setRange(0, 99)
        self.smoothing_slider.setValue(60)
        self.smoothing_slider.setFixedWidth(100)
        self.smoothing_slider.setToolTip("Exponential moving average of the training loss, as in TensorBoard")
        self.smoothing_label = QLabel("0.60")
        self.smoothing_slider.valueChanged.connect(self._smoothing_changed)
        self.log_check = QCheckBox("Log scale")
        self.log_check.setObjectName("logScaleCheck")
        self.log_check.toggled.connect(self._log_changed)
        self.metric_combo = QComboBox()
        self.metric_combo.setObjectName("metricCombo")
        self.metric_combo.setToolTip("Validation metric shown in the middle plot")
        self.metric_combo.setMinimumWidth(110)
        self.metric_combo.currentIndexChanged.connect(self._metric_changed)
        export_menu = QMenu(self)
        export_menu.addAction("Curves as PNG image...", lambda: self._choose_export("png"))
        export_menu.addAction("Curves as CSV table...", lambda: self._choose_export("csv"))
        export_button = QToolButton()
        export_button.setObjectName("exportCurvesButton")
        export_button.setText("Export")
        export_button.setToolTip("Save the curves as a PNG image or a CSV table")
        export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_button.setMenu(export_menu)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("X axis"))
        controls.addWidget(self.x_axis_combo)
        controls.addSpacing(8)
        controls.addWidget(QLabel("Smoothing"))
        controls.addWidget(self.smoothing_slider)
        controls.addWidget(self.smoothing_label)
        controls.addSpacing(8)
        controls.addWidget(self.log_check)
        controls.addSpacing(8)
        controls.addWidget(QLabel("Metric"))
        controls.addWidget(self.metric_combo)
        controls.addStretch(1)
        controls.addWidget(export_button)

        self.loss_plot = ThemedPlotWidget("lossPlot", "Loss", "loss")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.metric_plot = ThemedPlotWidget("metricPlot", "Validation metric", "")
        self.lr_plot = ThemedPlotWidget("learningRatePlot", "Learning rate", "lr")
        for plot in (self.metric_plot, self.lr_plot):
            plot.setXLink(self.loss_plot)
        for plot in (self.loss_plot, self.metric_plot, self.lr_plot):
            plot.getAxis("left").setWidth(64)  # the same width keeps the linked x axes aligned
            plot.setLabel("bottom", "step", color=theme.plot_colors()[1])
        colors = theme.SERIES_COLORS
        self.raw_curve = make_curve(self.loss_plot, colors[0], "train (raw)", width=1.0, alpha=70)
        self.smooth_curve = make_curve(self.loss_plot, colors[0], "train (smoothed)")
        self.val_loss_curve = make_curve(self.loss_plot, colors[1], "validation")
        self.val_loss_curve.setSymbol("o")
        self.val_loss_curve.setSymbolSize(6)
        self.val_loss_curve.setSymbolBrush(pg.mkBrush(colors[1]))
        self.metric_curve = make_curve(self.metric_plot, colors[2], "metric")
        self.metric_curve.setSymbol("o")
        self.metric_curve.setSymbolSize(6)
        self.metric_curve.setSymbolBrush(pg.mkBrush(colors[2]))
        self.lr_curve = make_curve(self.lr_plot, colors[4], "learning rate")
        self.x_extents = [XExtent() for _ in range(3)]
        for plot, extent in zip(
            (self.loss_plot, self.metric_plot, self.lr_plot), self.x_extents, strict=True
        ):
            plot.addItem(extent)

        self.crosshairs = []
        for plot in (self.loss_plot, self.metric_plot, self.lr_plot):
            line = pg.InfiniteLine(
                angle=90, movable=False, pen=pg.mkPen((128, 128, 128), style=Qt.PenStyle.DashLine)
            )
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self.crosshairs.append(line)
            plot.scene().sigMouseMoved.connect(lambda pos, p=plot: self._mouse_moved(p, pos))
        self.readout = QLabel(READOUT_PROMPT)
        self.readout.setObjectName("curveReadout")
        self.readout.setProperty("role", "muted")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.plots = QSplitter(Qt.Orientation.Vertical)
        self.plots.addWidget(self.loss_plot)
        self.plots.addWidget(self.metric_plot)
        self.plots.addWidget(self.lr_plot)
        self.plots.setSizes([500, 300, 200])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.readout)

        self._show_empty()
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_INTERVAL_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    # ----- data in -----
    def clear(self) -> None:
        self.train_loss = SeriesBuffer()
        self.learning_rate = SeriesBuffer()
        self.eval_series = {}
        self._smoothed = np.empty(0)
        self._smooth_state = (0.0, 0)
        self.metric_combo.clear()
        self._redraw_all()  # the old points leave the plots now, before their ranges are reset
        self._show_empty()

    def _show_empty(self) -> None:
        """No read-out, no crosshair, and axes from 0 (not the ranges of the run before)."""
        for line in self.crosshairs:
            line.hide()
        self.readout.setText(READOUT_PROMPT)
        for plot in (self.loss_plot, self.metric_plot, self.lr_plot):
            plot.show_empty_axes(MINIMUM_X_SPAN[self._axis()])

    def add_step(self, step: float, epoch: float, loss: float, learning_rate: float) -> None:
        self.train_loss.append(step, epoch, loss)
        self.learning_rate.append(step, epoch, learning_rate)
        self._dirty = True

    def add_eval(self, step: float, epoch: float, metrics: dict) -> None:
        """Scalar metrics of one validation pass; lists (per-class scores, matrices) are skipped."""
        for name, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if name not in self.eval_series:
                    self.eval_series[name] = SeriesBuffer()
                    if name != "loss":
                        self.metric_combo.addItem(name)
                        if name == self._preferred_metric:
                            self.metric_combo.setCurrentText(name)
                self.eval_series[name].append(step, epoch, float(value))
        self._dirty = True

    def set_metric(self, name: str) -> None:
        """Show `name` in the metric plot, now or as soon as an evaluation reports it."""
        self._preferred_metric = name
        index = self.metric_combo.findText(name)
        if index >= 0:
            self.metric_combo.setCurrentIndex(index)

    def point_count(self) -> int:
        return self.train_loss.size

    # ----- drawing -----
    def _metric_changed(self) -> None:
        metric = self.metric_combo.currentText()
        self.metric_plot.enableAutoRange()  # the new metric's own range, not the last one's
        self.metric_plot.setTitle(
            f"Validation {metric}" if metric else "Validation metric",
            color=theme.plot_colors()[1],
            size="10pt",
        )
        self._dirty = True

    def _axis(self) -> str:
        return self.x_axis_combo.currentData() or "step"

    def _smoothing(self) -> float:
        return self.smoothing_slider.value() / 100.0

    def _update_smoothed(self) -> None:
        new = self.train_loss.values[len(self._smoothed) :]
        if len(new):
            more, self._smooth_state = smooth_continue(new, self._smoothing(), *self._smooth_state)
            self._smoothed = np.concatenate([self._smoothed, more])

    def redraw(self) -> None:
        """Hand the plots what changed since the last redraw: every setData costs a repaint of its plot."""
        if not self._dirty:
            return
        self._dirty = False
        axis = self._axis()
        self._update_smoothed()
        x = self.train_loss.x(axis)
        self._set_curve(self.raw_curve, x, self.train_loss.values)
        self._set_curve(self.smooth_curve, x, self._smoothed)
        self._set_curve(self.lr_curve, self.learning_rate.x(axis), self.learning_rate.values)
        for curve, name in (
            (self.val_loss_curve, "loss"),
            (self.metric_curve, self.metric_combo.currentText()),
        ):
            series = self.eval_series.get(name) or SeriesBuffer()
            self._set_curve(curve, series.x(axis), series.values, name)
        extent = None
        if len(x):
            extent = stepped_range(float(x[0]), float(x[-1]), MINIMUM_X_SPAN[axis])
        for item in self.x_extents:
            item.set_extent(extent)
        # pyqtgraph fits the auto ranges inside the paint, which changes them and so paints every plot a second
        # time; fitting them now makes one paint per frame.
        for plot in (self.loss_plot, self.metric_plot, self.lr_plot):
            plot.scene().prepareForPaint()

    def _set_curve(self, curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray, name: str = "") -> None:
        if self._drawn.get(curve) == (name, len(y)):
            return
        self._drawn[curve] = (name, len(y))
        curve.setData(x, y)

    def _redraw_all(self) -> None:
        self._drawn.clear()
        self._dirty = True
        self.redraw()

    def _axis_changed(self) -> None:
        axis = self._axis()
        for plot in (self.loss_plot, self.metric_plot, self.lr_plot):
            plot.setLabel("bottom", axis, color=theme.plot_colors()[1])
        self._redraw_all()
        for plot in (self.loss_plot, self.metric_plot, self.lr_plot):
            plot.enableAutoRange()

    def _smoothing_changed(self, value: int) -> None:
        self.smoothing_label.setText(f"{value / 100:.2f}")
        self._smoothed = np.empty(0)
        self._smooth_state = (0.0, 0)
        self._redraw_all()

    def _log_changed(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self.lr_plot.setLogMode(y=on)

    # ----- crosshair -----
    def _mouse_moved(self, plot: pg.PlotWidget, pos: QPointF) -> None:
        if not plot.sceneBoundingRect().contains(pos) or self.train_loss.size == 0:
            return
        x = plot.getPlotItem().vb.mapSceneToView(pos).x()
        axis = self._axis()
        xs = self.train_loss.x(axis)
        index = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
        for line in self.crosshairs:
            line.setPos(xs[index])
            line.show()
        self.readout.setText(self.describe_point(index))

    def describe_point(self, index: int) -> str:
        """The read-out line for training point `index`: step, epoch, losses, metrics at or before it."""
        step = self.train_loss.steps[index]
        self._update_smoothed()
        parts = [
            f"step {step:,.0f}",
            f"epoch {self.train_loss.epochs[index]:.2f}",
            f"loss {self.train_loss.values[index]:.4g}",
            f"smoothed {self._smoothed[index]:.4g}",
            f"lr {self.learning_rate.values[index]:.3g}",
        ]
        for name, series in self.eval_series.items():
            done = np.searchsorted(series.steps, step, side="right")
            if done:
                parts.append(f"val {name} {series.values[done - 1]:.4g} (step {series.steps[done - 1]:,.0f})")
        return "  ·  ".join(parts)

    # ----- export -----
    def set_run_name(self, name: str) -> None:
        """The run the curves show: it heads exported images and names the exported files."""
        self.run_name = name

    def _choose_export(self, kind: str) -> None:
        filters = {"png": "PNG image (*.png)", "csv": "CSV file (*.csv)"}
        suggested = f"{self.run_name or 'curves'}.{kind}"
        path, _ = QFileDialog.getSaveFileName(self, "Export curves", suggested, filters[kind])
        if path:
            try:
                (self.export_png if kind == "png" else self.export_csv)(Path(path))
            except BertStudioError as exc:  # a full or read-only disk
                show_error(self, exc, "Could not export the curves")
            else:
                announce_saved(self, path)

    def export_png(self, path: Path) -> None:
        """The three plots at twice the screen's pixels, headed by the run's name, without the crosshair."""
        self.redraw()
        shown = [line for line in self.crosshairs if line.isVisible()]
        for line in shown:
            line.hide()
        try:
            export_widget(self.plots, path, self.run_name)
        finally:
            for line in shown:
                line.show()

    def export_csv(self, path: Path) -> None:
        """One row per training step: loss raw and smoothed, lr, and validation metrics at their steps."""
        self._update_smoothed()
        names = list(self.eval_series)
        evals = {
            name: dict(zip(s.steps.tolist(), s.values.tolist(), strict=True))
            for name, s in self.eval_series.items()
        }
        header = ["step", "epoch", "train_loss", "train_loss_smoothed", "learning_rate"] + [
            f"val_{n}" for n in names
        ]
        lines = [",".join(header)]
        for i in range(self.train_loss.size):
            step = float(self.train_loss.steps[i])
            row = [
                f"{step:g}",
                f"{self.train_loss.epochs[i]:.6g}",
                f"{self.train_loss.values[i]:.8g}",
                f"{self._smoothed[i]:.8g}",
                f"{self.learning_rate.values[i]:.8g}",
            ]
            row += [f"{evals[n][step]:.8g}" if step in evals[n] else "" for n in names]
            lines.append(",".join(row))
        atomic_write_text(path, "\n".join(lines) + "\n")


def series_from_events(records: Sequence[dict], key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps, epochs, values) of one quantity in metrics.jsonl records: 'train_loss', 'learning_rate',
    or 'val_<metric>' from validation evaluations."""
    rows = []
    for record in records:
        if key in ("train_loss", "learning_rate") and record.get("kind") == "step":
            value = record.get("loss" if key == "train_loss" else "learning_rate")
        elif key.startswith("val_") and record.get("kind") == "eval" and record.get("split") == "validation":
            value = (record.get("metrics") or {}).get(key[4:])
        else:
            continue
        if isinstance(value, (int, float)):
            rows.append((record.get("step", 0), record.get("epoch", 0.0), float(value)))
    if not rows:
        return np.empty(0), np.empty(0), np.empty(0)
    data = np.asarray(rows, dtype=float)
    return data[:, 0], data[:, 1], data[:, 2]
