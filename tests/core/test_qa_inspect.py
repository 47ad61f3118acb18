"""Inspecting a question-answering model from its answer span back to the question: the span's start +
end logit, its gradient x input over the question's words and the span tokens' attention to them,
against transformers' BertForQuestionAnswering / RobertaForQuestionAnswering on the same weights; and
integrated gradients accounting for the whole change of that logit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bertstudio.inspect import inspect_answer_span
from bertstudio.model import load_pretrained
from bertstudio.text import encode
from bertstudio.training.qa_answers import AnswerSettings
from tests.core.family_references import save_reference

transformers = pytest.importorskip("transformers")
CONTEXT = "Hello world, this is a test of padding."  # one window, under the tokenizers' truncation
QUESTION = "What is this a test of?"
ARCHITECTURES = {"bert": "BertForQuestionAnswering", "roberta": "RobertaForQuestionAnswering"}


def reference_scores(reference, tokenizer, span: tuple[int, int]):
    """transformers' span logit, gradient x input per question word and the span's attention to each
    question word, (layers, heads, words), on the one window [CLS] question [SEP] context [SEP]."""
    (encoding,) = encode(tokenizer, [QUESTION], [CONTEXT])
    assert not encoding.overflowing  # the whole context, as the one window holds it
    ids = torch.tensor([encoding.ids])
    embeddings = reference.get_input_embeddings()(ids).detach().requires_grad_(True)
    kwargs = dict(inputs_embeds=embeddings, attention_mask=torch.ones_like(ids), output_attentions=True)
    if reference.config.type_vocab_size > 1:
        kwargs["token_type_ids"] = torch.tensor([encoding.type_ids])
    out = reference(**kwargs)
    start, end = span
    logit = out.start_logits[0, start] + out.end_logits[0, end]
    (gradient,) = torch.autograd.grad(logit, embeddings)
    per_token = (gradient * embeddings).sum(-1)[0].detach().numpy()
    attention = torch.stack(out.attentions, dim=1)[0].detach().numpy()[:, :, start : end + 1].mean(2)
    words: dict[int, list[int]] = {}
    for position, (sequence, word) in enumerate(zip(encoding.sequence_ids, encoding.word_ids, strict=True)):
        if sequence == 0 and word is not None:
            words.setdefault(word, []).append(position)
    pieces = list(words.values())
    return (
        float(logit.detach()),
        np.array([per_token[p].sum() for p in pieces]),
        np.stack([attention[:, :, p].sum(-1) for p in pieces], axis=-1),
    )


@pytest.mark.parametrize("family", sorted(ARCHITECTURES))
def test_span_attributions_and_attention_match_transformers(tmp_path, family):
    reference, _ = save_reference(tmp_path, family, ARCHITECTURES[family], num_labels=2)
    model, tokenizer = load_pretrained(tmp_path)
    found = inspect_answer_span(model, tokenizer, CONTEXT, QUESTION, method="gradient_x_input")
    assert found.window == 0 and found.question_words == ["What", "is", "this", "a", "test", "of", "?"]
    start, end = found.span
    assert found.answer.text and 0 < start <= end  # a random head still answers with some span
    assert found.answer.text == CONTEXT[found.answer.char_start : found.answer.char_end]
    logit, scores, attention = reference_scores(reference, tokenizer, found.span)
    assert found.attribution.output == pytest.approx(logit, abs=1e-4)
    np.testing.assert_allclose(found.attribution.scores, scores, atol=1e-4)
    np.testing.assert_allclose(found.attention, attention, atol=1e-5)
    layers, heads = model.config.num_hidden_layers, model.config.num_attention_heads
    assert found.attention.shape == (layers, heads, 7) and 0 < found.question_share <= 1


def test_integrated_gradients_account_for_the_span_logit_and_no_answer_points_at_cls(tmp_path):
    save_reference(tmp_path, "bert", "BertForQuestionAnswering", num_labels=2)
    model, tokenizer = load_pretrained(tmp_path)
    found = inspect_answer_span(model, tokenizer, CONTEXT, QUESTION, steps=64)
    change = found.attribution.output - found.attribution.baseline_output
    assert abs(change) > 1e-3 and found.attribution.completeness_error < 0.01 * abs(change)
    assert found.attribution.method == "integrated_gradients"

    always_null = AnswerSettings(null_threshold=-1e9)  # "no answer" whatever the spans score
    found = inspect_answer_span(model, tokenizer, CONTEXT, QUESTION, settings=always_null, steps=64)
    assert found.answer.text == "" and found.span == (0, 0) and found.span_tokens == ["[CLS]"]
    change = found.attribution.output - found.attribution.baseline_output
    assert found.attribution.completeness_error < 0.01 * abs(change)
