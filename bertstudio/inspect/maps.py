"""Attention maps as plain numpy: the AttentionMaps container, word-level pooling, head reduction and
rollout. No torch here, so the window and the run readers can use them without loading it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

HEAD_REDUCTIONS = ("mean", "max")
WHOLE_MAPS_BUDGET = 256 * 2**20  # bytes of float32 maps an example may take before it is inspected layerwise
PART_TITLES = {  # the additive parts of DeBERTa's attention scores (see score_parts)
    "c2c": "content → content",
    "c2p": "content → position",
    "p2c": "position → content",
}


@dataclass
class AttentionMaps:
    """Tokens (or words) of an example and their attention, `maps[layer, head, query, key]` (float32).

    `segments` says which text each position came from (0: text A and [CLS], 1: text B), `special`
    marks [CLS]/[SEP]/[PAD], `spans` are (segment, start, end) character spans in that text.
    Unpacks as `tokens, maps = attention(...)`.
    """

    tokens: list[str]
    maps: np.ndarray
    segments: list[int]
    special: list[bool]
    spans: list[tuple[int, int, int]]
    words: list[int]  # word number of each position: a word's (consecutive) pieces share it
    text: str
    text_pair: str | None = None
    truncated: bool = False
    word_level: bool = False
    rolled_out: bool = False
    # per layer: a sliding-window layer's half window (keys farther from the query are masked), None for
    # global attention; empty when the model has no local layers
    local_windows: tuple[int | None, ...] = ()

    def __iter__(self):
        return iter((self.tokens, self.maps))

    @property
    def num_layers(self) -> int:
        return self.maps.shape[0]

    @property
    def num_heads(self) -> int:
        return self.maps.shape[1]

    def window_of(self, layer: int) -> int | None:
        return self.local_windows[layer] if self.local_windows else None

    def layer_kind(self, layer: int) -> str:
        """ "local ±w" or "global" for a model with sliding-window layers; "" for one without."""
        if not any(window is not None for window in self.local_windows) or self.rolled_out:
            return ""
        window = self.local_windows[layer]
        return "global" if window is None else f"local ±{window}"

    def outside_window(self, layer: int, rows: list[int], cols: list[int]) -> np.ndarray | None:
        """(rows, cols) bool: True where the key lies outside the query's window in a local layer, so the
        model never looks there; None where nothing is masked (global layers, pooled words, rollout)."""
        window = self.window_of(layer)
        if window is None or self.word_level or self.rolled_out:
            return None
        return np.abs(np.asarray(rows)[:, None] - np.asarray(cols)[None, :]) > window

    def to_word_level(self) -> AttentionMaps:
        """Pool pieces into words: a word receives the sum over its key pieces and gives the mean over
        its query pieces, so rows still sum to 1. Special tokens stay positions of their own."""
        if self.word_level:
            return self
        # A word's pieces are consecutive positions, so pooling is a sum over contiguous blocks.
        starts = [i for i in range(len(self.words)) if i == 0 or self.words[i] != self.words[i - 1]]
        sizes = np.diff([*starts, len(self.words)])
        groups = [list(range(start, start + size)) for start, size in zip(starts, sizes, strict=True)]
        by_query = np.add.reduceat(self.maps, starts, axis=2) / sizes[:, None].astype(np.float32)
        maps = np.add.reduceat(by_query, starts, axis=3).astype(np.float32)
        spans = []
        for members in groups:
            segment = self.spans[members[0]][0]
            spans.append((segment, self.spans[members[0]][1], self.spans[members[-1]][2]))
        tokens = [
            self.tokens[members[0]] if self.special[members[0]] else self._source(span)
            for members, span in zip(groups, spans, strict=True)
        ]
        return replace(
            self,
            tokens=tokens,
            maps=maps,
            segments=[self.segments[m[0]] for m in groups],
            special=[self.special[m[0]] for m in groups],
            spans=spans,
            words=list(range(len(groups))),
            word_level=True,
        )

    def rollout(self, head_reduction: str = "mean") -> AttentionMaps:
        """Attention rolled out through the layers (see `rollout`), one pseudo-head per layer."""
        return replace(self, maps=rollout(self.maps, head_reduction)[:, None], rolled_out=True)

    def _source(self, span: tuple[int, int, int]) -> str:
        segment, start, end = span
        text = self.text if segment == 0 or self.text_pair is None else self.text_pair
        return text[start:end]


@dataclass
class PooledMap:
    """One head's map pooled into blocks for display: `matrix[i, j]` summarises query rows
    `row_edges[i]:row_edges[i + 1]` and key columns `col_edges[j]:col_edges[j + 1]`."""

    matrix: np.ndarray  # (row blocks, col blocks) float32
    row_edges: np.ndarray  # (row blocks + 1,) int
    col_edges: np.ndarray  # (col blocks + 1,) int
    masked: (
        np.ndarray | None
    )  # (row blocks, col blocks) bool: every cell of the block is outside a local window
    pooling: str

    def block_of(self, position: int, edges: np.ndarray) -> int:
        return int(np.searchsorted(edges, position, side="right") - 1)


def whole_maps_bytes(layers: int, heads: int, length: int) -> int:
    """What every attention map of one example takes as float32."""
    return layers * heads * length * length * 4


def reduce_heads(maps: np.ndarray, how: str = "mean") -> np.ndarray:
    """(layers, heads, seq, seq) -> (layers, seq, seq), the mean or the element-wise max over heads."""
    if how == "mean":
        return maps.mean(axis=1)
    if how == "max":
        return maps.max(axis=1)
    raise ValueError(f"head reduction {how!r} is not one of {HEAD_REDUCTIONS}")


def rollout(maps: np.ndarray, head_reduction: str = "mean") -> np.ndarray:
    """Attention rollout: per layer A' = normalize_rows(0.5 * A + 0.5 * I), the identity standing for
    the residual connection; R_1 = A'_1, R_l = A'_l @ R_(l-1). maps: (layers, heads, seq, seq) or
    (layers, seq, seq) already reduced. Returns (layers, seq, seq) float32."""
    if maps.ndim == 4:
        maps = reduce_heads(maps, head_reduction)
    if maps.ndim != 3 or maps.shape[1] != maps.shape[2]:
        raise ValueError(f"expected (layers, seq, seq) maps, got shape {maps.shape}")
    seq = maps.shape[-1]
    identity = np.eye(seq, dtype=np.float64)
    rolled = np.empty(maps.shape, dtype=np.float32)
    current = identity
    for layer in range(maps.shape[0]):
        mixed = 0.5 * maps[layer].astype(np.float64) + 0.5 * identity
        mixed /= mixed.sum(axis=-1, keepdims=True)
        current = mixed @ current
        rolled[layer] = current
    return rolled
