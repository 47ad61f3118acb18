"""The attention views driven as a user would: hover, keys, filters, clicks, exports."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from bertstudio.gui.widgets.attention_explorer import HEAD_VIEW, HEATMAP, MODEL_VIEW, AttentionExplorer
from bertstudio.inspect import attention
from bertstudio.model import load_pretrained

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


def hover(widget, point) -> None:
    """A real mouse-move event (no button) at `point` in widget coordinates."""
    local = QPointF(point)
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        local,
        QPointF(widget.mapToGlobal(local.toPoint())),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


@pytest.fixture(scope="module")
def pair_maps(tiny_model_dir):
    model, tokenizer = load_pretrained(tiny_model_dir)
    return attention(model, tokenizer, "the movie was unbelievably good", "a fun film")


@pytest.fixture
def explorer(qtbot, pair_maps):
    widget = AttentionExplorer()
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    widget.set_maps(pair_maps)
    return widget


def test_heatmap_hover_reads_out_the_exact_weight(explorer, pair_maps, qtbot):
    heatmap = explorer.heatmap
    qtbot.waitExposed(heatmap)
    plot = heatmap.plot
    row, col = 3, 1
    scene_point = plot.vb.mapViewToScene(QPointF(col + 0.5, row + 0.5))
    viewport_point = heatmap.graphics.mapFromScene(scene_point)
    hover(heatmap.graphics.viewport(), viewport_point)
    expected = f"{pair_maps.maps[0, 0, row, col]:.4f}"
    assert heatmap.readout.text().endswith(expected)
    assert heatmap.readout.text().startswith(f"{pair_maps.tokens[row]} (#{row}) → {pair_maps.tokens[col]}")


def test_keys_step_through_layers_and_heads(explorer, qtbot):
    explorer.heatmap.setFocus()
    qtbot.keyClick(explorer.heatmap, Qt.Key.Key_Down)
    assert explorer.layer.value() == 1 and explorer.heatmap.plot.titleLabel.text == "Layer 1 · head 0"
    qtbot.keyClick(explorer.heatmap, Qt.Key.Key_Right)
    assert explorer.head.currentData() == 1
    qtbot.keyClick(explorer.heatmap, Qt.Key.Key_Right)
    assert explorer.head.currentData() == "mean" and "mean over heads" in explorer.title()
    np.testing.assert_allclose(explorer.current.matrix, explorer.base.maps[1].mean(0), atol=1e-6)
    qtbot.keyClick(explorer.heatmap, Qt.Key.Key_Down)  # wraps round to layer 0
    assert explorer.layer.value() == 0


def test_filters_change_what_is_drawn(explorer, pair_maps, qtbot):
    explorer.hide_special.setChecked(True)
    assert "[CLS]" not in explorer.heatmap.view.row_labels and "[SEP]" not in explorer.heatmap.view.col_labels
    explorer.direction.setCurrentIndex(1)  # A -> B
    assert explorer.heatmap.view.col_labels == ["a", "fun", "film"]
    assert "movie" in explorer.heatmap.view.row_labels and "fun" not in explorer.heatmap.view.row_labels
    explorer.direction.setCurrentIndex(0)
    explorer.word_level.setChecked(True)  # pooled off the GUI thread
    qtbot.waitUntil(lambda: "unbelievably" in explorer.heatmap.view.row_labels, timeout=10_000)
    assert explorer.views.isEnabled()
    explorer.rollout.setChecked(True)
    qtbot.waitUntil(lambda: explorer.shown_maps() is not None, timeout=10_000)
    assert not explorer.head.isEnabled() and explorer.title().startswith("Rollout")
    assert explorer.shown_maps().maps.shape[1] == 1 and "unbelievably" in explorer.heatmap.view.row_labels
    explorer.rollout.setChecked(False)
    explorer.word_level.setChecked(False)
    explorer.filter_mode.setCurrentIndex(1)  # top %
    explorer.filter_slider.setValue(10)
    shown = explorer.heatmap.view.matrix
    assert 0 < np.count_nonzero(shown) <= np.ceil(0.1 * shown.size) + 1
    explorer.filter_mode.setCurrentIndex(0)
    explorer.filter_slider.setValue(30)
    assert (explorer.heatmap.view.matrix[explorer.heatmap.view.matrix > 0] >= 0.3).all()


def test_model_view_click_opens_the_head(explorer, qtbot):
    explorer.views.setCurrentIndex(MODEL_VIEW)
    view = explorer.model_view
    assert (view.layers, view.heads) == (2, 2)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.cell_rect(1, 1).center())
    assert explorer.views.currentIndex() == HEATMAP
    assert (explorer.layer.value(), explorer.head.currentData()) == (1, 1)


def test_head_view_hover_shows_only_that_tokens_lines(explorer, pair_maps):
    explorer.views.setCurrentIndex(HEAD_VIEW)
    view = explorer.head_view
    assert [name for name, _, _ in view.heads] == ["L0 H0"]
    everything = view.visible_lines(view.heads[0][2].matrix).sum()
    hover(view, QPoint(10, int(view.token_y(2))))  # over the third query token
    assert view.focus == ("query", 2)
    focused = view.visible_lines(view.heads[0][2].matrix)
    assert focused.sum() < everything and focused[[0, 1, 3]].sum() == 0 and focused[2].sum() > 0


def test_exports_write_valid_png_svg_and_csv(explorer, tmp_path):
    for index, name in ((HEATMAP, "heatmap"), (MODEL_VIEW, "model"), (HEAD_VIEW, "head")):
        explorer.views.setCurrentIndex(index)
        explorer.export_image(tmp_path / f"{name}.png")
        explorer.export_image(tmp_path / f"{name}.svg")
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        root = ElementTree.parse(tmp_path / f"{name}.svg").getroot()
        assert root.tag.endswith("svg") and len(list(root.iter())) > 5
    explorer.views.setCurrentIndex(HEATMAP)
    explorer.hide_special.setChecked(True)
    explorer.export_csv(tmp_path / "numbers.csv")
    rows = list(csv.reader((tmp_path / "numbers.csv").open(encoding="utf-8")))
    assert rows[0][1:] == [
        f"{c}:{t}" for c, t in zip(explorer.current.cols, explorer.current.col_labels, strict=True)
    ]
    assert float(rows[1][1]) == pytest.approx(float(explorer.current.matrix[0, 0]), rel=1e-5)


def test_thumbnails_keep_a_single_strong_weight():
    from bertstudio.gui.widgets.attention_model_view import THUMB, pooled, thumbnail_grid

    maps = np.zeros((2, 3, 130, 130), dtype=np.float32)
    maps[1, 2, 37, 81] = 0.9
    small = pooled(maps, 13)
    assert small.shape == (2, 3, 13, 13)
    assert small[1, 2, 3, 8] == pytest.approx(0.9) and np.count_nonzero(small) == 1
    grid = thumbnail_grid(maps)
    assert grid.shape[2] == 3 and grid.shape[0] >= 2 * THUMB and grid.shape[1] >= 3 * THUMB


def test_head_view_draws_the_head_chosen_in_the_head_box_with_visible_lines(explorer):
    from bertstudio.gui.widgets.attention_head_view import line_strengths

    explorer.views.setCurrentIndex(HEAD_VIEW)
    explorer.layer.setValue(1)
    explorer.head.setCurrentIndex(explorer.head.findData(1))
    view = explorer.head_view
    assert [name for name, _, _ in view.heads] == ["L1 H1"]
    np.testing.assert_allclose(view.heads[0][2].matrix, explorer.current.matrix)
    explorer.head.setCurrentIndex(explorer.head.findData("mean"))
    assert [name for name, _, _ in view.heads] == ["L1 mean of heads"]
    # each query's strongest line is drawn at full strength, however small the raw weights are
    faint = np.full((4, 40), 0.01)
    faint[:, 3] = 0.03
    strengths = line_strengths(faint)
    assert (strengths.max(axis=1) == 1.0).all() and strengths[0, 0] == pytest.approx(1 / 3)


def test_the_model_view_fits_every_head_in_its_width(qtbot):
    explorer = AttentionExplorer()
    qtbot.addWidget(explorer)
    explorer.resize(1000, 700)
    explorer.show()
    rng = np.random.default_rng(0)
    maps = rng.random((6, 12, 9, 9)).astype(np.float32)
    explorer.views.setCurrentIndex(MODEL_VIEW)
    view = explorer.model_view
    view.set_maps(maps)
    qtbot.waitUntil(lambda: view.width() > 0)
    viewport = explorer.views.currentWidget().viewport().width()
    assert view.cell_rect(0, 11).right() < viewport  # H11 is on screen, not behind a scroll bar
    assert view.cell_at(view.cell_rect(5, 11).center()) == (5, 11)


def test_across_training_without_a_run_has_axes_from_zero(qtbot, tmp_path):
    from bertstudio.gui.widgets.attention_training_panel import TrainingProbesPanel

    panel = TrainingProbesPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    qtbot.waitExposed(panel)
    (x_low, x_high), (y_low, y_high) = panel.curve.getPlotItem().vb.viewRange()
    assert (x_low, x_high, y_low, y_high) == pytest.approx((0, 10, 0, 1), abs=0.05)  # not -400 .. 400
    assert not panel.marker.isVisible()
    panel.open_run(tmp_path)  # not a run: still the empty axes
    assert panel.curve.getPlotItem().vb.viewRange()[0] == pytest.approx([0, 10], abs=0.05)
