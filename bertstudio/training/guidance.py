"""Advice that helps a run learn: how many steps it will take, whether that is enough, and whether it did.

A fine-tuning run moves the weights by roughly (peak learning rate x optimizer steps); below a budget of
about LEARNING_BUDGET the loss barely moves (measured: all-MiniLM-L6-v2 on 600 rows, 30 steps at 5e-5
moved the loss from 2.08 to 2.00, accuracy 0.65; at 2e-4 it reached 0.82). The window shows the plan
and the warnings before Start; the CLI logs them. Importing this module does not import torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bertstudio.training.config import RunConfig

LEARNING_BUDGET = 0.003  # peak learning rate x optimizer steps below which fine-tuning learns little
FEW_STEPS = 20  # fewer optimizer steps than this are too short to learn, whatever the rate
STILL_LOSS_DROP = (
    0.1  # a loss that fell by less than this share from the first to the last steps "barely moved"
)
LOSS_WINDOW_SHARE = 0.1  # the first and last 10% of the steps (at least one) are averaged for that


@dataclass(frozen=True)
class StepPlan:
    """The optimizer steps a run will take (as the trainer counts them)."""

    train_examples: int
    steps_per_epoch: int
    total_steps: int
    warmup_steps: int

    def describe(self) -> str:
        return (
            f"{self.total_steps:,} optimizer steps ({self.steps_per_epoch:,} per epoch over "
            f"{self.train_examples:,} training examples), {self.warmup_steps:,} of them warming up"
        )


def plan_steps(config: RunConfig, train_examples: int) -> StepPlan:
    """The steps `config` takes over `train_examples` examples: batches per epoch, grouped by the
    gradient accumulation, times the epochs (or max_steps), and the warmup share of them."""
    batches = math.ceil(train_examples / config.batch_size)
    steps_per_epoch = math.ceil(batches / config.gradient_accumulation)
    total = config.max_steps or config.epochs * steps_per_epoch
    return StepPlan(
        train_examples=train_examples,
        steps_per_epoch=steps_per_epoch,
        total_steps=total,
        warmup_steps=math.ceil(config.warmup_ratio * total),
    )


def advise(
    config: RunConfig, plan: StepPlan, range_test: str = "Find LR", max_steps: str = "Max steps"
) -> list[str]:
    """Warnings about a run that is too short to learn (few steps, or a learning rate far below what
    that many steps need); empty when the plan looks fine. Fine-tuning only: pretraining runs long.
    `range_test` and `max_steps` name the learning-rate range test and the step limit where the
    warning is read (the window's controls or the command's flags)."""
    if config.is_pretraining or not plan.total_steps:
        return []
    capped = bool(config.max_steps)  # the step limit, not the epochs, ends this run
    if plan.total_steps < FEW_STEPS:
        longer = f"Raise {max_steps}." if capped else "Train more epochs, use a smaller batch or more data."
        return [f"Only {plan.total_steps} optimizer steps: too short to learn. {longer}"]
    if config.learning_rate * plan.total_steps >= LEARNING_BUDGET:
        return []
    needed = rate_at_least(LEARNING_BUDGET / plan.total_steps)
    steps_needed = math.ceil(LEARNING_BUDGET / config.learning_rate)
    if capped:
        longer = f"raise {max_steps} to about {steps_needed:,}"
    else:
        epochs = math.ceil(steps_needed / plan.steps_per_epoch)
        longer = f"train about {steps_needed:,} steps at this rate ({epochs} epoch{'s' * (epochs != 1)})"
    return [
        f"{plan.total_steps} steps at learning rate {config.learning_rate:g} are likely too few to learn: "
        f"raise the learning rate to about {needed:.0e}, or {longer}. "
        f"{range_test} measures a rate for this model and data."
    ]


def rate_at_least(rate: float) -> float:
    """`rate` rounded up to one significant digit (5.3e-05 -> 6e-05), so the advice names a rate
    that reaches the budget and differs from a rate just below it."""
    exponent = math.floor(math.log10(rate))
    return math.ceil(round(rate / 10**exponent, 6)) * 10**exponent


def loss_progress_note(losses: Sequence[float]) -> str | None:
    """A note when the training loss barely moved (first steps' mean vs last steps' mean), else None."""
    finite = [loss for loss in losses if math.isfinite(loss)]
    if len(finite) < 4:
        return None
    window = max(1, round(len(finite) * LOSS_WINDOW_SHARE))
    first = sum(finite[:window]) / window
    last = sum(finite[-window:]) / window
    if first <= 0 or (first - last) / first >= STILL_LOSS_DROP:
        return None
    return (
        f"The training loss barely moved ({first:.2f} to {last:.2f} over {len(finite)} steps): the model "
        "learned little. Try a higher learning rate (Find LR suggests one) or more epochs."
    )
