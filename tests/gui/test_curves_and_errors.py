"""Curves widget (smoothing, 100,000 points, crosshair read-out, exports) and error dialogs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from bertstudio.errors import DataImportError
from bertstudio.gui.error_dialog import ErrorDialog, describe, show_error
from bertstudio.gui.widgets.curves import LiveCurves, series_from_events, smooth, smooth_continue
from bertstudio.gui.widgets.x_extent import nice_ceiling, stepped_range

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


def tensorboard_smoothing(values, weight):
    last, out = 0.0, []
    for i, value in enumerate(values, start=1):
        last = last * weight + (1 - weight) * value
        out.append(last / (1 - weight**i))
    return out


def test_smoothing_is_tensorboards_debiased_average_and_continues_incrementally():
    values = np.random.default_rng(0).normal(size=200)
    np.testing.assert_allclose(smooth(values, 0.9), tensorboard_smoothing(values, 0.9))
    first, state = smooth_continue(values[:120], 0.6, 0.0, 0)
    rest, _ = smooth_continue(values[120:], 0.6, *state)
    np.testing.assert_allclose(np.concatenate([first, rest]), smooth(values, 0.6))
    np.testing.assert_allclose(smooth(values, 0.0), values)


@pytest.fixture
def curves(qtbot):
    widget = LiveCurves()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


def test_one_hundred_thousand_points_stay_interactive(curves, tmp_path):
    steps = 100_000
    for step in range(1, steps + 1):
        curves.add_step(step, step / 1000, 2.0 * math.exp(-step / 20_000), 1e-4)
    curves.set_metric("macro_f1")  # not reported yet: chosen when it arrives
    curves.add_eval(50_000, 50.0, {"loss": 0.9, "accuracy": 0.7, "macro_f1": 0.6, "per_class": {"a": {}}})
    curves.redraw()
    assert curves.point_count() == steps
    assert curves.metric_combo.currentText() == "macro_f1"
    view = curves.loss_plot.getPlotItem().vb
    view.setXRange(10_000, 20_000)
    curves.smoothing_slider.setValue(90)  # recomputes 100k smoothed points
    x, _ = curves.smooth_curve.getData()  # what is drawn: clipped to the view and downsampled
    assert len(x) < 20_000
    assert "step 50,000" in curves.describe_point(49_999) and "val accuracy 0.7" in curves.describe_point(
        49_999
    )
    curves.x_axis_combo.setCurrentIndex(1)
    assert curves.smooth_curve.xData[-1] == pytest.approx(100.0)
    curves.export_csv(tmp_path / "c.csv")
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert len(lines) == steps + 1 and lines[0].endswith("val_loss,val_accuracy,val_macro_f1")
    assert lines[50_000].endswith(",0.9,0.7,0.6") and lines[50_001].endswith(",,,")


def test_nice_ceiling_rounds_up_to_few_round_numbers():
    assert [nice_ceiling(v) for v in (1, 1.1, 7, 9, 10, 11, 0.031, 2_600)] == pytest.approx(
        [1, 1.2, 8, 10, 10, 12, 0.04, 3_000]
    )
    values = np.geomspace(1, 1e6, 5_000)
    ceilings = np.array([nice_ceiling(v) for v in values])
    assert np.all(ceilings >= values) and np.all(ceilings <= values * 4 / 3 + 1e-9)  # data fills >= 75%
    assert len(np.unique(ceilings)) == 6 * 10 + 1  # ten ranges per decade, not one per point
    assert stepped_range(5.0, 5.0, 10.0) == (5.0, 15.0)
    with pytest.raises(ValueError, match="positive"):
        nice_ceiling(0.0)


def test_x_range_moves_in_steps_while_points_arrive(curves, qtbot):
    view = curves.loss_plot.getPlotItem().vb
    ranges = []
    for step in range(1, 301):
        curves.add_step(step, step / 100, 1.0 / step, 1e-4)
        if step % 60 == 0:
            curves.add_eval(step, step / 100, {"loss": 0.5, "accuracy": 0.8})
        curves.redraw()
        QApplication.processEvents()
        ranges.append(tuple(view.viewRange()[0]))
        left, right = ranges[-1]
        assert left <= 1 and right >= step  # every point stays in view
    # 300 points: 16 round ranges from 10 to 300, each settling in one or two frames (symbol padding)
    assert len(set(ranges)) <= 2 * 16
    for plot in (curves.metric_plot, curves.lr_plot):  # the linked plots show the same steps
        assert plot.getPlotItem().vb.viewRange()[0] == pytest.approx(list(ranges[-1]), rel=0.01)
    view.setXRange(100, 120, padding=0)  # a person zooms in: the view stays where they put it
    curves.add_step(301, 3.01, 0.1, 1e-4)
    curves.redraw()
    QApplication.processEvents()
    assert view.viewRange()[0] == pytest.approx([100, 120])


def test_series_from_metrics_records():
    records = [
        {"kind": "step", "step": 1, "epoch": 0.1, "loss": 2.0, "learning_rate": 1e-4},
        {"kind": "eval", "step": 1, "epoch": 0.1, "split": "validation", "metrics": {"accuracy": 0.5}},
        {"kind": "eval", "step": 1, "epoch": 0.1, "split": "test", "metrics": {"accuracy": 0.9}},
        {"kind": "step", "step": 2, "epoch": 0.2, "loss": 1.5, "learning_rate": 2e-4},
    ]
    steps, _, values = series_from_events(records, "train_loss")
    assert list(steps) == [1, 2] and list(values) == [2.0, 1.5]
    assert list(series_from_events(records, "val_accuracy")[2]) == [0.5]


def test_a_bertstudio_error_says_what_and_what_to_do_with_details(qtbot):
    error = DataImportError(
        "Undecodable bytes.", "Choose the encoding.", path="a.csv", line=7, byte_offset=120
    )
    what, hint, details = describe(error)
    assert what == "a.csv, line 7, byte 120: Undecodable bytes." and hint == "Choose the encoding."
    dialog = show_error(None, error)
    assert dialog.isVisible() and not dialog.details_view.isVisible()
    dialog.toggle_button.click()
    assert dialog.details_view.isVisible() and "DataImportError" in dialog.details_view.toPlainText()
    dialog.findChild(type(dialog.toggle_button), "copyDetailsButton").click()
    assert "DataImportError" in QApplication.clipboard().text()
    dialog.close()


def test_other_exceptions_are_unexpected_errors_with_a_traceback(qtbot):
    try:
        {}["missing"]
    except KeyError as exc:
        dialog = show_error(None, exc)
    assert "Unexpected error: KeyError" in dialog.what_label.text()
    assert "Traceback" in dialog.details and "still usable" in dialog.hint_label.text()
    assert isinstance(dialog, ErrorDialog)
    dialog.close()
