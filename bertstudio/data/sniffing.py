"""CSV dialect detection: the delimiter and quoting that make rows consistent, and whether row 1
is a header.

csv.Sniffer's guesses are not trusted (it picks `doublequote=False` on files with "" escapes and
multi-line fields): each candidate (delimiter x quoting style) parses a sample and the one whose
records agree on their field count wins; on a tie, one that parses cleanly under strict rules, then
standard "" quoting. Quoting off is a candidate too, for TSV datasets whose texts hold bare quotes.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

DELIMITERS = (",", ";", "\t", "|")
QUOTING_STYLES = ((True, None), (True, "\\"), (False, None))  # (quoting, escapechar), preferred first


def reader_options(delimiter: str, quoting: bool, escapechar: str | None) -> dict[str, Any]:
    """csv.reader keyword arguments for a dialect ('"' quotes, doubled inside, unless `escapechar`)."""
    return {
        "delimiter": delimiter,
        "quotechar": '"',
        "quoting": csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE,
        "escapechar": escapechar,
        "doublequote": escapechar is None,
    }


def complete_lines(text: str, whole: bool) -> str:
    """The sample without its last, possibly cut, line (unless the sample is the whole file)."""
    if whole:
        return text
    cut = text.rfind("\n")
    return text[: cut + 1] if cut > 0 else text


def sniff_dialect(
    sample: str, whole: bool, suffix: str, delimiter: str | None, quoting: bool | None
) -> tuple[str, bool, str | None, list[list[str]]]:
    """(delimiter, quoting, escapechar, sample records) of the candidate whose records agree on their
    field count; `delimiter` / `quoting` restrict the candidates when given. When the sample is only
    the head of the file its last record may be cut, so it does not count."""
    preferred = "\t" if suffix in (".tsv", ".tab") else ","
    delimiters = [delimiter] if delimiter else [preferred] + [d for d in DELIMITERS if d != preferred]
    best = None
    for order, candidate in enumerate(delimiters):
        quoted = None  # (share, clean) of this delimiter under standard quoting
        for preference, (quotes, escapechar) in enumerate(QUOTING_STYLES):
            if (quoting is not None and quotes != quoting) or (escapechar and '\\"' not in sample):
                continue
            if not quotes and quoting is None and '"' not in sample:
                continue
            options = reader_options(candidate, quotes, escapechar)
            records, clean = _sample_records(sample, options)
            share, width = _consistency(records if whole else records[:-1] or records)
            if preference == 0:
                quoted = (share, clean)
            elif not quotes and quoting is None and quoted and quoted[1] and quoted[0] >= share:
                # the quotes are the file's quoting (they parse cleanly and as consistently): reading
                # them as text would split quoted fields at their delimiters ("hello, world" as 2 cells)
                continue
            key = (width > 1, share, clean, -preference, -order)
            if best is None or key > best[0]:
                best = (key, candidate, quotes, escapechar, records)
    _, chosen, quotes, escapechar, records = best
    return chosen, quotes, escapechar, records


def _sample_records(sample: str, options: dict[str, Any]) -> tuple[list[list[str]], bool]:
    """Up to 500 records, and whether they parse cleanly under strict rules (no text after a closing
    quote: bare quotes in a TSV look like that, Excel's quoting never does)."""
    try:
        return _records(csv.reader(io.StringIO(sample, newline=""), strict=True, **options)), True
    except csv.Error as exc:
        # the only strict error that counts: a quote closed in mid-field ("'\t' expected after '\"'");
        # a quoted field still open at the end may just be cut by the sample
        clean = "expected after" not in str(exc)
    try:
        return _records(csv.reader(io.StringIO(sample, newline=""), **options)), clean
    except csv.Error:
        return [], False


def _records(reader) -> list[list[str]]:
    return [row for row, _ in zip(reader, range(500)) if row]


def _consistency(records: list[list[str]]) -> tuple[float, int]:
    """(share of records with the most common field count, that count)."""
    if not records:
        return 0.0, 0
    count, hits = Counter(map(len, records)).most_common(1)[0]
    return hits / len(records), count


def looks_like_header(records: list[list[str]]) -> bool:
    """Whether the first record names the columns: per column, a value unlike the ones below it."""
    if len(records) < 2:
        return bool(records) and all(_is_name(value) for value in records[0])
    first, body = records[0], records[1:]
    votes = 0
    for index, name in enumerate(first):
        values = [row[index] for row in body if len(row) > index and row[index] != ""]
        if not values:
            continue
        if _share_numeric(values) >= 0.9:
            votes += 1 if name and not _is_number(name) else -1
        elif len(set(values)) <= max(2, len(values) // 2):
            votes += 1 if name and name not in values else -1
        elif name.strip().lower() in _COMMON_NAMES:
            votes += 1
    if votes:
        return votes > 0
    return all(_is_name(value) for value in first)


_COMMON_NAMES = {
    "text",
    "sentence",
    "sentence1",
    "sentence2",
    "review",
    "content",
    "document",
    "question",
    "tokens",
}


def _is_name(value: str) -> bool:
    value = value.strip()
    return (
        0 < len(value) <= 40 and len(value.split()) <= 3 and not _is_number(value) and value[-1] not in ".!?"
    )


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _share_numeric(values: list[str]) -> float:
    return sum(map(_is_number, values)) / len(values)
