"""Probe sentences added after a run are computed from its kept checkpoints: one record per checkpoint,
the last one predicting exactly what the exported (last-step) model predicts."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from bertstudio.errors import RunStoreError
from bertstudio.inspect.probes_after_training import record_probes_from_checkpoints
from bertstudio.inspect.training_probes import list_probe_steps, load_probe_step
from tests.conftest import make_tiny_model_dir


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from bertstudio.training import RunConfig, run_training

    root = tmp_path_factory.mktemp("probes_after")
    data = root / "reviews.csv"
    with open(data, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(
            [f"the film was {'good' if i % 2 else 'bad'}", "pos" if i % 2 else "neg"] for i in range(40)
        )
    config = RunConfig(
        model_path=str(make_tiny_model_dir(root / "tiny")),
        data_path=str(data),
        text_column="text",
        label_columns=["label"],
        output_dir=str(root / "run"),
        max_length=16,
        batch_size=8,
        max_steps=4,
        eval_every_steps=2,
        save_every_steps=2,
        keep_checkpoints=5,
        load_best_at_end=False,
        log_every_steps=0,
    )
    assert run_training(config).status == "completed"
    return root / "run"


def test_probes_are_recorded_at_every_kept_checkpoint(run_dir):
    assert not list_probe_steps(run_dir)
    steps = record_probes_from_checkpoints(run_dir, ["the film was good", "the film was bad"])
    assert steps == [2, 4] and [p.step for p in list_probe_steps(run_dir)] == [2, 4]
    first, last = load_probe_step(run_dir, 2), load_probe_step(run_dir, 4)
    assert last.sentences == ["the film was good", "the film was bad"] and last.labels == ["neg", "pos"]
    assert "loss" in last.metrics  # the validation metrics logged at that step
    assert not np.allclose(first.scores, last.scores)  # other weights at another step

    from bertstudio.inspect.probes import predict
    from bertstudio.model import load_pretrained

    model, tokenizer = load_pretrained(run_dir / "model")  # the export holds the last step's weights
    prediction, _ = predict(model, tokenizer, "the film was good", None)
    assert np.allclose(prediction.scores, last.scores[0], atol=1e-4)


def test_no_sentences_or_no_export_is_refused_with_what_to_do(run_dir, tmp_path):
    with pytest.raises(RunStoreError, match="No probe sentences"):
        record_probes_from_checkpoints(run_dir, ["  "])
    with pytest.raises(RunStoreError, match="no exported model"):
        record_probes_from_checkpoints(tmp_path, ["a sentence"])
