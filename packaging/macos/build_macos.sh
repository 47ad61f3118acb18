#!/usr/bin/env bash
# Build BERT Studio for macOS: a clean venv, the PyInstaller app bundle "dist/BERT Studio.app" (BUNDLE in
# packaging/bertstudio.spec; the PyPI torch wheel for macOS is the CPU/MPS build), a smoke test, then the
# DMG (packaging/macos/make_dmg.sh). Run on a Mac with Python 3.11+:  packaging/macos/build_macos.sh
# The app is unsigned: sign and notarize it (codesign, notarytool) before giving it to others.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/build/venv-macos"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet "${TORCH_SPEC:-torch==2.13.0}"
"$PY" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
    > build/requirements-macos.txt
# Pillow: PyInstaller turns the PNG icon into the .icns the app bundle needs.
"$PY" -m pip install --quiet -r build/requirements-macos.txt "pyinstaller==6.22.3" pillow
VERSION="$("$PY" -c 'import sys; sys.path.insert(0, "packaging"); import bundle_plan; print(bundle_plan.app_version())')"

start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/bertstudio.spec
echo "bundle built in $(($(date +%s) - start))s"

APP="dist/BERT Studio.app"
printed="$("$APP/Contents/MacOS/bertstudio-cli" --version)"
[ "$printed" = "bertstudio $VERSION" ] || { echo "FAIL: --version printed '$printed'" >&2; exit 1; }
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/bertstudio-cli" --self-test
echo "smoke test passed; app size: $(du -sh "$APP" | cut -f1)"
bash packaging/macos/make_dmg.sh "$APP" "$VERSION" dist/installers
