"""The Inspect page on tiny real models: tokens hover-linked to the text, attention computed off the
GUI thread, attributions, fill-mask, head masking and ranking, probes across training."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint

from bertstudio.data import ReadOptions, Table
from bertstudio.gui.pages.inspect_page import InspectPage
from bertstudio.inspect import ProbeRecorder, attention
from bertstudio.model import load_pretrained
from tests.conftest import make_tiny_model_dir
from tests.gui.test_inspect_views import hover

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    return load_pretrained(
        make_tiny_model_dir(tmp_path_factory.mktemp("cls"), "classification", ["neg", "pos"])
    )


@pytest.fixture
def page(qtbot, classifier):
    widget = InspectPage()
    qtbot.addWidget(widget)
    widget.resize(1300, 850)
    widget.show()
    widget.text.setText("the movie was wow ☃")
    widget.set_model(*classifier)
    qtbot.waitUntil(lambda: widget.explorer.base is not None, timeout=10_000)
    return widget


def test_attention_arrives_from_the_background(page, classifier):
    expected = attention(*classifier, "the movie was wow ☃")
    np.testing.assert_allclose(page.explorer.base.maps, expected.maps, atol=1e-6)
    assert "neg" in page.status.text() and page.explorer.isEnabled()


def test_chips_and_source_text_highlight_each_other(page):
    panel = page.tokens_panel
    panel.chips.resize(900, panel.chips.heightForWidth(900))
    chips = panel.view.chips
    assert [c.token for c in chips] == ["[CLS]", "the", "movie", "was", "w", "##o", "##w", "[UNK]", "[SEP]"]
    movie = chips[2]
    hover(panel.chips, panel.chips.rects[2].center())
    selections = panel.source.extraSelections()
    cursor = selections[0].cursor
    assert (cursor.selectionStart(), cursor.selectionEnd()) == (movie.start, movie.end)
    assert "9 tokens" in panel.counts.text() and "1 [UNK]" in panel.counts.text()
    cursor = panel.source.textCursor()
    cursor.setPosition(panel.view.text.index("wow") + 1)
    point = panel.source.cursorRect(cursor).center() + QPoint(2, 0)
    hover(panel.source.viewport(), point)
    assert panel.chips.highlighted == 5  # the "##o" piece of "wow"


def test_compare_tokenizers_and_dataset_statistics(page, qtbot, minilm_path):
    from bertstudio.text import load_tokenizer

    page.set_compare_tokenizer(load_tokenizer(minilm_path), "all-MiniLM-L6-v2")
    assert page.compare_panel.isVisible()
    assert [c.token for c in page.compare_panel.view.chips][4] == "wow"
    assert (
        "Cut differently (1 words" in page.compare_summary.text()
        and "w ##o ##w | wow" in page.compare_summary.text()
    )
    page.set_compare_tokenizer(None)
    assert not page.compare_panel.isVisible() and page.tokens_panel.view.chips[4].token == "w"
    table = Table.from_rows(["text", "label"], [["the movie", "pos"], ["wow ☃", "neg"], [None, "pos"]])
    page.dataset_statistics(table, "text")
    qtbot.waitUntil(page.stats_view.isVisible, timeout=10_000)
    html = page.stats_view.toPlainText()
    assert "2 examples" in html and "1 rows had no value" in html and "wow" in html


def test_dataset_statistics_of_the_imported_data_at_its_max_length(page, qtbot, tmp_path):
    from bertstudio.data import ColumnMapping
    from bertstudio.gui.state import DataSelection

    assert not page.imported_data_action.isEnabled()  # nothing imported yet
    data = tmp_path / "export.csv"
    rows = ["the movie was good;pos", "a film;neg", "the the the the the the the the the movie;pos"]
    data.write_bytes(("note;label\r\n" + "\r\n".join(rows) + "\r\n").encode("cp1252"))
    selection = DataSelection(
        data,
        ColumnMapping(text="note", labels=["label"]),
        max_length=8,
        read_options=ReadOptions(encoding="cp1252", delimiter=";", has_header=True),
    )
    page.set_data(selection)
    assert page.imported_data_action.isEnabled() and "export.csv, note" in page.imported_data_action.text()
    page.imported_data_action.trigger()
    qtbot.waitUntil(page.stats_view.isVisible, timeout=10_000)
    text = page.stats_view.toPlainText()
    assert "Column 'note': 3 examples" in text
    assert "33.3% longer than the max length (8)" in text  # the 10-word review, at the Data page's length
    page.set_data(None)
    assert not page.imported_data_action.isEnabled()


def test_attributions_render_a_strip_per_class(page, qtbot):
    page.steps.setValue(8)
    page.compute_attributions()
    qtbot.waitUntil(lambda: bool(page.strips.attributions), timeout=20_000)
    assert [a.label for a in page.strips.attributions] == ["neg", "pos"]
    assert "completeness error" in page.attribution_note.text()
    assert page.strips.minimumHeight() > 40
    page.text.setText("   ")
    page.compute_attributions()  # nothing typed: nothing computed, and the old strips go
    assert "nothing to attribute" in page.attribution_note.text() and not page.strips.attributions


def test_switching_a_head_off_updates_prediction_and_attention(page, qtbot):
    before = page.explorer.base.maps.copy()
    page.head_masking.set_head(0, 1, False)
    qtbot.waitUntil(lambda: not page.explorer.base.maps[0, 1].any(), timeout=10_000)
    assert "1 head(s) off" in page.head_masking.prediction.text()
    assert not np.allclose(page.explorer.base.maps[1], before[1], atol=1e-8)
    page.head_masking.reset()
    qtbot.waitUntil(lambda: page.explorer.base.maps[0, 1].any(), timeout=10_000)


def test_rank_heads_fills_the_table(page, qtbot):
    page.head_masking.examples.setPlainText("the movie was good\na bad film")
    page.head_masking.rank()
    qtbot.waitUntil(lambda: page.head_masking.ranking.rowCount() == 4, timeout=20_000)
    effects = [float(page.head_masking.ranking.item(r, 2).text()) for r in range(4)]
    assert effects == sorted(effects, reverse=True) and page.head_masking.rank_button.isEnabled()


def test_fill_mask_panel(qtbot, tmp_path):
    page = InspectPage()
    qtbot.addWidget(page)
    page.set_model(*load_pretrained(make_tiny_model_dir(tmp_path, "masked_lm")))
    assert page.fill_mask.run_button.isEnabled() and not page.attribute_button.isEnabled()
    page.fill_mask.sentence.setText("the [MASK] was good")
    page.fill_mask.top_k.setValue(3)
    page.fill_mask.run()
    qtbot.waitUntil(lambda: page.fill_mask.results.rowCount() == 3, timeout=10_000)
    probabilities = [float(page.fill_mask.results.item(r, 3).text()) for r in range(3)]
    assert probabilities == sorted(probabilities, reverse=True)
    page.fill_mask.sentence.setText("no mask in this one")
    page.fill_mask.run()
    qtbot.waitUntil(lambda: "[MASK]" in page.fill_mask.note.text(), timeout=10_000)
    assert page.fill_mask.results.rowCount() == 0  # no candidates of the sentence before


def test_fill_mask_panel_says_why_an_untrained_masked_lm_head_cannot_predict(qtbot, tmp_path):
    """A DeBERTa-v3-style encoder (no trained masked-LM head) opened for masked-LM: no Predict, a reason."""
    pytest.importorskip("transformers")
    from tests.core.family_references import save_reference

    save_reference(tmp_path / "deberta", "deberta-v2", "DebertaV2Model")
    page = InspectPage()
    qtbot.addWidget(page)
    page.set_model(*load_pretrained(tmp_path / "deberta", task="masked_lm"))
    assert not page.fill_mask.run_button.isEnabled()
    assert "no trained masked-LM head" in page.fill_mask.note.text()
    assert "[MASK]" in page.fill_mask.sentence.text()


def test_scrub_probes_across_training(page, classifier, tmp_path):
    import torch

    model, tokenizer = classifier
    recorder = ProbeRecorder(tmp_path, ["the movie was good", "a bad film"])
    recorder.record(model, tokenizer, 5, {"loss": 0.9})
    with torch.no_grad():
        model.bert.encoder.layer[0].attention.self.query.weight.mul_(3.0)
    try:
        recorder.record(model, tokenizer, 10, {"loss": 0.4})
    finally:
        with torch.no_grad():
            model.bert.encoder.layer[0].attention.self.query.weight.div_(3.0)
    (tmp_path / "metrics.jsonl").write_text(
        '{"kind": "step", "step": 5, "loss": 1.0}\n{"kind": "step", "step": 10, "loss": 0.5}\n',
        encoding="utf-8",
    )
    (tmp_path / "run.json").write_text("{}", encoding="utf-8")
    panel = page.training
    panel.open_run(tmp_path)
    assert panel.slider.maximum() == 1 and "Step 10" in panel.heatmap.plot.titleLabel.text
    late = panel.heatmap.view.matrix.copy()
    panel.slider.setValue(0)
    assert "Step 5" in panel.heatmap.plot.titleLabel.text and panel.marker.value() == 5
    assert not np.allclose(panel.heatmap.view.matrix, late)
    assert "neg" in panel.prediction.text()
    panel.sentence.setCurrentIndex(1)
    assert panel.heatmap.view.row_labels == ["[CLS]", "a", "bad", "film", "[SEP]"]

    without_probes = tmp_path / "other_run"
    without_probes.mkdir()
    (without_probes / "run.json").write_text("{}", encoding="utf-8")
    panel.open_run(without_probes)  # nothing of the run before stays on screen
    assert "no probes recorded" in panel.run_label.text()
    assert panel.prediction.text() == "" and not panel.heatmap.isVisibleTo(panel)
    assert panel.train_curve.getData()[0] is None or len(panel.train_curve.getData()[0]) == 0
    panel.open_run(tmp_path / "not_a_run_at_all")
    assert "is not a run folder" in panel.run_label.text()
    panel.open_run(tmp_path)
    assert panel.heatmap.isVisibleTo(panel) and "neg" in panel.prediction.text()


def test_across_training_shows_a_heatmap_only_for_an_opened_run(page, classifier, qtbot, tmp_path):
    """Found under Xvfb: before any run was opened, an empty heatmap with axes -400..400 (x0.001) showed."""
    panel = page.training
    page.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.isVisible(), timeout=5_000)
    assert panel.run_label.text() == "No run opened." and not panel.heatmap.isVisible()
    ProbeRecorder(tmp_path, ["the movie was good"]).record(*classifier, 5, {"loss": 0.9})
    (tmp_path / "run.json").write_text("{}", encoding="utf-8")
    panel.open_run(tmp_path)
    qtbot.waitUntil(lambda: panel.heatmap.isVisible() and panel.heatmap.height() > 150, timeout=5_000)


def test_the_page_loads_without_torch():
    """The window starts fast: building the Inspect page must not import torch (the model brings it)."""
    import subprocess
    import sys

    code = (
        "import sys\nimport bertstudio.gui.pages.inspect_page\n"
        "import bertstudio.inspect.training_probes, bertstudio.inspect.view_filters\n"
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_probe_sentences_added_after_a_run_and_a_click_on_the_curve_jumps_to_a_step(page, qtbot, tmp_path):
    """Across training after the fact: the sentences are computed at the run's kept checkpoints."""
    import csv

    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    from bertstudio.training import RunConfig, run_training
    from tests.conftest import make_tiny_model_dir

    data = tmp_path / "reviews.csv"
    with open(data, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["text", "label"]]
            + [[f"the film was {'good' if i % 2 else 'bad'}", str(i % 2)] for i in range(40)]
        )
    run = tmp_path / "run"
    config = RunConfig(
        model_path=str(make_tiny_model_dir(tmp_path / "tiny")),
        data_path=str(data),
        text_column="text",
        label_columns=["label"],
        output_dir=str(run),
        max_length=16,
        batch_size=8,
        max_steps=6,
        save_every_steps=2,
        keep_checkpoints=5,
        log_every_steps=0,
    )
    assert run_training(config).status == "completed"
    panel = page.training
    panel.open_run(run)
    assert "no probes recorded" in panel.run_label.text() and panel.add_probes_button.isEnabled()
    panel.add_probe_sentences(["the film was good", "the film was bad"])
    qtbot.waitUntil(lambda: len(panel.steps) == 3, timeout=60_000)
    assert [s.step for s in panel.steps] == [2, 4, 6] and panel.sentence.count() == 2
    assert "Step 6" in panel.heatmap.plot.titleLabel.text
    panel.curve.resize(600, 200)
    view = panel.curve.getPlotItem().vb
    view.setRange(xRange=(0, 7), yRange=(0, 2), padding=0)
    target = panel.curve.mapFromScene(view.mapViewToScene(QPointF(2.3, 1.0)))
    QTest.mouseClick(panel.curve.viewport(), Qt.MouseButton.LeftButton, pos=target)
    qtbot.waitUntil(lambda: panel.slider.value() == 0, timeout=5_000)
    assert "Step 2" in panel.heatmap.plot.titleLabel.text and panel.marker.value() == 2


