"""Model page (open, list, create, errors) and Data page (preview, options, mapping, report, charts)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from bertstudio.gui.widgets.table_model import TableModel
from tests.gui.conftest import error_dialogs, write_reviews

pytestmark = pytest.mark.usefixtures("no_leaked_widgets")


def test_open_model_shows_the_architecture_summary(window, qtbot, tiny_encoder_dir):
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path == tiny_encoder_dir, timeout=20_000)
    labels = window.model_page.summary_labels
    assert labels["layers"].text() == "2"
    assert labels["hidden_size"].text() == "32"
    assert labels["attention_heads"].text() == "2"
    assert labels["task"].text() == "base"
    assert int(labels["vocabulary"].text()) == window.controller.model_summary["vocabulary"]


@pytest.mark.parametrize("summary", [{}, {"parameters": None, "layers": None, "labels": None}])
def test_an_empty_or_odd_summary_shows_dashes_not_a_traceback(window, qtbot, tiny_encoder_dir, summary):
    """Reported once and reproduced: an empty summary raised TypeError in the parameters row and left
    the rows below it showing the model before."""
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_summary is not None, timeout=20_000)
    labels = window.model_page.summary_labels
    assert labels["vocabulary"].text() != "—"
    window.controller.set_model(tiny_encoder_dir, summary)
    assert {key: label.text() for key, label in labels.items()} == {key: "—" for key in labels}


def test_local_models_list_offers_the_bundled_demo(window, qtbot):
    page = window.model_page
    qtbot.waitUntil(lambda: page.models_list.topLevelItemCount() > 0, timeout=20_000)
    names = [page.models_list.topLevelItem(i).text(0) for i in range(page.models_list.topLevelItemCount())]
    assert "BERT Studio demo model" in names
    page.models_list.setCurrentItem(page.models_list.topLevelItem(names.index("BERT Studio demo model")))
    page.open_selected_button.click()
    qtbot.waitUntil(lambda: window.controller.model_path is not None, timeout=20_000)
    assert window.controller.model_path.name == "model"


def test_create_from_preset_writes_a_loadable_model(window, qtbot, tiny_encoder_dir):
    page = window.model_page
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path == tiny_encoder_dir, timeout=20_000)
    page.preset_combo.setCurrentIndex(page.preset_combo.findData("tiny"))
    page.tokenizer_combo.setCurrentIndex(page.tokenizer_combo.findData(str(tiny_encoder_dir)))
    page.preset_name.setText("fresh")
    page.create_button.click()
    created = window.controller.models_dir / "fresh"
    qtbot.waitUntil(lambda: window.controller.model_path == created, timeout=30_000)
    assert page.summary_labels["layers"].text() == "2"
    assert page.summary_labels["hidden_size"].text() == "128"
    assert page.summary_labels["task"].text() == "masked_lm"

    for name, why in (("../escape", "contains '/'"), ("a:b*", "contains '*' ':'"), ("..", "'.' or '..'")):
        page.preset_name.setText(name)
        page.create_button.click()
        dialogs = error_dialogs()
        assert len(dialogs) == 1 and why in dialogs[0].what_label.text(), name
        dialogs[0].close()
    assert sorted(p.name for p in window.controller.models_dir.iterdir()) == ["fresh"]
    assert not (window.controller.workspace / "escape").exists()


def test_a_run_name_must_be_one_folder_name(window):
    from bertstudio.errors import ConfigError

    window.controller.apply_settings(run_name="runs/../../elsewhere")
    with pytest.raises(ConfigError, match="contains '/'"):
        window.controller.run_config()


def test_a_folder_without_weights_becomes_an_error_dialog(window, qtbot, tmp_path, tiny_encoder_dir):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((tiny_encoder_dir / "config.json").read_text())
    window.open_model(broken)
    qtbot.waitUntil(lambda: bool(error_dialogs()), timeout=20_000)
    dialog = error_dialogs()[0]
    assert "No weights found" in dialog.what_label.text()
    assert "weights file" in dialog.hint_label.text()
    assert window.controller.model_path is None and window.model_page.open_button.isEnabled()
    dialog.close()


def _import(window, qtbot, path):
    window.data_page.import_file(path)
    qtbot.waitUntil(lambda: window.data_page.data_import.report is not None, timeout=30_000)
    return window.data_page


def test_import_previews_suggests_and_checks(window, qtbot, tmp_path, tiny_encoder_dir):
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path is not None, timeout=20_000)
    page = _import(window, qtbot, write_reviews(tmp_path / "reviews.csv", extra=[["", "pos"]]))
    assert page.preview.preview_model.rowCount() == 61 and page.preview.preview_model.columnCount() == 2
    assert page.preview.preview_model.headerData(0, Qt.Orientation.Vertical) == "2"  # source line numbers
    mapping = page.data_import.mapping
    assert (mapping.task, mapping.text, mapping.labels) == ("classification", "review", ["sentiment"])
    assert "Text classification" in page.columns_tab.suggestion_label.text()
    report = page.data_import.report
    assert report.usable and report.problem_rows == 1
    assert report.tokens is not None and report.tokens.rows == 60
    assert page.lengths_tab.label_chart.categories == ["neg", "pos"]
    # the tiny model takes 64 tokens: the histogram draws that limit and the label says training cuts there
    assert report.tokens.model_limit == 64 and report.tokens.max_length == 128
    assert (
        page.lengths_tab.length_chart.limit.isVisible() and page.lengths_tab.length_chart.limit.value() == 64
    )
    assert (
        "the model accepts up to 64 tokens: training cuts at 64, not 128"
        in page.lengths_tab.truncation_label.text()
    )
    # one row has an error: training needs it fixed or explicitly left out
    assert not page.use_button.isEnabled()
    page.check_tab.exclude_check.setChecked(True)
    assert page.use_button.isEnabled()
    # the problem row is listed (with the duplicates, as warnings) and clicking it selects its row
    listed = [
        page.check_tab.problems.item(row, 0).text() for row in range(page.check_tab.problems.rowCount())
    ]
    assert "62" in listed
    page.check_tab.problems.cellClicked.emit(listed.index("62"), 0)
    assert page.preview.preview.selectionModel().selectedRows()[0].row() == 60
    page.use_button.click()
    assert window.controller.data.exclude_problem_rows and window.controller.data.mapping.labels == [
        "sentiment"
    ]
    assert "review → sentiment" in window.train_page.form.data_label.text()


def test_changing_the_delimiter_re_previews(window, qtbot, tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("text;label\nthe movie was good;pos\nthe film was bad;neg\n", encoding="utf-8")
    page = _import(window, qtbot, path)
    assert page.preview.preview_model.columnCount() == 2
    page.read_options.delimiter_combo.setCurrentIndex(page.read_options.delimiter_combo.findData(","))
    qtbot.waitUntil(lambda: page.preview.preview_model.columnCount() == 1, timeout=20_000)
    assert page.preview.preview_model.table.columns == ["text;label"]


def test_a_binary_file_becomes_an_error_dialog_and_leaves_nothing_of_the_file_before(window, qtbot, tmp_path):
    page = _import(window, qtbot, write_reviews(tmp_path / "reviews.csv"))
    qtbot.waitUntil(page.use_button.isEnabled, timeout=30_000)
    path = tmp_path / "book.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(200))
    page.import_file(path)
    qtbot.waitUntil(lambda: bool(error_dialogs()), timeout=20_000)
    dialog = error_dialogs()[0]
    assert "ZIP" in dialog.what_label.text() and "CSV" in dialog.hint_label.text()
    dialog.close()
    assert page.preview.rows_label.text() == "The file could not be read."
    assert (
        page.data_import.table is None and page.data_import.report is None and not page.use_button.isEnabled()
    )
    assert page.preview.preview_model.rowCount() == 0 and page.columns_tab.text_combo.count() == 0
    assert page.check_tab.report_label.text() == "" and page.columns_tab.suggestion_label.text() == ""
    assert window.settings.recent("data") == [str(tmp_path / "reviews.csv")]  # the unreadable one is not kept


def test_a_new_file_with_the_same_columns_gets_its_own_suggestion(window, qtbot, tmp_path):
    first = tmp_path / "scores.csv"
    first.write_text(
        "text,label\n" + "".join(f"row {i},{i * 0.37:.2f}\n" for i in range(40)), encoding="utf-8"
    )
    page = _import(window, qtbot, first)
    assert page.data_import.suggestion.task == "regression"
    second = write_reviews(tmp_path / "reviews.csv")
    second.write_text(second.read_text(encoding="utf-8").replace("review,sentiment", "text,label", 1))
    page = _import(window, qtbot, second)
    assert (
        page.data_import.suggestion.task == "classification"
        and "Suggested: Text classification" in page.columns_tab.suggestion_label.text()
    )


def test_the_table_model_is_virtual_over_a_million_rows(qtbot):
    from bertstudio.data import Table

    rows = 1_000_000
    table = Table.from_rows(["text", "label"], [])
    table.data = [["row"] * rows, ["x"] * rows]
    import numpy as np

    table.line_numbers = np.arange(2, rows + 2)
    model = TableModel(table)
    assert model.rowCount() == rows
    assert model.data(model.index(rows - 1, 0)) == "row"
    assert model.row_of_line(rows + 1) == rows - 1


def test_read_options_chosen_here_reach_the_run_config(window, qtbot, tmp_path, tiny_encoder_dir):
    window.open_model(tiny_encoder_dir)
    qtbot.waitUntil(lambda: window.controller.model_path is not None, timeout=20_000)
    path = write_reviews(tmp_path / "reviews.csv")
    page = _import(window, qtbot, path)
    page.read_options.delimiter_combo.setCurrentIndex(page.read_options.delimiter_combo.findData(","))
    page.read_options.header_combo.setCurrentIndex(page.read_options.header_combo.findData(True))
    qtbot.waitUntil(
        lambda: page.data_import.report is not None and page.use_button.isEnabled(), timeout=30_000
    )
    page.use_button.click()
    assert window.controller.data is not None and not error_dialogs()
    assert window.controller.data.read_options.delimiter == ","
    config = window.controller.run_config()
    assert (config.delimiter, config.header, config.encoding) == (",", "yes", "")


def test_batch_prediction_reads_the_imported_file_with_the_data_pages_choices(window, qtbot, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("review;verdict\nthe movie was good;pos\nthe film was bad;neg\n", encoding="utf-8")
    page = _import(window, qtbot, path)
    page.read_options.header_combo.setCurrentIndex(
        page.read_options.header_combo.findData(False)
    )  # "review;verdict" is a data row
    qtbot.waitUntil(
        lambda: page.preview.preview_model.table.columns == ["column_1", "column_2"], timeout=20_000
    )
    qtbot.waitUntil(
        lambda: page.data_import.report is not None and page.use_button.isEnabled(), timeout=30_000
    )
    page.use_button.click()
    evaluate = window.evaluate_page
    evaluate.batch.set_batch_input(path)
    assert [evaluate.batch.batch_text.itemText(i) for i in range(evaluate.batch.batch_text.count())] == [
        "column_1",
        "column_2",
    ]
    other = tmp_path / "other.csv"  # any other file is read as detected
    other.write_bytes(path.read_bytes())
    evaluate.batch.set_batch_input(other)
    assert [evaluate.batch.batch_text.itemText(i) for i in range(evaluate.batch.batch_text.count())] == [
        "review",
        "verdict",
    ]


def test_an_identifier_as_the_label_is_not_ready_to_train(window, qtbot, tmp_path):
    """Package descriptions without a label column: nothing is suggested as the label, and mapping the
    package name by hand gives an amber verdict, not a green "Ready to train"."""
    path = tmp_path / "packages.csv"
    lines = [
        f"pkg-{i},a library for parsing {i} kinds of files,parser number {i} of many\n" for i in range(40)
    ]
    path.write_text("package,description,summary\n" + "".join(lines), encoding="utf-8")
    page = window.data_page
    page.import_file(path)
    qtbot.waitUntil(lambda: "needs a label column" in page.check_tab.report_label.text(), timeout=30_000)
    said = page.check_tab.report_label.text()
    assert "Label box of the Columns tab" in said and "--label" not in said  # the window's words
    mapping = page.data_import.mapping
    assert (mapping.text, mapping.text_pair, mapping.labels) == ("description", None, [])
    page.columns_tab.label_combo.setCurrentText("package")
    qtbot.waitUntil(lambda: page.data_import.report is not None, timeout=30_000)
    assert page.data_import.report.verdict == "doubtful"
    assert "Ready to train" not in page.check_tab.report_label.text()
    assert "looks like an identifier" in page.check_tab.report_label.text()


def test_a_json_lines_file_after_a_tsv_shows_no_delimiter_or_header_of_its_own(window, qtbot, tmp_path):
    """Found under Xvfb: a JSONL file imported after a TSV read 'Delimiter: auto (tab)', 'Header: auto
    (header)', the TSV's detection, although JSON lines have neither."""
    import json

    imported, bar = window.controller.data_import, window.data_page.read_options
    tsv = tmp_path / "packages.tsv"
    tsv.write_text("summary\tsection\n" + "".join(f"tool number {i}\tutils\n" for i in range(20)))
    window.open_path(tsv)
    qtbot.waitUntil(lambda: imported.whole and imported.path == tsv, timeout=20_000)
    assert bar.delimiter_combo.currentText() == "auto (tab)" and bar.delimiter_combo.isEnabled()
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text("".join(json.dumps({"doc": f"returns {i}", "family": "os"}) + "\n" for i in range(20)))
    window.open_path(jsonl)
    qtbot.waitUntil(lambda: imported.whole and imported.path == jsonl, timeout=20_000)
    for combo in (bar.delimiter_combo, bar.header_combo):
        assert combo.currentText() == "auto" and not combo.isEnabled()
    window.open_path(tsv)  # and back: a table's own detection again
    qtbot.waitUntil(lambda: imported.whole and imported.path == tsv, timeout=20_000)
    assert bar.delimiter_combo.currentText() == "auto (tab)" and bar.header_combo.isEnabled()
