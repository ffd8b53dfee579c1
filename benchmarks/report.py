"""The main run's figures and its printed report: the table's rows (x real time cold and warm,
CPU seconds, peak memory per stage) and the goals, from the raw measurements of a run (one just
made, or one saved with --json and read back by --report).

Each group of rows and of goals has a function of its own; ``figures`` puts them together in
the table's order, ``print_report`` prints them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.common import PROFILE, fmt_mb, fmt_x, x_rt

GOAL_NAIVE_RATIO = 4.0
GOAL_PEAK_MB = 1536.0
GOAL_WHOLE_X = 10.0  # the whole audit with the bundled recogniser, on 2 cores
GOAL_TALK_SHARE = 0.2  # who talks: at most 20 % of the non-ASR checks' time (issue 17)


def cold_warm(m: dict[str, Any], parts: Sequence[str], *, with_setup: bool = True) -> tuple:
    """(cold seconds, warm seconds) of ``parts``: the first pass (+ the set-up) and the last."""
    first, last = m["passes"][0]["parts"], m["passes"][-1]["parts"]
    cold = sum(first.get(p, 0.0) for p in parts) + (m["setup_s"] if with_setup else 0.0)
    return cold, sum(last.get(p, 0.0) for p in parts)


def last_cpu(m: dict[str, Any], kind: str) -> float:
    """The CPU seconds of measurement ``kind``'s last (warm) pass."""
    return float(m[kind]["passes"][-1]["cpu_s"])


class Rows:
    """The table's rows, in the order they are added: ``row(name, cold, warm, peak, ...)``."""

    def __init__(self, m: dict[str, Any], d: float) -> None:
        self.m = m
        self.d = d
        self.rows: list[dict[str, Any]] = []

    def __call__(
        self,
        name: str,
        cold: float | None,
        warm: float | None,
        peak: float | None,
        note: str = "",
        *,
        cpu: float | None = None,
        seconds: float | None = None,
        src: str | None = None,
    ) -> None:
        """cold/warm: wall seconds over ``seconds`` of recording (default: the recording's);
        cpu: CPU seconds (warm); src: the measurement, for the CPU other processes took
        meanwhile (in cores)."""
        seconds = self.d if seconds is None else seconds
        self.rows.append(
            {
                "others": self.m[src].get("other_cores") if src else None,
                "stage": name,
                "cold_x": x_rt(seconds, cold),
                "warm_x": x_rt(seconds, warm),
                "warm_s": warm,
                "cpu_s": cpu,
                "peak_mb": peak,
                "note": note,
            }
        )


def talk_share(m: dict[str, Any], ours_checks: float | None = None) -> dict[str, float] | None:
    """Who talks (issue 17): the talk stage's warm seconds over the non-ASR checks' seconds
    (goal: at most 20 %). ``share``: over the faces, video and speech checks' own calls timed in
    the same pass of the same process (no decoding counted: the strictest, and independent of
    the machine's load); ``share_of_pipeline``: over the whole pipeline's frames and audio
    stages (decoding included, as the documents goal; another process, another moment)."""
    if "talk" not in m:
        return None
    parts = m["talk"]["passes"][-1]["parts"]
    talk = float(parts["talk"])
    checks = float(parts["faces"] + parts["video"] + parts["speech"])
    out = {"talk_s": talk, "own_calls_s": checks, "share": talk / checks}
    if ours_checks:
        out |= {"pipeline_s": ours_checks, "share_of_pipeline": talk / ours_checks}
    return out


def talk_rows(m: dict[str, Any], row: Any) -> None:
    share = talk_share(m)
    if share is None:
        return
    c, w = cold_warm(m["talk"], ["talk"])
    last = m["talk"]["passes"][-1]
    note = (
        f"{last['crops']} mouth crops; {share['share']:.1%} of the faces, video and speech "
        "checks' own calls in the same pass"
    )
    row("talk (mouth motion, who talks)", c, w, m["talk"]["rss_mb"], note, src="talk")