def test_attributions_go_when_the_text_changes(page, qtbot):
    page.steps.setValue(8)
    page.compute_attributions()
    qtbot.waitUntil(lambda: bool(page.strips.attributions), timeout=20_000)
    page.text.setText("a bad film")
    qtbot.waitUntil(lambda: not page.strips.attributions, timeout=10_000)
    assert page.attribution_note.text() == "The text changed: press Compute attributions to explain this one."
    page.compute_attributions()
    page.text.setText(
        "the movie was good"
    )  # changed again while they are computed: the late ones are dropped
    qtbot.waitUntil(lambda: "text changed" in page.attribution_note.text(), timeout=20_000)
    qtbot.wait(200)
    assert not page.strips.attributions


def test_a_question_answering_model_explains_its_answer_span_on_the_question(qtbot, tmp_path):
    from bertstudio.inspect import inspect_answer_span

    model, tokenizer = load_pretrained(make_tiny_model_dir(tmp_path / "qa", "question_answering"))
    widget = InspectPage()
    qtbot.addWidget(widget)
    widget.resize(1300, 850)
    widget.show()
    question, context = "where does mary live?", "the movie was fun . mary lives in london ."
    widget.text.setText(question)
    widget.pair.setText(context)
    widget.set_model(model, tokenizer)
    widget.tabs.setCurrentIndex(
        widget.tabs.indexOf(widget.strips.parentWidget().parentWidget().parentWidget())
    )
    assert widget.tabs.tabText(widget.tabs.currentIndex()) == "Attributions"
    assert widget.target.currentData() == "answer_span" and widget.attribute_button.isEnabled()
    assert not widget.span_attention.isVisibleTo(widget)
    widget.steps.setValue(8)
    widget.compute_attributions()
    qtbot.waitUntil(lambda: bool(widget.strips.attributions), timeout=20_000)
    expected = inspect_answer_span(model, tokenizer, context, question, steps=8)
    (shown,) = widget.strips.attributions
    assert shown.tokens == ["where", "does", "mary", "live", "?"] == expected.question_words
    np.testing.assert_allclose(shown.scores, expected.attribution.scores, atol=1e-5)
    table = widget.span_attention
    assert table.isVisibleTo(widget) and (table.rowCount(), table.columnCount()) == (2, 5)
    assert float(table.item(1, 2).text()) == pytest.approx(
        float(expected.attention[1, :, 2].mean()), abs=1e-3
    )
    assert "window 1" in widget.attribution_note.text()
    widget.pair.setText("")
    widget.compute_attributions()  # no context: nothing to answer from
    assert "context" in widget.attribution_note.text() and not table.isVisibleTo(widget)
