"""Inspection work off the GUI thread (on `workers.run_in_background`), delivering only the newest
result of each kind.

Each job has a key ("attention", "attributions", ...). Submitting again under the same key asks the
older job to stop and drops its result when it arrives, so quick edits never show an outdated view.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from bertstudio.gui.workers import run_in_background


class Job(QObject):
    """Handed to the running function: report progress (thread-safe signal), ask whether to stop."""

    progressed = Signal(int, int)

    def __init__(self) -> None:
        super().__init__()
        self._stop = threading.Event()

    def progress(self, done: int, total: int) -> None:
        self.progressed.emit(done, total)

    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()


Request = tuple[Callable[[Job], Any], Callable[[Any], None], Callable[[BaseException], None], Any]


class LatestJobs(QObject):
    """Runs `function(job)` in the background, one job per key at a time; callbacks run on the GUI
    thread. A request made while its key is busy waits (replacing any older waiting one) and starts
    when the running job ends, whose result is then dropped: fast typing never piles up passes."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: dict[str, Job] = {}
        self._waiting: dict[str, Request] = {}

    def submit(
        self,
        key: str,
        function: Callable[[Job], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        request = (function, on_done, on_error, on_progress)
        running = self._running.get(key)
        if running is not None:
            running.stop()
            self._waiting[key] = request
        else:
            self._start(key, request)

    def _start(self, key: str, request: Request) -> None:
        function, on_done, on_error, on_progress = request
        job = Job()
        self._running[key] = job
        if on_progress is not None:
            job.progressed.connect(
                lambda done, total: self._running.get(key) is job and on_progress(done, total)
            )

        def finish(callback: Callable[[Any], None], value: Any) -> None:
            if self._running.get(key) is not job:
                return  # cancelled
            del self._running[key]
            waiting = self._waiting.pop(key, None)
            if waiting is not None:
                self._start(key, waiting)
            else:
                callback(value)

        run_in_background(
            function,
            job,
            on_done=lambda result: finish(on_done, result),
            on_error=lambda exc: finish(on_error, exc),
            owner=self,
        )

    def cancel(self, key: str) -> None:
        """Forget the key's waiting request and ask its running job to stop; its result is dropped."""
        self._waiting.pop(key, None)
        job = self._running.pop(key, None)
        if job is not None:
            job.stop()

    def is_running(self, key: str) -> bool:
        return key in self._running
