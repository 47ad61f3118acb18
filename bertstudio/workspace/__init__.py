"""Where runs and created models live (the workspace), and the models found on this machine.
Read by the window and the CLI alike; no Qt, no torch at import time."""

from bertstudio.workspace.location import (
    WORKSPACE_ENV,
    Workspace,
    default_workspace,
    resolve_workspace,
    save_workspace,
    settings_file,
)
from bertstudio.workspace.models import LocalModel, create_from_preset, local_models

__all__ = [
    "WORKSPACE_ENV",
    "LocalModel",
    "Workspace",
    "create_from_preset",
    "default_workspace",
    "local_models",
    "resolve_workspace",
    "save_workspace",
    "settings_file",
]
