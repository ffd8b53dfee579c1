#!/usr/bin/env bash
# Set up a checkout: system libraries, the bundled models, the test media, .venv with
# dualrec-audit and its development tools, and the sample videos. Idempotent and quick when
# nothing changed. Needs Python >= 3.11 and PyPI (or a mirror); models and media come from
# ../shared beside the checkout, from folders you name, or from their official downloads.
#
#   bash scripts/setup.sh [--media DIR] [--models DIR]
#
# Models and media are verified (sha256) before use; what cannot be had is named, with how to
# supply it, within seconds (before any package is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --media|--models) args+=("$1" "$2"); shift 2 ;;
    *) echo "setup: unknown option $1 (use --media DIR, --models DIR)" >&2; exit 2 ;;
  esac
done
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: Python >= 3.11 is required (found $("$PY" --version 2>&1))" >&2
  exit 1
fi
bash scripts/check_system.sh
# Models and media first: only the standard library is needed, so a machine without them
# learns it at once.
"$PY" scripts/setup_assets.py fetch ${args[@]+"${args[@]}"}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.dualrec-installed
# rapidocr (the documents check's OCR; its wheel carries the PP-OCR models) is installed
# without its declared dependencies: they name opencv-python-headless, which would overwrite
# the cv2 of opencv-contrib-python. Its real dependencies are in pyproject.toml.
RAPIDOCR="rapidocr==3.10.0"
want=$( (sha256sum pyproject.toml; echo "$RAPIDOCR") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing dualrec-audit and its development tools into .venv (a few minutes)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "$RAPIDOCR"
  echo "$want" > "$stamp"
fi
.venv/bin/python scripts/setup_assets.py samples
