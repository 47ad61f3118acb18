"""Embed a table's text column once (cached on disk) and search it: what `bertstudio embed`,
`bertstudio search` and the window's Embeddings page run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bertstudio.data.read_options import DETECT, ReadOptions
from bertstudio.embeddings.cache import (
    CacheEntry,
    EntryWriter,
    IndexInfo,
    default_cache_dir,
    file_sha256,
    index_key,
    read_entry,
)
from bertstudio.embeddings.encoder import CHUNK_TEXTS, SentenceEncoder
from bertstudio.embeddings.index import cosine_scores, top_k
from bertstudio.embeddings.progress import ProgressCallback, StopCheck
from bertstudio.errors import EmbeddingError


@dataclass
class SearchHit:
    row: int  # index of the row in the table
    line: int  # the row's line in the file
    score: float  # cosine similarity with the query
    values: dict[str, Any]  # the row's columns
    truncated: bool = False  # its text was longer than the encoder's max_length and was cut there


@dataclass
class TableIndex:
    """The vectors of a table's text column, ready to search."""

    encoder: SentenceEncoder
    table: Any  # bertstudio.data.Table
    entry: CacheEntry
    reused: bool  # read from the cache rather than computed now

    @property
    def info(self) -> IndexInfo:
        return self.entry.info

    def search(self, query: str, top_k_rows: int = 10) -> list[SearchHit]:
        """The rows most similar to `query`, best first."""
        if not isinstance(query, str) or not query.strip():
            raise EmbeddingError("The query is empty.", "Type the text to search for.")
        if top_k_rows < 1:
            raise EmbeddingError(f"--top-k must be at least 1 (got {top_k_rows}).")
        vector = self.encoder.encode([query])[0]
        return self.hits(cosine_scores(self.entry.vectors, self.entry.norms, vector), top_k_rows)

    def neighbours(self, position: int, count: int = 10) -> list[SearchHit]:
        """The `count` indexed rows nearest to the row at `position` in the index (itself left out)."""
        scores = cosine_scores(self.entry.vectors, self.entry.norms, self.entry.vectors[position])
        scores[position] = -np.inf
        return self.hits(scores, count)

    def hits(self, scores: np.ndarray, count: int) -> list[SearchHit]:
        columns = self.table.columns
        truncated = set(self.info.truncated_lines)
        found = []
        for position in top_k(scores, count):
            row = int(self.entry.rows[position])
            line = int(self.table.line_numbers[row])
            found.append(
                SearchHit(
                    row=row,
                    line=line,
                    score=float(scores[position]),
                    values=dict(zip(columns, self.table.row(row))),
                    truncated=line in truncated,
                )
            )
        return found

    def describe(self) -> str:
        info = self.info
        text = (
            f"{info.indexed_rows:,} of {info.table_rows:,} rows indexed "
            f"({'from the cache' if self.reused else 'computed now'}); {self.encoder.layout.describe()}"
        )
        if info.empty_lines:
            count = len(info.empty_lines)
            verb = "row without text is" if count == 1 else "rows without text are"
            text += f"; {count:,} {verb} not searchable ({_lines(info.empty_lines)})"
        if info.truncated_lines:
            count = len(info.truncated_lines)
            texts = "text longer than" if count == 1 else "texts longer than"
            verb = "was" if count == 1 else "were"
            text += f"; {count:,} {texts} {info.max_length} tokens {verb} truncated ({_lines(info.truncated_lines)})"
        return text


def _lines(lines: list[int]) -> str:
    shown = ", ".join(map(str, lines[:10]))
    return f"line {shown}" + (" ..." if len(lines) > 10 else "")


def table_texts(table: Any, column: str) -> list[str]:
    """The column's values as text ('' for a missing value; a list of words joined by spaces)."""
    values = table.column(column)
    return ["" if v is None else " ".join(map(str, v)) if isinstance(v, list) else str(v) for v in values]


def index_table(
    encoder: SentenceEncoder,
    data_path: str | Path,
    column: str,
    *,
    read_options: ReadOptions = DETECT,
    cache_dir: str | Path | None = None,
    batch_size: int = 32,
    progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
    table: Any = None,
    chunk_size: int = CHUNK_TEXTS,
) -> TableIndex:
    """The index of `column` of the file at `data_path`: read from the cache when an entry for this
    model, these file contents, column and read options exists, else computed and stored. Rows with no
    text are left out of the index and listed in its info. `table`: the file already read (with the
    same read options), to save reading it again. The vectors go to the disk a chunk of
    `chunk_size` texts at a time, so memory does not grow with the table."""
    from bertstudio.data import read_table

    path = Path(data_path)
    if table is None:
        table = read_table(path, read_options)
    texts = table_texts(table, column)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = index_key(encoder.identity(), file_sha256(path), column, read_options.as_dict())
    entry = read_entry(cache, key)
    if entry is not None:
        return TableIndex(encoder=encoder, table=table, entry=entry, reused=True)
    rows = np.asarray([i for i, text in enumerate(texts) if text.strip()], np.int64)
    if len(rows) == 0:
        raise EmbeddingError(
            f"Column {column!r} has no text in any of its {len(texts):,} rows.",
            "Choose the column that holds the text.",
            path=path,
        )
    truncated: list[int] = []
    with EntryWriter(cache, key) as writer:
        writer.vectors(len(rows), encoder.dimension)
        chunks = encoder.encode_chunks(
            [texts[i] for i in rows],
            batch_size=batch_size,
            progress=progress,
            should_stop=should_stop,
            chunk_size=chunk_size,
        )
        for chunk in chunks:
            writer.append(chunk.vectors)
            truncated += chunk.truncated
        lines = table.line_numbers
        info = IndexInfo(
            key=key,
            model=str(encoder.source),
            data=str(path.resolve()),
            column=column,
            max_length=encoder.max_length,
            dimension=encoder.dimension,
            table_rows=len(texts),
            indexed_rows=len(rows),
            empty_lines=[int(lines[i]) for i, text in enumerate(texts) if not text.strip()],
            truncated_lines=[int(lines[rows[i]]) for i in truncated],
        )
        entry = writer.commit(rows, info)
    return TableIndex(encoder=encoder, table=table, entry=entry, reused=False)
