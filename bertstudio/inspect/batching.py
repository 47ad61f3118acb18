"""Shared plumbing: encode examples, pad them into tensors on the model's device, run in eval mode."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
from tokenizers import Encoding, Tokenizer

from bertstudio.model.modeling import BertModel, BertPreTrainedModel
from bertstudio.text import encode, special_token_id


def model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def encoder_of(model: BertPreTrainedModel) -> BertModel:
    """The bare encoder of a task model (attention needs no task head, and skipping it saves time)."""
    return model.encoder_model


@contextlib.contextmanager
def evaluating(model: torch.nn.Module) -> Iterator[None]:
    """Eval mode (no dropout) for the duration, restoring training mode after: probes run mid-training."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def encode_examples(
    tokenizer: Tokenizer, texts: Sequence[str], pairs: Sequence[str] | None = None
) -> list[Encoding]:
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not one string")
    return encode(tokenizer, list(texts), list(pairs) if pairs is not None else None)


def padded_inputs(
    encodings: Sequence[Encoding], pad_id: int, device: torch.device
) -> dict[str, torch.Tensor]:
    """input_ids / attention_mask / token_type_ids for a batch, right-padded to its longest member."""
    length = max(len(e.ids) for e in encodings)
    ids = torch.full((len(encodings), length), pad_id, dtype=torch.long)
    types = torch.zeros((len(encodings), length), dtype=torch.long)
    mask = torch.zeros((len(encodings), length), dtype=torch.long)
    for row, enc in enumerate(encodings):
        n = len(enc.ids)
        ids[row, :n] = torch.tensor(enc.ids)
        types[row, :n] = torch.tensor(enc.type_ids)
        mask[row, :n] = 1
    return {
        "input_ids": ids.to(device),
        "attention_mask": mask.to(device),
        "token_type_ids": types.to(device),
    }


def pad_id_of(tokenizer: Tokenizer) -> int:
    return special_token_id(tokenizer, "pad")


def task_scores(model: BertPreTrainedModel, logits: torch.Tensor) -> torch.Tensor:
    """What a sequence head's logits mean: class probabilities (softmax), per-label probabilities
    (sigmoid) or regression values."""
    if model.task == "classification":
        return logits.float().softmax(dim=-1)
    if model.task == "multi_label":
        return logits.float().sigmoid()
    return logits.float()
