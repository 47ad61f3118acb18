"""What an attention view shows: one layer, a head or a reduction over heads, filtered positions and
weights. Kept out of the widgets so the window, the CSV export and the tests agree on the numbers."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bertstudio.atomic import atomic_write
from bertstudio.inspect.maps import HEAD_REDUCTIONS, AttentionMaps

DIRECTIONS = ("all", "a_to_b", "b_to_a")


@dataclass(frozen=True)
class ViewOptions:
    layer: int = 0
    head: int | str = 0  # a head index, or "mean" / "max" over the layer's heads
    hide_special: bool = False  # drop [CLS] / [SEP] rows and columns (weights are not renormalised)
    direction: str = "all"  # for pairs: "a_to_b" keeps queries of text A and keys of text B
    min_weight: float = 0.0  # weights below this are shown as 0
    top_percent: float = 100.0  # keep only the largest top_percent % of the shown weights


@dataclass
class ViewMatrix:
    """The matrix a view draws: `matrix[row, col]` is the weight query row gives key col."""

    matrix: np.ndarray  # (rows, cols) float32
    rows: list[int]  # positions in the AttentionMaps
    cols: list[int]
    row_labels: list[str]
    col_labels: list[str]
    # (rows, cols) bool: keys a local layer's window hides from the query (drawn as a masked band);
    # None when the layer sees every key
    masked: np.ndarray | None = None


def layer_heads(maps: AttentionMaps, layer: int, head: int | str) -> np.ndarray:
    """(seq, seq) weights of one head, or the mean / max over the heads of `layer`."""
    if not 0 <= layer < maps.num_layers:
        raise ValueError(f"layer {layer} is out of range (the model has {maps.num_layers})")
    if isinstance(head, str):
        if head not in HEAD_REDUCTIONS:
            raise ValueError(f"head must be an index or one of {HEAD_REDUCTIONS}, got {head!r}")
        heads = maps.maps[layer]
        return heads.mean(axis=0) if head == "mean" else heads.max(axis=0)
    if not 0 <= head < maps.num_heads:
        raise ValueError(f"head {head} is out of range (the layer has {maps.num_heads})")
    return maps.maps[layer, head]


def shown_positions(maps: AttentionMaps, options: ViewOptions) -> tuple[list[int], list[int]]:
    """Query rows and key columns that the filters keep."""
    if options.direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {options.direction!r}")
    positions = [i for i in range(len(maps.tokens)) if not (options.hide_special and maps.special[i])]
    if options.direction == "all" or maps.text_pair is None:
        return positions, positions
    text_a = [i for i in positions if maps.segments[i] == 0 and not maps.special[i]]
    text_b = [i for i in positions if maps.segments[i] == 1 and not maps.special[i]]
    return (text_a, text_b) if options.direction == "a_to_b" else (text_b, text_a)


def keep_strongest(matrix: np.ndarray, min_weight: float, top_percent: float) -> np.ndarray:
    """Zero the weights under min_weight and all but the largest top_percent % of the rest."""
    kept = np.where(matrix >= min_weight, matrix, 0.0).astype(np.float32)
    if top_percent < 100.0 and kept.size:
        count = max(1, int(np.ceil(kept.size * top_percent / 100.0)))
        cutoff = np.partition(kept.ravel(), kept.size - count)[kept.size - count]
        kept[kept < cutoff] = 0.0
    return kept


def view_matrix(maps: AttentionMaps, options: ViewOptions) -> ViewMatrix:
    full = layer_heads(maps, options.layer, options.head)
    rows, cols = shown_positions(maps, options)
    matrix = keep_strongest(full[np.ix_(rows, cols)], options.min_weight, options.top_percent)
    return ViewMatrix(
        matrix=matrix,
        rows=rows,
        cols=cols,
        row_labels=[maps.tokens[i] for i in rows],
        col_labels=[maps.tokens[i] for i in cols],
        masked=maps.outside_window(options.layer, rows, cols),
    )


def write_matrix_csv(path: str | Path, view: ViewMatrix) -> None:
    """The shown numbers as CSV: a header of key labels, one row per query; labels carry their position
    (e.g. `3:the`) because a token can occur twice."""

    def write(temp: str) -> None:
        with open(temp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "query \\ key",
                    *(f"{c}:{label}" for c, label in zip(view.cols, view.col_labels, strict=True)),
                ]
            )
            for r, label, values in zip(view.rows, view.row_labels, view.matrix, strict=True):
                writer.writerow([f"{r}:{label}", *(f"{v:.6g}" for v in values)])

    atomic_write(path, write)
