"""How long embedding work reports progress and learns it should stop (plain callables, no Qt)."""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[int, int], None]  # (done, in all)
StopCheck = Callable[[], bool]
