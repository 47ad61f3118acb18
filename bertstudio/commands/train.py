"""`bertstudio train`: fine-tune a model from a TOML run config, from flags, or resume a run folder.

    bertstudio train --config run.toml [flags override the file]
    bertstudio train --model DIR --data FILE --text COL --label COL [--task T] --out RUN_DIR ...
    bertstudio train --resume RUN_DIR
    bertstudio train ... --find-lr   (a learning-rate range test: prints a suggested rate, writes nothing)

Exit status: 0 finished, 1 training failed, 2 bad input, 130 cancelled with Ctrl-C (checkpoint saved).
"""

from __future__ import annotations

import argparse
from typing import Any

from bertstudio.data.read_options import ReadOptions
from bertstudio.errors import ConfigError, TrainingError

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_CANCELLED = 130

# flag -> (RunConfig field, type, help); shared by train and pretrain
COMMON_FLAGS: dict[str, tuple[str, Any, str]] = {
    "--out": (
        "output_dir",
        str,
        "run folder to create (run.json, metrics.jsonl, checkpoints/, model/, eval/)",
    ),
    "--epochs": ("epochs", int, "passes over the training data (default: the task's, 3 for classification)"),
    "--max-steps": ("max_steps", int, "stop after this many optimizer steps (overrides --epochs)"),
    "--batch-size": (
        "batch_size",
        int,
        "examples per step across all processes (default: the task's, 16 for classification)",
    ),
    "--gradient-accumulation": (
        "gradient_accumulation",
        int,
        "batches summed per optimizer step (default 1)",
    ),
    "--lr": ("learning_rate", float, "peak learning rate (default: the task's, 5e-5 for classification)"),
    "--weight-decay": ("weight_decay", float, "AdamW weight decay, not on biases/LayerNorm (default 0.01)"),
    "--warmup": (
        "warmup_ratio",
        float,
        "fraction of steps warming up the learning rate (default: the task's, 0.1 for classification)",
    ),
    "--schedule": ("schedule", str, "learning-rate decay after warmup: linear, cosine, constant"),
    "--max-grad-norm": ("max_grad_norm", float, "gradient clipping norm; 0 turns it off (default 1.0)"),
    "--max-length": ("max_length", int, "tokens per example; longer texts are truncated (default 128)"),
    "--seed": ("seed", int, "random seed (data order, splits, dropout, masking)"),
    "--eval-every": ("eval_every_steps", int, "evaluate every N steps (default: each epoch)"),
    "--metric": ("metric_for_best", str, "metric that picks the best checkpoint (default per task)"),
    "--early-stopping": ("early_stopping_patience", int, "stop after N evaluations without improvement"),
    "--save-every": ("save_every_steps", int, "also checkpoint every N steps"),
    "--save-every-minutes": ("save_every_minutes", float, "checkpoint at least this often (default 10)"),
    "--keep-checkpoints": ("keep_checkpoints", int, "checkpoints kept besides the best (default 2)"),
    "--device": ("device", str, "auto (CUDA, then MPS, then CPU), cpu, cuda or mps"),
    "--precision": ("precision", str, "auto, fp32, bf16 or fp16"),
    "--threads": ("cpu_threads", int, "torch CPU threads (default: every core)"),
}

# how data files are read; shared by train, predict, evaluate, embed, search and data inspect
READ_FLAGS: dict[str, tuple[str, Any, str]] = {
    "--encoding": ("encoding", str, "text encoding of the data files, e.g. cp1252 (default: detected)"),
    "--delimiter": ("delimiter", str, "field separator, e.g. ';' or '\\t' for tab (default: detected)"),
    "--header": ("header", str, "auto, yes or no: does the first row name the columns (default auto)"),
}

