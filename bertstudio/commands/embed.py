"""`bertstudio embed` and `bertstudio search`: sentence embeddings of a table's text column, and semantic
search over it. The table's vectors are computed once and cached (bertstudio.embeddings.cache).

    bertstudio embed --model DIR --data FILE --text COL --out vectors.npy [--id COL]
    bertstudio search --model DIR --data FILE --text COL --query TEXT [--top-k 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bertstudio.commands.train import READ_FLAGS, add_config_flags, read_options_from
from bertstudio.errors import EmbeddingError


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        required=True,
        help="sentence encoder folder (sentence-transformers layout or any BERT folder)",
    )
    parser.add_argument("--data", required=True, help="CSV, TSV or JSONL file")
    parser.add_argument("--text", required=True, help="column holding the text to embed")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--max-length", type=int, help="tokens per text (default: the folder's max_seq_length)"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto (default cpu)")
    parser.add_argument(
        "--backend",
        default="auto",
        choices=["auto", "torch", "onnx"],
        help="auto (ONNX Runtime on the CPU when installed, else torch), torch or onnx",
    )
    parser.add_argument(
        "--cache-dir", help="where table embeddings are cached (default: the user cache folder)"
    )
    add_config_flags(parser, READ_FLAGS)


def register(subparsers: argparse._SubParsersAction) -> None:
    embed = subparsers.add_parser("embed", help="write the sentence embeddings of a table's text column")
    _add_common(embed)
    embed.add_argument(
        "--out",
        required=True,
        help=".npy file of vectors (the rows go to OUT.rows.csv beside it), or a .parquet file of rows and "
        "vectors together (needs pyarrow)",
    )
    embed.add_argument("--id", dest="id_column", help="column to copy into OUT.rows.csv as each vector's id")
    embed.set_defaults(handler=run_embed)
    search = subparsers.add_parser("search", help="semantic search over a table's text column")
    _add_common(search)
    search.add_argument("--query", required=True, action="append", help="text to search for (repeatable)")
    search.add_argument("--top-k", type=int, default=10, help="results per query (default 10)")
    search.add_argument("--json", action="store_true", help="print the results as JSON")
    search.set_defaults(handler=run_search)


class _Progress:
    """Progress on stderr, at most a few times a second."""

    def __init__(self) -> None:
        self.shown = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.shown >= 0.5 or done == total:
            self.shown = now
            end = "\n" if done == total else "\r"
            print(f"indexing: {done:,} / {total:,} texts", end=end, file=sys.stderr, flush=True)


def _open_index(args: argparse.Namespace):
    from bertstudio.embeddings import load_encoder
    from bertstudio.embeddings.table import index_table

    encoder = load_encoder(
        args.model,
        device=args.device,
        max_length=args.max_length,
        backend=args.backend,
        cache_dir=args.cache_dir,
    )
    index = index_table(
        encoder,
        args.data,
        args.text,
        read_options=read_options_from(args),
        cache_dir=args.cache_dir,
        batch_size=args.batch_size,
        progress=_Progress(),
    )
    print(index.describe(), file=sys.stderr)
    return index


def run_embed(args: argparse.Namespace) -> int:
    import numpy as np

    from bertstudio.atomic import atomic_write
    from bertstudio.data.reading import Table
    from bertstudio.training.results import write_csv

    out = Path(args.out)
    if out.suffix not in (".npy", ".parquet"):
        raise EmbeddingError(
            f"--out must name a .npy or .parquet file (got {out.name!r}).", "For example --out vectors.npy."
        )
    if out.suffix == ".parquet":
        _require_pyarrow()  # before the table is embedded, not after
    index = _open_index(args)
    table: Table = index.table
    ids = table.column(args.id_column) if args.id_column else None
    if out.suffix == ".parquet":
        _write_parquet(out, index, ids, args.id_column)
        print(
            f"Wrote {len(index.entry.rows):,} rows with {index.info.dimension}-dimensional vectors to {out}."
        )
        return 0

    def write_vectors(temp: str) -> None:
        with open(temp, "wb") as handle:  # a file object: np.save would add .npy to a temp file's name
            np.save(handle, np.asarray(index.entry.vectors))

    atomic_write(out, write_vectors)
    rows_file = out.with_suffix(".rows.csv")
    header = ["vector", "row", "line"] + ([args.id_column] if ids is not None else [])
    rows = [
        [position, int(row), int(table.line_numbers[row])] + ([ids[row]] if ids is not None else [])
        for position, row in enumerate(index.entry.rows)
    ]
    write_csv(rows_file, header, rows)
    print(
        f"Wrote {len(rows):,} vectors of {index.info.dimension} dimensions to {out}, their rows to {rows_file}."
    )
    return 0


def _require_pyarrow() -> None:
    import importlib

    try:
        importlib.import_module("pyarrow")
    except ImportError:
        raise EmbeddingError(
            "Parquet output needs pyarrow, which is not installed.",
            "Install it (pip install pyarrow), or write the vectors as .npy (--out vectors.npy).",
        ) from None


def _write_parquet(out: Path, index, ids, id_column: str | None) -> None:
    """One Parquet row per indexed table row: row, line, the id column if given, vector (float32 list)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from bertstudio.atomic import atomic_write

    rows = np.asarray(index.entry.rows, dtype=np.int64)
    vectors = np.ascontiguousarray(index.entry.vectors, dtype=np.float32)
    columns = {"row": pa.array(rows), "line": pa.array(index.table.line_numbers[rows].astype(np.int64))}
    if ids is not None:
        columns[id_column] = pa.array([ids[row] for row in rows.tolist()])
    columns["vector"] = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1])
    atomic_write(out, lambda temp: pq.write_table(pa.table(columns), temp))


def run_search(args: argparse.Namespace) -> int:
    index = _open_index(args)
    results = []
    for query in args.query:
        start = time.perf_counter()
        hits = index.search(query, args.top_k)
        results.append((query, hits, time.perf_counter() - start))
    if args.json:
        payload = [
            {
                "query": query,
                "results": [
                    {
                        "rank": rank,
                        "score": hit.score,
                        "row": hit.row,
                        "line": hit.line,
                        "truncated": hit.truncated,
                        "values": hit.values,
                    }
                    for rank, hit in enumerate(hits, 1)
                ],
            }
            for query, hits, _ in results
        ]
        print(
            json.dumps(payload if len(payload) > 1 else payload[0], ensure_ascii=False, indent=2, default=str)
        )
        return 0
    for query, hits, seconds in results:
        print(f"query: {query}  ({seconds * 1000:.0f} ms)")
        for rank, hit in enumerate(hits, 1):
            text = str(hit.values.get(args.text, ""))
            others = ", ".join(f"{k}={v}" for k, v in hit.values.items() if k != args.text)
            shown = text if len(text) <= 100 else text[:97] + "..."
            cut = f"  (truncated at {index.info.max_length} tokens)" if hit.truncated else ""
            print(
                f"{rank:>3}. {hit.score:.4f}  line {hit.line}: {shown}"
                + (f"  [{others}]" if others else "")
                + cut
            )
    return 0
