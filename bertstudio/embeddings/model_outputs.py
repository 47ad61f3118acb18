"""One pass of a model (with whatever head it has) over texts: the mean of its last layer's token states
per text and, for a classification head, the predicted label. Used by the projector for a run's
checkpoints and for colouring a table by the open model's predictions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bertstudio.embeddings.progress import ProgressCallback, StopCheck
from bertstudio.embeddings.umap_projection import ProjectionCancelled

BATCH_SIZE = 32


def embed_and_predict(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    pairs: Sequence[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> tuple[np.ndarray, list[str] | None]:
    """((len(texts), hidden) float32 mean-pooled vectors, predicted label names or None without a
    classification head). ProjectionCancelled when `should_stop` says so between batches."""
    import torch

    from bertstudio.inspect.batching import (
        encode_examples,
        evaluating,
        model_device,
        pad_id_of,
        padded_inputs,
    )
    from bertstudio.inspect.probes import batch_outputs

    names = [model.config.id2label.get(i, f"LABEL_{i}") for i in range(len(model.config.id2label))]
    vectors: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    for start in range(0, len(texts), BATCH_SIZE):
        if should_stop is not None and should_stop():
            raise ProjectionCancelled("The projection was cancelled; nothing was saved.")
        end = start + BATCH_SIZE
        encodings = encode_examples(
            tokenizer, texts[start:end], pairs[start:end] if pairs is not None else None
        )
        inputs = padded_inputs(encodings, pad_id_of(tokenizer), model_device(model))
        with evaluating(model), torch.inference_mode():
            batch_scores, pooled, _ = batch_outputs(model, inputs, None)
        vectors.append(pooled.cpu().numpy())
        scores.append(batch_scores.cpu().numpy())
        if progress is not None:
            progress(min(end, len(texts)), len(texts))
    if not vectors:
        return np.empty((0, int(model.config.hidden_size)), np.float32), None
    predicted = None
    if model.task == "classification":
        predicted = [names[int(i)] for i in np.concatenate(scores).argmax(axis=1)]
    return np.concatenate(vectors).astype(np.float32), predicted
