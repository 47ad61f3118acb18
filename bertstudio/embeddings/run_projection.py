"""A fine-tuning run's evaluation set embedded by the model at each stored checkpoint, projected to 2D
and aligned frame to frame, so the projector can scrub through training and show the classes separate.

The frames are the run's starting model (step 0) and every checkpoint the run kept (the exported
model's architecture with that step's weights; the exported model itself when no checkpoint is kept).
Each frame's vectors (mean of the last layer's token states, what the Embeddings page compares) and
the head's predictions are computed once and kept in the embedding cache, keyed by the weights file
and the evaluation rows, so reopening a run is instant and the run folder is never written to.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bertstudio.embeddings.progress import ProgressCallback, StopCheck
from bertstudio.embeddings.projection import aligned_frames, pca_2d
from bertstudio.errors import RunStoreError

FORMAT_VERSION = 1
DEFAULT_MAX_ROWS = 3000  # evaluation rows projected; a seeded sample of larger sets


@dataclass
class EvaluationRows:
    """The rows of a run's evaluation split that are projected."""

    split: str  # "validation" or "test"
    texts: list[str]
    pairs: list[str] | None
    labels: list[str]  # gold label names; "" where a task has no class labels
    lines: list[int]  # line in the data file
    total: int  # rows in the split (more than len(texts) when sampled)
    max_length: int  # tokens per example, as the run trained

    def digest(self) -> str:
        content = json.dumps(
            [self.texts, self.pairs, self.labels, self.lines, self.max_length], ensure_ascii=False
        )
        return hashlib.sha256(content.encode()).hexdigest()


@dataclass
class FrameSource:
    step: int
    title: str  # as the slider shows it
    model_dir: Path
    checkpoint: Path | None = None  # weights replacing model_dir's


@dataclass
class Frame:
    step: int
    title: str
    vectors: np.ndarray  # (rows, hidden) float32
    predicted: list[str] | None  # the head's label per row; None without a classification head
    points: np.ndarray = field(default_factory=lambda: np.empty((0, 2), np.float32))  # aligned PCA


@dataclass
class RunProjection:
    run_dir: Path
    rows: EvaluationRows
    frames: list[Frame]
    losses: list[tuple[int, float]]  # (step, training loss) for the curve under the slider

    def correctness(self, frame: Frame) -> list[str] | None:
        """ "correct" / "wrong" per row at `frame`; None when the frame has no predictions."""
        if frame.predicted is None:
            return None
        return ["correct" if p == g else "wrong" for p, g in zip(frame.predicted, self.rows.labels)]

    def accuracy(self, frame: Frame) -> float | None:
        marks = self.correctness(frame)
        return None if not marks else marks.count("correct") / len(marks)


def evaluation_rows(run_dir: str | Path, max_rows: int = DEFAULT_MAX_ROWS) -> EvaluationRows:
    """The run's validation split (its test split when it has none), re-made from its config exactly as
    training made it; a seeded sample of `max_rows` when larger."""
    from bertstudio.tasks import get_task
    from bertstudio.training.prepare import load_splits
    from bertstudio.training.run_store import RunFolder

    folder = RunFolder(run_dir)
    info = folder.read_info()
    config = folder.read_config()
    if config.is_pretraining or get_task(config.task).per_token or get_task(config.task).answers_questions:
        raise RunStoreError(
            f"A {config.task} run has no table of sentences to project.",
            "Open a classification, regression or similarity run.",
            path=folder.path,
        )
    splits = load_splits(config, label_names=info.get("label_names"))
    split = "validation" if splits["validation"] is not None else "test"
    dataset = splits[split]
    if dataset is None:
        raise RunStoreError(
            "This run has no validation or test rows to project.",
            "Train with a validation fraction above 0 (or a validation file).",
            path=folder.path,
        )
    total = len(dataset)
    if total > max_rows:
        picked = np.sort(np.random.default_rng(config.seed).choice(total, max_rows, replace=False))
        dataset = dataset.subset(picked)
    names = dataset.label_names or []
    single_label = config.task == "classification"
    return EvaluationRows(
        split=split,
        texts=list(dataset.texts),
        pairs=list(dataset.pairs) if dataset.pairs is not None else None,
        labels=[names[int(label)] if single_label else "" for label in dataset.labels],
        lines=[int(line) for line in dataset.line_numbers],
        total=total,
        max_length=config.max_length,
    )


