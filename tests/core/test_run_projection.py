"""A run's evaluation rows projected at each stored checkpoint: the rows are the run's own validation
split, the last frame predicts what the exported model predicted, frames are cached and aligned."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from bertstudio.embeddings.projection import pca_2d
from bertstudio.embeddings.run_projection import evaluation_rows, frame_sources, project_run
from bertstudio.embeddings.umap_projection import ProjectionCancelled
from bertstudio.errors import RunStoreError
from tests.core.training_fixtures import checkpointed_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return checkpointed_run(tmp_path_factory.mktemp("projection_run"))


def predictions_csv(run_dir) -> list[dict[str, str]]:
    with open(run_dir / "eval" / "validation_predictions.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_frames_are_the_start_and_every_kept_checkpoint(run_dir):
    sources = frame_sources(run_dir)
    assert [s.step for s in sources] == [0, 3, 6]
    assert sources[0].checkpoint is None and sources[0].title == "start (step 0)"
    assert [s.checkpoint.name for s in sources[1:]] == ["step-00000003", "step-00000006"]


def test_the_projected_rows_are_the_runs_validation_split_and_the_last_frame_predicts_as_the_export(
    run_dir, tmp_path
):
    expected = predictions_csv(run_dir)
    rows = evaluation_rows(run_dir)
    assert rows.split == "validation" and rows.total == len(expected) == 24
    assert rows.texts == [r["text"] for r in expected] and rows.labels == [r["label"] for r in expected]
    assert rows.lines == [int(r["line"]) for r in expected]
    progress = []
    projection = project_run(run_dir, cache_dir=tmp_path, progress=lambda d, t: progress.append((d, t)))
    first, middle, last = projection.frames
    assert first.predicted is None  # the starting model has no head
    assert projection.correctness(first) is None and projection.accuracy(first) is None
    assert last.predicted == [r["predicted"] for r in expected]  # the export holds the last step's weights
    marks = projection.correctness(last)
    assert marks == ["correct" if r["predicted"] == r["label"] else "wrong" for r in expected]
    assert not np.allclose(middle.vectors, last.vectors)
    assert progress[-1] == (72, 72) and all(a[0] <= b[0] for a, b in zip(progress, progress[1:]))
    assert [step for step, _ in projection.losses] == list(range(1, 7))


def test_frames_are_aligned_pca_of_each_checkpoints_vectors(run_dir, tmp_path):
    projection = project_run(run_dir, cache_dir=tmp_path)
    for before, after in zip(projection.frames, projection.frames[1:]):
        raw, _ = pca_2d(after.vectors)
        raw = raw - raw.mean(axis=0)
        raw /= np.sqrt((raw**2).sum(axis=1).mean())
        # the aligned frame is the raw PCA rotated / mirrored: same distances between points ...
        np.testing.assert_allclose(
            np.linalg.norm(after.points[:, None] - after.points[None], axis=-1),
            np.linalg.norm(raw[:, None] - raw[None], axis=-1),
            atol=1e-4,
        )
        # ... and no farther from the frame before than any of PCA's sign choices would be
        flips = [raw * np.array(signs) for signs in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
        assert (
            np.abs(after.points - before.points).sum()
            <= min(np.abs(f - before.points).sum() for f in flips) + 1e-4
        )


def test_frames_are_cached_and_recomputed_when_the_weights_change(run_dir, tmp_path):
    project_run(run_dir, cache_dir=tmp_path)
    kept = sorted((tmp_path / "run_frames").glob("*.npz"))
    assert len(kept) == 3
    calls = []
    again = project_run(run_dir, cache_dir=tmp_path, should_stop=lambda: calls.append(1) or True)
    assert not calls and len(again.frames) == 3  # all from the cache: no batch was encoded
    weights = run_dir / "checkpoints" / "step-00000003" / "model.safetensors"
    stat = weights.stat()
    import os

    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        with pytest.raises(ProjectionCancelled):  # the changed checkpoint is encoded again
            project_run(run_dir, cache_dir=tmp_path, should_stop=lambda: True)
    finally:
        os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert sorted((tmp_path / "run_frames").glob("*.npz")) == kept  # a cancel keeps nothing new


def test_a_run_without_an_export_or_a_folder_that_is_no_run_is_refused(tmp_path):
    with pytest.raises(RunStoreError, match="run.json is missing"):
        project_run(tmp_path, cache_dir=tmp_path)
