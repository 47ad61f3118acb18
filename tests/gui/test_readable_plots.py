"""Plots a person can read: log ticks, no scale factors, empty states, exports, bar labels."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from bertstudio.gui.widgets.charts import BarChart, fit_labels
from bertstudio.gui.widgets.curves import READOUT_PROMPT, LiveCurves
from bertstudio.gui.widgets.readable_axis import fitting_levels, log_label, log_ticks

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


@pytest.fixture
def curves(qtbot):
    widget = LiveCurves()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def feed(curves, steps: int = 50) -> None:
    for step in range(1, steps + 1):
        curves.add_step(step, step / 10, 2.0 * 0.93**step, 5e-5 * step / steps)
    curves.add_eval(10, 1.0, {"loss": 0.9, "accuracy": 0.7})
    curves.add_eval(20, 2.0, {"loss": 0.6, "accuracy": 0.8})
    curves.redraw()


def test_log_ticks_are_decades_with_2_and_5_written_as_numbers():
    levels = log_ticks(np.log10(3e-5), np.log10(2e-3))
    decades, subdivisions = (sorted(10**v for v in values) for _, values in levels)
    assert decades == pytest.approx([1e-4, 1e-3])
    assert subdivisions == pytest.approx([5e-5, 2e-4, 5e-4, 2e-3])
    assert [log_label(np.log10(v)) for v in (1e-4, 2e-4, 0.5, 1.0, 20.0)] == [
        "0.0001",
        "0.0002",
        "0.5",
        "1",
        "20",
    ]
    narrow = log_ticks(np.log10(0.3), np.log10(0.9))  # inside one decade: 0.3, 0.4, 0.5 ... too
    assert sorted(round(10**v, 6) for _, values in narrow for v in values) == [
        0.3,
        0.4,
        0.5,
        0.6,
        0.7,
        0.8,
        0.9,
    ]


def test_every_curve_plot_on_log_scale_reads_plain_numbers(curves):
    feed(curves)
    curves.log_check.setChecked(True)
    for plot in (curves.loss_plot, curves.lr_plot):
        axis = plot.getAxis("left")
        low, high = plot.getPlotItem().vb.viewRange()[1]
        labels = [s for _, values in axis.tickValues(low, high, 300) for s in axis.tickStrings(values, 1, 1)]
        assert labels and all(float(label) > 0 for label in labels)  # "0.05", not "10⁻¹·³"


def test_small_values_get_no_scale_factor(curves):
    feed(curves)
    for plot in (curves.loss_plot, curves.metric_plot, curves.lr_plot):
        axis = plot.getAxis("left")
        assert (
            axis.autoSIPrefixScale == 1.0
            and "x0" not in axis.labelString()
            and "(x" not in axis.labelString()
        )


def test_a_new_run_starts_on_empty_plots_without_the_old_read_out(curves, qtbot):
    feed(curves)
    plot = curves.loss_plot
    plot.scene().sigMouseMoved.emit(plot.mapToScene(plot.rect().center()))
    assert curves.readout.text().startswith("step ") and curves.crosshairs[0].isVisible()
    curves.clear()  # what the Train page does when the next run starts
    curves.redraw()
    assert curves.readout.text() == READOUT_PROMPT
    assert not any(line.isVisible() for line in curves.crosshairs)
    for each in (curves.loss_plot, curves.metric_plot, curves.lr_plot):
        (x_low, x_high), (y_low, y_high) = each.getPlotItem().vb.viewRange()
        assert (x_low, x_high, y_low, y_high) == pytest.approx((0, 10, 0, 1), abs=0.05)  # not the last run's


def test_exported_png_is_twice_the_size_headed_by_the_run_and_without_the_crosshair(curves, tmp_path):
    feed(curves)
    curves.set_run_name("minilm-reviews-1")
    curves.export_png(tmp_path / "plain.png")
    plot = curves.loss_plot
    plot.scene().sigMouseMoved.emit(plot.mapToScene(plot.rect().center()))
    assert curves.crosshairs[0].isVisible()
    curves.export_png(tmp_path / "hovered.png")
    assert curves.crosshairs[0].isVisible()  # still there on screen after the export
    image, hovered = QImage(str(tmp_path / "plain.png")), QImage(str(tmp_path / "hovered.png"))
    assert image.width() == 2 * curves.plots.width()
    assert image.height() > 2 * curves.plots.height()  # the title band with the run name
    assert image == hovered  # the crosshair is not in the image


def test_every_export_says_where_it_saved(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QToolButton

    curves = window.train_page.monitor.curves
    feed(curves)
    window.show()
    target = tmp_path / "curves.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    curves.findChild(QToolButton, "exportCurvesButton").menu().actions()[0].trigger()
    assert target.is_file()
    assert window.statusBar().currentMessage() == f"Saved to {target}"


def test_bar_labels_never_overlap(qtbot):
    names = [f"long-section-name-{i}" for i in range(8)]
    width = lambda text: 7.0 * len(text)  # noqa: E731 - a fixed-width font
    labels = fit_labels(names, slot=60, width=width)
    assert all(width(label) <= 60 - 6 for label in labels) and all(label.endswith("…") for label in labels)
    sparse = fit_labels(names, slot=12, width=width)  # not even three characters fit: every k-th bar
    shown = [label for label in sparse if label]
    assert 0 < len(shown) < len(names) and all(len(label) >= 3 for label in shown)
    chart = BarChart("labelChart", "Labels")
    qtbot.addWidget(chart)
    chart.resize(360, 240)
    chart.show()
    qtbot.waitExposed(chart)
    chart.set_bars(names, list(range(8, 0, -1)))
    drawn = chart.shown_labels()
    assert len(drawn) == 8 and drawn != names
    chart.resize(1600, 240)
    qtbot.waitUntil(lambda: chart.shown_labels() == names)


def test_a_short_axis_thins_its_labels_but_keeps_two_in_view():
    """A learning-rate plot 48 pixels high over 0.5e-7 .. 4.1e-7: 2e-07 and 4e-07, not none."""
    assert fitting_levels([(1e-7, 0.0), (5e-8, 0.0)], 0.5e-7, 4.1e-7, 48, 11) == [(2e-7, 0.0)]
    assert fitting_levels([(0.2, 0.0), (0.1, 0.0)], 0.0, 1.0, 300, 11) == [(0.2, 0.0), (0.1, 0.0)]
    assert fitting_levels([(0.2, 0.0), (0.1, 0.0)], 0.0, 1.0, 8, 11) == []  # shorter than a label
