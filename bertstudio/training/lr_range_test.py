"""A learning-rate range test: a short run with the rate rising exponentially, and the rate it suggests.

The scan takes the trainer's own path (the same data preparation, batches, loss weighting, clipping and
optimizer) from the run's starting model, one optimizer step per rate from `min_rate` to `max_rate`, and
stops early once the loss diverges. The suggested rate is where the smoothed loss falls fastest (per decade
of the rate), before its minimum: a rate a run can use from its first steps (Smith 2017, fastai's
`lr_find`). Nothing is written: the scan works in a temporary folder it removes, and its model is dropped.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bertstudio.errors import ConfigError
from bertstudio.training.config import RunConfig
from bertstudio.training.control import TrainingControl
from bertstudio.training.events import Event, LogEvent

SCAN_STEPS = 100
MIN_RATE = 1e-7
MAX_RATE = 1e-1
SMOOTHING = 0.9  # exponential moving average of the loss (bias corrected)
DIVERGED_FACTOR = 4.0  # the smoothed loss above this multiple of its best ends the scan
SKIP_START = 3  # the first smoothed points are mostly the average warming up


@dataclass
class RateScan:
    """The loss at each rate tried; `suggested_rate` is None when the loss never fell (`note` says so)."""

    rates: list[float]
    losses: list[float]
    smoothed: list[float]
    suggested_rate: float | None
    status: str  # "completed" (all steps), "diverged" (stopped when the loss blew up) or "cancelled"
    note: str


def rate_at(step: int, steps: int, min_rate: float, max_rate: float) -> float:
    """The rate of scan step `step` (0-based) of `steps`: exponential from min_rate to max_rate."""
    return min_rate * (max_rate / min_rate) ** (step / max(steps - 1, 1))


def smooth(losses: list[float], beta: float = SMOOTHING) -> list[float]:
    average, smoothed = 0.0, []
    for count, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        smoothed.append(average / (1 - beta**count))
    return smoothed


def suggest_rate(rates: list[float], smoothed: list[float]) -> tuple[float | None, str]:
    """(rate, note): the steepest descent of the smoothed loss per decade, before its minimum."""
    lowest = min(range(len(smoothed)), key=smoothed.__getitem__, default=0)
    if lowest <= SKIP_START or smoothed[lowest] >= smoothed[0]:
        return None, "The loss did not fall over the scanned rates: no rate to suggest (check the data)."
    slopes = [
        (smoothed[i + 1] - smoothed[i]) / (math.log10(rates[i + 1]) - math.log10(rates[i]))
        for i in range(SKIP_START, lowest)
    ]
    steepest = SKIP_START + min(range(len(slopes)), key=slopes.__getitem__)
    rate = rates[steepest]
    return rate, (
        f"Suggested learning rate {rate:.1e}: the loss falls fastest there "
        f"(lowest at {rates[lowest]:.1e}, {smoothed[lowest]:.3f})."
    )


def find_learning_rate(
    config: RunConfig,
    on_event: Callable[[Event], None] | None = None,
    control: TrainingControl | None = None,
    steps: int = SCAN_STEPS,
    min_rate: float = MIN_RATE,
    max_rate: float = MAX_RATE,
) -> RateScan:
    """Scan `steps` rates from min_rate to max_rate on `config`'s model and data. Step events carry
    each rate and loss (a cancelled scan returns what it has); BertStudioErrors propagate."""
    from bertstudio.training.rate_scanner import RateScanner

    if steps < SKIP_START + 3 or not 0 < min_rate < max_rate:
        raise ConfigError(
            f"A range test needs at least {SKIP_START + 3} steps and 0 < min_rate < max_rate "
            f"(got {steps} steps, {min_rate:g} to {max_rate:g})."
        )
    scratch = Path(tempfile.mkdtemp(prefix="bertstudio-lr-"))
    try:
        scan_config = replace(config, output_dir=str(scratch / "run"), max_steps=steps, warmup_ratio=0.0)
        scanner = RateScanner(
            scan_config,
            on_event,
            control or TrainingControl(),
            rate=lambda step: rate_at(step, steps, min_rate, max_rate),
        )
        rates, losses, status = scanner.scan(diverged=_diverged)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    smoothed = smooth(losses)
    suggested, note = suggest_rate(rates, smoothed)
    if on_event is not None:
        on_event(LogEvent(note, "info" if suggested else "warning"))
    return RateScan(rates, losses, smoothed, suggested, status, note)


def _diverged(losses: list[float]) -> bool:
    smoothed = smooth(losses)
    return len(smoothed) > SKIP_START and smoothed[-1] > DIVERGED_FACTOR * min(smoothed)
