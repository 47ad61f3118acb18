#!/usr/bin/env bash
# Install a BERT Studio .deb into a clean, minimal Debian root (debootstrap --variant=minbase, same release
# as this machine) the way a user would (dpkg -i, then apt-get -f install for the dependencies), and run
# the installed app there: --version, a check that the bundled Qt libraries and platform plugins find every
# system library they link to, --self-test offscreen, on an X server (Xvfb, xcb plugin) and on a Wayland
# compositor (headless Weston, wayland plugin).
# Needs root. Usage: test_deb_install.sh dist/installers/bertstudio_VERSION_ARCH.deb
# Environment: SUITE (default: this machine's release), DEBIAN_MIRROR (default: from apt's sources).
set -euo pipefail

DEB="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CHROOT="$ROOT/build/debian-root"
# shellcheck disable=SC1091
SUITE="${SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}"

[ -f "$DEB" ] || { echo "error: $DEB not found; run packaging/build_linux.sh first" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "error: run as root (debootstrap, chroot and mount need it)" >&2; exit 2; }

# The Debian mirror apt already uses (deb822 .sources or one-line sources.list), for the suite itself.
find_mirror() {
    python3 - "$SUITE" <<'EOF'
import glob
import sys

suite = sys.argv[1]
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path, encoding="utf-8").read().split("\n\n"):
        fields = dict(line.split(":", 1) for line in stanza.splitlines() if ":" in line and not line.startswith("#"))
        if suite in fields.get("Suites", "").split() and "deb" in fields.get("Types", "").split():
            print(fields["URIs"].split()[0])
            sys.exit(0)
for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except FileNotFoundError:
        continue
    for words in (line.split() for line in lines):
        uri_and_suite = [word for word in words[1:] if not word.startswith("[")][:2]
        if words and words[0] == "deb" and len(uri_and_suite) == 2 and uri_and_suite[1] == suite:
            print(uri_and_suite[0])
            sys.exit(0)
sys.exit(f"no apt source for suite {suite!r} found; set DEBIAN_MIRROR")
EOF
}
MIRROR="${DEBIAN_MIRROR:-$(find_mirror)}"

in_root() {
    chroot "$CHROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
unmount_all() {
    for mount_point in dev/pts dev proc; do
        mountpoint -q "$CHROOT/$mount_point" && umount -l "$CHROOT/$mount_point"
    done
    return 0
}

command -v debootstrap > /dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }

test_start=$(date +%s)
echo "--- clean Debian root: debootstrap --variant=minbase $SUITE (mirror from apt's sources)"
unmount_all
rm -rf "$CHROOT"
start=$(date +%s)
debootstrap --variant=minbase "$SUITE" "$CHROOT" "$MIRROR" > "$ROOT/build/debootstrap.log" 2>&1 \
    || { tail -20 "$ROOT/build/debootstrap.log"; exit 1; }
echo "debootstrap done in $(($(date +%s) - start))s; $(in_root dpkg-query -f '.\n' -W | wc -l) packages"
trap unmount_all EXIT
mount -t proc proc "$CHROOT/proc"
mount --bind /dev "$CHROOT/dev"
mount --bind /dev/pts "$CHROOT/dev/pts"
cp /etc/resolv.conf "$CHROOT/etc/resolv.conf"
cp "$DEB" "$CHROOT/tmp/"

echo "--- dpkg -i $(basename "$DEB") (fails on the missing dependencies, as expected in a bare root)"
in_root dpkg -i "/tmp/$(basename "$DEB")" 2>&1 | tail -5 || true
echo "--- apt-get -f install"
in_root apt-get -f install -y -q 2>&1 | grep -E '^(Setting up bertstudio|[0-9]+ upgraded)' || true
in_root dpkg-query -W -f '${Package} ${Version}: ${Status}\n' bertstudio
[ "$(in_root dpkg-query -W -f '${Status}' bertstudio)" = "install ok installed" ] \
    || { echo "FAIL: bertstudio is not installed" >&2; exit 1; }

echo "--- installed app"
in_root timeout 60 bertstudio --version
# Every Qt library and every platform plugin (xcb, Wayland, offscreen, ...) must find the system libraries
# it links to from Depends alone. (The GTK platform theme is left out: it loads only on GTK desktops.)
in_root sh -c 'cd /opt/bertstudio/_internal/PySide6/Qt && for f in lib/libQt6*.so.6 plugins/platforms/*.so \
    plugins/wayland-*/*.so plugins/xcbglintegrations/*.so; do ldd "$f" | sed "s|^|$f: |"; done' \
    | grep 'not found' | sort -u > "$ROOT/build/missing-libs.txt" || true
if [ -s "$ROOT/build/missing-libs.txt" ]; then
    echo "FAIL: bundled Qt libraries miss system libraries (add their packages to Depends):" >&2
    cat "$ROOT/build/missing-libs.txt" >&2
    exit 1
fi
echo "every bundled Qt library and platform plugin finds its system libraries"
start=$(date +%s.%N)
in_root env QT_QPA_PLATFORM=offscreen timeout 300 bertstudio --self-test
echo "--self-test (offscreen) in the clean root: exit 0 in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')s"

echo "--- on an X server: Xvfb + the xcb platform plugin"
in_root apt-get install -y -q --no-install-recommends xvfb xauth > /dev/null
in_root xvfb-run -a env QT_QPA_PLATFORM=xcb timeout 300 bertstudio --self-test
echo "--self-test (xcb on Xvfb) in the clean root: exit 0"

echo "--- on a Wayland compositor: headless Weston + the wayland platform plugin"
in_root apt-get install -y -q --no-install-recommends weston > /dev/null
in_root sh -c 'mkdir -p -m 700 /tmp/xdg-runtime && export XDG_RUNTIME_DIR=/tmp/xdg-runtime
    weston --backend=headless-backend.so --socket=wayland-selftest --idle-time=0 > /tmp/weston.log 2>&1 &
    weston_pid=$!
    for _ in $(seq 100); do [ -S /tmp/xdg-runtime/wayland-selftest ] && break; sleep 0.1; done
    WAYLAND_DISPLAY=wayland-selftest QT_QPA_PLATFORM=wayland timeout 300 bertstudio --self-test
    status=$?
    kill "$weston_pid"
    exit "$status"'
echo "--self-test (wayland on Weston) in the clean root: exit 0"
echo "test_deb_install.sh: OK in $(($(date +%s) - test_start))s"
