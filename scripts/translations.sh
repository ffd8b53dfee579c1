#!/usr/bin/env bash
# The UI's Chinese translation: update ui/i18n/dualrec_zh_CN.ts from the tr() strings in ui/**/*.py
# (new strings come in untranslated: translate them with pyside6-linguist or in the XML), then
# compile it to ui/i18n/dualrec_zh_CN.qm, which the application loads. Commit both;
# tests/test_ui.py fails when either is out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
ts=ui/i18n/dualrec_zh_CN.ts
mapfile -t sources < <(find ui -name '*.py' | LC_ALL=C sort)
.venv/bin/pyside6-lupdate -silent -no-obsolete -locations none "${sources[@]}" -ts "$ts"
.venv/bin/pyside6-lrelease -silent "$ts" -qm ui/i18n/dualrec_zh_CN.qm
if grep -q 'type="unfinished"' "$ts"; then
  echo "translations.sh: untranslated strings left in $ts:" >&2
  grep -B2 'type="unfinished"' "$ts" | grep '<source>' >&2
  exit 1
fi
