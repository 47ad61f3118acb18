#!/usr/bin/env bash
# Pack "BERT Studio.app" into a compressed, drag-to-install DMG (the app beside a link to /Applications).
# Usage: make_dmg.sh "dist/BERT Studio.app" VERSION OUT_DIR   (macOS only: uses hdiutil)
set -euo pipefail
APP="$1"
VERSION="$2"
OUT="$3"
[ -d "$APP" ] || { echo "error: $APP not found; run packaging/macos/build_macos.sh" >&2; exit 2; }
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
mkdir -p "$OUT"
DMG="$OUT/bertstudio-$VERSION-macos-$(uname -m).dmg"
hdiutil create -volname "BERT Studio $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
echo "wrote $DMG"
