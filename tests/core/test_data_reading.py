"""Reading tables: encodings, delimiters, quoting, headers, JSON Lines, text, preview."""

from __future__ import annotations

import codecs
import json

import pytest

from bertstudio.data import ReadOptions, detect_dialect, preview_table, read_table
from bertstudio.errors import ConfigError, DataImportError


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_quoted_fields_with_delimiters_quotes_and_newlines(tmp_path):
    # csv.Sniffer guesses doublequote=False on this kind of file and splits records wrongly
    path = write(
        tmp_path / "reviews.csv",
        'text,label\n"He said ""great"", then\nleft, sadly",pos\n"a, b",neg\n"multi\r\nline ""q""",pos\n',
    )
    table = read_table(path)
    assert table.columns == ["text", "label"]
    assert table.column("text") == ['He said "great", then\nleft, sadly', "a, b", 'multi\r\nline "q"']
    assert table.column("label") == ["pos", "neg", "pos"]
    assert table.line_numbers.tolist() == [2, 4, 5]
    assert table.dialect.delimiter == ","
    assert not table.ragged


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    rows = [["text", "label"], ["good, fun; nice | ok", "1"], ["bad", "0"], ["meh; so-so", "1"]]
    lines = []
    for row in rows:
        lines.append(
            delimiter.join(f'"{v}"' if delimiter in v or any(d in v for d in ",;|\t") else v for v in row)
        )
    path = write(tmp_path / "data.txt.csv", "\n".join(lines) + "\n")
    table = read_table(path)
    assert table.dialect.delimiter == delimiter
    assert table.column("text") == ["good, fun; nice | ok", "bad", "meh; so-so"]
    assert table.column("label") == ["1", "0", "1"]


def test_tsv_extension_prefers_tab(tmp_path):
    path = write(tmp_path / "data.tsv", "text\tlabel\nhello, world\tpos\nbye\tneg\n")
    assert read_table(path).column("text") == ["hello, world", "bye"]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
    ],
)
def test_encodings_with_and_without_bom(tmp_path, encoding, bom):
    path = tmp_path / "data.csv"
    path.write_bytes(bom + "text,label\ncafé crème,pos\nnaïve 日本,neg\n".encode(encoding))
    table = read_table(path)
    assert table.columns == ["text", "label"]  # no BOM left in the first name
    assert table.column("text") == ["café crème", "naïve 日本"]


def test_explicit_utf8_on_a_bom_file_keeps_names_clean(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"text,label\nhi,pos\nbye,neg\n")
    assert read_table(path, ReadOptions(encoding="utf-8")).columns == ["text", "label"]


def test_cp1252_claimed_as_utf8_is_reported_with_offset_and_line(tmp_path):
    path = write(tmp_path / "data.csv", "text,label\nfine,pos\nna\u00efve caf\u00e9,neg\n", "cp1252")
    with pytest.raises(DataImportError) as info:
        read_table(path)
    error = info.value
    assert error.line == 3
    assert error.byte_offset == len(b"text,label\nfine,pos\nna")
    assert "cp1252" in str(error) and str(path) in str(error)
    table = read_table(path, ReadOptions(encoding="cp1252"))
    assert table.column("text") == ["fine", "naïve café"]


def test_undecodable_byte_far_into_a_large_file(tmp_path):
    good = "text,label\n" + "".join(f"row number {i} é,pos\n" for i in range(100_000))
    path = tmp_path / "big.csv"
    path.write_bytes(good.encode() + b"bad \x93quote\x94,neg\n")
    with pytest.raises(DataImportError) as info:
        read_table(path)
    assert info.value.line == 100_002
    assert info.value.byte_offset == len(good.encode()) + 4


def test_header_detection(tmp_path):
    with_header = write(tmp_path / "a.csv", "sentence,score\nnice film,4.5\nawful,1.0\n")
    without = write(tmp_path / "b.csv", "nice film,4.5\nawful,1.0\nok,3.0\n")
    labels_only = write(tmp_path / "c.csv", "review,label\ngood movie,pos\nbad movie,neg\nfine,pos\n")
    assert read_table(with_header).columns == ["sentence", "score"]
    table = read_table(without)
    assert table.columns == ["column_1", "column_2"]
    assert table.column("column_1") == ["nice film", "awful", "ok"]
    assert table.line_numbers.tolist() == [1, 2, 3]
    assert read_table(labels_only).dialect.has_header
    assert read_table(without, ReadOptions(has_header=True)).columns == ["nice film", "4.5"]


