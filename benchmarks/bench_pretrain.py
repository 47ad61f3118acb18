"""Pretraining from scratch: the `tiny` preset (or another) learns masked-LM on a few MB of English
prose that ships with Python (the standard library's docstrings). Runs our engine end to end: it
trains a WordPiece vocabulary on the corpus, then masked-LM; prints the training loss curve and the
held-out masked-LM loss / accuracy / perplexity at each evaluation.

    python benchmarks/bench_pretrain.py                         # ~2 MB, 600 steps, a few minutes on 2 cores
    python benchmarks/bench_pretrain.py --corpus-mb 20 --steps 5000 --preset mini --device cuda
"""

from __future__ import annotations

import argparse
import ast
import tempfile
import time
from pathlib import Path

from common import python_source_files

from bertstudio.training import EvalEvent, RunConfig, StepEvent, run_training


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", default="tiny")
    parser.add_argument(
        "--corpus-mb", type=float, default=3.0, help="cap on the docstring text (Python 3.11 has ~2 MB)"
    )
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: the engine's default)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def docstring_paragraphs(limit_bytes: int) -> list[str]:
    """Paragraphs of the standard library's module, class and function docstrings, one line each."""
    paragraphs: list[str] = []
    size = 0
    for path in python_source_files():
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue  # the standard library ships a few deliberately broken test files
        nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef))]
        for node in nodes:
            for block in (ast.get_docstring(node) or "").split("\n\n"):
                paragraph = " ".join(block.split())
                if len(paragraph.split()) >= 5:
                    paragraphs.append(paragraph)
                    size += len(paragraph) + 1
                    if size >= limit_bytes:
                        return paragraphs
    return paragraphs


def main() -> None:
    args = parse_args()
    paragraphs = docstring_paragraphs(int(args.corpus_mb * 1e6))
    steps: list[StepEvent] = []
    evaluations: list[EvalEvent] = []

    def on_event(event) -> None:
        if isinstance(event, StepEvent):
            steps.append(event)
        elif isinstance(event, EvalEvent) and event.split == "validation":
            evaluations.append(event)

    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "docstrings.txt"
        corpus.write_text("\n".join(paragraphs) + "\n", encoding="utf-8")
        config = RunConfig(
            task="pretraining",
            preset=args.preset,
            vocab_size=args.vocab_size,
            corpus_paths=[str(corpus)],
            max_length=args.max_length,
            max_steps=args.steps,
            batch_size=args.batch_size,
            learning_rate=args.lr,
            warmup_ratio=0.05,
            eval_every_steps=args.eval_every,
            device=args.device,
            cpu_threads=args.threads,
            seed=args.seed,
            output_dir=str(Path(folder) / "run"),
        )
        started = time.perf_counter()
        result = run_training(config, on_event=on_event)
        wall = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"pretraining failed: {result.error}")

    print(
        f"corpus: {len(paragraphs)} docstring paragraphs of Python's standard library, "
        f"{corpus_size(paragraphs) / 1e6:.1f} MB; preset {args.preset}, vocabulary {args.vocab_size}, "
        f"batch {args.batch_size} x {args.max_length}, lr {args.lr}, {result.step} steps in {wall:.0f} s"
    )
    print("training masked-LM loss (mean over each window of steps):")
    window = max(1, len(steps) // 12)
    for start in range(0, len(steps), window):
        chunk = steps[start : start + window]
        mean = sum(s.loss for s in chunk) / len(chunk)
        print(f"  steps {chunk[0].step:5d}-{chunk[-1].step:5d}  loss {mean:6.3f}  {'#' * round(mean * 4)}")
    print("held-out evaluation:")
    for event in evaluations:
        m = event.metrics
        print(
            f"  step {event.step:5d}  mlm_loss {m['mlm_loss']:.3f}  accuracy {m['mlm_accuracy']:.3f}  "
            f"perplexity {m['perplexity']:.1f}"
        )
    if evaluations:
        first, last = evaluations[0].metrics["mlm_loss"], evaluations[-1].metrics["mlm_loss"]
        print(f"held-out masked-LM loss {first:.3f} -> {last:.3f}")


def corpus_size(paragraphs: list[str]) -> int:
    return sum(len(p.encode("utf-8")) + 1 for p in paragraphs)


if __name__ == "__main__":
    main()
