"""Names a person types for folders the app creates in the workspace (runs, models)."""

from __future__ import annotations

from bertstudio.errors import ConfigError

# characters no folder name may hold on one of the desktop systems (Windows is the strictest)
FORBIDDEN = set('<>:"/\\|?*')
WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def checked_folder_name(name: str, what: str) -> str:
    """`name` stripped, if it is one plain folder name on every system; else a ConfigError saying why."""
    name = name.strip()
    bad = sorted({c for c in name if c in FORBIDDEN or ord(c) < 32})
    problem = ""
    if not name:
        problem = "is empty"
    elif name in (".", "..") or name.endswith("."):
        problem = "cannot be '.' or '..' or end with a dot"
    elif bad:
        problem = "contains " + " ".join(repr(c) for c in bad)
    elif name.split(".")[0].upper() in WINDOWS_RESERVED:
        problem = "is a name Windows reserves"
    if problem:
        raise ConfigError(
            f"The {what} name {name!r} {problem}.",
            "Use letters, digits, spaces, dots, dashes or underscores: it becomes one folder in the workspace.",
        )
    return name
