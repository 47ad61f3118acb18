"""pyqtgraph plots that follow the window's light / dark palette, also when it changes while open, with
readable axes (plain numbers, log ticks at 1, 2 and 5 per decade)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent

from bertstudio.gui import theme
from bertstudio.gui.widgets.readable_axis import ReadableAxis

EMPTY_Y_RANGE = (0.0, 1.0)  # what a plot without points shows (not the range of the data before)


class ThemedPlotWidget(pg.PlotWidget):
    """A named, titled plot (objectName and accessible name for tests and screen readers)."""

    def __init__(
        self, name: str = "", title: str = "", y_label: str = "", view_box: pg.ViewBox | None = None
    ) -> None:
        axes = {side: ReadableAxis(side) for side in ("left", "bottom")}
        super().__init__(background=theme.plot_colors()[0], axisItems=axes, viewBox=view_box)
        if name:
            self.setObjectName(name)
        if title:
            self.setAccessibleName(title)
            self.setTitle(title, size="10pt")
        if y_label:
            self.setLabel("left", y_label)
        # No grid: its minor lines cost ~20 ms of painting per plot per frame (measured offscreen), which with
        # three live plots at 10 Hz stalled the event loop; the crosshair read-out gives exact values instead.
        self.setMenuEnabled(True)
        self.apply_colors()

    def apply_colors(self) -> None:
        """Background, axes, axis labels and title in the current palette's plot colours."""
        background, foreground = theme.plot_colors()
        self.setBackground(background)
        item = self.getPlotItem()
        for name in ("left", "bottom"):
            axis = self.getAxis(name)
            axis.setTextPen(foreground)
            axis.setPen(foreground)
            if axis.label.isVisible():
                self.setLabel(name, axis.labelText, units=axis.labelUnits or None, color=foreground)
        if item.titleLabel.isVisible() and item.titleLabel.text:
            self.setTitle(item.titleLabel.text, color=foreground, size="10pt")

    def show_empty_axes(self, x_span: float) -> None:
        """Axes of a plot without points: from 0 to `x_span` (10 steps, not pyqtgraph's 0 .. 1 in tenths
        of a step, nor the last data's range); automatic again once points come."""
        self.setRange(xRange=(0.0, x_span), yRange=EMPTY_Y_RANGE, padding=0)
        self.enableAutoRange()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "plotItem", None) is not None:
            self.apply_colors()  # (Qt sends palette changes while PlotWidget is still being built too)
        super().changeEvent(event)
