"""Rules of the house: core modules never load Qt, and `import bertstudio` does not load torch."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import bertstudio

QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6")


def core_module_names() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(bertstudio.__path__, "bertstudio."):
        if info.name.startswith("bertstudio.gui"):
            continue
        names.append(info.name)
    return names


def run_fresh(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_core_modules_do_not_import_qt():
    names = core_module_names()
    assert "bertstudio.model.modeling" in names and "bertstudio.cli" in names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}))\n"
    )
    assert run_fresh(code) == "[]"


def test_import_bertstudio_does_not_import_torch():
    code = (
        "import sys, bertstudio, bertstudio.errors, bertstudio.model, bertstudio.model.config, bertstudio.cli\n"
        "print('torch' in sys.modules)"
    )
    assert run_fresh(code) == "False"
