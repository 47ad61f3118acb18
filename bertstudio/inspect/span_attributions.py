"""Why a question-answering model picked its answer, read back on the question's words: attributions
of the span's start + end logit (integrated gradients or gradient x input over the word embeddings of
the window it was found in), and how much the span's tokens attend to each question word, per layer
and head. The answer, its windows and post-processing are the playground's (answer_spans)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tokenizers import Tokenizer

from bertstudio.data.qa_windows import CLS_POSITION, NOT_CONTEXT, QAWindows
from bertstudio.inspect.answer_spans import answer_windows, window_logits
from bertstudio.inspect.attributions import BASELINES, METHODS, Attribution, baseline_embeddings, token_scores
from bertstudio.inspect.batching import evaluating, model_device
from bertstudio.model.modeling import BertPreTrainedModel
from bertstudio.training.qa_answers import AnswerSettings, QAAnswer, answers_from_logits


@dataclass
class SpanInspection:
    """The answer to one question and what of the question it rests on. `attribution` is over the
    question's words (pieces summed); `attention[layer, head, word]` is the attention the span's tokens
    pay to each question word (mean over the span's tokens, summed over a word's pieces)."""

    answer: QAAnswer  # text "" when the model answers "no answer" (the span is then [CLS])
    window: int  # the context window the span was scored in
    span: tuple[int, int]  # its first and last token in that window ((0, 0): [CLS])
    span_tokens: list[str]
    question_words: list[str]
    attribution: Attribution  # scores per question word; output = the span's start + end logit
    attention: np.ndarray  # (layers, heads, question words) float32
    question_share: float  # share of the attributions' absolute mass that falls on the question


def inspect_answer_span(
    model: BertPreTrainedModel,
    tokenizer: Tokenizer,
    context: str,
    question: str,
    method: str = "integrated_gradients",
    baseline: str = "pad",
    steps: int = 32,
    internal_batch_size: int = 16,
    max_length: int = 384,
    doc_stride: int = 128,
    settings: AnswerSettings | None = None,
) -> SpanInspection:
    """Attributions and attention from the model's answer span back to the question (see the module);
    `settings` pick the answer (default: as the model was trained, see answer_spans.answer_windows)."""
    if method not in METHODS or baseline not in BASELINES:
        raise ValueError(f"method must be one of {METHODS} and baseline one of {BASELINES}")
    example, windows, settings = answer_windows(
        model, tokenizer, context, question, max_length, doc_stride, settings
    )
    logits = window_logits(model, windows)
    (answer,) = answers_from_logits([example], windows, logits, settings)
    window, start, end = _span_position(answer, windows, logits)
    item = windows.encoded.example(window)
    device = model_device(model)
    ids = torch.as_tensor(item["input_ids"], dtype=torch.long, device=device)[None]
    inputs = {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "token_type_ids": torch.as_tensor(item["token_type_ids"], dtype=torch.long, device=device)[None],
    }
    char_starts, _ = windows.spans(window)
    words, pieces = _question_words(tokenizer, example.question, item["input_ids"])
    question_positions = np.concatenate(pieces)
    special = np.asarray(char_starts == NOT_CONTEXT)
    special[question_positions] = False  # the question's pieces are replaced by the baseline too
    special_mask = torch.as_tensor(special, device=device)[None]

    def span_logit(out):
        return out.start_logits[:, start] + out.end_logits[:, end]

    with evaluating(model):
        with torch.no_grad():
            actual = model.encoder_model.embeddings.word_embeddings(ids)
            reference = baseline_embeddings(model, tokenizer, ids, special_mask, baseline)
            output = float(span_logit(model(**inputs, inputs_embeds=actual)))
            baseline_output = float(span_logit(model(**inputs, inputs_embeds=reference)))
        scores = token_scores(
            model, inputs, actual, reference, span_logit, method, steps, internal_batch_size
        )
        with torch.inference_mode():
            attentions = model.encoder_model(**inputs, output_attentions=True).attentions
    maps = torch.stack(attentions, dim=1)[0].float().cpu().numpy()  # (L, H, T, T)
    rows = maps[:, :, start : end + 1, :].mean(axis=2)  # (L, H, T): the span's tokens as queries
    attention = np.stack([rows[:, :, p].sum(-1) for p in pieces], axis=-1).astype(np.float32)
    word_scores = np.asarray([scores[p].sum() for p in pieces], dtype=np.float32)
    total = float(np.abs(scores).sum())
    tokens = [tokenizer.id_to_token(int(i)) or "" for i in item["input_ids"]]
    shown = repr(answer.text) if answer.text else "no answer ([CLS])"
    return SpanInspection(
        answer=answer,
        window=window,
        span=(start, end),
        span_tokens=tokens[start : end + 1],
        question_words=words,
        attribution=Attribution(
            tokens=words,
            label=f"start + end logit of {shown}",
            class_index=-1,
            scores=word_scores,
            output=output,
            baseline_output=baseline_output,
            method=method,
            completeness_error=abs(float(scores.sum()) - (output - baseline_output)),
        ),
        attention=attention,
        question_share=float(np.abs(word_scores).sum()) / total if total > 0 else 0.0,
    )


def _span_position(answer: QAAnswer, windows: QAWindows, logits: list[np.ndarray]) -> tuple[int, int, int]:
    """(window, start token, end token) of the answer: the window where its span scores highest; for
    "no answer", [CLS] of the window whose null score the answer was judged by (the lowest)."""
    if not answer.text:
        nulls = [float(pair[0, CLS_POSITION] + pair[1, CLS_POSITION]) for pair in logits]
        return int(np.argmin(nulls)), CLS_POSITION, CLS_POSITION
    best: tuple[float, int, int, int] | None = None
    for window, pair in enumerate(logits):
        char_starts, char_ends = windows.spans(window)
        starts = np.flatnonzero(char_starts == answer.char_start)
        ends = np.flatnonzero(char_ends == answer.char_end)
        if starts.size and ends.size and ends[-1] >= starts[0]:
            score = float(pair[0, starts[0]] + pair[1, ends[-1]])
            if best is None or score > best[0]:
                best = (score, window, int(starts[0]), int(ends[-1]))
    if best is None:  # cannot happen for a span the post-processing took from these windows
        raise ValueError(f"the answer {answer.text!r} is in none of the windows")
    return best[1], best[2], best[3]


def _question_words(tokenizer: Tokenizer, question: str, window_ids) -> tuple[list[str], list[np.ndarray]]:
    """The question's words and, per word, its pieces' positions in the window (after the first
    special token; a question clipped to fit the window keeps its first pieces)."""
    plain = Tokenizer.from_str(tokenizer.to_str())
    plain.no_padding()
    plain.no_truncation()
    question = question.lstrip()
    encoding = plain.encode(question, add_special_tokens=False)
    question_ids, word_ids, offsets = encoding.ids, encoding.word_ids, encoding.offsets  # lists built once
    window_ids = list(window_ids)
    count = 0
    while (
        count < len(question_ids)
        and 1 + count < len(window_ids)
        and question_ids[count] == window_ids[1 + count]
    ):
        count += 1
    starts: list[int] = []  # each word's first character
    words: list[str] = []
    pieces: list[list[int]] = []
    previous = None
    for piece in range(count):
        word = word_ids[piece]
        start, end = offsets[piece]
        if word is not None and word == previous:
            pieces[-1].append(1 + piece)
            words[-1] = question[starts[-1] : end]
        else:
            starts.append(start)
            pieces.append([1 + piece])
            words.append(question[start:end])
        previous = word
    return words, [np.asarray(p) for p in pieces]
