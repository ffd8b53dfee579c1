#!/usr/bin/env bash
# Build the desktop application with PyInstaller (build_installer.spec): a one-folder app in
# dist/dualrec-audit/ holding the CLI, the self-test, Python, the libraries, the Qt plugins and
# the bundled models. Then run the frozen self-test (offscreen) and print the folder's size.
#
#   bash scripts/build_installer.sh
#
# INSTALLER_DIST (default dist) and INSTALLER_WORK (default build/installer) choose where the
# application and PyInstaller's work files go. The same spec builds on Windows (see docs/installer.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dist=${INSTALLER_DIST:-dist}
work=${INSTALLER_WORK:-build/installer}
start=$(date +%s)
.venv/bin/pyinstaller --noconfirm --log-level "${INSTALLER_LOG_LEVEL:-WARN}" \
  --distpath "$dist" --workpath "$work" build_installer.spec
app="$dist/dualrec-audit"
echo "build_installer: built $app in $(( $(date +%s) - start )) s, $(du -sh "$app" | cut -f1)"
# The frozen program must run without this environment around it.
if ! env -u PYTHONPATH -u VIRTUAL_ENV -u PYTHONHOME QT_QPA_PLATFORM=offscreen \
  "$app/dualrec-audit-selftest" > "$work/selftest.json" 2> "$work/selftest.log"; then
  cat "$work/selftest.json" "$work/selftest.log" >&2
  echo "build_installer: the self-test of $app failed" >&2
  exit 1
fi
echo "build_installer: self-test passed ($work/selftest.json)"