def figures(
    m: dict[str, Any], d: float, meta: dict[str, Any], naive_s: float | None
) -> dict[str, Any]:
    """Rows of the table and the goals, from the raw measurements."""
    row = Rows(m, d)
    floor_x = stage_rows(m, d, row)
    document_rows(m, d, meta, row)
    recogniser_rows(m, meta, row)
    whole = whole_rows(m, row)
    scans = scan_rows(m, row)
    goals = speed_goals(m, d, whole, floor_x)
    ours_checks = whole["frames_warm"] + whole["audio_warm"]
    goals |= naive_goals(m, d, meta, naive_s, x_rt(d, ours_checks))
    goals |= memory_goals(m, meta, ours_checks)
    return {"rows": row.rows, "scan": scans, "goals": goals, "floor_x": floor_x}


def stage_rows(m: dict[str, Any], d: float, row: Rows) -> float | None:
    """The floor, then each stage of `check` measured alone; returns the floor's x real time."""
    floor_s = m["floor"]["passes"][0]["parts"]["decode_all"]
    floor_x = x_rt(d, floor_s)
    frames = m["floor"]["passes"][0]["frames"]
    row(
        "floor: OpenCV decodes every frame",
        None,
        floor_s,
        m["floor"]["rss_mb"],
        f"{frames} frames",
        cpu=last_cpu(m, "floor"),
        src="floor",
    )
    if "decode" in m:
        c, w = cold_warm(m["decode"], ["decode"])
        row(
            "decode (sampled 2/s)",
            c,
            w,
            m["decode"]["rss_mb"],
            f"pipeline's sampler alone, {m['decode']['passes'][-1]['frames']} frames",
            cpu=last_cpu(m, "decode"),
            src="decode",
        )
        for kind in ("faces", "video"):
            c, w = cold_warm(m[kind], [kind])
            note = "its own calls only; peak incl. the decoder"
            row(kind, c, w, m[kind]["rss_mb"], note, src=kind)
        c, w = cold_warm(m["speech"], ["audio_decode"])
        row("audio decode", c, w, m["speech"]["rss_mb"], "16 kHz mono", src="speech")
        c, w = cold_warm(m["speech"], ["speech"], with_setup=False)
        note = "webrtcvad, SNR, clipping"
        row("speech (VAD, clarity)", c, w, m["speech"]["rss_mb"], note, src="speech")
        talk_rows(m, row)
    return floor_x


def document_rows(m: dict[str, Any], d: float, meta: dict[str, Any], row: Rows) -> None:
    """The documents check alone, on the recording without pages and on the one with them."""
    for key, what in (("documents", "no pages"), ("documents_pages", "pages shown")):
        if key in m:
            c, w = cold_warm(m[key], ["documents"])
            last = m[key]["passes"][-1]
            seconds = d if key == "documents" else meta["documents_recording"]["duration_s"]
            note = (
                f"{what}: {last['page_regions']} page regions, {last['ocr_runs']} OCR runs, "
                f"{last.get('ocr_lines', '?')} lines"
            )
            row(f"documents ({what})", c, w, m[key]["rss_mb"], note, src=key, seconds=seconds)


def recogniser_rows(m: dict[str, Any], meta: dict[str, Any], row: Rows) -> None:
    """The transcript's recogniser, then the script stage's recogniser and spotter, alone."""
    if "asr" in m:
        a = m["asr"]
        run_s = a["passes"][0]["parts"]["transcript"]
        label = "TEST MODEL, not representative" if meta["asr"]["test_model"] else "model"
        row(
            "transcript (speech regions)",
            run_s + a["setup_s"],
            run_s,
            a["rss_mb"],
            f"{label}; first {a['audio_s']:.0f} s; {a['passes'][0]['windows']} windows",
            cpu=last_cpu(m, "asr"),
            src="asr",
            seconds=a["audio_s"],
        )
    for key, what in (("script", PROFILE), ("script_missing", "fund_sale")):
        if key in m:
            sm = m[key]
            first = sm["passes"][0]
            for part in ("recogniser", "spotter"):
                secs = first["parts"][part]
                note = f"{what}: {first['found']}/{first['phrases']} phrases found"
                if part == "recogniser":
                    note = f"kws-zh, {first['syllables']} syllables; one thread"
                row(f"script {part} ({what})", secs, secs, sm["rss_mb"], note, src=key)


