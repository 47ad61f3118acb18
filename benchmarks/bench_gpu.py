"""GPU speed of a bert-base-sized model in bf16: training steps, ours against transformers (SDPA),
then an end-to-end fine-tuning run through our training engine. Reports tokens/s and model FLOPs
utilisation (MFU): model FLOPs (6 x matmul parameters x tokens + attention) over the GPU's peak.

    python benchmarks/bench_gpu.py                        # H100 SXM peak (989 bf16 dense TFLOP/s)
    python benchmarks/bench_gpu.py --shapes 64x128 --e2e-steps 0 --peak-tflops 989

Model FLOPs count real tokens only (padding is not useful work), so the utilisation of a model that
skips padding and of one that computes it are comparable.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from bench_step import (
    build_pair,
    check_parity,
    check_training_gradients,
    interleaved_times,
    make_step,
    model_inputs,
    padded_batch,
    paired_speedup,
    without_packing,
)
from common import python_source_snippets, training_flops, write_csv


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", default="base")
    parser.add_argument("--shapes", default="32x128,16x512", help="batch x max-length of the step runs")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--e2e-steps", type=int, default=300, help="steps of the engine run (0: skip it)")
    parser.add_argument("--e2e-batch-size", type=int, default=32)
    parser.add_argument("--e2e-max-length", type=int, default=256)
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="the GPU's dense bf16 peak")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def bench_steps(args: argparse.Namespace) -> None:
    ours, reference = build_pair(args.preset, None, args.seed, "cuda")
    config = ours.config
    print(
        f"{torch.cuda.get_device_name()} | torch {torch.__version__} | preset {args.preset}: "
        f"{config.num_hidden_layers} layers, hidden {config.hidden_size}, "
        f"{sum(p.numel() for p in ours.parameters()) / 1e6:.1f}M parameters | bf16 autocast, fused AdamW"
    )
    for shape in args.shapes.split(","):
        batch_size, max_length = (int(part) for part in shape.split("x"))
        ids, mask, types, labels = padded_batch(batch_size, max_length, config.vocab_size, args.seed, "cuda")
        lengths = mask.sum(dim=1).tolist()
        logits_difference = check_parity(ours, reference, ids, mask, types)
        loss_difference, gradient_difference = check_training_gradients(
            ours, reference, ids, mask, types, labels
        )
        steps = {
            "ours": make_step(ours, model_inputs(ours, ids, mask, types), labels, "cuda", bf16=True),
            "transformers": make_step(
                reference, model_inputs(ours, ids, mask, types), labels, "cuda", bf16=True
            ),
        }
        steps["ours, no packing"] = without_packing(steps["ours"])
        times = interleaved_times(steps, args.warmup, args.repeats)
        flops = training_flops(ours, lengths)
        print(
            f"\nbatch {batch_size} x {max_length} ({sum(lengths)} real tokens of {batch_size * max_length}); "
            f"fp32 eval logits |diff| {logits_difference:.1e}, loss |diff| {loss_difference:.1e}, "
            f"gradients |diff| {gradient_difference:.1e}"
        )
        medians = {name: statistics.median(values) for name, values in times.items()}
        for name, median in medians.items():
            print(
                f"{name:>16}: {median * 1e3:7.2f} ms/step  {sum(lengths) / median:10.0f} real tokens/s  "
                f"MFU {flops / median / (args.peak_tflops * 1e12) * 100:5.1f}%"
            )
        print(
            f"speed-up (transformers / ours): {medians['transformers'] / medians['ours']:.2f}x of medians, "
            f"{paired_speedup(times):.2f}x median of the paired repeats"
        )
    del ours, reference
    torch.cuda.empty_cache()


def bench_engine(args: argparse.Namespace, work: Path) -> None:
    """Fine-tune a randomly initialised model of the preset through run_training on CUDA."""
    from bertstudio.model import BertConfig, build_model, save_pretrained
    from bertstudio.text import encode, train_wordpiece
    from bertstudio.training import RunConfig, StepEvent, run_training

    count = int(args.e2e_steps * args.e2e_batch_size / 0.8) + 64  # the engine holds 20% out
    rows = python_source_snippets(count, args.seed)
    texts = [text for text, _ in rows]
    tokenizer = train_wordpiece(texts, vocab_size=30522, max_length=args.e2e_max_length)
    config = BertConfig.preset(
        args.preset, vocab_size=tokenizer.get_vocab_size(), id2label={0: "library", 1: "test"}
    )
    torch.manual_seed(args.seed)
    model_dir = save_pretrained(build_model(config, "classification"), tokenizer, work / "model")
    data = write_csv(work / "snippets.csv", ["text", "label"], rows)
    lengths = [len(encoding.ids) for encoding in encode(tokenizer, texts, max_length=args.e2e_max_length)]
    mean_tokens = sum(lengths) / len(lengths)

    stamps: list[tuple[int, float]] = []

    def on_event(event) -> None:
        if isinstance(event, StepEvent):
            stamps.append((event.step, time.perf_counter()))

    run = RunConfig(
        task="classification",
        model_path=str(model_dir),
        data_path=str(data),
        text_column="text",
        label_columns=["label"],
        max_length=args.e2e_max_length,
        max_steps=args.e2e_steps,
        batch_size=args.e2e_batch_size,
        learning_rate=1e-4,
        device="cuda",
        precision="bf16",
        output_dir=str(work / "run"),
        seed=args.seed,
    )
    started = time.perf_counter()
    result = run_training(run, on_event=on_event)
    total = time.perf_counter() - started
    skip = min(20, len(stamps) // 4)  # leave out warm-up steps (allocator, kernel selection)
    (first_step, first_time), (last_step, last_time) = stamps[skip], stamps[-1]
    samples_per_second = (last_step - first_step) * args.e2e_batch_size / (last_time - first_time)
    model = build_model(config, "classification")
    flops_per_example = training_flops(model, lengths) / len(lengths)
    print(
        f"\nengine run_training on CUDA: {len(rows)} snippets of Python's standard library "
        f"(mean {mean_tokens:.0f} tokens, max {args.e2e_max_length}), batch {args.e2e_batch_size}, bf16, "
        f"{result.status} after {result.step} steps, test accuracy "
        f"{result.test_metrics.get('accuracy', float('nan')):.3f}, {total:.0f} s in all"
    )
    print(
        f"steps {first_step}-{last_step}: {samples_per_second:.0f} samples/s, "
        f"{samples_per_second * mean_tokens:.0f} real tokens/s, "
        f"MFU {samples_per_second * flops_per_example / (args.peak_tflops * 1e12) * 100:.1f}%"
    )


def main() -> None:
    args = parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("bench_gpu.py needs a CUDA GPU.")
    bench_steps(args)
    if args.e2e_steps:
        with tempfile.TemporaryDirectory() as folder:
            bench_engine(args, Path(folder))


if __name__ == "__main__":
    main()
