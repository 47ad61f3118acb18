"""Durations and ETAs as people read them, shared by the terminal progress bar and the window."""

from __future__ import annotations

import math


def format_duration(seconds: float) -> str:
    """'m:ss', or 'h:mm:ss' from an hour on; '—' for an unknown (NaN, infinite or negative) duration."""
    if not math.isfinite(seconds) or seconds < 0:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class StepEta:
    """Seconds left from the pace since the first step this session saw (a resumed run's earlier
    steps took place in another session, so they do not count)."""

    def __init__(self) -> None:
        self.first: tuple[float, int] | None = None  # (clock, step before it)

    def reset(self) -> None:
        """Forget the pace: the next update starts counting."""
        self.first = None

    def start(self, clock: float, step: int) -> None:
        """Count the pace from `step` (the last step done before this session) at `clock`."""
        self.first = (clock, step)

    def update(self, clock: float, step: int, total_steps: int) -> float:
        """The ETA after `step` of `total_steps` at time `clock` (any monotonic seconds); NaN at first."""
        if self.first is None:
            self.first = (clock, step - 1)
        first_clock, first_step = self.first
        done, elapsed = step - first_step, clock - first_clock
        if done <= 0 or elapsed <= 0:
            return float("nan")
        return elapsed / done * (total_steps - step)

    def steps_per_second(self, clock: float, step: int) -> float:
        if self.first is None:
            return float("nan")
        first_clock, first_step = self.first
        return (step - first_step) / max(clock - first_clock, 1e-9)
