"""Answers shown in their context: the context with the gold span (green) and the predicted span
(orange) highlighted, a chart of every context token's start / end probability drawn above it, and
the n-best list."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem, QTextBrowser

from bertstudio.gui import theme
from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget

GOLD_STYLE = "background-color: #bfe8c4; color: #111;"
PREDICTED_STYLE = "background-color: #ffc58a; color: #111;"
BOTH_STYLE = (
    "background-color: #bfe8c4; color: #111; border-bottom: 3px solid #e07b00; text-decoration: underline;"
)


def highlighted_html(context: str, gold: Sequence[tuple[int, int]], predicted: tuple[int, int] | None) -> str:
    """The context as HTML: characters inside a gold span green, inside the predicted span orange,
    inside both green and underlined."""
    kinds = np.zeros(len(context) + 1, np.int8)
    for start, end in gold:
        kinds[max(start, 0) : max(end, 0)] |= 1
    if predicted is not None and predicted[0] >= 0:
        kinds[predicted[0] : predicted[1]] |= 2
    styles = {1: GOLD_STYLE, 2: PREDICTED_STYLE, 3: BOTH_STYLE}
    parts, start = [], 0
    for position in range(1, len(context) + 1):
        if position == len(context) or kinds[position] != kinds[start]:
            text = html.escape(context[start:position])
            kind = int(kinds[start])
            parts.append(f"<span style='{styles[kind]}'>{text}</span>" if kind else text)
            start = position
    return "<p style='line-height: 150%'>" + "".join(parts) + "</p>"


class ContextView(QTextBrowser):
    """A context with gold and predicted answer spans highlighted (legend in the tooltip)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setAccessibleName("Context with the answer highlighted")
        self.setToolTip("Green: the gold answer; orange: the predicted answer; underlined green: both")
        self.shown = ""

    def show_spans(
        self, context: str, gold: Sequence[tuple[int, int]], predicted: tuple[int, int] | None
    ) -> None:
        self.shown = highlighted_html(context, gold, predicted)
        self.setHtml(self.shown)


class TokenProbabilityChart(ThemedPlotWidget):
    """Start (bars) and end (line) probability of each context token, token text on the x axis."""

    def __init__(self) -> None:
        super().__init__("tokenProbabilityChart", "Answer start / end probability per token", "probability")
        self.setMouseEnabled(x=True, y=False)
        self.setMaximumHeight(200)
        self.addLegend(offset=(-10, 5))
        self.start_bars = pg.BarGraphItem(
            x=[], height=[], width=0.8, brush=pg.mkBrush(theme.SERIES_COLORS[0]), name="start"
        )
        self.end_curve = self.plot(
            [], [], pen=pg.mkPen(theme.SERIES_COLORS[1], width=2), symbol="o", symbolSize=4, name="end"
        )
        self.addItem(self.start_bars)
        self.tokens: list[str] = []

    def set_tokens(self, tokens: Sequence[str], start: np.ndarray, end: np.ndarray) -> None:
        self.tokens = list(tokens)
        x = np.arange(len(tokens))
        self.start_bars.setOpts(x=x, height=np.asarray(start), width=0.8)
        self.end_curve.setData(x, np.asarray(end))
        self.getAxis("bottom").setTicks([[(i, token) for i, token in enumerate(tokens)]])
        self.setXRange(-0.6, max(min(len(tokens), 60) - 0.4, 0.6), padding=0)
        self.setYRange(0, 1.05, padding=0)


class NBestTable(QTableWidget):
    """The candidate answers, best first, with their score and probability."""

    def __init__(self) -> None:
        super().__init__(0, 3)
        self.setObjectName("nBestTable")
        self.setAccessibleName("Candidate answers")
        self.setHorizontalHeaderLabels(["Answer", "Score", "Probability"])
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setStretchLastSection(True)
        self.setColumnWidth(0, 320)

    def set_candidates(self, candidates) -> None:
        self.setRowCount(len(candidates))
        for row, candidate in enumerate(candidates):
            text = candidate.text if candidate.char_start >= 0 else "(no answer)"
            for col, value in enumerate((text, f"{candidate.score:.3f}", f"{candidate.probability:.1%}")):
                self.setItem(row, col, QTableWidgetItem(value))
