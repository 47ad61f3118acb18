"""Terminal reporting of a run's events: a progress bar with ETA on a TTY, plain lines otherwise,
and Ctrl-C turned into a clean cancel (checkpoint first)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import TextIO

from bertstudio.training.control import TrainingControl
from bertstudio.training.duration import StepEta, format_duration
from bertstudio.training.events import Event

BAR_WIDTH = 24
REDRAW_SECONDS = 0.1


class ConsoleReporter:
    """Call with each event. On a terminal one line redraws in place; eval results, checkpoints and
    log lines print above it. Not on a terminal, every line is final (for logs and CI)."""

    def __init__(self, stream: TextIO | None = None, interactive: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.last_draw = 0.0
        self.bar_shown = False
        self.eta = StepEta()

    def __call__(self, event: Event) -> None:
        kind = event.kind
        if kind == "step":
            if self.interactive:
                self._draw_bar(event)
            return
        if kind == "log":
            self._line(("warning: " if event.level == "warning" else "") + event.message)
        elif kind == "eval":
            scores = ", ".join(f"{k} {v:.4f}" for k, v in event.metrics.items() if isinstance(v, float))
            best = " (best so far)" if event.is_best else ""
            self._line(f"{event.split} at step {event.step}: {scores}{best}")
        elif kind == "checkpoint":
            self._line(f"checkpoint saved at step {event.step} ({event.reason})")
        elif kind == "started":
            self._line(f"run folder: {event.run_dir}")
        elif kind == "finished":
            self._line(
                f"finished: {event.status} at step {event.step}"
                + (f"; model in {event.model_dir}" if event.model_dir else "")
            )
        elif kind == "failed":
            self._line("")
            sys.stderr.write(f"error: {event.message}" + (f"\n{event.hint}" if event.hint else "") + "\n")
            if event.last_checkpoint:
                sys.stderr.write(f"last good checkpoint: {event.last_checkpoint}\n")
            sys.stderr.flush()

    def _line(self, text: str) -> None:
        if self.bar_shown:
            self.stream.write("\r\033[K")
            self.bar_shown = False
        if text:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _draw_bar(self, event) -> None:
        now = time.monotonic()
        eta = self.eta.update(now, event.step, event.total_steps)
        if now - self.last_draw < REDRAW_SECONDS and event.step < event.total_steps:
            return
        self.last_draw = now
        done = event.step / max(event.total_steps, 1)
        filled = int(BAR_WIDTH * done)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        rate = self.eta.steps_per_second(now, event.step)
        text = (
            f"[{bar}] {event.step}/{event.total_steps} {done:4.0%} loss {event.loss:.4f} "
            f"lr {event.learning_rate:.1e} {rate:.1f} it/s {event.tokens_per_second:,.0f} tok/s "
            f"ETA {format_duration(eta)}"
        )
        self.stream.write("\r\033[K" + text)
        self.stream.flush()
        self.bar_shown = True


@contextlib.contextmanager
def cancel_on_interrupt(control: TrainingControl, stream: TextIO | None = None) -> Iterator[None]:
    """First Ctrl-C (or SIGTERM) cancels at the next step boundary, saving a checkpoint; a second
    Ctrl-C stops at once (KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stream = stream or sys.stderr

    def handle(signum, frame) -> None:
        if control.cancelled and signum == signal.SIGINT:
            raise KeyboardInterrupt
        control.cancel()
        if os.environ.get("RANK", "0") != "0":  # under torchrun every process gets Ctrl-C; one says so
            return
        stream.write(
            "\ncancelling: saving a checkpoint at the end of this step (Ctrl-C again to stop at once)\n"
        )
        stream.flush()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
