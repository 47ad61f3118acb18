"""Which tokens a sequence classifier's output rests on: gradient x input and integrated gradients
(Sundararajan et al. 2017) taken over the word embeddings through the model's `inputs_embeds`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from tokenizers import Tokenizer

from bertstudio.errors import BertStudioError
from bertstudio.inspect.batching import encode_examples, evaluating, model_device, padded_inputs, task_scores
from bertstudio.inspect.kinds import SEQUENCE_HEADS
from bertstudio.model.modeling import BertPreTrainedModel, ModelOutput
from bertstudio.text import special_token_id

METHODS = ("integrated_gradients", "gradient_x_input")
BASELINES = ("pad", "mask", "zero")


@dataclass
class Attribution:
    """Per-token contributions to one output of the model (a class probability, or the regression value)."""

    tokens: list[str]
    label: str
    class_index: int
    scores: np.ndarray  # (seq,) float32, one score per token; positive pushes the output up
    output: float  # the output at the input
    baseline_output: float  # the output at the baseline
    method: str
    # |sum(scores) - (output - baseline_output)|: how far the scores are from accounting for the whole
    # change; integrated gradients drives it to 0 as steps grow, gradient x input promises nothing.
    completeness_error: float


def baseline_embeddings(
    model: BertPreTrainedModel, tokenizer: Tokenizer, ids: torch.Tensor, special: torch.Tensor, baseline: str
) -> torch.Tensor:
    """Word embeddings of the reference input: every non-special token replaced by the tokenizer's pad /
    mask token or a zero vector; the special tokens ([CLS] / <s>, ...) stay, so the model still sees a
    well-formed sequence."""
    embeddings = model.encoder_model.embeddings.word_embeddings
    if baseline == "zero":
        replacement = torch.zeros(embeddings.embedding_dim, device=ids.device)
    else:
        replacement = embeddings.weight[special_token_id(tokenizer, baseline)]
    actual = embeddings(ids)
    return torch.where(special[..., None], actual, replacement.to(actual.dtype))


def _check(
    model: BertPreTrainedModel, method: str, baseline: str, steps: int, internal_batch_size: int
) -> None:
    if model.task not in SEQUENCE_HEADS:
        raise BertStudioError(
            f"Attributions explain a sequence classifier or regressor; this model's task is {model.task!r}.",
            "Load a fine-tuned classification, multi-label or regression checkpoint.",
        )
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {BASELINES}, got {baseline!r}")
    if steps < 1 or internal_batch_size < 1:
        raise ValueError("steps and internal_batch_size must be at least 1")


def attribute(
    model: BertPreTrainedModel,
    tokenizer: Tokenizer,
    text: str,
    text_pair: str | None = None,
    method: str = "integrated_gradients",
    baseline: str = "pad",
    steps: int = 32,
    internal_batch_size: int = 16,
    classes: list[int] | None = None,
) -> list[Attribution]:
    """Attributions for each class in `classes` (default: every output of the head).

    Integrated gradients averages the gradient along the straight path from the baseline to the input
    at Gauss-Legendre points (`steps` of them), `internal_batch_size` points per forward/backward pass
    so memory stays bounded whatever `steps` is.
    """
    _check(model, method, baseline, steps, internal_batch_size)
    encoding = encode_examples(tokenizer, [text], [text_pair] if text_pair is not None else None)[0]
    device = model_device(model)
    inputs = padded_inputs([encoding], special_token_id(tokenizer, "pad"), device)
    special = torch.tensor(encoding.special_tokens_mask, dtype=torch.bool, device=device)[None]
    labels = model.config.id2label
    results = []
    with evaluating(model):
        with torch.no_grad():
            actual = model.encoder_model.embeddings.word_embeddings(inputs["input_ids"])
            reference = baseline_embeddings(model, tokenizer, inputs["input_ids"], special, baseline)
            outputs = task_scores(model, model(**inputs, inputs_embeds=actual).logits)[0]
            baseline_outputs = task_scores(model, model(**inputs, inputs_embeds=reference).logits)[0]
        for index in classes if classes is not None else range(outputs.shape[0]):

            def output(out, index=index):
                return task_scores(model, out.logits)[:, index]

            scores = token_scores(
                model, inputs, actual, reference, output, method, steps, internal_batch_size
            )
            change = float(outputs[index] - baseline_outputs[index])
            results.append(
                Attribution(
                    tokens=list(encoding.tokens),
                    label=labels.get(index, f"LABEL_{index}"),
                    class_index=index,
                    scores=scores,
                    output=float(outputs[index]),
                    baseline_output=float(baseline_outputs[index]),
                    method=method,
                    completeness_error=abs(float(scores.sum()) - change),
                )
            )
    return results


def token_scores(
    model: BertPreTrainedModel,
    inputs: dict[str, torch.Tensor],
    actual: torch.Tensor,
    reference: torch.Tensor,
    output: Callable[[ModelOutput], torch.Tensor],
    method: str,
    steps: int,
    internal_batch_size: int,
) -> np.ndarray:
    """(T,) contribution of each token's embedding to the scalar `output(model(...))` (one per row):
    gradient x input, or integrated gradients from `reference` to `actual` (both (1, T, D))."""
    if method == "gradient_x_input":
        gradient = _gradients(model, inputs, actual, output, np.ones(1))
        return (actual[0] * gradient).sum(-1).float().cpu().numpy()
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    alphas, weights = (nodes + 1) / 2, weights / 2
    gradient = torch.zeros_like(actual[0])
    for start in range(0, steps, internal_batch_size):
        chunk = slice(start, start + internal_batch_size)
        alpha = torch.tensor(alphas[chunk], dtype=actual.dtype, device=actual.device)[:, None, None]
        path = reference + alpha * (actual - reference)  # (b, T, D)
        gradient += _gradients(model, inputs, path, output, weights[chunk])
    return ((actual[0] - reference[0]) * gradient).sum(-1).float().cpu().numpy()


def _gradients(
    model: BertPreTrainedModel,
    inputs: dict[str, torch.Tensor],
    embeds: torch.Tensor,
    output: Callable[[ModelOutput], torch.Tensor],
    weights: np.ndarray,
) -> torch.Tensor:
    """sum_k weights[k] * d output_k / d embeds[k], for a batch of embedded points -> (T, D)."""
    points = embeds.detach().requires_grad_(True)
    batch = points.shape[0]
    expanded = {name: tensor.expand(batch, -1) for name, tensor in inputs.items()}
    with torch.enable_grad():
        values = output(model(**expanded, inputs_embeds=points))
        weight = torch.tensor(weights, dtype=values.dtype, device=values.device)
        (gradient,) = torch.autograd.grad((values * weight).sum(), points)
    return gradient.sum(0)
