#!/usr/bin/env bash
# Build BERT Studio for Linux in one command: a clean virtual environment, the one-folder frozen app
# (dist/bertstudio/bertstudio), the .tar.gz and .deb installers (dist/installers/), then the smoke test
# and a report (build time, bundle size and what dominates it, frozen start-up time).
#
#   packaging/build_linux.sh                 # CPU build
#   packaging/build_linux.sh --test-install  # ... then install the .deb into a clean Debian root (root only)
#
# Environment: PYTHON (default python3, 3.11+), TORCH_SPEC (default torch==2.13.0, the CPU wheel),
# TORCH_PIP_ARGS (extra pip arguments for torch, e.g. the CUDA wheel index; see docs/packaging.md),
# BUILD_VENV (default build/venv; give each torch variant its own).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
TORCH_PIP_ARGS="${TORCH_PIP_ARGS:-}"
VENV="${BUILD_VENV:-$ROOT/build/venv}"
BUNDLE="$ROOT/dist/bertstudio"
TEST_INSTALL=0
for arg in "$@"; do
    case "$arg" in
        --test-install) TEST_INSTALL=1 ;;
        *) echo "unknown option: $arg (accepted: --test-install)" >&2; exit 2 ;;
    esac
done

for tool in dpkg-deb strip tar; do
    command -v "$tool" > /dev/null \
        || { echo "error: $tool not found; install it (Debian/Ubuntu: apt-get install dpkg binutils tar)" >&2; exit 2; }
done

now() { date +%s.%N; }
seconds_since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'; }
step() { printf '\n=== %s ===\n' "$*"; }

build_start="$(now)"

step "1/5 virtual environment (${VENV#"$ROOT"/})"
# A venv of its own, so the bundle cannot pick up packages installed system-wide (transformers,
# scikit-learn, ...), only the app's dependencies from pyproject.toml.
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "error: $PYTHON is older than 3.11; set PYTHON to a Python 3.11+ interpreter" >&2; exit 2; }
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --upgrade pip
# shellcheck disable=SC2086  # TORCH_PIP_ARGS holds several words on purpose
"$PY" -m pip install --quiet "$TORCH_SPEC" $TORCH_PIP_ARGS
"$PY" - > "$ROOT/build/requirements.txt" <<'EOF'
import tomllib

with open("pyproject.toml", "rb") as file:
    print("\n".join(tomllib.load(file)["project"]["dependencies"]))
EOF
"$PY" -m pip install --quiet -r "$ROOT/build/requirements.txt" "pyinstaller==6.22.3"
"$PY" -m pip list --format=freeze | grep -i -E '^(torch|pyside6|shiboken6|pyqtgraph|numpy|tokenizers|safetensors|pyinstaller)' || true
VERSION="$("$PY" -c 'import sys; sys.path.insert(0, "packaging"); import bundle_plan; print(bundle_plan.app_version())')"
echo "BERT Studio version: $VERSION"

step "2/5 PyInstaller one-folder bundle"
bundle_start="$(now)"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" packaging/bertstudio.spec
# Strip the symbol tables of torch's own libraries (libtorch_cpu.so: 414 -> 329 MiB; the dynamic symbols
# stay). Only these: strip corrupts the libraries auditwheel patched, such as numpy's OpenBLAS.
strip --strip-unneeded "$BUNDLE"/_internal/torch/lib/libtorch*.so "$BUNDLE"/_internal/torch/lib/libc10.so
bundle_seconds="$(seconds_since "$bundle_start")"
echo "bundle built in ${bundle_seconds}s: dist/bertstudio/bertstudio"

step "3/5 installers (.tar.gz with .desktop and icon, .deb)"
installers_start="$(now)"
bash packaging/linux/make_installers.sh dist/bertstudio "$VERSION" dist/installers
installers_seconds="$(seconds_since "$installers_start")"

step "4/5 smoke test of the frozen app"
version_output="$(timeout 60 "$BUNDLE/bertstudio" --version)"
echo "--version printed: $version_output"
[ "$version_output" = "bertstudio $VERSION" ] \
    || { echo "FAIL: expected 'bertstudio $VERSION'" >&2; exit 1; }
# Start-up: three runs, as the spread shows the noise of a shared machine.
for run in 1 2 3; do
    start="$(now)"
    "$BUNDLE/bertstudio" --version > /dev/null
    echo "start-up to --version, run $run: $(seconds_since "$start")s"
done
for run in 1 2; do
    start="$(now)"
    # timeout: a self-test that hangs (a modal dialog nobody closes) fails the build instead of blocking it.
    output="$(QT_QPA_PLATFORM=offscreen timeout 300 "$BUNDLE/bertstudio" --self-test 2>&1)" \
        || { echo "$output"; echo "FAIL: --self-test (offscreen) did not exit 0" >&2; exit 1; }
    total="$(seconds_since "$start")"
    echo "$output"
    # The self-test times its own part (open the demo, train, draw); the rest is start-up and shut-down.
    inside="$(sed -n 's/^self-test passed in \([0-9.]*\) s$/\1/p' <<< "$output")"
    echo "--self-test (offscreen) run $run: exit 0 in ${total}s" \
        "${inside:+(self-test itself ${inside}s, start-up + shut-down $(awk -v t="$total" -v i="$inside" 'BEGIN { printf "%.1f", t - i }')s)}"
done

step "5/5 report"
total_seconds="$(seconds_since "$build_start")"
echo "total build time: ${total_seconds}s (PyInstaller ${bundle_seconds}s, installers ${installers_seconds}s)"
bundle_bytes="$(du -sb "$BUNDLE" | cut -f1)"
echo "bundle size unpacked: $((bundle_bytes / 1048576)) MiB ($(find "$BUNDLE" -type f | wc -l) files; target < 900 MiB)"
echo "largest parts of the bundle:"
(cd "$BUNDLE" && du -sm _internal/* | sort -rn | head -8 | sed 's/^/  MiB /')
echo "largest files:"
find "$BUNDLE" -type f -size +10M -printf '%s %P\n' | sort -rn | head -8 \
    | awk '{ printf "  %6.1f MiB %s\n", $1 / 1048576, $2 }'
echo "installers:"
ls -l "$ROOT/dist/installers" | awk 'NR > 1 { printf "  %6.1f MiB %s\n", $5 / 1048576, $9 }'
if [ "$bundle_bytes" -ge $((900 * 1048576)) ]; then
    echo "WARNING: the bundle is over the 900 MiB target" >&2
fi

if [ "$TEST_INSTALL" = 1 ]; then
    step "extra: install the .deb into a clean Debian root"
    bash packaging/linux/test_deb_install.sh "dist/installers/bertstudio_${VERSION}_$(dpkg --print-architecture).deb"
fi
echo "build_linux.sh: OK"