def whole_rows(m: dict[str, Any], row: Rows) -> dict[str, float]:
    """The whole pipeline (and its frames and audio stages), then the check command; returns
    the pipeline's cold and warm seconds, whole and of those two stages."""
    whole = m["whole"]
    c, w = cold_warm(whole, ["transcript", "script", "rules"], with_setup=False)
    row("transcript + script + rules", c, w, None, "from the whole pipeline", src="whole")
    wc = whole["setup_s"] + whole["passes"][0]["wall_s"]
    ww = whole["passes"][-1]["wall_s"]
    row(
        "check: AuditPipeline.apply, whole",
        wc,
        ww,
        whole["rss_mb"],
        cpu=last_cpu(m, "whole"),
        src="whole",
    )
    fc, fw = cold_warm(whole, ["frames"], with_setup=False)
    row("  frames (decode+faces+video)", fc, fw, None, "decoding ahead in a thread", src="whole")
    ac, aw = cold_warm(whole, ["audio"], with_setup=False)
    row("  audio (decode+speech)", ac, aw, None, src="whole")
    cli = m["check_cli"]
    row(
        "check command (fresh process)",
        cli["wall_s"],
        None,
        cli["tree_peak_mb"],
        "cold",
        cpu=cli["cpu_s"],
        src="check_cli",
    )
    return {
        "cold": wc,
        "warm": ww,
        "frames_cold": fc,
        "frames_warm": fw,
        "audio_cold": ac,
        "audio_warm": aw,
    }


def scan_rows(m: dict[str, Any], row: Rows) -> dict[int, dict[str, Any]]:
    """`scan --workers 1` and `--workers 2`, where measured; returns their figures by workers."""
    scans = {}
    if "scan_w1" in m:
        total = sum(m["scan_files"].values())
        for workers in (1, 2):
            r = m[f"scan_w{workers}"]
            scans[workers] = {
                "x": x_rt(total, r["wall_s"]),
                "peak_mb": r["tree_peak_mb"],
                "wall_s": r["wall_s"],
                "cpu_s": r["cpu_s"],
            }
            row(
                f"scan --workers {workers}",
                r["wall_s"],
                None,
                r["tree_peak_mb"],
                f"{len(m['scan_files'])} files, {total:.0f} s; cold; process tree",
                cpu=r["cpu_s"],
                seconds=total,
                src=f"scan_w{workers}",
            )

    return scans


def speed_goals(
    m: dict[str, Any], d: float, t: dict[str, float], floor_x: float | None
) -> dict[str, Any]:
    """The whole audit's speed, the checks against the floor, the documents check's share;
    ``t``: the pipeline's seconds from ``whole_rows``."""
    whole = m["whole"]
    wc, ww = t["cold"], t["warm"]
    fc, fw, ac, aw = t["frames_cold"], t["frames_warm"], t["audio_cold"], t["audio_warm"]
    goals: dict[str, Any] = {}
    whole_x = x_rt(d, ww)
    goals["whole_with_recogniser"] = {
        "warm_x": whole_x,
        "cold_x": x_rt(d, wc),
        "models": whole.get("models"),
        "met": bool(whole_x and whole_x >= GOAL_WHOLE_X),
    }
    ours_checks = fw + aw  # the face, speech and video checks with their decoding, warm
    ours_x = x_rt(d, ours_checks)
    goals["checks_vs_floor"] = {
        "ours_warm_x": ours_x,
        "ours_cold_x": x_rt(d, fc + ac + whole["setup_s"]),
        "floor_x": floor_x,
        "ours_cpu_s": last_cpu(m, "whole"),  # the whole warm pass (transcript off: the checks)
        "floor_cpu_s": last_cpu(m, "floor"),
        "met": bool(ours_x and floor_x and ours_x >= floor_x),
    }
    for key in ("documents", "documents_pages"):
        if key in m:
            doc_s = m[key]["passes"][-1]["parts"]["documents"]
            goals[key] = {
                "documents_s": doc_s,
                "checks_s": ours_checks,
                "share": doc_s / ours_checks if ours_checks else None,
                "met": bool(ours_checks and doc_s <= 0.3 * ours_checks),
            }
    return goals


