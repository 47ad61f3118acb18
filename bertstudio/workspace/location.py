"""The workspace folder: `--workspace DIR`, else $BERTSTUDIO_WORKSPACE, else the folder chosen in the
window (saved in settings.json in the user's config folder), else Documents/BERT Studio."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from bertstudio.atomic import atomic_write_text
from bertstudio.errors import ConfigError

WORKSPACE_ENV = "BERTSTUDIO_WORKSPACE"
CONFIG_DIR_ENV = "BERTSTUDIO_CONFIG_DIR"  # where settings.json lives (tests and portable installs)
SETTINGS_FILE = "settings.json"


@dataclass(frozen=True)
class Workspace:
    """A workspace folder: runs/ holds the runs, models/ the models created from presets."""

    root: Path

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"


def config_dir() -> Path:
    """The user's configuration folder for BERT Studio, per platform."""
    if os.environ.get(CONFIG_DIR_ENV):
        return Path(os.environ[CONFIG_DIR_ENV])
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "BERT Studio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "BERT Studio"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "bertstudio"


def settings_file() -> Path:
    return config_dir() / SETTINGS_FILE


def default_workspace() -> Path:
    documents = Path.home() / "Documents"
    return (documents if documents.is_dir() else Path.home()) / "BERT Studio"


def _read_settings() -> dict:
    path = settings_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"The settings file cannot be read ({exc}).",
            "Fix or delete it; the workspace then falls back to Documents/BERT Studio.",
            path=path,
        ) from None
    return data if isinstance(data, dict) else {}


def saved_workspace() -> Path | None:
    """The workspace chosen in the window, if one was."""
    value = _read_settings().get("workspace")
    return Path(value) if isinstance(value, str) and value else None


def resolve_workspace(explicit: str | Path | None = None) -> Workspace:
    """The workspace to use now: an explicit folder first, then the environment, then the saved choice."""
    if explicit:
        return Workspace(Path(explicit).expanduser())
    if os.environ.get(WORKSPACE_ENV):
        return Workspace(Path(os.environ[WORKSPACE_ENV]).expanduser())
    return Workspace(saved_workspace() or default_workspace())


def save_workspace(path: str | Path) -> None:
    """Remember `path` as the workspace (the window's File > Choose Workspace)."""
    settings = _read_settings()
    settings["workspace"] = str(Path(path))
    target = settings_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, json.dumps(settings, indent=2))
