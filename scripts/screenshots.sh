#!/usr/bin/env bash
# The screenshots in docs/reviewer.md, made with the commands themselves (`review --screenshot`,
# `precheck --screenshot`) at 1366x768, the smallest screen reviewers use: the sample
# recordings are scanned into a scratch database as a bank would scan its recordings (a
# sidecar per file gives branch, teller, customer and product), accounts are created with
# `accounts add`, one recording is decided, re-recorded and appealed, one assigned and one
# claimed by another reviewer so the queue shows those states; then the sign-in dialog, the
# queue, the review view at the chin-cut finding (Chinese and English), its history and
# shortcut list, and the pre-check of the same file are rendered offscreen into
# docs/screenshots/. Issue 31 adds: a copy cut short (the could-not-audit view), a recording
# audited without a speech model (the listen-through question) and the accounts dialog with a
# disabled, a locked-out and a reset account.
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
    meta = {"branch": branch, "teller": teller, "customer_ref": f"C2026{len(stem):04d}",
            "product": "稳健增利混合基金 A",
            # the sample's own business profile, as its sidecar in sample_videos/ names it
            "profile": json.loads(Path(f"sample_videos/{stem}.json").read_text())["profile"]}
    side.write_text(json.dumps(meta, ensure_ascii=False))
PY
head -c 300000 sample_videos/clean.mp4 > "$work/incoming/拷贝中断.mp4"  # a copy cut short
db="sqlite:///$work/demo.db"
.venv/bin/dualrec-audit db init --db "$db"
.venv/bin/dualrec-audit scan "$work/incoming" --db "$db" --workers 1 --settle 0 --no-progress \
  || test $? = 1  # 1: a file could not be audited (the copy cut short, as intended)
mkdir -p "$work/no_speech_model"  # a branch PC without the speech model: script by ear
cp "$work/incoming/dark_segment.mp4" "$work/incoming/dark_segment.json" "$work/no_speech_model/"
.venv/bin/dualrec-audit scan "$work/no_speech_model" --db "$db" --workers 1 --settle 0 \
  --no-progress --script-model none --asr-model none
printf 'admin-password\n' | .venv/bin/dualrec-audit accounts add admin --role admin \
  --name 系统管理员 --db "$db" --password-stdin
for who in 王审核:reviewer 张审核:reviewer 李主管:senior; do
  printf 'admin-password\n%s-password\n' "${who%%:*}" | .venv/bin/dualrec-audit accounts add \
    "${who%%:*}" --role "${who##*:}" --admin admin --db "$db" --password-stdin
done
rec=$(.venv/bin/python - "$db" <<'PY'
import sys
from dualrec_audit.store.database import Store
from dualrec_audit.workflow.watch import watch_intervals
from dualrec_audit.workflow.policy import Request
with Store(sys.argv[1], actor="demo") as store:
    acc = {a.username: a for a in store.accounts()}
    runs = {r.name: r for r in store.runs()}
    store.decide(runs["clean.mp4"].run_id, Request(acc["张审核"], "approve"), check_claim=False)
    chin = runs["customer_chin_cut.mp4"]
    watched = tuple((s, e, 1.0) for s, e in watch_intervals(store.result(chin.run_id)))
    store.decide(chin.run_id, Request(acc["张审核"], "rerecord", "face_cut",
                                      "客户下巴出画 8–14 秒", watched=watched), check_claim=False)
    store.file_appeal(chin.recording_id, "上海分行营业部 T1031", "客户低头签字，面部其余部分始终在画面内",
                      by=acc["王审核"])
    store.assign([runs["dark_segment.mp4"].recording_id], "王审核", by=acc["李主管"])
    store.claim(runs["noisy_speech.mp4"].recording_id, "李主管")
    print(chin.recording_id, runs["拷贝中断.mp4"].recording_id, runs["dark_segment.mp4"].recording_id)
PY
)
read -r rec cut by_ear <<<"$rec"
ui=(--db "$db" --reviewer 王审核 --size 1366x768)
.venv/bin/dualrec-audit review "${ui[@]}" --view login --size 480x300 --screenshot "$out/login.png"
.venv/bin/dualrec-audit review "${ui[@]}" --view queue --screenshot "$out/queue.png"
.venv/bin/dualrec-audit review "${ui[@]}" --recording "$rec" --finding 1 \
  --screenshot "$out/review.png"
.venv/bin/dualrec-audit review "${ui[@]}" --recording "$rec" --finding 1 --view history \
  --screenshot "$out/history.png"
.venv/bin/dualrec-audit review "${ui[@]}" --recording "$rec" --finding 1 --view keys \
  --screenshot "$out/keys.png"
.venv/bin/dualrec-audit review "${ui[@]}" --recording "$rec" --finding 1 --lang en \
  --screenshot "$out/review_en.png"
# The character transcript tab (issue 36), computed by the window (cached in the scratch folder).
DUALREC_AUDIT_CACHE="$work/cache" .venv/bin/dualrec-audit review "${ui[@]}" --recording "$rec" \
  --finding 1 --view characters --screenshot "$out/characters.png"
.venv/bin/dualrec-audit review "${ui[@]}" --recording "$cut" --finding 0 \
  --screenshot "$out/could_not_audit.png"
.venv/bin/dualrec-audit review "${ui[@]}" --recording "$by_ear" --finding 0 --view approve \
  --screenshot "$out/listen_gate.png"
printf 'admin-password\n' | .venv/bin/dualrec-audit accounts disable 张审核 --reason 已调离复核岗位 \
  --admin admin --db "$db" --password-stdin
printf 'admin-password\ntemporary-pw\n' | .venv/bin/dualrec-audit accounts reset-password \
  王审核 --reason 本人遗忘密码，电话核实 --admin admin --db "$db" --password-stdin
for _ in 1 2 3 4 5; do  # five wrong passwords lock 李主管 out
  printf 'wrong-password\nnew-password-1\n' | .venv/bin/dualrec-audit accounts passwd 李主管 --db "$db" \
    --password-stdin >/dev/null 2>&1 || true
done
.venv/bin/dualrec-audit review --db "$db" --reviewer admin --size 1366x768 --view accounts \
  --screenshot "$out/accounts.png"
.venv/bin/dualrec-audit precheck "$work/incoming/customer_chin_cut.mp4" --size 1366x768 \
  --screenshot "$out/precheck.png"
.venv/bin/dualrec-audit precheck "$work/incoming/clean.mp4" --size 1366x768 \
  --screenshot "$out/precheck_unverified.png"
# The recording window mid-recording, the chin-cut sample played as the camera and microphone.
.venv/bin/dualrec-audit record --source sample_videos/customer_chin_cut.mp4 --realtime \
  --profile bundled_samples --out "$work/record.mp4" --screenshot "$out/record.png" --size 1366x768
echo "screenshots in $out/"
