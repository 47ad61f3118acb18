"""The Embeddings page's projector, used as a person would: build the index, project it (PCA, UMAP),
hover and click points with the mouse, drag a box or a lasso, export the selection."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from bertstudio.data import DETECT
from tests.gui.conftest import error_dialogs
from tests.gui.test_embeddings_page import write_table

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


@pytest.fixture
def page(qtbot, tiny_model_dir, tmp_path, monkeypatch):
    from bertstudio.gui.pages.embeddings_page import EmbeddingsPage
    from bertstudio.gui.workers import BackgroundJob

    monkeypatch.setenv("BERTSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    page = EmbeddingsPage()
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    page.set_model(tiny_model_dir)
    yield page
    BackgroundJob.wait_all(60_000)


@pytest.fixture
def projected(qtbot, page, tmp_path):
    """The page with a 40-row table indexed and projected with PCA, coloured by its label."""
    page.set_data(write_table(tmp_path / "t.csv", 40), DETECT, "text")
    page.tabs.setCurrentIndex(2)
    tab = page.projector_tab
    tab.project_button.click()
    assert "No index yet" in tab.label.text()
    page.build_button.click()
    qtbot.waitUntil(lambda: page.index is not None, timeout=20_000)
    tab.colour_combo.setCurrentText("label")
    tab.project_button.click()
    qtbot.waitUntil(lambda: "PCA axes explain" in tab.label.text(), timeout=20_000)
    return page


def on_screen(view, x: float, y: float) -> QPoint:
    """Where the data point (x, y) is on the plot's viewport."""
    scene = view.view_box.mapViewToScene(QPointF(x, y))
    return view.mapFromScene(scene)


def drag(view, path: list[QPoint]) -> None:
    """A left-button drag along `path` on the plot's viewport (moves 15 ms apart: pyqtgraph drops
    mouse moves that come faster than its mouse rate limit)."""
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, path[0])
    for point in path[1:]:
        QTest.qWait(15)
        event = QMouseEvent(
            QEvent.Type.MouseMove,
            QPointF(point),
            QPointF(viewport.mapToGlobal(point)),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(viewport, event)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, path[-1])


def test_every_indexed_row_is_plotted_coloured_by_a_column_and_recoloured(projected):
    tab = projected.projector_tab
    view = tab.projector
    assert len(view.points) == 40 and sum(len(item) for item in view.group_items) == 40
    values = projected.index.table.column("label")
    assert view.groups == [values[r] for r in projected.index.entry.rows]
    assert sorted(view.group_names) == ["l0", "l1", "l2"]
    tab.colour_combo.setCurrentText("(none)")
    assert view.group_names == [""] and len(view.points) == 40


def test_hovering_a_point_shows_its_text_and_clicking_lists_its_nearest_neighbours(qtbot, projected):
    tab = projected.projector_tab
    view = tab.projector
    position = 3
    spot = on_screen(view, *view.points[position])
    # another point may lie on the same pixel: the one found is the nearest, and its text is shown
    found = view.point_near(*view.points[position])
    QTest.mouseMove(view.viewport(), spot)
    qtbot.waitUntil(lambda: tab.hover_label.text() == view.hover_text(found), timeout=5_000)
    assert view.texts[found] in tab.hover_label.text() and f"[{view.groups[found]}]" in tab.hover_label.text()
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, spot)
    expected = projected.index.neighbours(found, 10)
    assert [tab.neighbours.item(r, 2).text() for r in range(10)] == [h.values["text"] for h in expected]
    scores = [float(tab.neighbours.item(r, 0).text()) for r in range(10)]
    assert scores == sorted(scores, reverse=True) and projected.index.entry.rows[found] not in [
        h.row for h in expected
    ]
    assert view.texts[found][:100] in tab.neighbours_label.text()


