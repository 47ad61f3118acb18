"""Exact nearest-neighbour search by cosine similarity over a matrix of vectors (numpy, no index
structure: a matrix-vector product over 100k x 384 floats takes milliseconds)."""

from __future__ import annotations

import numpy as np

ROWS_PER_BLOCK = 65536  # rows scored at a time, so a memory-mapped 1M-row index is read in pieces


def row_norms(vectors: np.ndarray) -> np.ndarray:
    """Euclidean norm of every row (blockwise, so a memory-mapped matrix is not read whole)."""
    norms = np.empty(len(vectors), np.float32)
    for start in range(0, len(vectors), ROWS_PER_BLOCK):
        block = np.asarray(vectors[start : start + ROWS_PER_BLOCK], np.float32)
        norms[start : start + len(block)] = np.linalg.norm(block, axis=1)
    return norms


def cosine_scores(vectors: np.ndarray, norms: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine similarity of `query` (d,) with every row of `vectors` (n, d); 0 for a zero row."""
    query = np.asarray(query, np.float32)
    query = query / max(float(np.linalg.norm(query)), 1e-12)
    scores = np.empty(len(vectors), np.float32)
    for start in range(0, len(vectors), ROWS_PER_BLOCK):
        block = np.asarray(vectors[start : start + ROWS_PER_BLOCK], np.float32)
        scores[start : start + len(block)] = block @ query
    return scores / np.maximum(norms, 1e-12)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, best first (ties: lower index first)."""
    k = max(0, min(k, len(scores)))
    if k == 0:
        return np.empty(0, np.int64)
    candidates = np.argpartition(-scores, k - 1)[:k]
    return candidates[np.lexsort((candidates, -scores[candidates]))]


def similarity_matrix(vectors: np.ndarray) -> np.ndarray:
    """(n, n) cosine similarities of the rows of `vectors`."""
    vectors = np.asarray(vectors, np.float32)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.clip(unit @ unit.T, -1.0, 1.0)
