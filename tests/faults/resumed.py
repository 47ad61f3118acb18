"""What every fault test asserts at the end: the resumed run is the uninterrupted one."""

from __future__ import annotations

import pytest
from safetensors.torch import load_file

from bertstudio.training import run_status
from bertstudio.training.checkpoint import verify_folder
from tests.core.training_fixtures import step_losses


def assert_same_run(reference, run) -> None:
    """Same loss at every step, same final weights, a completed status, a model folder that verifies."""
    assert run_status(run) == "completed"
    expected, actual = step_losses(reference), step_losses(run)
    assert sorted(actual) == sorted(expected)
    for step, loss in expected.items():
        assert actual[step] == pytest.approx(loss, abs=1e-5), f"step {step}"
    a = load_file(str(reference / "model" / "model.safetensors"))
    b = load_file(str(run / "model" / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert (a[key] - b[key]).abs().max().item() < 1e-5, key
    assert verify_folder(run / "model") is None and (run / "model" / "manifest.json").is_file()
