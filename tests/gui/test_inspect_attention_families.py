"""What the attention views show of the newer families, driven through the Inspect page: ModernBERT's
local layers drawn with their masked band and labelled local / global; DeBERTa's heatmap split into
content / position parts."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from bertstudio.gui.pages.inspect_page import InspectPage
from bertstudio.gui.widgets.attention_explorer import HEATMAP, MODEL_VIEW
from bertstudio.gui.widgets.attention_model_view import MASKED_RGB
from bertstudio.inspect import attention, attention_parts
from bertstudio.model import load_pretrained
from tests.core.family_references import save_reference
from tests.gui.test_inspect_views import hover

pytest.importorskip("transformers")
pytestmark = pytest.mark.usefixtures("no_leaked_widgets")

TEXT = "Paris is the capital of France, and Berlin is the capital of Germany."


@pytest.fixture(scope="module")
def family_models(tmp_path_factory):
    """family -> (model, tokenizer) of a random base encoder saved by transformers (built once)."""
    models = {}

    def get(family: str):
        if family not in models:
            folder = tmp_path_factory.mktemp(family)
            architecture = {"modernbert": "ModernBertModel", "deberta-v2": "DebertaV2Model"}[family]
            save_reference(folder, family, architecture)
            models[family] = load_pretrained(folder)
        return models[family]

    return get


def open_page(qtbot, model, tokenizer) -> InspectPage:
    page = InspectPage()
    qtbot.addWidget(page)
    page.resize(1300, 850)
    page.show()
    page.text.setText(TEXT)
    page.set_model(model, tokenizer)
    qtbot.waitUntil(lambda: page.explorer.base is not None, timeout=10_000)
    page.tabs.setCurrentWidget(page.explorer)
    return page


def hover_cell(heatmap, row: int, col: int) -> str:
    time.sleep(0.05)  # pyqtgraph drops mouse moves that come faster than its mouseRateLimit
    scene_point = heatmap.plot.vb.mapViewToScene(QPointF(col + 0.5, row + 0.5))
    hover(heatmap.graphics.viewport(), heatmap.graphics.mapFromScene(scene_point))
    return heatmap.readout.text()


def test_modernbert_local_layers_show_their_window_as_a_masked_band(qtbot, family_models):
    model, tokenizer = family_models("modernbert")  # layer 0 global, layer 1 local with window 8
    page = open_page(qtbot, model, tokenizer)
    explorer, heatmap = page.explorer, page.explorer.heatmap
    qtbot.waitExposed(heatmap)
    length = len(explorer.base.tokens)
    assert length > 10  # longer than the window, so the band leaves keys out

    assert "global" in heatmap.plot.titleLabel.text and not heatmap.masked_band.isVisible()
    explorer.layer.setValue(1)
    assert "local ±4" in heatmap.plot.titleLabel.text
    outside = np.abs(np.arange(length)[:, None] - np.arange(length)[None, :]) > 4
    np.testing.assert_array_equal(heatmap.view.masked, outside)
    assert heatmap.masked_band.isVisible()
    drawn = heatmap.image.image  # masked cells are transparent over the hatching, not zeros
    assert np.isnan(drawn[outside]).all() and not np.isnan(drawn[~outside]).any()
    assert hover_cell(heatmap, 0, 9).endswith("masked (outside this local layer's window)")
    expected = attention(model, tokenizer, TEXT).maps[1, 0, 2, 3]
    assert hover_cell(heatmap, 2, 3).endswith(f"{expected:.4f}")

    explorer.views.setCurrentIndex(MODEL_VIEW)
    view = explorer.model_view
    assert [view.layer_label(0), view.layer_label(1)] == ["L0 global", "L1 local ±4"]
    image = view.grab().toImage()
    corner = view.cell_rect(1, 0).topRight()  # query 0, last key: outside the window
    pixel = image.pixelColor(corner.x() - 2, corner.y() + 2)
    assert (pixel.red(), pixel.green(), pixel.blue()) == MASKED_RGB
    global_corner = view.cell_rect(0, 0).topRight()
    pixel = image.pixelColor(global_corner.x() - 2, global_corner.y() + 2)
    assert (pixel.red(), pixel.green(), pixel.blue()) != MASKED_RGB


def test_deberta_heatmap_splits_its_scores_into_parts(qtbot, family_models):
    model, tokenizer = family_models("deberta-v2")
    page = open_page(qtbot, model, tokenizer)
    explorer, heatmap = page.explorer, page.explorer.heatmap
    assert explorer.part.isVisibleTo(explorer)
    choices = [explorer.part.itemData(i) for i in range(explorer.part.count())]
    assert choices == ["all", "c2c", *model.config.options.position_terms]
    expected = attention_parts(model, tokenizer, TEXT)
    explorer.layer.setValue(1)
    explorer.head.setCurrentIndex(2)
    for name in ("c2c", *model.config.options.position_terms):
        explorer.part.setCurrentIndex(explorer.part.findData(name))
        qtbot.waitUntil(lambda: explorer.parts is not None and explorer.views.isEnabled(), timeout=10_000)
        np.testing.assert_allclose(heatmap.view.matrix, expected.parts[name][1, 2], atol=1e-6)
        assert "scores" in heatmap.plot.titleLabel.text
        assert not explorer.rollout.isEnabled() and not explorer.word_level.isEnabled()
    explorer.part.setCurrentIndex(explorer.part.findData("all"))
    np.testing.assert_allclose(heatmap.view.matrix, explorer.base.maps[1, 2], atol=1e-6)
    assert explorer.views.currentIndex() == HEATMAP and explorer.rollout.isEnabled()


def test_the_parts_selector_is_offered_for_deberta_only(qtbot, family_models):
    page = open_page(qtbot, *family_models("modernbert"))
    assert not page.explorer.part.isVisibleTo(page.explorer)


def test_a_long_input_is_inspected_a_layer_at_a_time_with_exact_weights_on_hover(qtbot, family_models):
    model, tokenizer = family_models("modernbert")
    page = InspectPage()
    qtbot.addWidget(page)
    page.resize(1300, 850)
    page.show()
    page.whole_maps_budget = 1  # every input counts as long here: the path an 8,192-token input takes
    page.text.setText(TEXT)
    page.set_model(model, tokenizer)
    page.tabs.setCurrentWidget(page.explorer)
    explorer, heatmap = page.explorer, page.explorer.heatmap
    qtbot.waitUntil(lambda: heatmap.pooled is not None, timeout=10_000)
    qtbot.waitUntil(lambda: "every layer is ready" in explorer.long_progress.text(), timeout=10_000)
    assert "computed in turn" in page.status.text()
    assert explorer.head.count() == model.config.num_attention_heads  # no mean / max of every head
    assert not explorer.views.isTabEnabled(MODEL_VIEW) and not explorer.rollout.isEnabled()

    explorer.layer.setValue(1)
    explorer.head.setCurrentIndex(2)
    qtbot.waitUntil(lambda: "Layer 1 (local ±4" in heatmap.plot.titleLabel.text, timeout=10_000)
    qtbot.waitUntil(lambda: "head 2" in heatmap.plot.titleLabel.text, timeout=10_000)
    assert heatmap.masked_band.isVisible() and heatmap.pooled.masked.any()
    expected = attention(model, tokenizer, TEXT).maps[1, 2]
    text = hover_cell(heatmap, 2, 3)
    assert (
        text.startswith(f"{explorer.long.encoding.tokens[2]} (#2) → ") and f": {expected[2, 3]:.4f}" in text
    )
    assert hover_cell(heatmap, 0, 9).endswith("masked (outside this local layer's window)")

    page.whole_maps_budget = 2**40  # a short input again: every view is back
    page.analyse()
    qtbot.waitUntil(lambda: explorer.base is not None, timeout=10_000)
    assert explorer.long is None and explorer.views.isTabEnabled(MODEL_VIEW) and explorer.rollout.isEnabled()
    assert explorer.head.count() == model.config.num_attention_heads + 2
