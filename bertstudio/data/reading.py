"""Read CSV / TSV / JSON Lines / plain-text tables into compact column storage.

Rows are parsed by the csv module's C reader over a streamed file (see `textfile`) and kept column
by column (one list per column, repeated values shared, whole-number id columns as int64 arrays),
with each row's 1-based source line, so a million-row file costs little more than its text.
Ragged rows and unparseable JSON lines are kept and marked for the validation report.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.data.sniffing import complete_lines, looks_like_header, reader_options, sniff_dialect
from bertstudio.data.textfile import (
    END_OF_FILE,
    SAMPLE_BYTES,
    choose_encoding,
    decode_head,
    read_head,
    stream_lines,
)
from bertstudio.errors import DataImportError

FORMATS = ("csv", "jsonl", "text")
ROWS_PER_FLUSH = 8192
SHARED_VALUES_LIMIT = 10_000  # a column with more distinct values than this stops sharing them
FIELD_SIZE_LIMIT = 1 << 27  # 128M characters: beyond this a field is a runaway quote, not text
_EXCEL_SEP_LINE = re.compile(r"sep=(.)\r?\n")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
}


@dataclass(frozen=True)
class Dialect:
    """How a file was read: format, text encoding and, for CSV, delimiter, escape, header, quoting
    (`excel_sep_line`: the file starts with Excel's "sep=;" line, which names the delimiter)."""

    format: str
    encoding: str
    delimiter: str = ","
    escapechar: str | None = None
    has_header: bool = True
    excel_sep_line: bool = False
    quoting: bool = True  # False: quote characters are plain text (TSV datasets with bare quotes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Table:
    """A table read from a file: column names, one value list per column, each row's source line.

    Values are strings for CSV / TSV / text (None where a short row lacks the field) and JSON values
    for JSON Lines (None where a record lacks the key). `ragged` maps row index -> field count for
    rows whose field count differs from the header's; `unparsed` lists (line, reason) for JSON lines
    that could not be parsed; both are reported by validation, never dropped silently.
    A CSV column of many distinct whole numbers in canonical form (ids) is stored as an int64 array
    in `data`; `column()` and `row()` give its values back as the same strings.
    """

    path: Path | None
    columns: list[str]
    data: list[list[Any] | np.ndarray]
    line_numbers: np.ndarray
    dialect: Dialect
    ragged: dict[int, int] = field(default_factory=dict)
    extra_fields: dict[int, list[str]] = field(default_factory=dict)
    unparsed: list[tuple[int, str]] = field(default_factory=list)
    blank_lines: int = 0
    warnings: list[str] = field(default_factory=list)
    complete: bool = True
    _positions: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.line_numbers)

    def column(self, name: str) -> list[Any]:
        """The values of one column; DataImportError naming the columns there are if it is missing."""
        return _as_list(self._stored(name))

    def head(self, name: str, count: int) -> list[Any]:
        """The first `count` values of a column (cheap, whatever its storage)."""
        return _as_list(self._stored(name)[:count])

    def _stored(self, name: str) -> list[Any] | np.ndarray:
        if self._positions is None:  # a dict, not list.index per call: a wide header stays linear
            self._positions = {column: index for index, column in reversed(list(enumerate(self.columns)))}
        try:
            return self.data[self._positions[name]]
        except KeyError:
            raise DataImportError(
                f"There is no column {name!r}.",
                f"Columns in this file: {', '.join(map(repr, self.columns))}.",
                path=self.path,
            ) from None

    def row(self, index: int) -> list[Any]:
        return [
            str(values[index]) if isinstance(values, np.ndarray) else values[index] for values in self.data
        ]

    @property
    def rows(self) -> Sequence[list[Any]]:
        """A read-only row view (`table.rows[i]` is a list of the row's values)."""
        return _Rows(self)

    @classmethod
    def from_rows(
        cls, columns: list[str], rows: Sequence[Sequence[Any]], line_numbers: Sequence[int] | None = None
    ) -> Table:
        """A table built in memory (tests, the GUI's pasted data); rows must have len(columns) values."""
        data = [list(values) for values in zip(*rows)] if rows else [[] for _ in columns]
        lines = np.asarray(line_numbers if line_numbers is not None else range(2, len(rows) + 2), np.int64)
        return cls(None, list(columns), data, lines, Dialect("csv", "utf-8"))


