"""What the window remembers between sessions (QSettings): geometry, recent files, last choices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

MAX_RECENT = 8


class Settings:
    """Typed access to QSettings; tests pass their own QSettings on an INI file."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings()

    def get(self, key: str, default: Any = None, kind: type | None = None) -> Any:
        value = self.store.value(key, default)
        if kind is bool and isinstance(value, str):
            return value.lower() == "true"
        if kind is not None and value is not None:
            try:
                return kind(value)
            except (TypeError, ValueError):
                return default
        return value

    def set(self, key: str, value: Any) -> None:
        self.store.setValue(key, value)

    def recent(self, kind: str) -> list[str]:
        """Recent paths of one kind ("models", "data"), newest first, only those that still exist."""
        value = self.store.value(f"recent/{kind}", [])
        paths = [value] if isinstance(value, str) else list(value or [])
        return [p for p in paths if Path(p).exists()]

    def add_recent(self, kind: str, path: str | Path) -> None:
        path = str(path)
        paths = [path] + [p for p in self.recent(kind) if p != path]
        self.store.setValue(f"recent/{kind}", paths[:MAX_RECENT])

    def workspace(self) -> Path:
        """The folder holding runs and created models: the core setting shared with the CLI (see
        bertstudio.workspace); a choice an earlier version kept here moves there once."""
        from bertstudio.workspace import location

        stored = self.get("workspace")
        if stored and location.saved_workspace() is None:
            location.save_workspace(Path(stored))
        self.store.remove("workspace")
        return location.resolve_workspace().root

    def set_workspace(self, path: Path) -> None:
        from bertstudio.workspace import save_workspace

        save_workspace(path)
