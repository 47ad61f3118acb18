"""2D scatter of embeddings for the projector: 100k points stay interactive.

Speed: one SpriteScatter per colour group (a pre-rendered dot stamped at every position in one
drawPixmapFragments call, refilled in milliseconds), no per-point hover items (the point under the mouse
is found with one numpy pass over the positions, in screen pixels, at most 30 times a second), and
selection outlines drawn as one curve. Hovering shows a point's text; a click emits its position; in box or lasso
mode a drag selects the points inside and emits their positions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

from bertstudio.embeddings.selection import points_in_box, points_in_polygon
from bertstudio.gui.widgets.sprite_scatter import SpriteScatter
from bertstudio.gui.widgets.themed_plot import ThemedPlotWidget

MAX_GROUPS = 12  # colours; the rarer values share "other"
OTHER = "(other)"
HOVER_PIXELS = 8  # how near the mouse a point must be to count as under it
MODES = ("pan", "box", "lasso")
FIXED_COLOURS = {"correct": "#2ca02c", "wrong": "#d62728"}
# Tableau's ten qualitative colours, then two more: neighbouring groups stay tellable apart
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
)  # fmt: skip


class SelectionViewBox(pg.ViewBox):
    """A ViewBox that, in box or lasso mode, turns a left-button drag into a selection outline (in data
    coordinates) instead of a pan; the right button still zooms and the wheel still scales."""

    outline_finished = Signal(object)  # (k, 2) array: the box's corners or the lasso's path

    def __init__(self) -> None:
        super().__init__()
        self.mode = "pan"
        self.trace: list[tuple[float, float]] = []
        self.outline = pg.PlotCurveItem(pen=pg.mkPen("#ff7f0e", width=2, style=Qt.PenStyle.DashLine))
        self.outline.setZValue(10)
        self.addItem(self.outline, ignoreBounds=True)

    def mouseDragEvent(self, event, axis=None) -> None:  # noqa: N802 (pyqtgraph's name)
        if self.mode == "pan" or event.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(event, axis)
            return
        event.accept()
        here = self.mapSceneToView(event.scenePos())
        if event.isStart():
            start = self.mapSceneToView(event.buttonDownScenePos())
            self.trace = [(start.x(), start.y())]
        self.trace.append((here.x(), here.y()))
        shape = self.shape_of_trace()
        closed = np.vstack([shape, shape[:1]])
        self.outline.setData(closed[:, 0], closed[:, 1])
        if event.isFinish():
            self.outline.setData([], [])
            self.outline_finished.emit(shape)

    def shape_of_trace(self) -> np.ndarray:
        trace = np.asarray(self.trace, np.float64)
        if self.mode == "box":
            (x0, y0), (x1, y1) = trace[0], trace[-1]
            return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        return trace


class ProjectorView(ThemedPlotWidget):
    hovered = Signal(str)  # the text of the point under the mouse, "" when none
    point_clicked = Signal(int)  # position of the clicked point in the projected rows
    selection_changed = Signal(object)  # np.ndarray of the selected positions

    def __init__(
        self, title: str = "Embedding projector: hover a point, click it for its neighbours"
    ) -> None:
        self.view_box = SelectionViewBox()
        super().__init__("projectorView", title, view_box=self.view_box)
        self.view_box.outline_finished.connect(self._outline_finished)
        self.legend = self.addLegend(offset=(-10, 10))
        self.group_items: list[SpriteScatter] = []
        self.group_names: list[str] = []
        self.members: list[np.ndarray] = []
        self.marked = SpriteScatter("#ff7f0e", size=9, hollow=True)
        self.clicked_marker = pg.ScatterPlotItem(
            size=14, pen=pg.mkPen("#000000", width=2), brush=None, symbol="o", pxMode=True
        )
        for number, item in enumerate((self.marked, self.clicked_marker)):
            item.setZValue(5 + number)
            self.addItem(item)
        self.points = np.empty((0, 2), np.float32)
        self.texts: list[str] = []
        self.groups: list[str] = []
        self.selected = np.empty(0, np.int64)
        self._hover_proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved)
        self.scene().sigMouseClicked.connect(self._mouse_clicked)

    # ----- data -----
    def set_points(
        self,
        points: np.ndarray,
        texts: Sequence[str],
        groups: Sequence[str] | None,
        keep_view: bool = False,
    ) -> None:
        """Show `points` (n, 2) with their texts, coloured by `groups` (one value per point, None: one
        colour). keep_view: leave the zoom as it is (scrubbing frames of the same rows)."""
        self.points = np.ascontiguousarray(points, np.float32)
        self.texts = list(texts)
        self.set_groups(groups)
        self.select(np.empty(0, np.int64))
        if not keep_view:
            self.autoRange()

    def set_groups(self, groups: Sequence[str] | None) -> None:
        """Recolour the points without moving them."""
        self.groups = _grouped(groups) if groups is not None else [""] * len(self.texts)
        for item in self.group_items:
            self.removeItem(item)
        self.legend.clear()
        names = sorted(set(self.groups), key=lambda g: (g == OTHER, g))
        number_of = {name: number for number, name in enumerate(names)}
        codes = np.fromiter((number_of[g] for g in self.groups), np.int64, len(self.groups))
        order = np.argsort(codes, kind="stable")
        ends = np.searchsorted(codes[order], np.arange(len(names)), side="right")
        self.members = np.split(order, ends[:-1])  # positions of each group's points
        self.group_items, self.group_names = [], names
        self.clicked_marker.setData([], [])
        for number, (name, positions) in enumerate(zip(names, self.members)):
            item = SpriteScatter(FIXED_COLOURS.get(name) or PALETTE[number % len(PALETTE)])
            item.setData(x=self.points[positions, 0], y=self.points[positions, 1])
            self.addItem(item)
            self.group_items.append(item)
            if groups is not None:
                self.legend.addItem(item, f"{name or '(empty)'} ({len(positions):,})")

    def move_points(self, points: np.ndarray) -> None:
        """New positions for the same rows (another frame of a run), colours and zoom kept."""
        self.points = np.ascontiguousarray(points, np.float32)
        self.clicked_marker.setData([], [])
        for item, positions in zip(self.group_items, self.members):
            item.setData(x=self.points[positions, 0], y=self.points[positions, 1])
        self.select(self.selected)

    # ----- interaction -----
    def set_mode(self, mode: str) -> None:
        """ "pan" (drag pans, click picks a point), "box" or "lasso" (drag selects)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.view_box.mode = mode

    def point_near(self, x: float, y: float, pixels: float = HOVER_PIXELS) -> int | None:
        """The position of the point nearest (x, y) in data coordinates, if within `pixels` on screen."""
        if not len(self.points):
            return None
        width, height = self.view_box.viewPixelSize()  # data units per pixel
        dx = (self.points[:, 0] - x) / max(width, 1e-30)
        dy = (self.points[:, 1] - y) / max(height, 1e-30)
        distances = dx * dx + dy * dy
        nearest = int(distances.argmin())
        return nearest if distances[nearest] <= pixels * pixels else None

    def select_box(self, corner: Sequence[float], opposite: Sequence[float]) -> np.ndarray:
        return self.select(points_in_box(self.points, corner, opposite))

    def select_lasso(self, polygon: np.ndarray) -> np.ndarray:
        return self.select(points_in_polygon(self.points, polygon))

    def select(self, positions: np.ndarray) -> np.ndarray:
        self.selected = np.asarray(positions, np.int64)
        self.marked.setData(x=self.points[self.selected, 0], y=self.points[self.selected, 1])
        self.selection_changed.emit(self.selected)
        return self.selected

    def hover_text(self, position: int) -> str:
        group = f" [{self.groups[position]}]" if self.groups[position] else ""
        text = self.texts[position]
        return (text if len(text) <= 150 else text[:147] + "...") + group

    def _outline_finished(self, shape: np.ndarray) -> None:
        if self.view_box.mode == "box":
            self.select_box(shape[0], shape[2])
        else:
            self.select_lasso(shape)

    def _mouse_moved(self, args) -> None:
        position = self._point_at_scene(args[0])
        self.hovered.emit(self.hover_text(position) if position is not None else "")

    def _mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        position = self._point_at_scene(event.scenePos())
        if position is not None:
            self.pick(position)

    def pick(self, position: int) -> None:
        """Ring the point at `position` and emit point_clicked (what a click on it does)."""
        self.clicked_marker.setData(x=self.points[[position], 0], y=self.points[[position], 1])
        self.point_clicked.emit(position)

    def _point_at_scene(self, scene_position: QPointF) -> int | None:
        if not self.view_box.sceneBoundingRect().contains(scene_position):
            return None
        here = self.view_box.mapSceneToView(scene_position)
        return self.point_near(here.x(), here.y())


def _grouped(values: Sequence[str]) -> list[str]:
    """The values, with all but the MAX_GROUPS - 1 most common replaced by OTHER when there are more."""
    counts = Counter(values)
    if len(counts) <= MAX_GROUPS:
        return list(values)
    kept = {value for value, _ in counts.most_common(MAX_GROUPS - 1)}
    return [value if value in kept else OTHER for value in values]
