"""`bertstudio pretrain`: masked-LM pretraining of a new model from a preset (tokenizer trained on the
corpus) or continued pretraining of a checkpoint on domain text.

    bertstudio pretrain --corpus FILE... --preset tiny --out RUN_DIR [--nsp] ...
    bertstudio pretrain --corpus FILE... --model DIR --out RUN_DIR ...
    bertstudio pretrain --resume RUN_DIR
"""

from __future__ import annotations

import argparse

from bertstudio.commands.train import (
    COMMON_FLAGS,
    add_config_flags,
    add_output_flags,
    config_from_args,
    execute,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pretrain",
        help="pretrain a new model (masked-LM, optional NSP) or continue pretraining one",
        description="Pretrain from a preset (a WordPiece vocabulary is trained on the corpus first), "
        "or continue masked-LM pretraining of --model on your text (domain adaptation).",
    )
    parser.add_argument("--config", help="run config in TOML")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint")
    parser.add_argument(
        "--corpus",
        dest="corpus_paths",
        nargs="+",
        metavar="FILE",
        help="text files: one document per line, or documents separated by blank lines",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", help="new model of this size: tiny, mini, small, base")
    source.add_argument("--model", dest="model_path", help="continue pretraining this model folder")
    parser.add_argument(
        "--vocab-size", dest="vocab_size", type=int, help="WordPiece vocabulary size (new models)"
    )
    parser.add_argument(
        "--cased", dest="lowercase", action="store_false", default=None, help="keep upper case"
    )
    parser.add_argument("--nsp", action="store_true", default=None, help="add next-sentence prediction")
    parser.add_argument(
        "--mlm-probability", dest="mlm_probability", type=float, help="share of tokens masked (0.15)"
    )
    parser.add_argument(
        "--whole-word-mask",
        dest="whole_word_mask",
        action="store_true",
        default=None,
        help="mask all pieces of a word together",
    )
    parser.add_argument(
        "--validation-fraction",
        dest="validation_fraction",
        type=float,
        help="share of the corpus held out for evaluation (default 0.1)",
    )
    add_config_flags(parser, COMMON_FLAGS)
    add_output_flags(parser)
    parser.set_defaults(handler=run_pretrain)


def _task(args: argparse.Namespace) -> str:
    """The pretraining task: continued when a model is given, else from scratch."""
    from bertstudio.tasks import pretraining_tasks

    wanted = bool(args.model_path)
    return next(spec.name for spec in pretraining_tasks() if spec.starts_from_model == wanted)


def run_pretrain(args: argparse.Namespace) -> int:
    if args.resume:
        return execute(args, resume_dir=args.resume)
    config = config_from_args(args, task=_task(args), test_fraction=0.0)
    if args.model_path and not config.spec.starts_from_model:  # a --config of pretraining plus --model
        config.task = _task(args)
    return execute(args, config=config)
