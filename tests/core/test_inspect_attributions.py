"""Gradient x input and integrated gradients on a tiny real classifier."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bertstudio.errors import BertStudioError
from bertstudio.inspect import attribute
from bertstudio.model import BertConfig, build_model, load_pretrained
from tests.conftest import tiny_vocab


@pytest.fixture(scope="module")
def classifier(tiny_tokenizer):
    """A tiny classifier with weights large enough that its output moves with the input."""
    config = BertConfig(
        vocab_size=len(tiny_vocab()),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        initializer_range=0.3,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
    )
    torch.manual_seed(3)
    return build_model(config, "classification").eval(), tiny_tokenizer


TEXT = "the movie was really good"


def test_integrated_gradients_is_complete(classifier):
    model, tokenizer = classifier
    results = attribute(model, tokenizer, TEXT, steps=48, internal_batch_size=16)
    assert [r.label for r in results] == ["negative", "neutral", "positive"]
    assert sum(r.output for r in results) == pytest.approx(1.0, abs=1e-5)
    for result in results:
        change = result.output - result.baseline_output
        assert result.tokens[0] == "[CLS]" and result.scores.shape == (len(result.tokens),)
        assert abs(change) > 0.01  # the baseline really is different, so completeness says something
        assert result.completeness_error < 0.02 * abs(change) + 1e-4
        assert float(result.scores.sum()) == pytest.approx(change, abs=result.completeness_error + 1e-7)


def test_internal_batches_do_not_change_the_result(classifier):
    model, tokenizer = classifier
    small = attribute(model, tokenizer, TEXT, steps=12, internal_batch_size=5, classes=[2])[0]
    large = attribute(model, tokenizer, TEXT, steps=12, internal_batch_size=64, classes=[2])[0]
    np.testing.assert_allclose(small.scores, large.scores, rtol=1e-4, atol=1e-6)


def test_baselines_and_gradient_x_input(classifier):
    model, tokenizer = classifier
    pad = attribute(model, tokenizer, TEXT, baseline="pad", steps=8, classes=[0])[0]
    mask = attribute(model, tokenizer, TEXT, baseline="mask", steps=8, classes=[0])[0]
    assert pad.baseline_output != pytest.approx(mask.baseline_output)
    plain = attribute(model, tokenizer, TEXT, method="gradient_x_input", classes=[0])[0]
    assert plain.method == "gradient_x_input" and np.abs(plain.scores).max() > 0
    assert not model.training


def test_only_sequence_models_are_attributed(tiny_model_dir):
    model, tokenizer = load_pretrained(tiny_model_dir)
    with pytest.raises(BertStudioError, match="task is 'base'"):
        attribute(model, tokenizer, TEXT)