def _as_list(values: list[Any] | np.ndarray) -> list[Any]:
    """Stored values as the strings they were read as (int64 id columns are converted back)."""
    return list(map(str, values.tolist())) if isinstance(values, np.ndarray) else values


class _Rows(Sequence):
    def __init__(self, table: Table) -> None:
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._table.row(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._table.row(index)


def read_table(path: str | Path, options: ReadOptions = DETECT) -> Table:
    """Read a whole CSV / TSV / JSON Lines / text file, detecting what `options` leaves None."""
    return _read(Path(path), options, limit=None)


def preview_table(path: str | Path, n_rows: int = 100, options: ReadOptions = DETECT) -> Table:
    """The first `n_rows` rows, reading only the head of the file (`complete` is False if more follow)."""
    return _read(Path(path), options, limit=n_rows)


def detect_dialect(path: str | Path, options: ReadOptions = DETECT) -> Dialect:
    """How `read_table` would read the file, from its first 256 KiB."""
    path = Path(path)
    return _dialect_from_head(path, read_head(path), options)


def _read(path: Path, options: ReadOptions, limit: int | None) -> Table:
    head = read_head(path)
    dialect = _dialect_from_head(path, head, options)
    with open(path, encoding=dialect.encoding, newline="") as handle:
        lines = stream_lines(handle, path, dialect.encoding)
        if dialect.format == "jsonl":
            return _parse_jsonl(lines, path, dialect, limit)
        if dialect.format == "text":
            return _parse_text(lines, path, dialect, limit)
        table = _parse_csv(lines, path, dialect, limit)
    if options.quoting is None and not dialect.quoting:
        table.warnings.append(
            "Quote characters (\") are read as plain text: the file's quotes do not pair up as CSV quoting "
            "(bare quotes in text, or an unclosed quote). If fields are quoted after all, fix the unpaired quote "
            "(ReadOptions(quoting=True) forces CSV quoting)."
        )
    return table


def _dialect_from_head(path: Path, head: bytes, options: ReadOptions) -> Dialect:
    delimiter, has_header, quoting = options.delimiter, options.has_header, options.quoting
    encoding = choose_encoding(path, head, options.encoding)
    text = decode_head(path, head, encoding)
    format = options.format or _guess_format(path, text)
    if format not in FORMATS:
        raise DataImportError(f"Unknown format {format!r}.", f"Use one of: {', '.join(FORMATS)}.", path=path)
    if format != "csv":
        return Dialect(format, encoding, has_header=format == "jsonl")
    if delimiter is not None and len(delimiter) != 1:
        raise DataImportError(f"The delimiter must be one character, not {delimiter!r}.", path=path)
    sep_line = _EXCEL_SEP_LINE.match(text)
    if sep_line:
        delimiter = delimiter or sep_line.group(1)
        text = text[sep_line.end() :]
    whole = len(head) < SAMPLE_BYTES
    sample = complete_lines(text, whole)
    delimiter, quoting, escapechar, records = sniff_dialect(
        sample, whole, path.suffix.lower(), delimiter, quoting
    )
    if has_header is None:
        has_header = looks_like_header(records)
    return Dialect("csv", encoding, delimiter, escapechar, has_header, bool(sep_line), quoting)


def _guess_format(path: Path, text: str) -> str:
    by_extension = _EXTENSIONS.get(path.suffix.lower())
    if by_extension:
        return by_extension
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def _parse_csv(lines: Iterator[str], path: Path, dialect: Dialect, limit: int | None) -> Table:
    if csv.field_size_limit() < FIELD_SIZE_LIMIT:
        csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(lines, **reader_options(dialect.delimiter, dialect.quoting, dialect.escapechar))
    builder = _ColumnBuilder(path, dialect)
    previous_end = 0
    if dialect.excel_sep_line:
        next(reader)
        previous_end = reader.line_num
    try:
        for row in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not row:
                builder.blank_lines += 1
            elif row[-1].endswith(END_OF_FILE):
                if row != [END_OF_FILE]:
                    raise DataImportError(
                        "A quoted field starts in the record on this line and is never closed, "
                        "so the rest of the file would become one value.",
                        'Close the quote, or double the quote characters inside the field (""); if quotes '
                        "in this file are plain text, read it with quoting=False (--no-quoting).",
                        path=path,
                        line=start,
                    )
                break
            elif builder.columns is None:
                builder.set_header(row, start)
            else:
                builder.add(row, start)
                if limit is not None and builder.count >= limit:
                    more = any(row != [END_OF_FILE] for row in reader if row)
                    return builder.finish(complete=not more)
    except csv.Error as exc:
        raise DataImportError(
            f"The record starting here cannot be parsed ({exc}).",
            'A quote is probably never closed: close it, or double the quotes inside the field (""); '
            "if quotes in this file are plain text, read it with quoting=False (--no-quoting).",
            path=path,
            line=previous_end + 1,
        ) from None
    return builder.finish(complete=True)


class _ColumnBuilder:
    """Collects parsed CSV rows in chunks and moves them into per-column lists."""

    def __init__(self, path: Path, dialect: Dialect) -> None:
        self.path = path
        self.dialect = dialect
        self.columns: list[str] | None = None
        self.data: list[list[Any]] = []
        self.shared: list[dict | None] = []
        self.int_parts: dict[int, list[np.ndarray]] = {}
        self.rows: list[list[str]] = []
        self.starts: list[int] = []
        self.line_chunks: list[np.ndarray] = []
        self.ragged: dict[int, int] = {}
        self.extra_fields: dict[int, list[str]] = {}
        self.trailing_empty = 0
        self.blank_lines = 0
        self.count = 0
        self.warnings: list[str] = []

    def set_header(self, row: list[str], line: int) -> None:
        if self.dialect.has_header:
            self.columns = unique_column_names(row, self.warnings)
        else:
            self.columns = [f"column_{index + 1}" for index in range(len(row))]
        self.data = [[] for _ in self.columns]
        self.shared = [{} for _ in self.columns]
        if not self.dialect.has_header:
            self.add(row, line)

    def add(self, row: list[str], line: int) -> None:
        self.rows.append(row)
        self.starts.append(line)
        self.count += 1
        if len(self.rows) >= ROWS_PER_FLUSH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        width = len(self.columns)
        rows, first_index = self.rows, self.count - len(self.rows)
        if min(map(len, rows)) != width or max(map(len, rows)) != width:
            rows = [self._fit(row, first_index + offset, width) for offset, row in enumerate(rows)]
        for index, values in enumerate(zip(*rows)):
            if index in self.int_parts:
                ints = _canonical_ints(values)
                if ints is not None:
                    self.int_parts[index].append(ints)
                    continue
                self.data[index] = list(map(str, np.concatenate(self.int_parts.pop(index)).tolist()))
            shared = self.shared[index]
            if shared is None:
                self.data[index].extend(values)
                continue
            self.data[index].extend(map(shared.setdefault, values, values))
            if len(shared) > SHARED_VALUES_LIMIT:  # many distinct values: stop sharing; ids become int64
                self.shared[index] = None
                ints = _canonical_ints(self.data[index])
                if ints is not None:
                    self.int_parts[index] = [ints]
                    self.data[index] = []
        self.line_chunks.append(np.asarray(self.starts, dtype=np.int64))
        self.rows, self.starts = [], []

    def _fit(self, row: list[str], index: int, width: int) -> list[str | None]:
        if len(row) == width:
            return row
        if len(row) > width and not any(row[width:]):
            self.trailing_empty += 1
            return row[:width]
        self.ragged[index] = len(row)
        if len(row) > width:
            self.extra_fields[index] = row[width:]
            return row[:width]
        return row + [None] * (width - len(row))

    def finish(self, complete: bool) -> Table:
        if self.columns is None:
            raise DataImportError(
                "The file has no rows (only blank lines).",
                "Export the table again with its data.",
                path=self.path,
            )
        self.flush()
        if self.trailing_empty:
            self.warnings.append(
                f"{self.trailing_empty} rows end with empty fields beyond the header's columns (ignored)."
            )
        for index, parts in self.int_parts.items():
            self.data[index] = np.concatenate(parts)
        lines = np.concatenate(self.line_chunks) if self.line_chunks else np.zeros(0, np.int64)
        return Table(
            self.path,
            self.columns,
            self.data,
            lines,
            self.dialect,
            ragged=self.ragged,
            extra_fields=self.extra_fields,
            blank_lines=self.blank_lines,
            warnings=self.warnings,
            complete=complete,
        )


def _canonical_ints(values: Sequence[str | None]) -> np.ndarray | None:
    """The values as int64 if every one is a whole number written canonically ("7", "-12"; not
    "007", "+5", " 7" or ""), so str() gives each original back exactly; else None."""
    try:
        ints = list(map(int, values))
        if list(map(str, ints)) != list(values):
            return None
        return np.array(ints, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        return None


def unique_column_names(names: Sequence[str], warnings: list[str]) -> list[str]:
    """Header names made usable: blanks become column_N, repeats get _2, _3 (each change noted)."""
    result: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(names):
        name = raw.strip() if isinstance(raw, str) else str(raw)
        if not name:
            name = f"column_{index + 1}"
            warnings.append(f"Column {index + 1} has no name; it is called {name!r}.")
        if name in seen:
            suffix = 2
            while f"{name}_{suffix}" in seen:
                suffix += 1
            warnings.append(
                f"Column name {name!r} appears more than once; column {index + 1} is called "
                f"{name}_{suffix!s}."
            )
            name = f"{name}_{suffix}"
        seen.add(name)
        result.append(name)
    return result


def _more_lines(lines: Iterator[str]) -> bool:
    """Whether a non-blank line follows (reads up to it)."""
    return any(line.strip() and line != END_OF_FILE for line in lines)


def _parse_jsonl(lines: Iterator[str], path: Path, dialect: Dialect, limit: int | None) -> Table:
    complete = True
    columns: dict[str, list[Any]] = {}
    line_numbers: list[int] = []
    unparsed: list[tuple[int, str]] = []
    blank = 0
    count = 0
    for line_number, line in enumerate(lines, start=1):
        if line == END_OF_FILE or not line.strip():
            blank += line != END_OF_FILE
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            unparsed.append((line_number, f"not valid JSON ({exc.msg}, column {exc.colno})"))
            continue
        if not isinstance(record, dict):
            unparsed.append((line_number, f"a JSON {type(record).__name__}, not an object"))
            continue
        for key in record:
            if key not in columns:
                columns[key] = [None] * count
        for key, values in columns.items():
            values.append(record.get(key))
        line_numbers.append(line_number)
        count += 1
        if limit is not None and count >= limit:
            complete = not _more_lines(lines)
            break
    example = 'JSON Lines files hold one JSON object per line, e.g. {"text": "...", "label": "pos"}.'
    if not columns and unparsed:
        first_line, reason = unparsed[0]
        raise DataImportError(
            f"No line is a JSON object; the first is {reason}.", example, path=path, line=first_line
        )
    if not columns:
        raise DataImportError(
            "The file has no data rows (no JSON records, only blank lines).", example, path=path
        )
    return Table(
        path,
        list(columns),
        list(columns.values()),
        np.asarray(line_numbers, dtype=np.int64),
        dialect,
        unparsed=unparsed,
        blank_lines=blank,
        complete=complete,
    )


def _parse_text(lines: Iterator[str], path: Path, dialect: Dialect, limit: int | None) -> Table:
    complete = True
    texts: list[str] = []
    line_numbers: list[int] = []
    blank = 0
    for line_number, line in enumerate(lines, start=1):
        if line == END_OF_FILE:
            break
        text = line.rstrip("\r\n")
        if not text.strip():
            blank += 1
            continue
        texts.append(text)
        line_numbers.append(line_number)
        if limit is not None and len(texts) >= limit:
            complete = not _more_lines(lines)
            break
    if not texts:
        raise DataImportError("The file has no text (only blank lines).", "Put one text per line.", path=path)
    lines_array = np.asarray(line_numbers, dtype=np.int64)
    return Table(path, ["text"], [texts], lines_array, dialect, blank_lines=blank, complete=complete)