def naive_goals(
    m: dict[str, Any], d: float, meta: dict[str, Any], naive_s: float | None, ours_x: float | None
) -> dict[str, Any]:
    """Ours against the naive pipeline, and the recogniser against the naive recogniser;
    ``ours_x``: the checks' warm x real time."""
    goals: dict[str, Any] = {}
    if "naive" in m:
        n = m["naive"]
        ns = naive_s or d
        ns = min(ns, d)
        parts = n["passes"][0]["parts"]
        naive_x = x_rt(ns, parts["frames"] + parts["audio"])
        ratio = ours_x / naive_x if ours_x and naive_x else None
        goals["vs_naive"] = {
            "naive_x": naive_x,
            "naive_frames_x": x_rt(ns, parts["frames"]),
            "naive_seconds": ns,
            "naive_frames": n["passes"][0]["frames"],
            "naive_landmark_runs": n["passes"][0]["landmark_runs"],
            "naive_peak_mb": n["rss_mb"],
            "naive_cpu_s": n["passes"][0]["cpu_s"],
            "ours_x": ours_x,
            "ratio": ratio,
            "met": bool(ratio and ratio >= GOAL_NAIVE_RATIO),
        }
        if "asr" in m and "asr_naive" in m:
            o, v = m["asr"], m["asr_naive"]
            ot, vt = o["passes"][0]["parts"]["transcript"], v["passes"][0]["parts"]["transcript"]
            goals["recogniser_vs_naive"] = {
                "test_model": meta["asr"]["test_model"],
                "audio_s": o["audio_s"],
                "ours_s": ot,
                "naive_s": vt,
                "ratio": vt / ot if ot else None,
                "ours_windows": o["passes"][0]["windows"],
                "naive_windows": v["passes"][0]["windows"],
                "ours_words": o["passes"][0]["words"],
                "naive_words": v["passes"][0]["words"],
            }
    return goals


def memory_goals(m: dict[str, Any], meta: dict[str, Any], ours_checks: float) -> dict[str, Any]:
    """The peak memory of an audit, and who talks' share of the checks' time; ``ours_checks``:
    the pipeline's frames and audio stages, warm."""
    whole, cli = m["whole"], m["check_cli"]
    goals: dict[str, Any] = {}
    # The largest process of an audit: the pipeline, the check command, the recogniser alone.
    peak = max(
        [whole["rss_mb"], cli["tree_peak_mb"]] + ([m["asr"]["rss_mb"]] if "asr" in m else [])
    )
    trained = not meta["asr"]["test_model"]
    goals["peak_memory"] = {
        "peak_mb": peak,
        "with_trained_model": trained,
        "met": (peak <= GOAL_PEAK_MB) if trained else None,
    }
    share = talk_share(m, ours_checks)
    if share is not None:
        goals["talk_cost"] = {**share, "met": share["share"] <= GOAL_TALK_SHARE}
    return goals


def print_report(r: dict[str, Any], meta: dict[str, Any]) -> None:
    """The table of ``figures`` with the run's commit, machine and load, then the goals."""
    print_table(r, meta)
    g = r["goals"]
    print()
    print("goals (× real time = recording seconds per wall second):")
    print_speed_goals(g)
    print_cost_goals(g)
    print(f"benchmark took {meta['benchmark_wall_s']:.0f} s")


def print_table(r: dict[str, Any], meta: dict[str, Any]) -> None:
    """The heading (recording, commit, machine, load) and the table's rows."""
    mc = meta["machine"]
    rec = meta["recording"]
    print()
    print(
        f"{rec['file']} ({rec['duration_s']:.1f} s, 720p H.264) — commit "
        f"{meta['commit'][:10]}{' +changes' if meta['dirty'] else ''} — {mc['cpu']}, "
        f"{mc['cores']} cores, {mc['ram_gb']} GB — {meta['date']}"
    )
    print(
        f"load: {meta['load_at_start'][0]:.1f} at start, {meta['load_at_end'][0]:.1f} at end; "
        f"other processes used {meta['other_cores_mean']:.2f} cores on average meanwhile"
    )
    print()
    w = max(len(x["stage"]) for x in r["rows"]) + 2
    print(
        f"{'stage':{w}}{'cold':>8}{'warm':>8}{'warm s':>9}{'CPU s':>8}{'peak':>9}{'others':>8}"
        "  note"
    )
    for x in r["rows"]:
        secs = "—" if x["warm_s"] is None else f"{x['warm_s']:.2f}"
        cpu = "—" if x["cpu_s"] is None else f"{x['cpu_s']:.1f}"
        others = "—" if x.get("others") is None else f"{x['others']:.2f}"
        print(
            f"{x['stage']:{w}}{fmt_x(x['cold_x']):>8}{fmt_x(x['warm_x']):>8}{secs:>9}{cpu:>8}"
            f"{fmt_mb(x['peak_mb']):>9}{others:>8}  {x['note']}".rstrip()
        )
    print(
        "warm s: seconds of the warm pass; CPU s: its CPU seconds (all threads/processes); "
        "others: cores the rest of the machine used meanwhile"
    )


