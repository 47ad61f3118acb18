"""Background jobs: results and errors come back on the GUI thread, and garbage holding widgets is
destroyed there too, never on a worker (the cyclic collector would run on whichever thread allocates)."""

from __future__ import annotations

import gc
import threading

import pytest
from PySide6.QtWidgets import QWidget

from bertstudio.gui.gui_gc import GuiThreadCollector
from bertstudio.gui.workers import BackgroundJob, run_in_background


def test_result_and_error_are_delivered_on_the_gui_thread(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    delivered = []

    def record(kind):
        return lambda value: delivered.append((kind, value, threading.current_thread()))

    run_in_background(lambda x: x * 2, 21, on_done=record("done"), on_error=record("error"), owner=owner)
    run_in_background(lambda: 1 / 0, on_done=record("done"), on_error=record("error"), owner=owner)
    qtbot.waitUntil(lambda: len(delivered) == 2, timeout=10_000)
    assert BackgroundJob.wait_all(10_000)
    kinds = {kind: value for kind, value, _ in delivered}
    assert kinds["done"] == 42 and isinstance(kinds["error"], ZeroDivisionError)
    assert "ZeroDivisionError" in kinds["error"].details
    assert all(thread is threading.main_thread() for *_, thread in delivered)


class WidgetInACycle:
    destroyed_on: list[threading.Thread] = []

    def __init__(self) -> None:
        self.widget = QWidget()
        self.me = self  # only the cyclic collector can free this

    def __del__(self) -> None:
        WidgetInACycle.destroyed_on.append(threading.current_thread())


def allocate_cycles(count: int) -> int:
    """Plenty of cyclic garbage: enough to fill the youngest generation many times over."""
    for _ in range(count):
        cycle: list = []
        cycle.append(cycle)
    return count


def test_cyclic_garbage_with_widgets_is_collected_on_the_gui_thread(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    results = []
    run_in_background(lambda: 0, on_done=results.append, on_error=results.append, owner=owner)
    qtbot.waitUntil(lambda: results == [0], timeout=10_000)
    assert not gc.isenabled()  # the timer on the GUI thread collects from now on
    assert len(installed_collectors()) == 1

    WidgetInACycle.destroyed_on.clear()
    WidgetInACycle()  # unreachable at once, but in a cycle
    run_in_background(allocate_cycles, 200_000, on_done=results.append, on_error=results.append, owner=owner)
    qtbot.waitUntil(lambda: len(results) == 2, timeout=30_000)
    assert results[1] == 200_000
    qtbot.waitUntil(lambda: bool(WidgetInACycle.destroyed_on), timeout=10_000)
    assert WidgetInACycle.destroyed_on == [threading.main_thread()]

    run_in_background(lambda: 0, on_done=results.append, on_error=results.append, owner=owner)
    qtbot.waitUntil(lambda: len(results) == 3, timeout=10_000)
    assert len(installed_collectors()) == 1  # installed once per application


def installed_collectors() -> list:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.instance().findChildren(GuiThreadCollector)


@pytest.fixture(autouse=True)
def _no_stray_jobs():
    yield
    assert BackgroundJob.wait_all(30_000)
