"""Python's cyclic garbage collector, run on the GUI thread only while the app has worker threads.

The collector runs in whichever thread happens to allocate when a generation fills up. When that is a
worker and the garbage holds Qt widgets (a closed dialog, a page in a reference cycle), the widgets are
destroyed on the worker: Qt forbids it, and here it deadlocked (the worker's ~QObject held Qt's
connection lock while waiting for the GIL; the GUI thread held the GIL while waiting for that lock).
So the automatic collector is switched off and a timer on the GUI thread follows the same generational
schedule instead.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

COLLECT_INTERVAL_MS = 50


class GuiThreadCollector(QObject):
    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self.thresholds = gc.get_threshold()
        # CPython's rule for full collections, which cost ~100 ms with torch loaded: only once the objects
        # promoted to the oldest generation since the last one reach a quarter of those that survived it.
        self.long_lived = len(gc.get_objects(generation=2))
        self.promoted = 0
        self.timer = QTimer(self)
        self.timer.setInterval(COLLECT_INTERVAL_MS)
        self.timer.timeout.connect(self.collect)
        self.timer.start()
        gc.disable()
        app.aboutToQuit.connect(gc.enable)

    def collect(self) -> None:
        """Collect a generation once its count passes its threshold, as the automatic collector does."""
        young, middle, old = gc.get_count()
        if young <= self.thresholds[0]:
            return
        if middle <= self.thresholds[1]:
            gc.collect(0)
        elif old > self.thresholds[2] and self.promoted > self.long_lived / 4:
            gc.collect(2)
            self.long_lived, self.promoted = len(gc.get_objects(generation=2)), 0
        else:
            candidates = len(gc.get_objects(generation=0)) + len(gc.get_objects(generation=1))
            self.promoted += max(0, candidates - gc.collect(1))


def collect_garbage_on_gui_thread() -> None:
    """Install the GUI-thread collector once per application (call it on the GUI thread)."""
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("collect_garbage_on_gui_thread must be called on the GUI thread of a running app")
    if app.findChild(GuiThreadCollector) is None:
        GuiThreadCollector(app)
