"""Which projected points a box or a lasso drawn on the projector encloses (numpy, 100k points in
milliseconds), and the selected rows written out as CSV."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Positions of the points (n, 2) inside the polygon (m, 2), closed implicitly; even-odd rule."""
    points = np.asarray(points, np.float64)
    polygon = np.asarray(polygon, np.float64)
    if len(polygon) < 3 or len(points) == 0:
        return np.empty(0, np.int64)
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), bool)
    left, right = np.minimum.reduce(polygon), np.maximum.reduce(polygon)
    candidates = (x >= left[0]) & (x <= right[0]) & (y >= left[1]) & (y <= right[1])
    x, y = x[candidates], y[candidates]
    crossings = np.zeros(len(x), bool)
    for (x1, y1), (x2, y2) in zip(polygon, np.roll(polygon, -1, axis=0)):
        spans = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        crossings ^= spans & (x < at)
    inside[np.flatnonzero(candidates)[crossings]] = True
    return np.flatnonzero(inside)


def points_in_box(points: np.ndarray, corner: Sequence[float], opposite: Sequence[float]) -> np.ndarray:
    """Positions of the points inside the axis-aligned box between two corners."""
    points = np.asarray(points)
    low, high = np.minimum(corner, opposite), np.maximum(corner, opposite)
    return np.flatnonzero(np.all((points >= low) & (points <= high), axis=1))


def write_selection_csv(path: str | Path, columns: list[str], rows: Sequence[Sequence[Any]]) -> Path:
    """The selected rows (their line in the file first) as a CSV file, written atomically."""
    from bertstudio.training.results import write_csv

    path = Path(path)
    write_csv(path, columns, [["" if value is None else value for value in row] for row in rows])
    return path
