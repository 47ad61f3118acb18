"""Shared helpers of the training tests: tiny separable data sets, tiny models, run configs."""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

from tests.conftest import make_tiny_model_dir

POSITIVE = "good great love fun funny happy liked".split()
NEGATIVE = "bad terrible hate boring sad".split()
FILLER = "the movie film book plot acting story was is very really this it".split()


def sentiment_rows(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """Texts whose label is decided by one keyword among filler words: tiny models can fit it."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        label = "pos" if index % 2 else "neg"
        words = rng.sample(FILLER, 4) + [rng.choice(POSITIVE if label == "pos" else NEGATIVE)]
        rng.shuffle(words)
        rows.append((" ".join(words), label))
    return rows


def write_csv(path: Path, header: list[str], rows: list) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def sentiment_csv(folder: Path, count: int = 96, seed: int = 0) -> Path:
    return write_csv(folder / "sentiment.csv", ["text", "label"], sentiment_rows(count, seed))


def tiny_model(folder: Path, dropout: bool = True) -> Path:
    """A tiny encoder folder; without dropout, runs that batch differently can be compared exactly."""
    path = make_tiny_model_dir(folder / "tiny_model")
    if not dropout:
        config_file = path / "config.json"
        config = json.loads(config_file.read_text())
        config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        config_file.write_text(json.dumps(config))
    return path


def copy_model(source: Path, folder: Path) -> Path:
    return Path(shutil.copytree(source, folder / "model_copy"))


def run_config(model: Path, data: Path, out: Path, **overrides):
    from bertstudio.training import RunConfig

    settings = dict(
        task="classification",
        model_path=str(model),
        data_path=str(data),
        text_column="text",
        label_columns=["label"],
        output_dir=str(out),
        max_length=24,
        batch_size=8,
        learning_rate=3e-3,
        warmup_ratio=0.0,
        epochs=1,
        log_every_steps=0,
        seed=3,
    )
    settings.update(overrides)
    return RunConfig(**settings)


def step_losses(run_dir: Path) -> dict[int, float]:
    from bertstudio.training import RunFolder

    return {r["step"]: r["loss"] for r in RunFolder(run_dir).read_events() if r["kind"] == "step"}


def eval_records(run_dir: Path, split: str = "validation") -> list[dict]:
    from bertstudio.training import RunFolder

    return [r for r in RunFolder(run_dir).read_events() if r["kind"] == "eval" and r["split"] == split]


class EventLog(list):
    """Collects the events a run sends (the on_event callback)."""

    def __call__(self, event) -> None:
        self.append(event)

    def kinds(self, kind: str) -> list:
        return [e for e in self if e.kind == kind]


def checkpointed_run(root: Path) -> Path:
    """A short classification run keeping a checkpoint every 3 steps (steps 3 and 6), exporting its
    last step's weights, with 24 validation rows: what the projector scrubs through."""
    from bertstudio.training import run_training

    config = run_config(
        tiny_model(root),
        sentiment_csv(root, 96),
        root / "run",
        validation_fraction=0.25,
        test_fraction=0.0,
        max_steps=6,
        eval_every_steps=3,
        save_every_steps=3,
        keep_checkpoints=5,
        load_best_at_end=False,
    )
    assert run_training(config).status == "completed"
    return root / "run"
