"""The projector's core: UMAP (cached by index and settings, cancellable), frames aligned for scrubbing,
box and lasso selection, and the selection written as CSV."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from bertstudio.embeddings.projection import aligned_frames, pca_2d
from bertstudio.embeddings.selection import points_in_box, points_in_polygon, write_selection_csv
from bertstudio.embeddings.umap_projection import (
    ProjectionCancelled,
    UmapSettings,
    umap_2d,
    umap_cache_file,
)
from bertstudio.errors import EmbeddingError


def clusters(per_cluster: int = 100, dimension: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(3, dimension))
    labels = np.repeat(np.arange(3), per_cluster)
    return (centres[labels] + rng.normal(size=(len(labels), dimension))).astype(np.float32), labels


def neighbour_agreement(points: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    distances = ((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(distances, np.inf)
    nearest = np.argsort(distances, axis=1)[:, :k]
    return float((labels[nearest] == labels[:, None]).mean())


def test_umap_keeps_clusters_apart_and_is_cached_by_index_and_settings(tmp_path):
    vectors, labels = clusters()
    progress = []
    points = umap_2d(
        vectors, cache_dir=tmp_path, index_key="abc", progress=lambda d, t: progress.append((d, t))
    )
    assert points.shape == (300, 2) and points.dtype == np.float32
    assert neighbour_agreement(points, labels) > 0.95
    assert progress and progress[-1][0] == progress[-1][1] > 0  # epochs done / epochs in all
    kept = umap_cache_file(tmp_path, "abc", UmapSettings())
    np.testing.assert_array_equal(np.load(kept), points)
    np.save(kept, points[::-1].copy())  # what is kept is what is returned: no recomputation
    np.testing.assert_array_equal(umap_2d(vectors, cache_dir=tmp_path, index_key="abc"), points[::-1])
    other = UmapSettings(neighbours=5)
    assert umap_cache_file(tmp_path, "abc", other) != kept
    assert umap_cache_file(tmp_path, "another index", UmapSettings()) != kept
    np.save(kept, points[:10])  # a kept file that does not fit the index is recomputed
    np.testing.assert_allclose(umap_2d(vectors, cache_dir=tmp_path, index_key="abc"), points, atol=1e-4)


def test_umap_stops_at_the_next_epoch_when_cancelled_and_keeps_nothing(tmp_path):
    vectors, _ = clusters(per_cluster=40)
    seen = []
    with pytest.raises(ProjectionCancelled, match="cancelled"):
        umap_2d(
            vectors,
            cache_dir=tmp_path,
            index_key="abc",
            progress=lambda d, t: seen.append(d),
            should_stop=lambda: bool(seen),
        )
    assert seen and seen[-1] < 200 and not list(tmp_path.rglob("*.npy"))


def test_umap_refuses_too_few_rows():
    with pytest.raises(EmbeddingError, match="at least 5 rows"):
        umap_2d(np.ones((3, 8), np.float32))


def test_aligned_frames_undo_rotation_reflection_scale_and_shift():
    rng = np.random.default_rng(0)
    first = rng.normal(size=(50, 2))
    angle = 0.7
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    second = (first @ rotation) * np.array([1.0, -1.0]) * 3.0 + 5.0  # rotated, mirrored, scaled, moved
    moved = first + rng.normal(scale=0.05, size=first.shape)
    aligned = aligned_frames([first, second, moved @ rotation.T])
    np.testing.assert_allclose(aligned[1], aligned[0], atol=1e-5)
    assert np.abs(aligned[2] - aligned[0]).mean() < 0.1  # only the real movement is left
    for frame in aligned:
        np.testing.assert_allclose(np.sqrt((frame**2).sum(axis=1).mean()), 1.0, atol=1e-5)


def test_pca_of_a_sign_flipped_copy_aligns_onto_the_original():
    vectors, _ = clusters(per_cluster=30)
    first, _ = pca_2d(vectors)
    flipped, _ = pca_2d(vectors * np.where(np.arange(32) % 2, -1, 1).astype(np.float32))
    aligned = aligned_frames([first, flipped])
    np.testing.assert_allclose(aligned[1], aligned[0], atol=1e-4)


def test_box_and_lasso_select_exactly_the_points_inside():
    grid = np.stack(np.meshgrid(np.arange(10.0), np.arange(10.0)), -1).reshape(-1, 2) + 0.5
    box = points_in_box(grid, (2, 3), (5, 1))
    assert {tuple(p) for p in grid[box]} == {(x + 0.5, y + 0.5) for x in range(2, 5) for y in range(1, 3)}
    square = np.array([[2, 1], [5, 1], [5, 3], [2, 3]], float)
    np.testing.assert_array_equal(points_in_polygon(grid, square), box)
    l_shape = np.array([[0, 0], [4, 0], [4, 2], [2, 2], [2, 4], [0, 4]], float)  # concave
    inside = {tuple(p) for p in grid[points_in_polygon(grid, l_shape)]}
    expected = {(x + 0.5, y + 0.5) for x in range(4) for y in range(4) if x < 2 or y < 2}
    assert inside == expected
    assert len(points_in_polygon(grid, l_shape[:2])) == 0  # a line encloses nothing


def test_selection_is_written_atomically_as_csv(tmp_path):
    target = tmp_path / "selected.csv"
    write_selection_csv(target, ["line", "text", "label"], [[2, 'a, quoted "text"', "pos"], [5, "b", None]])
    with open(target, encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["line", "text", "label"],
            ["2", 'a, quoted "text"', "pos"],
            ["5", "b", ""],
        ]
    assert [p.name for p in tmp_path.iterdir()] == ["selected.csv"]


def test_after_a_cancel_the_next_umap_on_another_thread_finishes():
    """The cancel is raised inside tqdm's refresh, which holds tqdm's process-wide lock: it must be
    released, or the next projection (the window runs each on a new thread) waits forever."""
    import threading

    vectors, _ = clusters(per_cluster=20)
    seen = []
    with pytest.raises(ProjectionCancelled):
        umap_2d(vectors, progress=lambda d, t: seen.append(d), should_stop=lambda: bool(seen))
    results = []
    worker = threading.Thread(target=lambda: results.append(umap_2d(vectors)), daemon=True)
    worker.start()
    worker.join(120)
    assert not worker.is_alive() and results[0].shape == (60, 2)
