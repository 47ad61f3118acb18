"""Fill-mask, prediction with heads switched off, and head ranking on tiny real models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bertstudio.errors import BertStudioError
from bertstudio.inspect import fill_mask, head_effects, predict, rank_heads
from bertstudio.model import load_pretrained
from tests.conftest import make_tiny_model_dir


@pytest.fixture(scope="module")
def masked_lm(tmp_path_factory):
    return load_pretrained(make_tiny_model_dir(tmp_path_factory.mktemp("mlm"), "masked_lm"))


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    folder = make_tiny_model_dir(tmp_path_factory.mktemp("cls"), "classification", ["neg", "pos"], seed=1)
    return load_pretrained(folder)


def test_fill_mask_ranks_the_vocabulary_at_each_mask(masked_lm):
    model, tokenizer = masked_lm
    predictions = fill_mask(model, tokenizer, "the [MASK] was [MASK] good", top_k=4)
    assert [p.position for p in predictions] == [2, 4]
    for prediction in predictions:
        probabilities = [p for _, p in prediction.candidates]
        assert len(probabilities) == 4 and probabilities == sorted(probabilities, reverse=True)
    with torch.no_grad():
        full = model(**_inputs(tokenizer)).logits[0, 2].softmax(-1)
    best = int(full.argmax())
    assert predictions[0].candidates[0] == (
        tokenizer.id_to_token(best),
        pytest.approx(float(full[best]), rel=1e-5),
    )


def _inputs(tokenizer):
    ids = [tokenizer.token_to_id(t) for t in ["[CLS]", "the", "[MASK]", "was", "[MASK]", "good", "[SEP]"]]
    return {"input_ids": torch.tensor([ids])}


def test_fill_mask_errors(masked_lm, classifier):
    model, tokenizer = masked_lm
    with pytest.raises(BertStudioError, match="no \\[MASK\\]"):
        fill_mask(model, tokenizer, "the movie was good")
    with pytest.raises(BertStudioError, match="masked-language-model head"):
        fill_mask(classifier[0], classifier[1], "the [MASK]")


def test_switching_a_head_off_changes_prediction_and_zeroes_its_map(classifier):
    model, tokenizer = classifier
    full, maps = predict(model, tokenizer, "the movie was good")
    mask = np.ones((2, 2), dtype=np.float32)
    mask[0, 1] = 0
    masked, masked_maps = predict(model, tokenizer, "the movie was good", head_mask=mask)
    assert full.labels == ["neg", "pos"] and full.scores.sum() == pytest.approx(1.0, abs=1e-6)
    assert not np.allclose(full.scores, masked.scores, rtol=0, atol=1e-9)
    assert np.all(masked_maps.maps[0, 1] == 0)
    np.testing.assert_allclose(masked_maps.maps[0, 0], maps.maps[0, 0], atol=1e-6)  # layer 0 inputs unchanged
    assert not np.allclose(masked_maps.maps[1], maps.maps[1], atol=1e-7)  # later layers see the change


def test_head_ranking_matches_single_predictions(classifier):
    model, tokenizer = classifier
    texts = ["the movie was good", "a very bad film", "i love paris"]
    seen = []
    effects = head_effects(
        model, tokenizer, texts, batch_size=2, progress=lambda done, total: seen.append((done, total))
    )
    assert effects.shape == (2, 2) and seen[-1] == (4, 4)
    base = [predict(model, tokenizer, t)[0].scores for t in texts]
    mask = np.ones((2, 2))
    mask[1, 0] = 0
    masked = [predict(model, tokenizer, t, head_mask=mask)[0].scores for t in texts]
    expected = np.mean([0.5 * np.abs(a - b).sum() for a, b in zip(base, masked, strict=True)])
    # batched (padded) and single predictions round differently: float32 probabilities differ by ~1e-8
    assert effects[1, 0] == pytest.approx(expected, rel=1e-3, abs=5e-8)
    ranking = rank_heads(effects)
    assert [effect for *_, effect in ranking] == sorted(effects.ravel().tolist(), reverse=True)
    with pytest.raises(InterruptedError):
        head_effects(model, tokenizer, texts, should_stop=lambda: True)


def test_encoder_effects_use_output_vectors(tiny_model_dir):
    """Without a task head the effect of a head is 1 - cosine of the mean-pooled output vectors."""
    import torch

    from bertstudio.text import encode

    model, tokenizer = load_pretrained(tiny_model_dir)
    text = "the movie was good"
    effects = head_effects(model, tokenizer, [text])
    ids = torch.tensor([encode(tokenizer, [text])[0].ids])

    def pooled(head_mask):
        with torch.no_grad():
            return model(input_ids=ids, head_mask=head_mask).last_hidden_state.mean(1)[0]

    for layer, head in ((0, 1), (1, 0)):
        mask = torch.ones(2, 2)
        mask[layer, head] = 0
        expected = 1 - torch.nn.functional.cosine_similarity(pooled(mask), pooled(None), dim=0)
        assert effects[layer, head] == pytest.approx(float(expected), rel=1e-3, abs=1e-7)
    assert effects.min() > 0
