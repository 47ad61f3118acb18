"""Probes: fill-mask predictions, a model's prediction with some heads switched off, and the ranking
of heads by how much switching each one off changes the output over a set of examples."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tokenizers import Tokenizer

from bertstudio.errors import BertStudioError
from bertstudio.inspect.attention_maps import head_mask_tensor, local_windows, maps_of_batch
from bertstudio.inspect.batching import (
    encode_examples,
    evaluating,
    model_device,
    pad_id_of,
    padded_inputs,
    task_scores,
)
from bertstudio.inspect.kinds import MASKED_LM_HEADS, SEQUENCE_HEADS
from bertstudio.inspect.maps import AttentionMaps
from bertstudio.model.modeling import BertPreTrainedModel
from bertstudio.text import special_token


@dataclass
class MaskPrediction:
    position: int  # token position of the mask token
    candidates: list[tuple[str, float]]  # (token, probability), most likely first


def fill_mask_unavailable(model: BertPreTrainedModel) -> str | None:
    """Why fill-mask would show nothing meaningful for this model (no masked-LM head, or one the checkpoint
    did not carry, so it is untrained), or None when its predictions mean something."""
    if model.task not in MASKED_LM_HEADS:
        return (
            f"Fill-mask needs a masked-language-model head; this model's task is {model.task!r}. Load a "
            "checkpoint saved for masked_lm or pretraining (e.g. one of our pretraining runs)."
        )
    report = getattr(model, "load_report", None)
    fresh = [
        name for name in (report.newly_initialized if report else []) if name.startswith("cls.predictions")
    ]
    if fresh:
        return (
            f"This {model.family.title} checkpoint carries no trained masked-LM head (its weights were "
            "initialised fresh), so fill-mask would show random words. Checkpoints pretrained with "
            "replaced-token detection (DeBERTa-v3, ELECTRA discriminators) have none; fine-tune this one for a "
            "task, or continue pretraining it as a masked LM first."
        )
    return None


def fill_mask(
    model: BertPreTrainedModel, tokenizer: Tokenizer, text: str, top_k: int = 5
) -> list[MaskPrediction]:
    """The top_k most likely tokens for each mask token in `text` (the tokenizer's own: [MASK] for BERT,
    <mask> for RoBERTa), with their probabilities. BertStudioError when fill_mask_unavailable says why
    the predictions would mean nothing."""
    unavailable = fill_mask_unavailable(model)
    if unavailable is not None:
        raise BertStudioError(unavailable)
    encoding = encode_examples(tokenizer, [text])[0]
    mask = special_token(tokenizer, "mask")
    mask_id = tokenizer.token_to_id(mask)
    positions = [i for i, token_id_ in enumerate(encoding.ids) if token_id_ == mask_id]
    if not positions:
        raise BertStudioError(
            f"The sentence has no {mask} to fill.",
            f'Write {mask} where a word should be predicted, e.g. "Paris is the {mask} of France."',
        )
    inputs = padded_inputs([encoding], pad_id_of(tokenizer), model_device(model))
    with evaluating(model), torch.inference_mode():
        logits = model(**inputs).logits[0, positions].float()  # (masks, vocab)
    probabilities, ids = logits.softmax(dim=-1).topk(min(top_k, logits.shape[-1]), dim=-1)
    return [
        MaskPrediction(
            position, [(tokenizer.id_to_token(int(i)), float(p)) for p, i in zip(probs, row, strict=True)]
        )
        for position, probs, row in zip(positions, probabilities, ids, strict=True)
    ]


@dataclass
class Prediction:
    """What the model says about an example: class probabilities / values with their labels, or (for a
    plain encoder or a masked LM) only the mean-pooled output vector, which head ranking compares."""

    task: str
    labels: list[str]
    scores: np.ndarray  # probabilities (classification, multi-label) or values (regression); empty otherwise
    pooled: np.ndarray  # mean of the last hidden states over real tokens

    def summary(self, count: int = 3) -> str:
        if self.task in MASKED_LM_HEADS:
            return "a masked-language model (ask it with Fill mask; head effects use the output vectors)"
        if not len(self.scores):
            return "no prediction head (head effects are measured on the output vectors)"
        order = np.argsort(-self.scores)[:count]
        return ", ".join(f"{self.labels[i]} {self.scores[i]:.3f}" for i in order)


def batch_outputs(
    model: BertPreTrainedModel,
    inputs: dict[str, torch.Tensor],
    head_mask: torch.Tensor | None,
    output_attentions: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, ...] | None]:
    """(scores (B, outputs) or (B, 0), pooled hidden (B, hidden), attentions) of a padded batch."""
    out = model(**inputs, head_mask=head_mask, output_attentions=output_attentions)
    mask = inputs["attention_mask"][..., None].to(out.last_hidden_state.dtype)
    pooled = (out.last_hidden_state * mask).sum(1) / mask.sum(1)
    if model.task in SEQUENCE_HEADS:
        scores = task_scores(model, out.logits)
    else:
        scores = pooled.new_zeros((pooled.shape[0], 0))
    return scores, pooled.float(), out.attentions


def predict(
    model: BertPreTrainedModel,
    tokenizer: Tokenizer,
    text: str,
    text_pair: str | None = None,
    head_mask: np.ndarray | None = None,
) -> tuple[Prediction, AttentionMaps]:
    """The prediction and the attention of one example, with the heads where head_mask is 0 switched off."""
    pairs = [text_pair] if text_pair is not None else None
    encoding = encode_examples(tokenizer, [text], pairs)[0]
    inputs = padded_inputs([encoding], pad_id_of(tokenizer), model_device(model))
    mask = head_mask_tensor(model, head_mask)
    with evaluating(model), torch.inference_mode():
        scores, pooled, attentions = batch_outputs(model, inputs, mask, output_attentions=True)
    count = scores.shape[1]
    labels = [model.config.id2label.get(i, f"LABEL_{i}") for i in range(count)]
    prediction = Prediction(model.task, labels, scores[0].cpu().numpy(), pooled[0].cpu().numpy())
    maps = maps_of_batch(attentions, [encoding], [text], pairs, mask, local_windows(model))[0]
    return prediction, maps


def _effect(model: BertPreTrainedModel, scores, pooled, base_scores, base_pooled) -> torch.Tensor:
    """Per-example change of the output: total-variation distance of the class distribution,
    mean absolute change of label probabilities or values, else 1 - cosine of the pooled vectors."""
    if model.task == "classification":
        return 0.5 * (scores - base_scores).abs().sum(-1)
    if model.task in ("multi_label", "regression"):
        return (scores - base_scores).abs().mean(-1)
    return 1 - torch.nn.functional.cosine_similarity(pooled, base_pooled, dim=-1)


def head_effects(
    model: BertPreTrainedModel,
    tokenizer: Tokenizer,
    texts: Sequence[str],
    pairs: Sequence[str] | None = None,
    batch_size: int = 16,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> np.ndarray:
    """(layers, heads): the mean change of the output over `texts` when that one head is switched off.

    Runs layers x heads passes over the examples; `progress(done, total)` after each head, and
    `should_stop()` is checked between heads (a stopped ranking raises InterruptedError).
    """
    if not texts:
        raise BertStudioError("Head ranking needs at least one example.", "Add example sentences to rank on.")
    encodings = encode_examples(tokenizer, texts, pairs)
    device = model_device(model)
    batches = [
        padded_inputs(encodings[start : start + batch_size], pad_id_of(tokenizer), device)
        for start in range(0, len(encodings), batch_size)
    ]
    layers, heads = model.config.num_hidden_layers, model.config.num_attention_heads
    effects = np.zeros((layers, heads), dtype=np.float32)
    with evaluating(model), torch.inference_mode():
        reference = [batch_outputs(model, batch, None)[:2] for batch in batches]
        for layer in range(layers):
            for head in range(heads):
                if should_stop is not None and should_stop():
                    raise InterruptedError("head ranking stopped")
                mask = torch.ones((layers, heads), device=device)
                mask[layer, head] = 0
                total = 0.0
                for batch, (base_scores, base_pooled) in zip(batches, reference, strict=True):
                    scores, pooled, _ = batch_outputs(model, batch, mask)
                    total += float(_effect(model, scores, pooled, base_scores, base_pooled).sum())
                effects[layer, head] = total / len(encodings)
                if progress is not None:
                    progress(layer * heads + head + 1, layers * heads)
    return effects


def rank_heads(effects: np.ndarray) -> list[tuple[int, int, float]]:
    """(layer, head, effect) from the most to the least important head."""
    order = np.argsort(-effects, axis=None, kind="stable")
    return [(int(i // effects.shape[1]), int(i % effects.shape[1]), float(effects.flat[i])) for i in order]
