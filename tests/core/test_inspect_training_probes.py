"""Recording probe sentences across training and reading them back."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bertstudio.errors import RunStoreError
from bertstudio.inspect import ProbeRecorder, attention, list_probe_steps, load_probe_step
from bertstudio.model import load_pretrained
from tests.conftest import make_tiny_model_dir


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    return load_pretrained(
        make_tiny_model_dir(tmp_path_factory.mktemp("cls"), "classification", ["neg", "pos"])
    )


def test_record_and_read_back(classifier, tmp_path):
    model, tokenizer = classifier
    model.train()
    recorder = ProbeRecorder(tmp_path, ["the movie was good", "a bad film"])
    recorder.record(model, tokenizer, 10, {"eval_loss": 0.7, "note": "text is skipped"})
    assert model.training  # recording mid-training leaves the model as it found it
    with torch.no_grad():
        model.classifier.bias[1] += 1.0  # "training" moves the prediction
    recorder.record(model, tokenizer, 20, {"eval_loss": 0.5})
    model.eval()
    steps = list_probe_steps(tmp_path)
    assert [(s.step, s.metrics) for s in steps] == [(10, {"eval_loss": 0.7}), (20, {"eval_loss": 0.5})]
    snapshot = load_probe_step(tmp_path, 10)
    assert snapshot.sentences == ["the movie was good", "a bad film"] and snapshot.labels == ["neg", "pos"]
    expected = attention(model, tokenizer, "a bad film")
    assert snapshot.tokens[1] == expected.tokens
    np.testing.assert_allclose(snapshot.maps[1], expected.maps, atol=1e-3)  # float16 storage
    assert snapshot.scores[0] != load_probe_step(tmp_path, 20).scores[0]


def test_long_sentences_are_truncated_and_size_stays_bounded(classifier, tmp_path):
    model, tokenizer = classifier
    recorder = ProbeRecorder(tmp_path, ["the movie was good " * 40], max_tokens=16, budget_bytes=12_000)
    truncation = tokenizer.truncation
    for step in range(0, 200, 10):
        recorder.record(model, tokenizer, step)
    assert tokenizer.truncation == truncation  # the run's tokenizer is never reconfigured
    steps = [s.step for s in list_probe_steps(tmp_path)]
    assert steps[0] == 0 and steps[-1] == 190 and 2 <= len(steps) < 20
    assert sum(s.path.stat().st_size for s in list_probe_steps(tmp_path)) <= 12_000 or len(steps) == 2
    snapshot = load_probe_step(tmp_path, 190)
    assert len(snapshot.tokens[0]) == 16 and snapshot.tokens[0][-1] == "[SEP]"
    assert snapshot.maps[0].shape == (2, 2, 16, 16)


def test_bad_input_and_missing_steps(tmp_path):
    with pytest.raises(RunStoreError, match="No probe sentences"):
        ProbeRecorder(tmp_path, ["  "])
    with pytest.raises(RunStoreError, match="at most 8"):
        ProbeRecorder(tmp_path, [f"sentence {i}" for i in range(9)])
    assert list_probe_steps(tmp_path) == []
    with pytest.raises(RunStoreError, match="No probes were recorded at step 5"):
        load_probe_step(tmp_path, 5)
    (tmp_path / "probes").mkdir()
    (tmp_path / "probes" / "step_000000005.npz").write_bytes(b"not a zip")
    with pytest.raises(RunStoreError, match="cannot be read"):
        list_probe_steps(tmp_path)