def test_duplicate_and_blank_column_names_are_renamed_and_noted(tmp_path):
    path = write(tmp_path / "dup.csv", "text,label,label,\nhi,a,b,c\n")
    table = read_table(path)
    assert table.columns == ["text", "label", "label_2", "column_4"]
    assert len(table.warnings) == 2 and "label_2" in table.warnings[0] and "column_4" in table.warnings[1]


def test_ragged_rows_are_kept_and_marked(tmp_path):
    path = write(tmp_path / "r.csv", "text,label\nok,pos\ntoo,many,fields\nshort\nfine,neg\n")
    table = read_table(path)
    assert len(table) == 4
    assert table.ragged == {1: 3, 2: 1}
    assert table.extra_fields == {1: ["fields"]}
    assert table.rows[2] == ["short", None]
    assert table.line_numbers.tolist() == [2, 3, 4, 5]


def test_trailing_empty_fields_are_not_ragged(tmp_path):
    path = write(tmp_path / "t.csv", "text,label\nok,pos,,\nfine,neg\n")
    table = read_table(path)
    assert not table.ragged and table.column("label") == ["pos", "neg"]
    assert "empty fields" in table.warnings[0]


def test_mixed_line_endings_and_blank_lines(tmp_path):
    path = write(tmp_path / "m.csv", "text,label\r\na,1\rb,2\n\nc,3\r\n\r\nd,4")
    table = read_table(path)
    assert table.column("text") == ["a", "b", "c", "d"]
    assert table.line_numbers.tolist() == [2, 3, 5, 7]
    assert table.blank_lines == 2


def test_jsonl_rows_lists_and_bad_lines(tmp_path):
    lines = [
        json.dumps({"tokens": ["John", "lives"], "tags": ["B-PER", "O"], "id": 1}),
        "",
        "{not json",
        json.dumps({"tokens": ["Paris"], "tags": ["B-LOC"], "extra": True}),
        "[1, 2]",
    ]
    path = write(tmp_path / "ner.jsonl", "\n".join(lines) + "\n")
    table = read_table(path)
    assert table.columns == ["tokens", "tags", "id", "extra"]
    assert table.column("tokens") == [["John", "lives"], ["Paris"]]
    assert table.column("id") == [1, None]
    assert table.column("extra") == [None, True]
    assert table.line_numbers.tolist() == [1, 4]
    assert [line for line, _ in table.unparsed] == [3, 5]


def test_jsonl_detected_without_extension(tmp_path):
    path = write(tmp_path / "data", '{"text": "hi", "label": 1}\n{"text": "yo", "label": 0}\n')
    assert read_table(path).dialect.format == "jsonl"


def test_plain_text_file_is_one_text_per_line(tmp_path):
    path = write(tmp_path / "notes.txt", "first line\n\nsecond line\n")
    table = read_table(path)
    assert table.columns == ["text"] and table.column("text") == ["first line", "second line"]
    assert table.line_numbers.tolist() == [1, 3]


