"""Attention of one example computed a layer at a time, for inputs too long to hold every map (ModernBERT
reads 8,192 tokens: its 22 x 12 maps would take 70 GB). A layer needs only the hidden state of the layer
below it, so `advance` runs one layer and keeps its input (T x hidden floats); a head's map is computed
from that when asked, a block of query rows at a time: pooled to the screen's resolution for display,
one exact row for the value under the mouse. Memory grows with layers x tokens, never tokens squared."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from tokenizers import Encoding, Tokenizer

from bertstudio.errors import BertStudioError
from bertstudio.inspect.attention_maps import local_windows, maps_of_encoding
from bertstudio.inspect.batching import encode_examples, encoder_of, evaluating, model_device
from bertstudio.inspect.maps import AttentionMaps, PooledMap
from bertstudio.model.modeling import BertPreTrainedModel, HeadScores

ROW_BLOCK = 256  # query rows scored at once: 256 x 8,192 floats is 8 MB
POOLINGS = ("max", "mean")
KEPT_SCORES = 2  # layers whose queries and keys stay at hand (the one shown, the one being computed)


def block_edges(length: int, blocks: int) -> np.ndarray:
    """Edges of consecutive blocks of 0..length, all of one size (the last may be shorter), at most
    `blocks` of them: uniform blocks pool as a reshape."""
    size = -(-length // max(1, min(blocks, length)))
    return np.append(np.arange(0, length, size), length).astype(np.int64)


def _pool(values: torch.Tensor, size: int, pooling: str) -> torch.Tensor:
    """(R, T) -> (ceil(R / size), ceil(T / size)): max or mean over size x size blocks (partial blocks
    at the ends count only their own cells)."""
    rows, cols = values.shape
    pad_rows, pad_cols = -rows % size, -cols % size
    fill = float("-inf") if pooling == "max" else 0.0
    padded = torch.nn.functional.pad(values, (0, pad_cols, 0, pad_rows), value=fill)
    blocks = padded.view(padded.shape[0] // size, size, padded.shape[1] // size, size)
    if pooling == "max":
        return blocks.amax(dim=(1, 3))
    counts = torch.nn.functional.pad(torch.ones_like(values), (0, pad_cols, 0, pad_rows))
    return blocks.sum(dim=(1, 3)) / counts.view(blocks.shape).sum(dim=(1, 3))


class LayerwiseAttention:
    """One example's attention, a layer at a time. `advance()` runs the next layer (the slow part, done
    off the GUI thread); the map of any layer run so far is then cheap to ask for, by head."""

    def __init__(
        self, model: BertPreTrainedModel, tokenizer: Tokenizer, text: str, text_pair: str | None = None
    ) -> None:
        self.encoder = encoder_of(model)
        config = self.encoder.config
        self.num_layers, self.num_heads = config.num_hidden_layers, config.num_attention_heads
        self.encoding: Encoding = encode_examples(
            tokenizer, [text], [text_pair] if text_pair is not None else None
        )[0]
        self.text, self.text_pair = text, text_pair
        device = model_device(self.encoder)
        ids = torch.tensor([self.encoding.ids], device=device)
        types = torch.tensor([self.encoding.type_ids], device=device)
        with evaluating(self.encoder), torch.inference_mode():
            first = self.encoder.embed(ids, types)  # (1, T, C)
            self.context = self.encoder.encoder.context(None, ids.shape[1], device)
        self.layers = self.encoder.encoder.applied_layers()
        self.inputs: list[torch.Tensor] = [first]  # inputs[l]: what layer l reads
        # layer -> its HeadScores, the most recently asked last; read by the GUI thread (one row on hover)
        # while a background job computes another layer's, hence plain dict operations only
        self._scores: dict[int, HeadScores] = {}

    @property
    def length(self) -> int:
        return len(self.encoding.ids)

    @property
    def layers_ready(self) -> int:
        """How many layers' maps can be asked for (layer l needs the output of layers below it)."""
        return len(self.inputs)

    def local_window(self, layer: int) -> int | None:
        """The half window of a local (sliding-window) layer, None for a global one."""
        return self.layers[layer].local_window

    def advance(self) -> int:
        """Run the next layer so that the one above it can be asked for; returns layers_ready."""
        if self.layers_ready >= self.num_layers:
            return self.layers_ready
        layer = self.layers[self.layers_ready - 1]
        with evaluating(self.encoder), torch.inference_mode():
            hidden, _ = layer(self.inputs[-1], None, None, False, None, self.context)
        self.inputs.append(hidden)
        return self.layers_ready

    def run_all(
        self,
        progress: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        """advance() until every layer is ready: progress(ready, total) after each layer; stops early
        (keeping what is done) when should_stop() says so."""
        while self.layers_ready < self.num_layers:
            if should_stop is not None and should_stop():
                return
            self.advance()
            if progress is not None:
                progress(self.layers_ready, self.num_layers)

    def has_scores(self, layer: int) -> bool:
        """Whether `layer`'s queries and keys are at hand, so a row of it costs only a product."""
        return layer in self._scores

    def scores_of(self, layer: int) -> HeadScores:
        """The queries and keys of `layer` (the last KEPT_SCORES layers asked stay at hand)."""
        if not 0 <= layer < self.num_layers:
            raise ValueError(f"layer {layer} is out of range (the model has {self.num_layers})")
        if layer >= self.layers_ready:
            raise BertStudioError(
                f"Layer {layer} is not computed yet ({self.layers_ready} of {self.num_layers} layers are).",
                "Wait for the layers below it to finish.",
            )
        scores = self._scores.pop(layer, None)
        if scores is None:
            with evaluating(self.encoder), torch.inference_mode():
                scores = self.layers[layer].head_scores(self.inputs[layer], self.context)
        self._scores[layer] = scores
        while len(self._scores) > KEPT_SCORES:
            self._scores.pop(next(iter(self._scores)))
        return scores

    def _check_head(self, head: int) -> None:
        if not 0 <= head < self.num_heads:
            raise ValueError(f"head {head} is out of range (the layer has {self.num_heads})")

    def row(self, layer: int, head: int, row: int) -> np.ndarray:
        """(T,) the exact probabilities query `row` gives every key."""
        self._check_head(head)
        scores = self.scores_of(layer)
        with torch.inference_mode():
            return scores.probabilities(head, slice(row, row + 1))[0].cpu().numpy()

    def head_map(self, layer: int, head: int) -> np.ndarray:
        """(T, T) float32 probabilities of one head, whole (fine at a few thousand tokens)."""
        self._check_head(head)
        scores = self.scores_of(layer)
        result = np.empty((self.length, self.length), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, self.length, ROW_BLOCK):
                rows = slice(start, start + ROW_BLOCK)
                result[rows] = scores.probabilities(head, rows).cpu().numpy()
        return result

    def pooled_map(self, layer: int, head: int, blocks: int, pooling: str = "max") -> PooledMap:
        """One head's map pooled into at most blocks x blocks cells (max keeps a lone strong weight
        visible, mean keeps the block's mass), computed ROW_BLOCK query rows at a time."""
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        self._check_head(head)
        scores = self.scores_of(layer)
        edges = block_edges(self.length, blocks)
        size = int(edges[1] - edges[0])
        chunk = size * max(1, ROW_BLOCK // size)  # whole blocks of rows, about ROW_BLOCK at a time
        parts, masks = [], []
        with torch.inference_mode():
            for start in range(0, self.length, chunk):
                rows = slice(start, min(start + chunk, self.length))
                parts.append(_pool(scores.probabilities(head, rows), size, pooling))
                outside = scores.window_mask(rows)
                if outside is not None:  # a block is masked when all of it is: not max of "inside"
                    masks.append(_pool((~outside).float(), size, "max") == 0)
            matrix = torch.cat(parts).cpu().numpy()
            masked = torch.cat(masks).cpu().numpy() if masks else None
        return PooledMap(
            matrix=matrix, row_edges=edges, col_edges=edges.copy(), masked=masked, pooling=pooling
        )

    def maps(self) -> AttentionMaps:
        """Every head of every layer as AttentionMaps (what `attention` returns), for short inputs."""
        self.run_all()
        maps = np.stack(
            [
                np.stack([self.head_map(layer, head) for head in range(self.num_heads)])
                for layer in range(self.num_layers)
            ]
        )
        return maps_of_encoding(self.encoding, maps, self.text, self.text_pair, local_windows(self.encoder))