def frame_sources(run_dir: str | Path) -> list[FrameSource]:
    """Step 0 (the model the run started from, when it is still there), then each kept checkpoint."""
    from bertstudio.training.checkpoint import list_checkpoints
    from bertstudio.training.run_store import RunFolder

    folder = RunFolder(run_dir)
    config = folder.read_config()
    if not (folder.model_dir / "config.json").is_file():
        raise RunStoreError(
            "This run has no exported model yet, so its checkpoints cannot be rebuilt.",
            "Resume the run until it finishes (Runs page > Resume), then open it here.",
            path=folder.path,
        )
    sources = []
    start = Path(config.model_path) if config.model_path else None
    if start is not None and (start / "config.json").is_file():
        sources.append(FrameSource(step=0, title="start (step 0)", model_dir=start))
    for checkpoint in list_checkpoints(folder.checkpoints):
        step = int(checkpoint.name.split("-")[1])
        title = f"checkpoint step {step:,}"
        sources.append(FrameSource(step=step, title=title, model_dir=folder.model_dir, checkpoint=checkpoint))
    if len(sources) < 2:
        step = int(folder.read_info().get("step", 0) or 0)
        sources.append(
            FrameSource(step=step, title=f"exported model (step {step:,})", model_dir=folder.model_dir)
        )
    return sources


def project_run(
    run_dir: str | Path,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    cache_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> RunProjection:
    """Every frame of the run: vectors and predictions (cached), PCA points aligned to the frame before."""
    from bertstudio.embeddings.cache import default_cache_dir
    from bertstudio.training.run_store import METRICS_FILE, read_jsonl

    run_dir = Path(run_dir)
    rows = evaluation_rows(run_dir, max_rows)
    sources = frame_sources(run_dir)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    total = len(sources) * len(rows.texts)
    frames = []
    for number, source in enumerate(sources):
        done = number * len(rows.texts)

        def report(rows_done: int, _total: int, done: int = done) -> None:
            if progress is not None:
                progress(done + rows_done, total)

        frames.append(_frame(source, rows, cache, report, should_stop))
    for frame, points in zip(frames, aligned_frames([pca_2d(f.vectors)[0] for f in frames])):
        frame.points = points
    records = read_jsonl(run_dir / METRICS_FILE)
    losses = [(int(r["step"]), float(r["loss"])) for r in records if r.get("kind") == "step" and "loss" in r]
    return RunProjection(run_dir=run_dir, rows=rows, frames=frames, losses=losses)


def _frame_key(source: FrameSource, rows: EvaluationRows) -> str:
    """Over the weights files (path, size, modification time) and the rows: new weights, a new key."""
    weights = []
    for folder in (source.model_dir, source.checkpoint):
        if folder is not None:
            for path in sorted([*folder.glob("*.safetensors"), *folder.glob("*.bin")]):
                stat = path.stat()
                weights.append(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
    parts = {"format": FORMAT_VERSION, "weights": weights, "rows": rows.digest()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def _frame(
    source: FrameSource,
    rows: EvaluationRows,
    cache: Path,
    progress: Callable[[int, int], None],
    should_stop: StopCheck | None,
) -> Frame:
    from bertstudio.atomic import atomic_write

    path = cache / "run_frames" / f"{_frame_key(source, rows)}.npz"
    kept = _read_frame(path, len(rows.texts))
    if kept is not None:
        vectors, predicted = kept
    else:
        vectors, predicted = _compute_frame(source, rows, progress, should_stop)

        def write(temp: str) -> None:
            with open(temp, "wb") as handle:
                np.savez(handle, vectors=vectors, predicted=np.array(json.dumps(predicted)))

        atomic_write(path, write)
    progress(len(rows.texts), len(rows.texts))
    return Frame(step=source.step, title=source.title, vectors=vectors, predicted=predicted)


def _read_frame(path: Path, count: int) -> tuple[np.ndarray, list[str] | None] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            vectors = data["vectors"]
            predicted = json.loads(str(data["predicted"]))
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None
    if len(vectors) != count or (predicted is not None and len(predicted) != count):
        return None
    return vectors, predicted


def _compute_frame(
    source: FrameSource,
    rows: EvaluationRows,
    progress: Callable[[int, int], None],
    should_stop: StopCheck | None,
) -> tuple[np.ndarray, list[str] | None]:
    from bertstudio.embeddings.model_outputs import embed_and_predict
    from bertstudio.text import configure
    from bertstudio.training.run_models import ModelChoice, load_model_choice

    model, tokenizer = load_model_choice(
        ModelChoice(title=source.title, model_dir=source.model_dir, checkpoint=source.checkpoint)
    )
    configure(tokenizer, rows.max_length)
    return embed_and_predict(
        model, tokenizer, rows.texts, rows.pairs, progress=progress, should_stop=should_stop
    )


def describe_frame(projection: RunProjection, frame: Frame) -> str:
    accuracy = projection.accuracy(frame)
    text = f"{frame.title}: {len(projection.rows.texts):,} {projection.rows.split} rows"
    if projection.rows.total > len(projection.rows.texts):
        text += f" (a sample of {projection.rows.total:,})"
    return text + (f"; accuracy {accuracy:.1%}" if accuracy is not None else "; no predictions (no head yet)")