def print_speed_goals(g: dict[str, Any]) -> None:
    """The whole audit's speed, the checks against the floor, against the naive pipeline, and
    the recogniser against the naive one."""
    wg = g["whole_with_recogniser"]
    print(
        f"  whole audit with the bundled recogniser ≥ {GOAL_WHOLE_X:g}× on this machine: "
        f"{fmt_x(wg['warm_x'])} warm ({fmt_x(wg['cold_x'])} cold): "
        f"{'met' if wg['met'] else 'NOT met'}"
    )
    c = g["checks_vs_floor"]
    print(
        f"  face+speech+video checks ≥ decode-every-frame floor: ours {fmt_x(c['ours_warm_x'])}"
        f" warm ({fmt_x(c['ours_cold_x'])} cold) vs floor {fmt_x(c['floor_x'])}: "
        f"{'met' if c['met'] else 'NOT met'}; CPU seconds {c['ours_cpu_s']:.1f} vs "
        f"{c['floor_cpu_s']:.1f}"
    )
    if "vs_naive" in g:
        n = g["vs_naive"]
        print(
            f"  ≥{GOAL_NAIVE_RATIO:g}× faster than naive (same checks, every frame, every face "
            f"meshed): naive {fmt_x(n['naive_x'])} on {n['naive_seconds']:.0f} s "
            f"({n['naive_frames']} frames, {n['naive_cpu_s']:.0f} CPU s, peak "
            f"{fmt_mb(n['naive_peak_mb'])}), ours {fmt_x(n['ours_x'])}: {n['ratio']:.1f}× "
            f"{'met' if n['met'] else 'NOT met'}"
        )
    if "recogniser_vs_naive" in g:
        a = g["recogniser_vs_naive"]
        tag = "TEST MODEL, random weights, not representative" if a["test_model"] else "model"
        print(
            f"  recogniser ({tag}), first {a['audio_s']:.0f} s: regions {a['ours_s']:.1f} s "
            f"({a['ours_windows']} windows) vs whole audio without VAD {a['naive_s']:.1f} s "
            f"({a['naive_windows']} windows): {a['ratio']:.2f}×"
        )


def print_cost_goals(g: dict[str, Any]) -> None:
    """The documents check's and who talks' shares of the checks' time, and the peak memory."""
    for key, what in (("documents", "no pages"), ("documents_pages", "pages shown")):
        if key in g:
            dg = g[key]
            print(
                f"  documents check ≤ 30 % of the checks' time ({what}): {dg['documents_s']:.1f} s"
                f" vs {dg['checks_s']:.1f} s = {dg['share']:.0%}: "
                f"{'met' if dg['met'] else 'NOT met'}"
            )
    if "talk_cost" in g:
        t = g["talk_cost"]
        pipe = (
            f"; of the pipeline's frames+audio ({t['pipeline_s']:.1f} s): "
            f"{t['share_of_pipeline']:.1%}"
            if "pipeline_s" in t
            else ""
        )
        print(
            f"  who talks ≤ {GOAL_TALK_SHARE:.0%} of the non-ASR checks' time: {t['talk_s']:.1f} s"
            f" vs {t['own_calls_s']:.1f} s (faces+video+speech, same pass) = {t['share']:.1%}: "
            f"{'met' if t['met'] else 'NOT met'}{pipe}"
        )
    p = g["peak_memory"]
    if p["with_trained_model"]:
        verdict = "met" if p["met"] else "NOT met"
    else:
        verdict = "unmeasured (no trained speech model in this run)"
    print(
        f"  peak memory ≤ {GOAL_PEAK_MB:.0f} MB with a base model: "
        f"{fmt_mb(p['peak_mb'])}, {verdict}"
    )
