"""The window at its minimum size (found in the new-user pass): the Train form's right edge was cut off,
and empty plots crowded their ticks on top of each other."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QScrollArea,
    QWidget,
)

from bertstudio.gui.widgets.curves import LiveCurves
from bertstudio.tasks import all_tasks

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")
CONTROLS = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QListWidget, QPlainTextEdit)


def controls(widget: QWidget) -> list[QWidget]:
    """The input controls shown in `widget` (not the line edit inside a combo or spin box)."""
    return [
        child
        for child in widget.findChildren(QWidget)
        if isinstance(child, CONTROLS)
        and child.isVisibleTo(widget)
        and not isinstance(child.parentWidget(), CONTROLS)
    ]


def at_minimum_size(window, page: str) -> None:
    window.go_to(page)
    window.resize(window.minimumSizeHint())
    for _ in range(5):
        QApplication.processEvents()
    assert window.size() == window.minimumSizeHint()


def in_view(control: QWidget, view: QWidget) -> QRect:
    return QRect(control.mapTo(view, QPoint(0, 0)), control.size())


def test_every_control_of_the_train_form_is_in_view_at_the_minimum_size(window, qtbot):
    train = window.train_page
    scroll = train.findChild(QScrollArea)
    assert scroll.widget() is train.form
    at_minimum_size(window, "Train")
    viewport = scroll.viewport()
    for spec in all_tasks():  # each task shows its own rows
        window.controller.set_task(spec.name)
        QApplication.processEvents()
        assert train.form.width() <= viewport.width(), f"{spec.name}: the form is wider than its view"
        for control in controls(train.form):
            place = in_view(
                control, train.form
            )  # scrolled to (a spin box's own scroll shows its cursor only)
            middle = place.center()
            scroll.ensureVisible(middle.x(), middle.y(), place.width() // 2 + 1, place.height() // 2 + 1)
            shown = in_view(control, viewport)
            assert viewport.rect().contains(shown), f"{spec.name}: {control.objectName()} {shown} is cut off"
    left = scroll.parentWidget()  # below the scrolling form: the plan, Find LR, the config buttons
    for control in controls(left):
        if not train.form.isAncestorOf(control):
            shown = in_view(control, left)
            assert left.rect().contains(shown), f"{control.objectName() or control.text()} is cut off"


def drawn_labels(plot) -> list[tuple[str, QRectF]]:
    """The y-axis labels the plot draws now, bottom to top, with their rectangles."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = plot.getAxis("left").generateDrawSpecs(painter)
    finally:
        painter.end()
    return sorted(((text, rect) for rect, _, text in texts), key=lambda label: -label[1].top())


def assert_readable(plot) -> list[str]:
    labels = drawn_labels(plot)
    for (low, below), (high, above) in zip(labels, labels[1:]):
        gap = below.top() - above.bottom()  # at least a line between two labels
        assert gap >= below.height(), f"{plot.objectName()}: {high!r} crowds {low!r} ({gap:.1f} px apart)"
    return [text for text, _ in labels]


def test_empty_plots_at_the_minimum_size_draw_labels_that_do_not_touch(window):
    curves = window.train_page.monitor.curves
    at_minimum_size(window, "Train")
    for plot in (curves.loss_plot, curves.metric_plot, curves.lr_plot):
        assert_readable(plot)


def test_small_empty_plots_draw_two_or_three_labels(qtbot):
    curves = LiveCurves()
    qtbot.addWidget(curves)
    curves.resize(700, 480)
    curves.show()
    qtbot.waitExposed(curves)
    curves.plots.setSizes([1, 1, 1])  # three plots of one height, axes about 90 pixels high
    QApplication.processEvents()
    for plot in (curves.loss_plot, curves.metric_plot, curves.lr_plot):
        assert 60 <= plot.getAxis("left").height() <= 120
        assert assert_readable(plot) in (["0", "0.5", "1.0"], ["0", "1"]), plot.objectName()
