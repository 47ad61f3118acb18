"""Reading a run's eval/ folder, per-example loss, and the shared duration / ETA formatting."""

from __future__ import annotations

import json
import math

import pytest

from bertstudio.errors import RunStoreError
from bertstudio.training.duration import StepEta, format_duration
from bertstudio.training.eval_results import (
    by_loss,
    example_loss,
    is_wrong,
    read_evaluation,
    runs_with_evaluation,
)


def test_example_loss_per_kind_of_prediction():
    single = {"label": "pos", "predicted": "neg", "p_neg": "0.75", "p_pos": "0.25"}
    assert example_loss(single) == pytest.approx(-math.log(0.25)) and is_wrong(single)
    multi = {"label": "a|b", "predicted": "a", "p_a": "0.9", "p_b": "0.2", "p_c": "0.1"}
    assert example_loss(multi) == pytest.approx(-(math.log(0.9) + math.log(0.2) + math.log(0.9)))
    regression = {"label": "2.0", "predicted": "1.5"}
    assert example_loss(regression) == pytest.approx(0.25) and is_wrong(regression)
    assert not is_wrong({"label": "pos", "predicted": "pos", "p_pos": "0.9"})
    assert example_loss({"label": "x", "predicted": "y"}) is None


def test_read_evaluation_gives_the_splits_with_their_rows_most_wrong_first(tmp_path):
    eval_dir = tmp_path / "runs" / "r" / "eval"
    eval_dir.mkdir(parents=True)
    (eval_dir / "test_metrics.json").write_text(json.dumps({"accuracy": 0.5, "labels": ["neg", "pos"]}))
    (eval_dir / "test_predictions.csv").write_text(
        "line,text,label,predicted,p_neg,p_pos\n2,a,pos,neg,0.6,0.4\n3,b,neg,neg,0.9,0.1\n4,c,pos,neg,0.99,0.01\n"
    )
    evaluation = read_evaluation(tmp_path / "runs" / "r")
    assert list(evaluation) == ["test"] and evaluation["test"].metrics["accuracy"] == 0.5
    wrong = evaluation["test"].wrong_rows()
    assert [row["line"] for row in wrong] == ["2", "4"] and not evaluation["test"].is_regression
    assert [row["line"] for _, row in by_loss(wrong)] == ["4", "2"]
    assert runs_with_evaluation(tmp_path / "runs") == [tmp_path / "runs" / "r"]
    (eval_dir / "test_metrics.json").write_text("{torn")
    with pytest.raises(RunStoreError, match="test metrics cannot be read"):
        read_evaluation(tmp_path / "runs" / "r")


def test_durations_and_the_eta_from_this_sessions_pace():
    assert [format_duration(s) for s in (0, 59.6, 61, 3600 + 62)] == ["0:00", "1:00", "1:01", "1:01:02"]
    assert format_duration(float("nan")) == format_duration(-1) == "—"
    eta = StepEta()
    assert math.isnan(eta.update(100.0, 51, 100))  # a resumed run's first step: no pace yet
    assert eta.update(110.0, 61, 100) == pytest.approx(10 / 11 * 39)  # 11 steps in 10 s, 39 to go
    eta.start(0.0, 0)
    assert eta.update(5.0, 10, 20) == pytest.approx(5.0) and eta.steps_per_second(5.0, 10) == 2.0
