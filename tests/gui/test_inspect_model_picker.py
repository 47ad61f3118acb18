"""Inspect's model picker in the window: the page says which model it shows, and while the chosen one
loads it shows that, never the previous model's header and prediction (found driving the window)."""

from __future__ import annotations

import shutil

import pytest

from bertstudio.training import RunConfig, RunFolder
from tests.conftest import make_tiny_model_dir

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


def finished_run(runs_dir, tmp_path) -> str:
    """A completed run whose exported model is a tiny two-class classifier."""
    path = runs_dir / "sections"
    folder = RunFolder(path)
    folder.create(
        RunConfig(
            model_path="m", data_path="d.csv", text_column="t", label_columns=["l"], output_dir=str(path)
        )
    )
    shutil.copytree(
        make_tiny_model_dir(tmp_path / "cls", "classification", ["devel", "libs"]), path / "model"
    )
    folder.update_info(status="completed", result={"best_metric": 0.5, "best_step": 2, "step": 2})
    return "sections"


def test_inspect_shows_the_model_its_picker_names(window, qtbot, tmp_path, tiny_encoder_dir):
    run = finished_run(window.controller.runs_dir, tmp_path)
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path is not None, timeout=20_000)
    window.go_to("Inspect")
    slot = window.inspect_page
    qtbot.waitUntil(lambda: slot.page is not None and len(slot.picker.choices) == 2, timeout=60_000)
    page = slot.page
    qtbot.waitUntil(lambda: page.model is not None, timeout=30_000)
    opened = slot.picker.current().title
    assert opened.startswith("Open model") and opened in page.model_label.text()
    qtbot.waitUntil(lambda: "no prediction head" in page.status.text(), timeout=30_000)

    slot.picker.combo.setCurrentIndex(1)  # the run's best model
    chosen = slot.picker.current().title
    assert chosen.startswith(run)
    # while it loads: the chosen model is named, the open model's header and prediction are gone
    assert f"Loading {chosen}" in page.model_label.text()
    assert "no prediction head" not in page.status.text() and not page.analyse_button.isEnabled()
    qtbot.waitUntil(lambda: page.model is not None and page.model.task == "classification", timeout=30_000)
    qtbot.waitUntil(lambda: "devel" in page.status.text(), timeout=30_000)
    assert chosen in page.model_label.text() and "classification" in page.model_label.text()


def test_the_inspect_picker_sits_under_the_page_title_with_the_pages_margins(window, qtbot):
    window.go_to("Inspect")
    slot = window.inspect_page
    qtbot.waitUntil(lambda: slot.page is not None, timeout=60_000)
    picker, header = slot.picker, slot.page.model_label
    qtbot.waitUntil(lambda: picker.isVisible() and header.isVisible(), timeout=5_000)
    top_left = picker.mapTo(slot, picker.rect().topLeft())
    assert top_left.x() == header.mapTo(slot, header.rect().topLeft()).x() > 0  # aligned, not flush
    subtitle = slot.page.findChild(type(header), "pageSubtitle")
    assert top_left.y() > subtitle.mapTo(slot, subtitle.rect().bottomLeft()).y()
