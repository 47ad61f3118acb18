"""The frozen-app build plan: the PyInstaller spec's wiring (entry point, excludes, resources, version)
and the resource helper, frozen (sys._MEIPASS) and from source. The full build is packaging/build_linux.sh,
too slow for every test run; this checks in a few seconds what that build relies on."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import bertstudio
from bertstudio.resources import resource_path

tomllib = pytest.importorskip("tomllib")  # Python 3.11+, like the build scripts

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGING = REPO_ROOT / "packaging"


def load_bundle_plan():
    spec = importlib.util.spec_from_file_location("bundle_plan", PACKAGING / "bundle_plan.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


plan = load_bundle_plan()


class RecordingBuild:
    """Stand-ins for PyInstaller's spec classes that record what the spec asks for, so the spec's
    wiring is checked without a multi-minute build."""

    KEPT_BINARIES = [
        ("torch/lib/libtorch_cpu.so", "/site/torch/lib/libtorch_cpu.so", "BINARY"),
        ("torch/bin/torch_shm_manager", "/site/torch/bin/torch_shm_manager", "BINARY"),
        ("PySide6/Qt/lib/libQt6Test.so.6", "/site/PySide6/Qt/lib/libQt6Test.so.6", "BINARY"),
    ]
    TORCH_TEST_BINARIES = [
        ("torch/lib/libtorchbind_test.so", "/site/torch/lib/libtorchbind_test.so", "BINARY"),
        ("torch/test/atest", "/site/torch/test/atest", "BINARY"),
        ("torch/bin/test_api", "/site/torch/bin/test_api", "BINARY"),
    ]
    KEPT_DATAS = [("torch/_inductor/script.ld", "/site/torch/_inductor/script.ld", "DATA")]
    TORCH_TEST_DATAS = [("torch/bin/script_module_v4.ptl", "/site/torch/bin/script_module_v4.ptl", "DATA")]

    def __init__(self):
        self.calls: dict[str, list[dict]] = {}

    def namespace(self) -> dict:
        build = self

        def recorder(kind):
            def record(*args, **kwargs):
                build.calls.setdefault(kind, []).append({"args": args, **kwargs})
                return build.make_result(kind)

            return record

        return {name: recorder(name) for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")} | {
            "SPECPATH": str(PACKAGING),
            "__file__": str(PACKAGING / "bertstudio.spec"),
        }

    def make_result(self, kind):
        result = type(kind, (), {})()
        if kind == "Analysis":
            result.binaries = self.KEPT_BINARIES + self.TORCH_TEST_BINARIES
            result.datas = self.KEPT_DATAS + self.TORCH_TEST_DATAS
            result.pure, result.scripts = [], []
        return result


def run_spec(monkeypatch, platform: str) -> tuple[RecordingBuild, dict]:
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the spec puts packaging/ on it
    monkeypatch.setitem(sys.modules, "bundle_plan", plan)
    build = RecordingBuild()
    namespace = build.namespace()
    spec_file = PACKAGING / "bertstudio.spec"
    exec(compile(spec_file.read_text(encoding="utf-8"), str(spec_file), "exec"), namespace)
    return build, namespace


def test_spec_builds_one_folder_app_from_the_cli_entry_point(monkeypatch):
    build, namespace = run_spec(monkeypatch, "linux")
    (analysis,) = build.calls["Analysis"]
    assert analysis["args"] == ([str(plan.LAUNCHER)],)
    assert str(REPO_ROOT) in analysis["pathex"]
    (exe,) = build.calls["EXE"]
    assert exe["name"] == "bertstudio" and exe["exclude_binaries"] is True and exe["console"] is True
    (collect,) = build.calls["COLLECT"]
    assert collect["name"] == "bertstudio"  # -> dist/bertstudio/bertstudio
    # A global strip breaks numpy's OpenBLAS; build_linux.sh strips torch's own libraries instead.
    assert collect["strip"] is False and collect["upx"] is False
    assert "BUNDLE" not in build.calls
    # The entry script runs exactly what the installed `bertstudio` command runs.
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["bertstudio"] == "bertstudio.cli:main"
    launcher = ast.parse(plan.LAUNCHER.read_text(encoding="utf-8"))
    imports = [node for node in ast.walk(launcher) if isinstance(node, ast.ImportFrom)]
    assert any(
        node.module == "bertstudio.cli" and [a.name for a in node.names] == ["main"] for node in imports
    )


def test_launcher_prints_the_version_and_exits_zero():
    completed = subprocess.run(
        [sys.executable, str(plan.LAUNCHER), "--version"], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"bertstudio {bertstudio.__version__}"


def test_spec_excludes_test_only_modules_and_torch_test_files(monkeypatch):
    build, namespace = run_spec(monkeypatch, "linux")
    excludes = build.calls["Analysis"][0]["excludes"]
    for module in ("transformers", "sentence_transformers", "sklearn", "pytest", "hypothesis", "tests"):
        assert module in excludes
    assert not any(module == "torch" or module.startswith("torch.testing") for module in excludes)
    assert namespace["a"].binaries == RecordingBuild.KEPT_BINARIES
    assert namespace["a"].datas == RecordingBuild.KEPT_DATAS


def test_no_excluded_module_is_imported_by_bertstudio():
    excluded = set(plan.EXCLUDED_MODULES)
    offenders = []
    for path in sorted(plan.PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                parts = name.split(".")
                if any(".".join(parts[:depth]) in excluded for depth in range(1, len(parts) + 1)):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {name}")
    assert offenders == []


RUNTIME_IMPORTS_SCRIPT = """
import sys, torch, tokenizers, safetensors.torch
from bertstudio.model import BertConfig, build_model
config = BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=64, max_position_embeddings=32, id2label={0: "no", 1: "yes"})
model = build_model(config, "classification")
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
model(torch.randint(0, 64, (2, 8)), labels=torch.tensor([0, 1])).loss.backward()
optimizer.step()
print("\\n".join(sys.modules))
"""


@pytest.mark.slow
def test_torch_and_a_training_step_need_no_excluded_module():
    # torch imports some of its own "internal testing" modules when it starts (torch.testing._internal
    # .logging_tensor, ...): an exclusion that catches one of those breaks the frozen app at run time.
    completed = subprocess.run(
        [sys.executable, "-c", RUNTIME_IMPORTS_SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    loaded = completed.stdout.split()
    assert "torch.optim" in loaded
    excluded = set(plan.EXCLUDED_MODULES)
    caught = [name for name in loaded if any(name == x or name.startswith(x + ".") for x in excluded)]
    assert caught == []


def test_spec_bundles_every_resource_and_every_bertstudio_module(monkeypatch):
    build, _ = run_spec(monkeypatch, "linux")
    analysis = build.calls["Analysis"][0]
    assert analysis["datas"] == plan.resource_datas()
    bundled_sources = {Path(source) for source, _ in analysis["datas"]}
    resource_files = {
        path
        for path in plan.RESOURCES_DIR.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    assert bundled_sources == resource_files
    assert plan.ICON_PNG in bundled_sources and plan.ICON_SVG in bundled_sources
    # The CLI imports its command modules by name; the import scan cannot see them.
    cli_source = (plan.PACKAGE_DIR / "cli.py").read_text(encoding="utf-8")
    command_modules = next(
        ast.literal_eval(node.value)
        for node in ast.parse(cli_source).body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "COMMAND_MODULES"
    )
    assert set(command_modules) <= set(analysis["hiddenimports"])


def test_version_comes_from_the_package_everywhere(monkeypatch):
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "bertstudio.__version__"}
    assert plan.app_version() == bertstudio.__version__
    build, _ = run_spec(monkeypatch, "darwin")
    (bundle,) = build.calls["BUNDLE"]
    assert bundle["version"] == bertstudio.__version__
    assert bundle["info_plist"]["CFBundleShortVersionString"] == bertstudio.__version__
    assert bundle["icon"] == str(plan.ICON_PNG) and bundle["name"] == "BERT Studio.app"
    # The .app starts the windowed executable, as a normal foreground app.
    assert bundle["info_plist"]["CFBundleExecutable"] == "bertstudio"
    assert bundle["info_plist"]["LSBackgroundOnly"] is False


def test_windows_build_has_a_windowed_app_and_a_console_cli(monkeypatch):
    build, _ = run_spec(monkeypatch, "win32")
    console_by_name = {exe["name"]: exe["console"] for exe in build.calls["EXE"]}
    assert console_by_name == {"bertstudio": False, "bertstudio-cli": True}
    iss = (PACKAGING / "windows" / "bertstudio.iss").read_text(encoding="utf-8")
    assert "AppVersion={#AppVersion}" in iss and r"dist\bertstudio\*" in iss


def test_resource_path_finds_the_frozen_layout(tmp_path, monkeypatch):
    # Lay the data files out where the spec's (source, destination) pairs put them in the bundle.
    for source, destination in plan.resource_datas():
        (tmp_path / destination).mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, tmp_path / destination)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    for source, _ in plan.resource_datas():
        parts = Path(source).relative_to(plan.RESOURCES_DIR).parts
        found = resource_path(*parts)
        assert found.is_relative_to(tmp_path)
        assert found.read_bytes() == Path(source).read_bytes()


def test_resource_path_from_source(monkeypatch):
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    assert resource_path("icons", "bertstudio.svg") == plan.ICON_SVG
    assert resource_path("icons", "bertstudio.svg").is_file()


def test_icon_png_is_a_256_pixel_square():
    header = plan.ICON_PNG.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR"
    assert struct.unpack(">II", header[16:24]) == (256, 256)


def test_linux_desktop_entry_and_deb_dependencies():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / "linux" / "bertstudio.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Icon"] == "bertstudio"
    assert desktop["Exec"].split()[0] == "bertstudio"
    installer_script = (PACKAGING / "linux" / "make_installers.sh").read_text(encoding="utf-8")
    depends_start = installer_script.index("Depends:")
    depends = installer_script[depends_start : installer_script.index("Recommends:", depends_start)]
    declared = {word.strip(",").split(" ")[0] for word in depends.split()[1:] if not word.startswith("(")}
    for library in ("libegl1", "libgl1", "libfontconfig1", "libxkbcommon0", "libxkbcommon-x11-0", "libxcb1"):
        assert library in declared
    assert {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-randr0"} <= declared


@pytest.mark.parametrize(
    "script", ["build_linux.sh", "linux/make_installers.sh", "linux/test_deb_install.sh"]
)
def test_build_scripts_are_valid_bash(script):
    completed = subprocess.run(["bash", "-n", str(PACKAGING / script)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