# question answering: a table's columns (a SQuAD .json file needs none), windows and answers
QA_FLAGS: dict[str, tuple[str, Any, str]] = {
    "--context": ("context_column", str, "question answering: column holding the context"),
    "--question": ("question_column", str, "question answering: column holding the question"),
    "--answer": ("answer_column", str, "question answering: column holding the answer (empty: no answer)"),
    "--answer-start": (
        "answer_start_column",
        str,
        "question answering: column holding the answer's character offset (default: found in the context)",
    ),
    "--doc-stride": (
        "doc_stride",
        int,
        "question answering: tokens shared by neighbouring windows of a long context (default 128)",
    ),
    "--max-answer-length": ("max_answer_length", int, "question answering: longest answer in tokens (30)"),
    "--null-threshold": (
        "null_threshold",
        float,
        "question answering (SQuAD v2.0): answer '' when 'no answer' outscores the best span by more (0)",
    ),
}

TRAIN_FLAGS: dict[str, tuple[str, Any, str]] = {
    "--model": ("model_path", str, "starting model folder (Hugging Face layout)"),
    "--data": ("data_path", str, "training data: CSV, TSV or JSONL (question answering: also SQuAD .json)"),
    "--validation": ("validation_path", str, "separate validation file"),
    "--test": ("test_path", str, "separate test file"),
    "--text": ("text_column", str, "column holding the text"),
    "--text-pair": ("text_pair_column", str, "column holding the second text of a pair"),
    "--negative": ("negative_column", str, "sentence_similarity: column holding a hard negative per pair"),
    "--label": ("label_columns", list, "label column (repeat for one 0/1 column per label)"),
    "--label-delimiter": ("label_delimiter", str, "multi-label cells: labels separated by this"),
    "--split-column": ("split_column", str, "column naming train / validation / test per row"),
    **QA_FLAGS,
    "--validation-fraction": (
        "validation_fraction",
        float,
        "share of --data held out for validation when no --validation file or split column (default 0.1)",
    ),
    "--test-fraction": (
        "test_fraction",
        float,
        "share of --data held out for the final test when no --test file or split column (default 0.1)",
    ),
    **READ_FLAGS,
    "--task": ("task", str, "what is learned (default classification):"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="fine-tune a model (or resume a run)",
        description="Fine-tune a model on a table. Flags override the values of --config.",
    )
    parser.add_argument("--config", help="run config in TOML (as saved by the window)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint")
    add_config_flags(parser, TRAIN_FLAGS)
    parser.add_argument(
        "--exclude-problem-rows",
        action="store_true",
        default=None,
        help="leave out unusable rows (listed in the log) instead of stopping",
    )
    add_config_flags(parser, COMMON_FLAGS)
    add_output_flags(parser)
    parser.add_argument(
        "--find-lr",
        action="store_true",
        help="run a learning-rate range test (100 steps, the rate rising from 1e-7 to 0.1) on this model "
        "and data, print the loss per rate and a suggested --lr, and exit without writing a run",
    )
    parser.set_defaults(handler=run_train)


def add_config_flags(parser: argparse.ArgumentParser, flags: dict[str, tuple[str, Any, str]]) -> None:
    for flag, (field, kind, text) in flags.items():
        if flag == "--task":
            add_task_flag(parser, text)
        elif kind is list:
            parser.add_argument(flag, dest=field, action="append", help=text)
        else:
            parser.add_argument(flag, dest=field, type=kind, help=text)


def add_task_flag(parser: argparse.ArgumentParser, text: str) -> None:
    """--task with the fine-tuning tasks of the registry as its choices, each with its help line."""
    from bertstudio.tasks import fine_tuning_tasks

    specs = fine_tuning_tasks()
    listed = "; ".join(f"{spec.name}: {spec.help}" for spec in specs)
    parser.add_argument(
        "--task",
        dest="task",
        choices=[spec.name for spec in specs],
        metavar="TASK",
        help=f"{text} {listed}",
    )


def read_options_from(args: argparse.Namespace) -> ReadOptions:
    """How to read the data files, from the READ_FLAGS a command was given."""
    return ReadOptions.from_text(args.encoding or "", args.delimiter or "", args.header or "auto")


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--save-config", metavar="FILE", help="write the run config as TOML and exit")
    parser.add_argument("--plain", action="store_true", help="plain log lines even on a terminal")


def config_from_args(args: argparse.Namespace, **defaults: Any):
    """RunConfig from --config (if given) with every flag the user set laid over it; without a
    config file, a run starts from its task's default hyper-parameters (bertstudio.tasks)."""
    from bertstudio.training import RunConfig

    if getattr(args, "config", None):
        config = RunConfig.load_toml(args.config)
    else:
        task = getattr(args, "task", None) or defaults.pop("task", "classification")
        defaults.pop("task", None)
        config = RunConfig.for_task(task, **defaults)
    return RunConfig.from_dict({**config.to_dict(), **flag_values(args)})


def _fields(cls):
    import dataclasses

    return dataclasses.fields(cls)


def run_train(args: argparse.Namespace) -> int:
    if args.resume:
        if args.find_lr:
            raise ConfigError("--find-lr scans a new run's settings; leave out --resume.")
        return execute(args, resume_dir=args.resume)
    if args.find_lr:
        return find_lr(args, config_from_args(args))
    return execute(args, config=config_from_args(args))


def advising(config, reporter):
    """The reporter, preceded once the run knows its training examples by the warnings of a run too
    short to learn (on stderr)."""
    import sys

    from bertstudio.training.guidance import advise, plan_steps

    def on_event(event) -> None:
        if event.kind == "started" and not event.start_step:
            plan = plan_steps(config, event.train_examples)
            for warning in advise(
                config, plan, range_test="bertstudio train ... --find-lr", max_steps="--max-steps"
            ):
                print(f"warning: {warning}", file=sys.stderr)
        reporter(event)

    return on_event


def find_lr(args: argparse.Namespace, config) -> int:
    """The range test with Ctrl-C as cancel: one line per tenth of the scan, then the suggestion."""
    from bertstudio.training import TrainingControl
    from bertstudio.training.console import cancel_on_interrupt
    from bertstudio.training.lr_range_test import find_learning_rate

    control = TrainingControl()
    with cancel_on_interrupt(control):
        scan = find_learning_rate(config, control=control)
    every = max(1, len(scan.rates) // 10)
    print("rate      loss    smoothed")
    for index in range(0, len(scan.rates), every):
        print(f"{scan.rates[index]:.1e}  {scan.losses[index]:.4f}  {scan.smoothed[index]:.4f}")
    if scan.status != "completed":
        print(f"({scan.status} after {len(scan.rates)} steps)")
    print(scan.note)
    if scan.status == "cancelled":
        return EXIT_CANCELLED
    return 0 if scan.suggested_rate is not None else EXIT_FAILED


def flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """The RunConfig settings given as flags (those left out are None)."""
    from bertstudio.training import RunConfig

    return {
        f.name: getattr(args, f.name) for f in _fields(RunConfig) if getattr(args, f.name, None) is not None
    }


def execute(args: argparse.Namespace, config=None, resume_dir: str | None = None) -> int:
    """Run (or resume) with a console reporter and Ctrl-C as cancel; returns the exit status."""
    from bertstudio.training import TrainingControl, resume_training, run_training
    from bertstudio.training.console import ConsoleReporter, cancel_on_interrupt

    if config is not None and getattr(args, "save_config", None):
        config.validate()
        config.save_toml(args.save_config)
        print(f"wrote {args.save_config}")
        return 0
    if resume_dir is not None and args.config:
        raise ConfigError("--resume continues a run with its own saved config; leave out --config.")
    reporter = ConsoleReporter(interactive=False if args.plain else None)
    control = TrainingControl()
    with cancel_on_interrupt(control):
        if resume_dir is not None:
            result = resume_training(resume_dir, reporter, control, overrides=flag_values(args))
        else:
            result = run_training(config, advising(config, reporter), control)
    if result.status == "cancelled":
        return EXIT_CANCELLED
    if result.status == "failed":
        # Divergence or out-of-memory is a failed run (1); anything else is bad input (2).
        return EXIT_FAILED if isinstance(result.error, TrainingError) else EXIT_BAD_INPUT
    return 0
