"""Vectors -> 2D points with UMAP (umap-learn), computed once per index and settings and kept on disk.

UMAP takes seconds to minutes (its first call in a process also compiles numba kernels), so the
projector runs it on a worker thread: progress comes from umap-learn's epoch loop, whose tqdm bar is
pointed at a writer of ours, and the same writer stops the loop at the next epoch when asked to. The
neighbour search before the epochs cannot be interrupted; a cancel there takes effect when it ends.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bertstudio.embeddings.progress import ProgressCallback, StopCheck
from bertstudio.errors import EmbeddingError

FORMAT_VERSION = 1
MIN_ROWS = 5  # below this UMAP has no neighbourhood to learn from
PROGRESS = re.compile(r"(\d+)/(\d+)")


class ProjectionCancelled(EmbeddingError):
    """A projection was stopped on request; nothing was saved."""


@dataclass(frozen=True)
class UmapSettings:
    """umap-learn's main knobs, under the names the projector shows."""

    neighbours: int = 15  # n_neighbors: larger keeps more of the global shape
    min_distance: float = 0.1  # min_dist: smaller packs clusters tighter
    metric: str = "cosine"  # the embedding space's own similarity
    seed: int = 0  # random_state: the same settings give the same picture

    def digest(self) -> str:
        parts = {"format": FORMAT_VERSION, **asdict(self)}
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def umap_cache_file(cache_dir: str | Path, index_key: str, settings: UmapSettings) -> Path:
    """Where the projection of the index `index_key` with `settings` is kept."""
    return Path(cache_dir) / "projections" / f"{index_key}-umap-{settings.digest()}.npy"


def cached_umap(
    cache_dir: str | Path, index_key: str, settings: UmapSettings, rows: int
) -> np.ndarray | None:
    """The kept projection, or None when there is none or it does not fit the index (it is recomputed)."""
    try:
        points = np.load(umap_cache_file(cache_dir, index_key, settings))
    except (OSError, ValueError):
        return None
    return points if points.shape == (rows, 2) and points.dtype == np.float32 else None


def umap_2d(
    vectors: np.ndarray,
    settings: UmapSettings = UmapSettings(),
    *,
    cache_dir: str | Path | None = None,
    index_key: str | None = None,
    progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> np.ndarray:
    """(n, 2) float32 UMAP points of `vectors`. With `cache_dir` and `index_key` (the embedding index's
    key) the result is read from the cache when kept there, else computed and stored atomically."""
    from bertstudio.atomic import atomic_write

    rows = len(vectors)
    if cache_dir is not None and index_key is not None:
        kept = cached_umap(cache_dir, index_key, settings, rows)
        if kept is not None:
            return kept
    if rows < MIN_ROWS:
        raise EmbeddingError(
            f"UMAP needs at least {MIN_ROWS} rows; the index has {rows}.", "Use PCA for so few rows."
        )
    if should_stop is not None and should_stop():
        raise ProjectionCancelled("The projection was cancelled; nothing was saved.")
    points = _fit(np.asarray(vectors, np.float32), settings, progress, should_stop)
    if cache_dir is not None and index_key is not None:
        target = umap_cache_file(cache_dir, index_key, settings)
        atomic_write(target, lambda temp: _save_npy(temp, points))
    return points


def _save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, array)


def _fit(
    vectors: np.ndarray,
    settings: UmapSettings,
    progress: ProgressCallback | None,
    should_stop: StopCheck | None,
) -> np.ndarray:
    import warnings

    try:
        import umap
    except ImportError:
        raise EmbeddingError(
            "UMAP needs the umap-learn package, which is not installed.",
            "Install it (pip install umap-learn) or use PCA.",
        ) from None
    reporter = _EpochReporter(progress, should_stop)
    model = umap.UMAP(
        n_components=2,
        n_neighbors=max(2, min(settings.neighbours, len(vectors) - 1)),
        min_dist=settings.min_distance,
        metric=settings.metric,
        random_state=settings.seed,
        n_jobs=1,  # a seed makes umap-learn single-threaded anyway; saying so silences its warning
        tqdm_kwds={"disable": False, "file": reporter, "ascii": True, "mininterval": 0.1},
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. "graph is not fully connected" on tiny sets
            points = model.fit_transform(vectors)
    except ProjectionCancelled:
        _release_tqdm_lock()
        raise
    return np.ascontiguousarray(points, dtype=np.float32)


def _release_tqdm_lock() -> None:
    """tqdm's refresh takes its (process-wide, reentrant) lock around the write without try / finally,
    so the cancel raised there leaves it held by this thread and the next UMAP, on another thread,
    would wait for it forever. Release that one hold."""
    from tqdm import tqdm

    try:
        tqdm.get_lock().release()
    except (RuntimeError, ValueError):  # not held: the cancel came where tqdm releases it itself
        pass


class _EpochReporter:
    """A file for tqdm: reads "done/total" from the bar umap-learn draws over its epochs, reports it,
    and raises ProjectionCancelled there when a stop is asked for (ending the epoch loop)."""

    def __init__(self, progress: ProgressCallback | None, should_stop: StopCheck | None) -> None:
        self.progress = progress
        self.should_stop = should_stop

    def write(self, text: str) -> int:
        if self.should_stop is not None and self.should_stop():
            raise ProjectionCancelled("The projection was cancelled; nothing was saved.")
        found = PROGRESS.findall(text)
        if found and self.progress is not None:
            done, total = found[-1]
            self.progress(int(done), int(total))
        return len(text)

    def flush(self) -> None:
        pass
