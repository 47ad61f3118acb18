"""Tells the Runs page when the run store changed on disk: a run folder appeared or went, or a run's
run.json was rewritten (its status, best metric, step). Changes are gathered for a moment, so a run that
writes several files at once (or a burst of checkpoints) causes one refresh."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

SETTLE_MS = 300


class RunStoreWatcher(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        # run.json is replaced by a rename (atomic write): the run's folder changes, not a watched file
        self._watcher.directoryChanged.connect(self._changed)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.changed)

    def watch(self, runs_dir: Path, run_dirs: list[Path]) -> None:
        """Follow `runs_dir` (runs added or deleted) and each of `run_dirs` (their run.json rewritten)."""
        wanted = {str(path) for path in [runs_dir, *run_dirs] if Path(path).is_dir()}
        watched = set(self._watcher.directories())
        if watched - wanted:
            self._watcher.removePaths(sorted(watched - wanted))
        if wanted - watched:
            self._watcher.addPaths(sorted(wanted - watched))

    def watched(self) -> list[str]:
        return self._watcher.directories()

    def _changed(self, _path: str) -> None:
        self._settle.start()