def test_a_box_drag_selects_the_points_inside_and_exports_them_as_csv(qtbot, projected, tmp_path):
    tab = projected.projector_tab
    view = tab.projector
    tab.mode_combo.setCurrentText("Box select")
    low, high = view.points.min(axis=0), view.points.max(axis=0)
    middle, margin = (low + high) / 2, (high - low) / 50
    corner, opposite = on_screen(view, *(low - margin)), on_screen(view, *middle)
    drag(view, [corner, (corner + opposite) / 2, opposite])
    start, end = view.view_box.shape_of_trace()[[0, 2]]  # the box as drawn, in data coordinates
    inside = np.flatnonzero(np.all((view.points >= start) & (view.points <= end), axis=1))
    assert 0 < len(inside) < 40
    assert sorted(view.selected) == sorted(inside)
    assert (
        tab.selection.rowCount() == len(inside)
        and f"{len(inside)} rows selected" in tab.selection_label.text()
    )
    table = projected.index.table
    listed_lines = {int(tab.selection.item(r, 0).text()) for r in range(len(inside))}
    listed = {(tab.selection.item(r, 1).text(), tab.selection.item(r, 2).text()) for r in range(len(inside))}
    assert listed == {(view.groups[p], view.texts[p]) for p in inside}  # colour group, then the text
    rows = projected.index.entry.rows[inside]
    assert listed_lines == {int(table.line_numbers[r]) for r in rows}
    assert tab.export_button.isEnabled()
    target = tmp_path / "out" / "selection.csv"
    tab.export_selection(target)
    with open(target, encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    assert records[0] == ["line", "text", "label"]
    assert sorted(records[1:]) == sorted([[str(table.line_numbers[r]), *table.row(int(r))] for r in rows])
    assert f"{len(inside)} selected rows saved to {target}" in tab.selection_label.text()
    assert not error_dialogs()


def test_a_lasso_drag_selects_the_points_inside_its_path(qtbot, projected):
    tab = projected.projector_tab
    view = tab.projector
    tab.mode_combo.setCurrentText("Lasso select")
    low, high = view.points.min(axis=0), view.points.max(axis=0)
    centre, radius = (low + high) / 2, (high - low) / 2.5
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    path = centre + np.c_[np.cos(angles), np.sin(angles)] * radius
    drag(view, [on_screen(view, x, y) for x, y in path])
    from bertstudio.embeddings.selection import points_in_polygon

    assert len(view.selected) > 0
    expected = points_in_polygon(view.points, view.view_box.shape_of_trace())
    np.testing.assert_array_equal(view.selected, expected)
    assert tab.selection.rowCount() == len(expected)
    tab.mode_combo.setCurrentText("Pan / pick")
    range_before = view.view_box.viewRange()
    drag(view, [on_screen(view, *centre), on_screen(view, *(centre + radius))])
    assert view.view_box.viewRange() != range_before  # panning again, the selection kept
    np.testing.assert_array_equal(view.selected, expected)


def test_umap_runs_off_the_gui_thread_with_progress_and_is_reused(qtbot, projected, tmp_path):
    tab = projected.projector_tab
    tab.method_combo.setCurrentText("UMAP")
    tab.project_button.click()
    assert not tab.project_button.isEnabled() and tab.cancel_button.isEnabled()
    assert "Computing UMAP of 40 rows" in tab.label.text()
    qtbot.waitUntil(lambda: "UMAP (15 neighbours" in tab.label.text(), timeout=400_000)
    assert len(tab.projector.points) == 40 and tab.progress.isHidden() and not tab.cancel_button.isEnabled()
    assert len(list((tmp_path / "cache" / "projections").glob("*-umap-*.npy"))) == 1
    first = tab.projector.points.copy()
    tab.project_button.click()  # from the cache: nothing to wait for, nothing to cancel
    assert not tab.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: tab.project_button.isEnabled(), timeout=10_000)
    np.testing.assert_array_equal(tab.projector.points, first)
    assert not error_dialogs()


def test_cancelling_umap_keeps_nothing_and_the_page_stays_usable(qtbot, projected, tmp_path):
    tab = projected.projector_tab
    tab.method_combo.setCurrentText("UMAP")
    tab.project_button.click()
    tab.cancel_button.click()
    qtbot.waitUntil(lambda: "Cancelled; nothing was saved" in tab.label.text(), timeout=400_000)
    assert tab.project_button.isEnabled() and not tab.cancel_button.isEnabled() and tab.progress.isHidden()
    assert not list((tmp_path / "cache").rglob("*-umap-*.npy"))
    assert len(tab.projector.points) == 40  # the PCA picture is still there
    assert not error_dialogs()