def test_preview_reads_only_the_head(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("text,label\n" + "".join(f"row {i},pos\n" for i in range(300_000)), encoding="utf-8")
    with path.open("ab") as handle:
        handle.write(b"\xff\xfe broken bytes at the end,neg\n")  # a full read would fail here
    preview = preview_table(path, n_rows=10)
    assert len(preview) == 10 and not preview.complete
    assert preview.column("text")[-1] == "row 9"
    small = write(tmp_path / "small.csv", "text,label\na,1\nb,2\n")
    assert preview_table(small, n_rows=2).complete
    assert detect_dialect(path).delimiter == ","


def test_missing_column_names_the_columns_there_are(tmp_path):
    table = read_table(write(tmp_path / "a.csv", "text,label\nhi,pos\n"))
    with pytest.raises(DataImportError, match="Columns in this file: 'text', 'label'"):
        table.column("sentence")


@pytest.mark.parametrize(
    ("name", "content", "rows"),
    [
        ("a.jsonl", '{"text": "a"}\n{"text": "b"}\n\n', 2),
        ("a.txt", "one\ntwo\n\n", 2),
        ("a.csv", "text\nalpha one\nbeta two\n\n", 2),
    ],
)
def test_preview_of_exactly_the_whole_file_is_complete(tmp_path, name, content, rows):
    path = write(tmp_path / name, content)
    assert preview_table(path, n_rows=rows).complete
    assert not preview_table(path, n_rows=rows - 1).complete


def test_importing_the_data_package_loads_neither_numpy_nor_torch():
    import subprocess
    import sys

    code = (
        "import sys, bertstudio.data; assert 'numpy' not in sys.modules and 'torch' not in sys.modules; "
        "import bertstudio.data.validation, bertstudio.data.corpus, bertstudio.data.batching; "
        "import bertstudio.commands.data; assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_excel_sep_line_names_the_delimiter(tmp_path):
    path = write(tmp_path / "excel.csv", "sep=;\r\ntext;label\r\nhello, world;pos\r\nbye;neg\r\n")
    table = read_table(path)
    assert table.dialect.delimiter == ";" and table.dialect.excel_sep_line
    assert table.columns == ["text", "label"]
    assert table.column("text") == ["hello, world", "bye"]
    assert table.line_numbers.tolist() == [3, 4]


def test_tsv_with_bare_unbalanced_quotes_reads_with_quoting_off(tmp_path):
    # GLUE-style TSV: quote characters are part of the text, never closed
    lines = ["sentence\tlabel", '" the rock " is destined to be a star\t1', '"a mess\t0', 'so "good\t1']
    path = write(tmp_path / "train.tsv", "\n".join(lines) + "\n")
    table = read_table(path)
    assert not table.dialect.quoting
    assert table.column("sentence") == ['" the rock " is destined to be a star', '"a mess', 'so "good']
    assert table.column("label") == ["1", "0", "1"]
    quoted = write(tmp_path / "quoted.tsv", 'text\tlabel\n"tab\tinside"\t1\n"ok ""x"""\t0\n')
    assert read_table(quoted).column("text") == ["tab\tinside", 'ok "x"']
    assert read_table(quoted, ReadOptions(quoting=False)).column("text") == ['"tab', '"ok ""x"""']


@pytest.mark.parametrize("delimiter", [None, ","])
def test_one_quoted_column_whose_texts_hold_the_delimiter_stays_one_column(tmp_path, delimiter):
    # read with quoting off, each row was two cells, '"hello' and ' world"', and the text column kept '"hello'
    path = write(tmp_path / "texts.csv", 'text\n"hello, world"\n"a, b"\n"one, two"\n')
    table = read_table(path, ReadOptions(delimiter=delimiter))
    assert table.columns == ["text"]
    assert table.column("text") == ["hello, world", "a, b", "one, two"]
    assert table.dialect.quoting and not table.ragged


def test_numeric_id_columns_are_stored_compactly_and_read_back_exactly(tmp_path):
    import numpy as np

    ids = [str(i * 7 - 1000) for i in range(30_000)]
    path = write(tmp_path / "ids.csv", "id,text,code\n" + "".join(f"{i},row {i},0{i}\n" for i in ids))
    table = read_table(path)
    assert isinstance(table.data[0], np.ndarray) and table.data[0].dtype == np.int64
    assert table.column("id") == ids and table.row(5) == [ids[5], f"row {ids[5]}", f"0{ids[5]}"]
    assert isinstance(table.data[2], list)  # "0-1000" is not a canonical integer: kept as text
    ids[25_000] = "x25000"  # a late non-number turns the column back into text, losing nothing
    path.write_text("id,text\n" + "".join(f"{i},row {i}\n" for i in ids))
    table = read_table(path)
    assert isinstance(table.data[0], list) and table.column("id") == ids


@pytest.mark.parametrize("encoding", [None, "cp1252"])
@pytest.mark.parametrize("delimiter", [None, ";", "\t"])
@pytest.mark.parametrize("has_header", [None, True, False])
def test_read_options_survive_the_run_config_words(encoding, delimiter, has_header):
    """The window's choices become the run config's encoding / delimiter / header words and back."""
    options = ReadOptions(encoding=encoding, delimiter=delimiter, has_header=has_header)
    assert ReadOptions.from_text(**options.as_text()) == options


def test_read_options_name_a_wrong_header_word():
    with pytest.raises(ConfigError, match="header 'maybe' is not supported"):
        ReadOptions.from_text(header="maybe")
    assert ReadOptions.from_text(delimiter="tab").delimiter == "\t"
