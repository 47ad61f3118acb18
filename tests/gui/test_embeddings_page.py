"""The Embeddings page: similarity heatmap of typed sentences, semantic search over the imported table."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from bertstudio.data import DETECT
from bertstudio.embeddings import load_encoder
from bertstudio.embeddings.index import similarity_matrix
from bertstudio.gui.pages.embeddings_page import EmbeddingsPage
from tests.gui.conftest import error_dialogs

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")

SENTENCES = ["the movie was good", "the film was great fun", "mary lives in paris"]


@pytest.fixture
def page(qtbot, tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("BERTSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    page = EmbeddingsPage()
    qtbot.addWidget(page)
    page.show()
    page.set_model(tiny_model_dir)
    yield page
    from bertstudio.gui.workers import BackgroundJob

    BackgroundJob.wait_all(30_000)


def write_table(path, rows: int):
    words = ["good movie", "bad film", "paris city", "john works", "sad story", "great book"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for i in range(rows):
            writer.writerow([f"the {words[i % len(words)]} {i % 7}", f"l{i % 3}"])
    return path


def test_similarity_matrix_of_typed_sentences(qtbot, page, tiny_model_dir):
    page.sentences_edit.setPlainText("\n".join(SENTENCES) + "\n\n")
    page.compare_button.click()
    qtbot.waitUntil(lambda: page.heatmap.matrix.shape == (3, 3), timeout=20_000)
    expected = similarity_matrix(load_encoder(tiny_model_dir).encode(SENTENCES))
    np.testing.assert_allclose(page.heatmap.matrix, expected, atol=1e-5)
    assert page.heatmap.cell_text(0, 1).startswith(f"1 × 2: {expected[0, 1]:.4f}")
    assert "no pooling declared: mean pooling used" in page.model_label.text()


def test_the_pooling_is_said_as_soon_as_the_model_is_set(page, minilm_path):
    assert "no pooling declared: mean pooling used" in page.model_label.text()  # the tiny model
    page.set_model(minilm_path)
    assert "mean pooling, normalised" in page.model_label.text()
    assert "no pooling declared" not in page.model_label.text()


def test_the_model_is_named_as_the_rest_of_the_window_names_it(qtbot, page, minilm_path):
    page.set_model(minilm_path)  # the package's folder is called "model"
    assert page.model_label.text().startswith("Model: all-MiniLM-L6-v2 — ")
    page.sentences_edit.setPlainText("\n".join(SENTENCES))
    page.compare_button.click()  # loads the encoder, which restates the header
    qtbot.waitUntil(lambda: "dimensions" in page.model_label.text(), timeout=60_000)
    assert page.model_label.text().startswith("Model: all-MiniLM-L6-v2 — ")


def test_a_sentence_over_the_length_is_said_to_be_cut(qtbot, page):
    long_sentence = " ".join(["good movie"] * 100)  # far over the tiny model's 64 positions
    page.sentences_edit.setPlainText(f"the movie was good\n{long_sentence}\nmary lives in paris")
    page.compare_button.click()
    qtbot.waitUntil(lambda: page.heatmap.matrix.shape == (3, 3), timeout=20_000)
    assert "Sentence 2 is longer than 64 tokens: only its start was compared." in page.hover_label.text()


def test_one_sentence_asks_for_two(page):
    page.sentences_edit.setPlainText("only one")
    page.compare_button.click()
    assert "at least two sentences" in page.hover_label.text()


def test_search_ranks_rows_and_shows_the_clicked_one(qtbot, page, tmp_path):
    page.set_data(write_table(tmp_path / "t.csv", 30), DETECT, "text")
    assert page.column_combo.currentText() == "text"
    page.build_button.click()
    qtbot.waitUntil(lambda: page.index is not None, timeout=20_000)
    assert "30 of 30 rows indexed" in page.index_label.text()
    assert page.search_button.text() == "Search"
    page.query_edit.setText("a good movie")
    page.search_button.click()
    qtbot.waitUntil(lambda: page.results.rowCount() == 10, timeout=20_000)
    expected = page.index.search("a good movie", 10)
    assert [page.results.item(r, 4).text() for r in range(10)] == [h.values["text"] for h in expected]
    page.results.setCurrentCell(2, 0)
    assert f"Line {expected[2].line}" in page.row_view.toPlainText()
    assert expected[2].values["label"] in page.row_view.toPlainText()
    assert not error_dialogs()


def test_a_query_before_indexing_says_so_and_the_button_builds_the_index_then_searches(qtbot, page, tmp_path):
    page.set_data(write_table(tmp_path / "t.csv", 30), DETECT, "text")
    assert page.search_button.text() == "Build index && search"
    assert "No index yet" in page.search_button.toolTip()
    page.query_edit.setText("a good movie")
    page.search_button.click()
    assert "No index yet: building it first" in page.index_label.text()
    qtbot.waitUntil(lambda: page.results.rowCount() == 10, timeout=30_000)
    assert page.search_button.text() == "Search" and "30 of 30 rows indexed" in page.index_label.text()
    expected = page.index.search("a good movie", 10)
    assert [page.results.item(r, 4).text() for r in range(10)] == [h.values["text"] for h in expected]
    page.column_combo.setCurrentIndex(1)  # another column: no index for it yet
    assert page.search_button.text() == "Build index && search"


def test_an_empty_query_asks_for_text_and_builds_nothing(page, tmp_path):
    page.set_data(write_table(tmp_path / "t.csv", 30), DETECT, "text")
    page.query_edit.setText("   ")
    page.search_button.click()
    assert page.index_label.text() == "Type what to search for."
    assert page.index is None and page.build_button.isEnabled() and not page.progress.isVisible()


def test_texts_over_the_length_are_counted_and_marked_per_row(qtbot, page, tmp_path):
    path = tmp_path / "long.csv"
    long_text = " ".join(["good movie"] * 200)  # far over the tiny model's positions
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows([["the good movie", "a"], [long_text, "b"], ["", "c"], ["a bad film", "d"]])
    page.set_data(path, DETECT, "text")
    page.build_button.click()
    qtbot.waitUntil(lambda: page.index is not None, timeout=20_000)
    limit = page.index.info.max_length
    assert f"1 text longer than {limit} tokens was truncated (line 3)" in page.index_label.text()
    assert "1 row without text is not searchable (line 4)" in page.index_label.text()
    page.query_edit.setText("good movie")
    page.search_button.click()
    qtbot.waitUntil(lambda: page.results.rowCount() == 3, timeout=20_000)
    marks = {page.results.item(r, 2).text(): page.results.item(r, 3).text() for r in range(3)}
    assert marks == {"2": "", "3": f"cut at {limit} tokens", "5": ""}
    row = [r for r in range(3) if page.results.item(r, 2).text() == "3"][0]
    page.results.setCurrentCell(row, 0)
    assert f"longer than {limit} tokens: only its start was embedded" in page.row_view.toPlainText()


def test_cancel_stops_indexing_and_saves_nothing(qtbot, page, tmp_path):
    page.set_data(write_table(tmp_path / "t.csv", 3000), DETECT, "text")
    page.build_button.click()
    qtbot.waitUntil(lambda: page.cancel_button.isEnabled(), timeout=5_000)
    page.cancel_button.click()
    qtbot.waitUntil(lambda: "cancelled" in page.index_label.text(), timeout=30_000)
    assert page.index is None and page.build_button.isEnabled()
    cache = tmp_path / "cache"
    assert [p.name for p in cache.iterdir()] == ["onnx"]  # the encoder's graph, and no index entry


def test_the_window_hands_its_model_to_the_page(qtbot, window, tiny_model_dir):
    window.open_model(tiny_model_dir)
    qtbot.waitUntil(lambda: window.controller.model_path == tiny_model_dir, timeout=20_000)
    window.go_to("Embeddings")
    assert window.embeddings_page.model_path == tiny_model_dir
    assert window.embeddings_page.compare_button.isEnabled()
