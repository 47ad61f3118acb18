"""Probe sentences added after a run: their attention and prediction computed at each checkpoint the run
kept (the exported model's architecture with that step's weights), so Across training can show them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bertstudio.errors import RunStoreError
from bertstudio.inspect.training_probes import ProbeRecorder, list_probe_steps


def record_probes_from_checkpoints(
    run_dir: str | Path, sentences: Sequence[str], on_step: Callable[[int, int], None] | None = None
) -> list[int]:
    """Record `sentences` at every kept checkpoint of `run_dir`; returns the steps recorded. Records of
    other sentences are removed, so every step on the slider shows the same sentences."""
    from bertstudio.training.checkpoint import list_checkpoints
    from bertstudio.training.run_models import ModelChoice, load_model_choice
    from bertstudio.training.run_store import RunFolder

    folder = RunFolder(run_dir)
    if not (folder.model_dir / "config.json").is_file():
        raise RunStoreError(
            "This run has no exported model yet, so its checkpoints cannot be rebuilt.",
            "Resume the run until it finishes (Runs page > Resume), then add the probe sentences.",
            path=folder.path,
        )
    checkpoints = list_checkpoints(folder.checkpoints)
    if not checkpoints:
        raise RunStoreError(
            "This run kept no checkpoints to compute the probes from.",
            "Train with probe sentences from the start (Train page > Advanced > Probe sentences).",
            path=folder.checkpoints,
        )
    recorder = ProbeRecorder(folder.path, sentences)  # checks the sentences before any work
    metrics = {
        r["step"]: r.get("metrics") or {}
        for r in folder.read_events()
        if r.get("kind") == "eval" and r.get("split") == "validation"
    }
    steps = []
    for index, checkpoint in enumerate(checkpoints):
        step = int(checkpoint.name.split("-")[1])
        model, tokenizer = load_model_choice(
            ModelChoice(title="", model_dir=folder.model_dir, checkpoint=checkpoint)
        )
        recorder.record(model, tokenizer, step, metrics.get(step))
        steps.append(step)
        if on_step is not None:
            on_step(index + 1, len(checkpoints))
    for probe in list_probe_steps(folder.path):
        if probe.step not in steps:  # recorded with other sentences at a step no checkpoint kept
            probe.path.unlink(missing_ok=True)
    return steps
