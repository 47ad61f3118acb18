"""Batches: which examples go together (seeded, resumable) and how they become padded tensors.

`BatchSampler.batches(epoch)` is a pure function of (seed, epoch), so a run resumed at
(epoch, batch index) continues the exact sequence. Length grouping shuffles, sorts within large
buckets by length, cuts batches, then shuffles the batches: little padding, still random order.
Padding is dynamic: each batch is padded to its own longest example.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bertstudio.data.encoded import IGNORE_INDEX, EncodedDataset

BUCKET_BATCHES = 50  # a length bucket holds this many batches


class BatchSampler:
    """Lists of example indices per batch, deterministic for (seed, epoch)."""

    def __init__(
        self,
        lengths: Sequence[int] | np.ndarray,
        batch_size: int,
        shuffle: bool = True,
        group_by_length: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.group_by_length = group_by_length
        self.seed = seed
        self.drop_last = drop_last

    def __len__(self) -> int:
        full, rest = divmod(len(self.lengths), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def batches(self, epoch: int = 0) -> list[list[int]]:
        rng = np.random.default_rng([self.seed, epoch])
        count = len(self.lengths)
        order = rng.permutation(count) if self.shuffle else np.arange(count)
        if self.group_by_length and count:
            bucket = self.batch_size * BUCKET_BATCHES
            parts = np.split(order, range(bucket, count, bucket))
            order = np.concatenate([part[np.argsort(-self.lengths[part], kind="stable")] for part in parts])
        cuts = range(self.batch_size, count, self.batch_size)
        batches = [part.tolist() for part in np.split(order, cuts)] if count else []
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        if self.shuffle and self.group_by_length:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches


def collate(encoded: EncodedDataset, indices: Sequence[int], pad_id: int):
    """Tensors for one batch padded to its longest example: input_ids, attention_mask, token_type_ids,
    labels (token labels padded with -100); for each text encoded apart (`encoded.apart`, e.g. "pair"),
    its own pair_input_ids and pair_attention_mask."""
    import torch

    batch = _collate_joined(encoded, indices, pad_id)
    for name, runs in encoded.apart.items():
        ids, mask = pad_runs(runs.input_ids, runs.offsets, indices, pad_id)
        batch[f"{name}_input_ids"] = torch.from_numpy(ids)
        batch[f"{name}_attention_mask"] = torch.from_numpy(mask)
    return batch


def pad_runs(
    input_ids: np.ndarray, offsets: np.ndarray, indices: Sequence[int], pad_id: int
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, attention mask), int64 (B, longest), of the runs `indices` of a flat id array."""
    rows = np.asarray(indices, dtype=np.int64)
    starts, lengths = offsets[rows], offsets[rows + 1] - offsets[rows]
    width = int(lengths.max()) if len(rows) else 0
    ids = np.full((len(rows), width), pad_id, np.int64)
    mask = np.zeros((len(rows), width), np.int64)
    for row, (start, length) in enumerate(zip(starts, lengths)):
        ids[row, :length] = input_ids[start : start + length]
        mask[row, :length] = 1
    return ids, mask


def _collate_joined(encoded: EncodedDataset, indices: Sequence[int], pad_id: int):
    import torch

    starts = encoded.offsets[np.asarray(indices, dtype=np.int64)]
    lengths = encoded.offsets[np.asarray(indices, dtype=np.int64) + 1] - starts
    width = int(lengths.max()) if len(indices) else 0
    input_ids = np.full((len(indices), width), pad_id, np.int64)
    token_type_ids = np.zeros((len(indices), width), np.int64)
    attention_mask = np.zeros((len(indices), width), np.int64)
    token_labels = (
        np.full((len(indices), width), IGNORE_INDEX, np.int64) if encoded.per_token_labels else None
    )
    for row, (start, length) in enumerate(zip(starts, lengths)):
        span = slice(start, start + length)
        input_ids[row, :length] = encoded.input_ids[span]
        token_type_ids[row, :length] = encoded.token_type_ids[span]
        attention_mask[row, :length] = 1
        if token_labels is not None:
            token_labels[row, :length] = encoded.labels[span]
    labels = token_labels if token_labels is not None else encoded.labels[np.asarray(indices, dtype=np.int64)]
    return {
        "input_ids": torch.from_numpy(input_ids),
        "attention_mask": torch.from_numpy(attention_mask),
        "token_type_ids": torch.from_numpy(token_type_ids),
        "labels": torch.from_numpy(np.ascontiguousarray(labels)),
    }
