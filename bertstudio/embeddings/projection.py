"""Vectors -> 2D points for the projector: PCA in numpy, from the covariance accumulated blockwise,
so a memory-mapped index of a million rows is read in pieces and never held whole."""

from __future__ import annotations

import numpy as np

from bertstudio.embeddings.index import ROWS_PER_BLOCK


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(points (n, 2) float32, share of the variance each axis explains (2,)). Each axis's sign is
    fixed so that its largest loading is positive (the same data always gives the same picture)."""
    n, dimension = vectors.shape
    total = np.zeros(dimension, np.float64)
    products = np.zeros((dimension, dimension), np.float64)
    for start in range(0, n, ROWS_PER_BLOCK):
        block = np.asarray(vectors[start : start + ROWS_PER_BLOCK], np.float64)
        total += block.sum(axis=0)
        products += block.T @ block
    mean = total / max(n, 1)
    covariance = products / max(n, 1) - np.outer(mean, mean)
    values, axes = np.linalg.eigh(covariance)  # ascending
    top = axes[:, ::-1][:, :2]
    top *= np.sign(top[np.abs(top).argmax(axis=0), [0, 1]])
    points = np.empty((n, 2), np.float32)
    for start in range(0, n, ROWS_PER_BLOCK):
        block = np.asarray(vectors[start : start + ROWS_PER_BLOCK], np.float64)
        points[start : start + len(block)] = (block - mean) @ top
    variance = max(float(values.clip(min=0).sum()), 1e-12)
    return points, values[::-1][:2].clip(min=0) / variance


def aligned_frames(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Projections of the same rows at successive checkpoints, made comparable for scrubbing: each is
    centred and scaled to unit RMS radius, then rotated (or reflected) onto the previous aligned frame
    (orthogonal Procrustes), so a frame differs from the last only by how the points really moved."""
    aligned: list[np.ndarray] = []
    for frame in frames:
        points = np.asarray(frame, np.float64)
        points = points - points.mean(axis=0)
        points /= max(float(np.sqrt((points**2).sum(axis=1).mean())), 1e-12)
        if aligned:
            u, _, vt = np.linalg.svd(points.T @ aligned[-1])
            points = points @ (u @ vt)
        aligned.append(points)
    return [points.astype(np.float32) for points in aligned]
