"""TrainingControl: pause, resume and cancel a run from another thread (the GUI, a signal handler).

The engine checks it between optimizer steps, so a pause or a cancel takes effect at a step boundary.
"""

from __future__ import annotations

import threading


class TrainingControl:
    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._cancelled = threading.Event()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        """Stop at the next step boundary; the engine saves a checkpoint first."""
        self._cancelled.set()
        self._running.set()  # a paused run must wake up to stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def wait_while_paused(self, timeout: float | None = None) -> bool:
        """Block while paused; True once running (or cancelled), False if `timeout` ran out."""
        return self._running.wait(timeout)
