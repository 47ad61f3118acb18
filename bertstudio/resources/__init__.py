"""Bundled resources (icons, stylesheet, demo data and demo model), found the same way from source,
from an installed wheel and from a frozen (PyInstaller) app."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_root() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "bertstudio" / "resources"
    return Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. resource_path("demo", "reviews.csv")."""
    return resource_root().joinpath(*parts)
