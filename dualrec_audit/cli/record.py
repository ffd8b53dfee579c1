"""``record``: the guided recording (``dualrec_audit/record/``). The teller's window (Qt,
loaded by module name as ``review`` and ``precheck`` are), or ``--headless`` without one: the
hints as JSON lines (``--hints FILE.jsonl``), the decision printed at the end.
``--list-devices`` lists the cameras and microphones; ``--source FILE --realtime`` plays a
recording as a camera and a microphone would deliver it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dualrec_audit.cli.common import add_audit_args, add_ui_args, audit_options, out_line
from dualrec_audit.core.errors import DualrecError

if TYPE_CHECKING:
    from dualrec_audit.record.sources import Source


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rec = sub.add_parser("record", help="guided recording: record with live hints (Qt window)")
    rec.set_defaults(handler=cmd_record)
    rec.add_argument("--out", type=Path, help="the recording to write (an .mp4)")
    rec.add_argument("--list-devices", action="store_true", help="list cameras and microphones")
    rec.add_argument("--camera", type=int, default=0, help="camera index (default 0)")
    rec.add_argument("--mic", help="microphone name or index (default: the system's)")
    rec.add_argument("--source", type=Path, help="a recording played as the camera and microphone")
    rec.add_argument(
        "--realtime",
        action="store_true",
        help="with --source: at the pace devices deliver (else as fast as it decodes)",
    )
    rec.add_argument("--headless", action="store_true", help="no window: the hints as JSON")
    rec.add_argument("--hints", type=Path, help="write every hint, tick and alarm (JSON lines)")
    rec.add_argument("--result", type=Path, help="write the audit's result (JSON) here")
    rec.add_argument("--duration", type=float, help="stop after this many seconds (devices; demos)")
    add_ui_args(rec)
    add_audit_args(rec)


def cmd_record(args: argparse.Namespace) -> int:
    if args.list_devices:
        return _list_devices()
    if args.out is None:
        raise DualrecError("record needs --out FILE.mp4", code="usage")
    if args.source is not None and not args.source.is_file():
        raise DualrecError(f"{args.source}: no such file", code="usage")
    if args.out.suffix.lower() != ".mp4":
        raise DualrecError("--out must name an .mp4 file", code="usage")
    options = audit_options(args)
    if not args.headless:
        try:
            window = importlib.import_module("ui.record_window")
        except ImportError as exc:
            raise DualrecError(
                f"the Qt interface cannot be loaded ({exc}); use --headless", code="usage"
            ) from exc
        return int(window.record_main(args, options))
    return _headless(args, options)


def make_source(args: argparse.Namespace) -> Source:
    from dualrec_audit.record.sources import DeviceSource, FileSource

    if args.source is not None:
        return FileSource(args.source, realtime=args.realtime)
    return DeviceSource(args.camera, args.mic)


def _headless(args: argparse.Namespace, options: object) -> int:
    from dualrec_audit.audit.pipeline import AuditPipeline
    from dualrec_audit.record.hints import HintsFile, Notice
    from dualrec_audit.record.session import RecordingSession

    pipeline = AuditPipeline(options, models_dir=args.models)  # type: ignore[arg-type]
    hints = HintsFile(args.hints) if args.hints else None

    def say(notice: Notice, change: str) -> None:
        if change == "raised":
            out_line(f"{notice.t:7.2f}s  {notice.kind:8s} {notice.message.get(args.lang)}")

    listeners = (say,) if hints is None else (say, hints)
    session = RecordingSession(
        pipeline, pipeline.options.profile or "fund_sale", args.out, make_source(args), listeners
    )
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())  # Ctrl+C: stop, keep the file
    try:
        session.start()
        limit = args.duration
        while not session.wait(0.2) and not stop.is_set():
            if limit is not None and session.clock() >= limit:
                break
        stopped = time.monotonic()
        result = session.finish()
        audit_s = round(time.monotonic() - stopped, 2)
    finally:
        signal.signal(signal.SIGINT, previous)
    summary = {
        **session.summary(),
        "audit_s": audit_s,
        "decision": result.decision,
        "file": str(args.out),
    }
    if hints is not None:
        hints.close(summary)
    if args.result is not None:
        args.result.write_text(
            json.dumps(result.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
    out_line(json.dumps(summary, ensure_ascii=False))
    return 1 if result.decision == "error" else 0


def _list_devices() -> int:
    from dualrec_audit.record.sources import list_devices

    found = list_devices()
    for i, backend in found.cameras:
        out_line(f"摄像头 / camera {i}  ({backend})")
    for name in found.microphones:
        out_line(f"麦克风 / microphone  {name}")
    for why in found.problems:
        out_line(why)
    return 0 if found.cameras and found.microphones else 2
