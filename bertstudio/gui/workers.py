"""Background work on QThreads (worker-object pattern): the event loop never waits on the core.

`run_in_background(fn, *args, on_done=..., on_error=...)` runs a plain function on its own thread and
delivers its result or its exception on the GUI thread. Workers catch everything inside their run and
their thread always ends. Results cross threads as plain Python values (numbers, dicts, numpy arrays,
objects the worker no longer touches), never tensors still in use.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from bertstudio.gui.gui_gc import collect_garbage_on_gui_thread


class FunctionWorker(QObject):
    """Runs fn(*args) once on the thread it was moved to."""

    succeeded = Signal(object)
    failed = Signal(object)
    done = Signal()

    def __init__(self, fn: Callable[..., Any], args: tuple) -> None:
        super().__init__()
        self._fn = fn
        self._args = args

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(*self._args)
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI, the thread must end
            exc.details = traceback.format_exc()
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()


class ProgressRelay(QObject):
    """Carries `progress(done, total)` calls from a worker thread to the GUI thread (a queued signal):
    pass `relay.progressed.emit` to the core function as its progress callback."""

    progressed = Signal(int, int)


class _Receiver(QObject):
    """Lives on the GUI thread so the callbacks run there (queued connections). A child of the widget
    that asked: once that widget is deleted, a late result is dropped instead of reaching dead widgets."""

    def __init__(
        self, owner: QObject | None, on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]
    ) -> None:
        super().__init__(owner)
        self._on_done = on_done
        self._on_error = on_error

    @Slot(object)
    def deliver(self, result: object) -> None:
        self._on_done(result)

    @Slot(object)
    def fail(self, exc: object) -> None:
        self._on_error(exc)


class BackgroundJob:
    """A thread, its worker and the GUI-side receiver, kept alive until the thread has finished."""

    active: set[BackgroundJob] = set()

    def __init__(self, worker: QObject, receiver: QObject | None = None) -> None:
        self.worker = worker
        self.receiver = receiver
        self.thread = QThread()
        self.thread.setObjectName(type(worker).__name__)
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # direct: QThread.quit is thread-safe, and a queued call would deadlock wait_all() on the GUI thread
        worker.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.finished.connect(self._release)

    def start(self) -> BackgroundJob:
        collect_garbage_on_gui_thread()  # a worker must never be the thread that destroys garbage widgets
        BackgroundJob.active.add(self)
        self.thread.start()
        return self

    def is_running(self) -> bool:
        return self in BackgroundJob.active

    def _release(self) -> None:
        BackgroundJob.active.discard(self)
        self.worker.deleteLater()
        self.thread.deleteLater()

    @classmethod
    def wait_all(cls, timeout_ms: int | None = None) -> bool:
        """Wait for every background thread to end (on quit: a QThread must not outlive its object);
        False if one did not within timeout_ms (None waits as long as it takes)."""
        ok = True
        for job in list(cls.active):
            ok = (job.thread.wait() if timeout_ms is None else job.thread.wait(timeout_ms)) and ok
        return ok


def run_in_background(
    fn: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    owner: QObject | None = None,
) -> BackgroundJob:
    """Run fn(*args) on a new thread; on_done(result) or on_error(exc) run later on the GUI thread,
    unless `owner` (the widget asking; pass it) has been deleted by then."""
    worker = FunctionWorker(fn, args)
    receiver = _Receiver(owner, on_done, on_error)
    worker.succeeded.connect(receiver.deliver)
    worker.failed.connect(receiver.fail)
    return BackgroundJob(worker, receiver).start()


TRAINING_NICENESS = 10


def lower_thread_priority() -> None:
    """Let the OS prefer the window's thread over the calling (training) thread when cores are busy.
    Measured on 2 busy cores (benchmarks/bench_gui.py): event-loop stall p99 152 -> 61 ms, and more
    training steps done, not fewer. Linux sets niceness per thread; Qt's priority covers macOS/Windows."""
    QThread.currentThread().setPriority(QThread.Priority.LowPriority)
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINING_NICENESS)
        except OSError:
            pass  # not allowed here: the window is only less snappy under load


class TrainingWorker(QObject):
    """Runs the training engine on its thread; events reach the GUI in batches (at most ~20 per second).

    The engine calls `on_event` from this thread for every step; sending one signal per step would flood
    the event loop on a fast GPU, so step events are collected and sent together. Anything else
    (evaluation, checkpoint, finished, failed, log) is sent at once with the steps before it.
    """

    events = Signal(list)  # list of bertstudio.training.events dataclasses (plain numbers and strings)
    crashed = Signal(object)  # an exception the engine did not turn into a FailedEvent
    done = Signal()

    BATCH_SECONDS = 0.05

    def __init__(self, start: Callable[..., Any], *args: Any) -> None:
        super().__init__()
        from bertstudio.training.control import TrainingControl

        self.control = TrainingControl()
        self._start = start
        self._args = args
        self._pending: list[Any] = []
        self._last_sent = 0.0

    @Slot()
    def run(self) -> None:
        lower_thread_priority()
        try:
            self._start(*self._args, on_event=self._on_event, control=self.control)
        except BaseException as exc:  # noqa: BLE001 - the thread must end and the GUI must know
            exc.details = traceback.format_exc()
            self._flush()
            self.crashed.emit(exc)
        finally:
            self._flush()
            self.done.emit()

    def _on_event(self, event: Any) -> None:
        import time

        self._pending.append(event)
        now = time.monotonic()
        if getattr(event, "kind", "") != "step" or now - self._last_sent >= self.BATCH_SECONDS:
            self._last_sent = now
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.events.emit(batch)
