#!/usr/bin/env bash
# Package a built one-folder bundle into the Linux installers:
#   bertstudio-VERSION-linux-ARCH.tar.gz  (the bundle + .desktop + icon + install-desktop-entry.sh)
#   bertstudio_VERSION_DEBARCH.deb        (/opt/bertstudio, /usr/bin/bertstudio, menu entry, icons)
# Usage: make_installers.sh BUNDLE_DIR VERSION OUT_DIR   (called by packaging/build_linux.sh)
set -euo pipefail

BUNDLE="$(cd "$1" && pwd)"
VERSION="$2"
OUT="$3"  # as given (printed in messages); OUT_DIR: absolute
mkdir -p "$OUT"
OUT_DIR="$(cd "$OUT" && pwd)"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ICONS="$ROOT/bertstudio/resources/icons"
STAGE="$ROOT/build/installers"
ARCH="$(uname -m)"
DEB_ARCH="$(dpkg --print-architecture)"

[ -x "$BUNDLE/bertstudio" ] || { echo "error: $BUNDLE/bertstudio not found; build the bundle first" >&2; exit 2; }
rm -rf "$STAGE"
mkdir -p "$STAGE"

# .tar.gz: hard links (cp -al) stage the bundle without copying its ~800 MB.
tar_name="bertstudio-$VERSION-linux-$ARCH"
cp -al "$BUNDLE" "$STAGE/$tar_name"
cp "$HERE/bertstudio.desktop" "$HERE/install-desktop-entry.sh" "$ICONS/bertstudio.png" "$ICONS/bertstudio.svg" \
    "$STAGE/$tar_name/"
tar -C "$STAGE" --owner=0 --group=0 -czf "$OUT_DIR/$tar_name.tar.gz" "$tar_name"
echo "wrote $OUT/$tar_name.tar.gz"

# .deb: Depends lists the system libraries the bundled Qt loads (the PySide6 wheel ships Qt itself, not
# these): OpenGL/EGL, fontconfig/freetype, xkbcommon, D-Bus, GLib, Kerberos GSSAPI (QtNetwork), the xcb
# libraries of the X11 platform plugin and the Wayland client libraries of the Wayland one.
# libc6 >= 2.34: the PySide6 wheels are built for manylinux_2_34. test_deb_install.sh checks the list.
deb_root="$STAGE/deb"
mkdir -p "$deb_root/DEBIAN" "$deb_root/opt" "$deb_root/usr/bin" "$deb_root/usr/share/applications" \
    "$deb_root/usr/share/icons/hicolor/256x256/apps" "$deb_root/usr/share/icons/hicolor/scalable/apps" \
    "$deb_root/usr/share/doc/bertstudio"
cp -al "$BUNDLE" "$deb_root/opt/bertstudio"
ln -s /opt/bertstudio/bertstudio "$deb_root/usr/bin/bertstudio"
cp "$HERE/bertstudio.desktop" "$deb_root/usr/share/applications/"
cp "$ICONS/bertstudio.png" "$deb_root/usr/share/icons/hicolor/256x256/apps/"
cp "$ICONS/bertstudio.svg" "$deb_root/usr/share/icons/hicolor/scalable/apps/"
cat > "$deb_root/usr/share/doc/bertstudio/copyright" <<'EOF'
BERT Studio, licensed under the Apache License 2.0 (see /usr/share/common-licenses/Apache-2.0).
It bundles Python, PyTorch (BSD-3-Clause), Qt for Python / PySide6 (LGPL-3.0), pyqtgraph (MIT), NumPy
(BSD-3-Clause), tokenizers and safetensors (Apache-2.0); their licence files are inside
/opt/bertstudio/_internal (the *.dist-info folders).
EOF
installed_kib="$(du -sk "$deb_root" --exclude=DEBIAN | cut -f1)"
cat > "$deb_root/DEBIAN/control" <<EOF
Package: bertstudio
Version: $VERSION
Architecture: $DEB_ARCH
Maintainer: BERT Studio developers <bertstudio@users.noreply.invalid>
Installed-Size: $installed_kib
Section: science
Priority: optional
Depends: libc6 (>= 2.34), libegl1, libgl1, libfontconfig1, libfreetype6, libdbus-1-3, libglib2.0-0,
 libgssapi-krb5-2, libxkbcommon0, libxkbcommon-x11-0, libwayland-client0, libwayland-cursor0,
 libwayland-egl1, libx11-6, libx11-xcb1, libxcb1, libxcb-cursor0, libxcb-icccm4, libxcb-image0,
 libxcb-keysyms1, libxcb-randr0, libxcb-render0, libxcb-render-util0, libxcb-shape0, libxcb-shm0,
 libxcb-sync1, libxcb-xfixes0, libxcb-xkb1
Recommends: fonts-dejavu-core
Description: desktop workbench for BERT-family language models
 BERT Studio loads a BERT checkpoint or pretrains one from your own text, imports a CSV, fine-tunes
 it on a background thread, shows the training curves live and opens the model up: tokens, attention
 and attributions. Everything the window does, the bertstudio command can do headless.
 .
 This package is a self-contained build (Python, PyTorch for the CPU and Qt included).
EOF
# zstd: ~30 s here where xz took 6 min on two cores, for a package ~30% larger (dpkg >= 1.21.18 reads it,
# which every system new enough for the bundled Qt, glibc >= 2.34, has).
dpkg-deb --root-owner-group -Zzstd --build "$deb_root" "$OUT/bertstudio_${VERSION}_${DEB_ARCH}.deb"
rm -rf "$STAGE"
