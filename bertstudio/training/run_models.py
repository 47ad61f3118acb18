"""The models a person can apply or inspect: the open model, and each run's exported model and best
checkpoint. A checkpoint is the exported model's architecture with the weights saved at that step."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bertstudio.training.run_index import list_runs, model_display_name


@dataclass(frozen=True)
class ModelChoice:
    title: str  # as a picker lists it
    model_dir: Path  # a model folder in the Hugging Face layout
    checkpoint: Path | None = None  # a run checkpoint whose weights replace the folder's

    @property
    def key(self) -> str:
        return f"{self.model_dir}#{self.checkpoint or ''}"


def open_model_choice(model_dir: Path) -> ModelChoice:
    return ModelChoice(title=f"Open model: {model_display_name(model_dir)}", model_dir=Path(model_dir))


def run_model_choices(runs_dir: str | Path) -> list[ModelChoice]:
    """For each run with an exported model, newest first: the export (its best weights, or the last
    step's when the run did not load the best at the end), and the other of best / final when its
    checkpoint is kept."""
    from bertstudio.training.checkpoint import checkpoint_name

    choices = []
    for record in list_runs(runs_dir):
        if record.model_dir is None:
            continue
        best_step, final_step = record.best_step, record.step
        exported_best = bool(record.config.get("load_best_at_end", True)) and best_step is not None
        exported = (
            f"best model (step {best_step:,})" if exported_best else f"final model (step {final_step:,})"
        )
        choices.append(ModelChoice(title=f"{record.name}: {exported}", model_dir=record.model_dir))
        if best_step is None or best_step == final_step:
            continue  # best and final are the same weights
        other_step, other = (final_step, "final") if exported_best else (best_step, "best")
        checkpoint = record.path / "checkpoints" / checkpoint_name(other_step)
        if (checkpoint / "state.json").is_file():
            title = f"{record.name}: {other} checkpoint (step {other_step:,})"
            choices.append(ModelChoice(title=title, model_dir=record.model_dir, checkpoint=checkpoint))
    return choices


def load_model_choice(choice: ModelChoice) -> tuple[Any, Any]:
    """(model, tokenizer) of a choice, in eval mode."""
    from bertstudio.model import load_pretrained

    model, tokenizer = load_pretrained(choice.model_dir)
    if choice.checkpoint is not None:
        from bertstudio.training.checkpoint import load_checkpoint_weights

        load_checkpoint_weights(model, choice.checkpoint)
    model.eval()
    return model, tokenizer
