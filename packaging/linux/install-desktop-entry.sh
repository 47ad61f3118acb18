#!/usr/bin/env bash
# Add BERT Studio from this unpacked .tar.gz to the desktop menu of the current user (no root needed):
# a .desktop entry pointing at this folder's `bertstudio`, and the icon. Run it again after moving the folder.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$DATA_HOME/applications" "$DATA_HOME/icons/hicolor/256x256/apps" "$DATA_HOME/icons/hicolor/scalable/apps"
cp "$HERE/bertstudio.png" "$DATA_HOME/icons/hicolor/256x256/apps/bertstudio.png"
cp "$HERE/bertstudio.svg" "$DATA_HOME/icons/hicolor/scalable/apps/bertstudio.svg"
sed "s|^Exec=bertstudio|Exec=\"$HERE/bertstudio\"|" "$HERE/bertstudio.desktop" > "$DATA_HOME/applications/bertstudio.desktop"
echo "BERT Studio added to the applications menu ($DATA_HOME/applications/bertstudio.desktop)"
