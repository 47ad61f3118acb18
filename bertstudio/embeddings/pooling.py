"""Token states -> one vector per text, as sentence-transformers' Pooling module computes it
(right-padded batches: real tokens first, padding after)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from bertstudio.errors import ConfigError


def pool(hidden: torch.Tensor, mask: torch.Tensor, modes: Sequence[str]) -> torch.Tensor:
    """hidden (B, T, C), mask (B, T) 1 on real tokens -> (B, C * len(modes)), modes concatenated."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    counts = weights.sum(dim=1).clamp(min=1e-9)  # (B, 1)
    vectors = []
    for mode in modes:
        if mode == "cls":
            vectors.append(hidden[:, 0])
        elif mode == "max":
            vectors.append(hidden.masked_fill(weights == 0, float("-inf")).max(dim=1).values)
        elif mode == "mean":
            vectors.append((hidden * weights).sum(dim=1) / counts)
        elif mode == "mean_sqrt_len_tokens":
            vectors.append((hidden * weights).sum(dim=1) / counts.sqrt())
        elif mode == "weightedmean":
            positions = torch.arange(1, hidden.shape[1] + 1, device=hidden.device, dtype=hidden.dtype)
            weighted = weights * positions.view(1, -1, 1)  # (B, T, 1)
            vectors.append((hidden * weighted).sum(dim=1) / weighted.sum(dim=1).clamp(min=1e-9))
        elif mode == "lasttoken":
            last = (mask.sum(dim=1) - 1).clamp(min=0)  # (B,)
            vectors.append(hidden[torch.arange(hidden.shape[0], device=hidden.device), last])
        else:
            raise ConfigError(f"Unknown pooling mode {mode!r}.")
    return torch.cat(vectors, dim=-1)
