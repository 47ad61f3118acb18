"""Why a question-answering model answers what it does: the start and end probability of every
context token (over all the context's windows), the answer's span and the n-best list.
Used by the Evaluate page's playground; the same windows and post-processing as training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tokenizers import Tokenizer

from bertstudio.data.qa_windows import NOT_CONTEXT, QAWindows, encode_windows
from bertstudio.data.squad import QAExample
from bertstudio.errors import ConfigError
from bertstudio.inspect.batching import evaluating, model_device
from bertstudio.model.modeling import BertPreTrainedModel
from bertstudio.training.qa_answers import AnswerSettings, QAAnswer, answers_from_logits


@dataclass
class TokenProbabilities:
    """Context tokens (their character spans) with the probability that the answer starts / ends at
    each: the softmax over each window's tokens, the highest over the windows a token is in."""

    char_starts: np.ndarray  # int32 per context token
    char_ends: np.ndarray
    start: np.ndarray  # float per context token
    end: np.ndarray


@dataclass
class ExplainedAnswer:
    answer: QAAnswer
    tokens: TokenProbabilities
    windows: int


def answer_windows(
    model: BertPreTrainedModel,
    tokenizer: Tokenizer,
    context: str,
    question: str,
    max_length: int = 384,
    doc_stride: int = 128,
    settings: AnswerSettings | None = None,
) -> tuple[QAExample, QAWindows, AnswerSettings]:
    """The question as an example, its context's windows and how its answer is picked (as the model
    was trained: "no answer" only when it learnt from unanswerable questions)."""
    if model.task != "question_answering":
        raise ConfigError(
            f"This is a {model.task} model; it does not answer questions.",
            "Choose a model trained for question answering.",
        )
    if settings is None:
        from bertstudio.training.prepare import ALLOWS_NO_ANSWER

        allows = model.config.extra.get(ALLOWS_NO_ANSWER, False)
        settings = AnswerSettings(null_threshold=0.0 if allows else None)
    example = QAExample(
        id="playground", question=question, context=context, answers=(), answer_starts=(), line=0, position=""
    )
    max_length = min(max_length, model.config.max_length)
    windows = encode_windows([example], tokenizer, max_length, min(doc_stride, max_length // 2 - 1))
    return example, windows, settings


def window_logits(model: BertPreTrainedModel, windows: QAWindows) -> list[np.ndarray]:
    """(2, tokens) start / end logits of each window, one forward pass each (no padding)."""
    device = model_device(model)
    logits = []
    with evaluating(model), torch.no_grad():
        for window in range(len(windows)):
            item = windows.encoded.example(window)
            ids = torch.as_tensor(item["input_ids"], dtype=torch.long, device=device)[None]
            types = torch.as_tensor(item["token_type_ids"], dtype=torch.long, device=device)[None]
            out = model(ids, attention_mask=torch.ones_like(ids), token_type_ids=types)
            logits.append(torch.stack((out.start_logits[0], out.end_logits[0])).float().cpu().numpy())
    return logits


def explain_answer(
    model: BertPreTrainedModel,
    tokenizer: Tokenizer,
    context: str,
    question: str,
    max_length: int = 384,
    doc_stride: int = 128,
    settings: AnswerSettings | None = None,
) -> ExplainedAnswer:
    """The model's answer to `question` about `context`, with per-token start / end probabilities."""
    example, windows, settings = answer_windows(
        model, tokenizer, context, question, max_length, doc_stride, settings
    )
    logits = window_logits(model, windows)
    best: dict[tuple[int, int], list[float]] = {}
    for window, pair in enumerate(logits):  # (2, T)
        probabilities = np.exp(pair - pair.max(-1, keepdims=True))
        probabilities /= probabilities.sum(-1, keepdims=True)
        starts, ends = windows.spans(window)
        for position in np.flatnonzero(starts != NOT_CONTEXT):
            key = (int(starts[position]), int(ends[position]))
            seen = best.setdefault(key, [0.0, 0.0])
            seen[0] = max(seen[0], float(probabilities[0, position]))
            seen[1] = max(seen[1], float(probabilities[1, position]))
    (answer,) = answers_from_logits([example], windows, logits, settings)
    spans = sorted(best)
    tokens = TokenProbabilities(
        char_starts=np.asarray([s for s, _ in spans], np.int32),
        char_ends=np.asarray([e for _, e in spans], np.int32),
        start=np.asarray([best[span][0] for span in spans]),
        end=np.asarray([best[span][1] for span in spans]),
    )
    return ExplainedAnswer(answer=answer, tokens=tokens, windows=len(windows))
