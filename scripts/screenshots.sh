#!/usr/bin/env bash
# The README's screenshots, made with the commands themselves (`review --screenshot`,
# `precheck --screenshot`): the sample recordings are scanned into a scratch database as a
# bank would scan its recordings (a sidecar per file gives branch and teller), one recording
# is decided and one claimed by another reviewer so the queue shows those states, then the
# queue, the review view at the chin-cut finding (Chinese and English) and the pre-check of
# the same file are rendered offscreen into docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=docs/screenshots
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export QT_QPA_PLATFORM=offscreen DUALREC_AUDIT_SETTINGS="$work/settings.ini"
export DUALREC_AUDIT_TRUST_DIR="$work/trust"  # the scratch database's key and anchor
unset DUALREC_AUDIT_LANG DUALREC_AUDIT_DB
mkdir -p "$out" "$work/incoming"
cp sample_videos/*.mp4 "$work/incoming/"
.venv/bin/python - "$work/incoming" <<'PY'
import json, sys
from pathlib import Path
tellers = {"clean": ("上海分行营业部", "T1024"), "customer_chin_cut": ("上海分行营业部", "T1031"),
           "dark_segment": ("北京分行营业部", "T2007"), "frozen_segment": ("深圳分行营业部", "T3012"),
           "noisy_speech": ("北京分行营业部", "T2011"), "party_absent": ("上海分行营业部", "T1024")}
for stem, (branch, teller) in tellers.items():
    side = Path(sys.argv[1]) / f"{stem}.json"
    side.write_text(json.dumps({"branch": branch, "teller": teller}, ensure_ascii=False))
PY
db="sqlite:///$work/demo.db"
.venv/bin/dualrec-audit db init --db "$db"
.venv/bin/dualrec-audit scan "$work/incoming" --db "$db" --workers 1 --settle 0 --no-progress
rec=$(.venv/bin/python - "$db" <<'PY'
import sys
from dualrec_audit.db.store import Store
with Store(sys.argv[1], actor="demo") as store:
    runs = {r.name: r for r in store.runs()}
    store.add_decision(runs["clean.mp4"].run_id, "张审核", "approve")
    store.claim(runs["noisy_speech.mp4"].recording_id, "李审核")
    print(runs["customer_chin_cut.mp4"].recording_id)
PY
)
ui=(--db "$db" --reviewer 王审核 --size 1600x1000)
.venv/bin/dualrec-audit review "${ui[@]}" --view queue --screenshot "$out/queue.png"
.venv/bin/dualrec-audit review "${ui[@]}" --recording "$rec" --finding 1 \
  --screenshot "$out/review.png"
.venv/bin/dualrec-audit review "${ui[@]}" --recording "$rec" --finding 1 --lang en \
  --screenshot "$out/review_en.png"
.venv/bin/dualrec-audit precheck "$work/incoming/customer_chin_cut.mp4" --size 1600x1000 \
  --screenshot "$out/precheck.png"
echo "screenshots in $out/"
