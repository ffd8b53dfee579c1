#!/usr/bin/env bash
# Create .venv and install dualrec-audit with its development tools. Idempotent: it only
# reinstalls when pyproject.toml changed. Needs Python >= 3.11 and PyPI (or a local mirror).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python >= 3.11 is required (found $("$PY" --version 2>&1))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.dualrec-installed
# rapidocr (the documents check's OCR; its wheel carries the PP-OCR models) is installed
# without its declared dependencies: they name opencv-python-headless, which would overwrite
# the cv2 of opencv-contrib-python. Its real dependencies are in pyproject.toml.
RAPIDOCR="rapidocr==3.10.0"
want=$( (sha256sum pyproject.toml; echo "$RAPIDOCR") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "$RAPIDOCR"
  echo "$want" > "$stamp"
fi
