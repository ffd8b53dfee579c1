"""Whose voice, turn by turn: the talk check's evidence from the sound (issue 32).

The speech is cut into turns (runs of speech frames, split at pauses of ``gap_s`` and into
pieces of at most ``max_s``); in the audit's sound thread, while the audio is decoded, each
turn's middle 1.6 s becomes the voice encoder's input (``voice-ge2e``,
:mod:`dualrec_audit.speech.voice`: mel frames, cheap). Once the mouths have labelled the
frames (:func:`voice_evidence`), only the turns that matter run through the network: each
party's voice is **enrolled** from the longest stretches its mouth says clearly (a turn, or
pieces of a sentence across short pauses; at most ``enrol_max``), and the turns the mouths
leave unclear are compared with both voices (an enrolled turn without its own stretch). A
turn whose voice is clearly one party's (by ``margin``) names that party in
``checks.talk.details.voices``; :func:`voice_relabel` gives it the turn where the mouths are
unclear.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dualrec_audit.checks.speech import FRAME_S
from dualrec_audit.core.errors import ModelError
from dualrec_audit.media.sound import SAMPLE_RATE, Audio, samples_between
from dualrec_audit.models.registry import ModelStore
from dualrec_audit.speech.voice import (
    VOICE_MODEL,
    VoiceEncoder,
    mel_windows,
    one_blas_thread,
    similarity,
    voice_encoder,
)

log = logging.getLogger("dualrec_audit")

PARTY = ("staff", "customer")


@dataclass(frozen=True)
class TurnVoice:
    """One turn of speech and the encoder's input for its voice (mel windows)."""

    start: float
    end: float
    windows: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class VoiceTurns:
    """The turns, their encoder, or why there is none (``missing``: not installed)."""

    turns: tuple[TurnVoice, ...] = ()
    missing: str = ""
    encoder: VoiceEncoder | None = None


def turn_spans(
    frames: np.ndarray, gap_s: float = 0.3, min_s: float = 0.3, max_s: float = 3.0
) -> list[tuple[float, float]]:
    """Runs of speech frames (``frames >= 2``, or true), joined across pauses shorter than
    ``gap_s``, cut into pieces of at most ``max_s``; those of at least ``min_s``."""
    on = np.asarray(frames) >= 2 if np.asarray(frames).dtype != bool else np.asarray(frames)
    runs: list[list[float]] = []
    for i in np.flatnonzero(on).tolist():
        a, b = i * FRAME_S, (i + 1) * FRAME_S
        if runs and a - runs[-1][1] < gap_s:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    out: list[tuple[float, float]] = []
    for a, b in runs:
        n = max(1, int(np.ceil((b - a) / max_s - 1e-9)))
        step = (b - a) / n
        out.extend((a + k * step, a + (k + 1) * step) for k in range(n))
    return [(round(a, 3), round(b, 3)) for a, b in out if b - a >= min_s]


def turn_voices(audio: Audio | None, frames: np.ndarray | None, store: ModelStore) -> VoiceTurns:
    """Each turn's voice; none where there is no sound. A model that is not installed leaves
    the talk check to the mouths (said in ``missing``); a corrupt one is a ``ModelError``."""
    if audio is None or frames is None:
        return VoiceTurns()
    try:
        encoder = voice_encoder(store)
    except ModelError as exc:
        if exc.code != "model_missing":
            raise
        log.info("talk: no voice model (%s)", exc)
        return VoiceTurns(missing=f"{VOICE_MODEL} not installed")
    turns = []
    with one_blas_thread():
        for a, b in turn_spans(frames):
            samples = samples_between(audio, round(a * SAMPLE_RATE), round(b * SAMPLE_RATE))
            turns.append(TurnVoice(a, b, tuple(mel_windows(np.asarray(samples), most=1))))
    return VoiceTurns(tuple(turns), encoder=encoder)


def _lips(labels: Sequence[str | None], a: float, b: float) -> tuple[str | None, float]:
    """The mouths' label of most of the turn's frames where a mouth moves, and its share of
    them; ``off_screen`` where no mouth moves over most of its labelled frames. Frames of a
    voice with no moving mouth (a loud hum taken for speech, a pause inside the turn) say
    nothing of whose voice the turn is."""
    got = [lab for lab in labels[int(a / FRAME_S) : int(np.ceil(b / FRAME_S))] if lab]
    if not got:
        return None, 0.0
    mouthed = [lab for lab in got if lab != "off_screen"]
    if len(mouthed) * 2 <= len(got):
        return "off_screen", 1.0 - len(mouthed) / len(got)
    lab, n = Counter(mouthed).most_common(1)[0]
    return lab, n / len(mouthed)


def _unit(vectors: Sequence[np.ndarray]) -> np.ndarray | None:
    if not vectors:
        return None
    m = np.mean(vectors, axis=0)
    return m / max(float(np.linalg.norm(m)), 1e-9)


def _clear_stretches(
    turns: Sequence[TurnVoice],
    lips: Sequence[tuple[str | None, float]],
    party: str,
    share: float,
    least_s: float,
    most: int,
    join_s: float,
) -> list[list[int]]:
    """The party's clear stretches of speech, longest first (at most ``most``): each turn its
    mouth says clearly (``share`` of the turn's mouthed frames, :func:`_lips`) at least
    ``least_s`` long, and
    runs of shorter such turns with no other turn between them and pauses of at most
    ``join_s`` that are ``least_s`` long together (in a loud hum a sentence's speech frames
    come in pieces too short to enrol alone)."""
    runs: list[list[int]] = []
    prev: int | None = None  # the last short clear turn, while a run of them goes on
    for i, (t, (lab, got)) in enumerate(zip(turns, lips, strict=True)):
        if lab != party or got < share:
            prev = None
        elif t.end - t.start >= least_s:
            runs.append([i])
            prev = None
        elif prev is not None and t.start - turns[prev].end <= join_s:
            runs[-1].append(i)
            prev = i
        else:
            runs.append([i])
            prev = i
    speech = [sum(turns[i].end - turns[i].start for i in run) for run in runs]
    keep = [k for k in sorted(range(len(runs)), key=lambda k: -speech[k]) if speech[k] >= least_s]
    return [runs[k] for k in keep[:most]]


def voice_evidence(
    voices: VoiceTurns,
    labels: Sequence[str | None],
    margin: float = 0.05,
    enrol_share: float = 0.8,
    enrol_s: float = 0.8,
    enrol_max: int = 3,
    join_s: float = 0.5,
) -> dict[str, Any]:
    """Each party's voice enrolled from the (at most ``enrol_max``, longest) stretches its
    mouth clearly says (a turn with ``enrol_share`` of its mouthed frames the party's, at least
    ``enrol_s`` long, or shorter such turns across pauses of at most ``join_s``, ``enrol_s``
    together: :func:`_clear_stretches`), and each enrolled turn and each turn the mouths leave
    unclear compared with both voices (without its own stretch): ``voice`` is the party whose
    voice is nearer by ``margin``, else None (and None for a clear turn not enrolled: not
    computed); ``apart``: the similarity of the two parties' voices (1: one voice)."""
    if voices.missing or not voices.turns or voices.encoder is None:
        return {"turns": [], "enrolled": {p: 0 for p in PARTY}, "missing": voices.missing}
    turns = voices.turns
    lips = [_lips(labels, t.start, t.end) for t in turns]
    stretches = {
        p: _clear_stretches(turns, lips, p, enrol_share, enrol_s, enrol_max, join_s) for p in PARTY
    }
    if not all(stretches.values()):
        stretches = {p: [] for p in PARTY}
    enrol = {p: [i for run in stretches[p] for i in run] for p in PARTY}
    own = {i: set(run) for p in PARTY for run in stretches[p] for i in run}
    unclear = [
        i for i, (lab, share) in enumerate(lips) if lab and _unclear(lab, share, enrol_share)
    ]
    wanted = sorted({*enrol["staff"], *enrol["customer"], *(unclear if enrol["staff"] else [])})
    emb = dict(
        zip(wanted, voices.encoder.embed_windows([turns[i].windows for i in wanted]), strict=True)
    )
    rows = []
    for i, (t, (lab, share)) in enumerate(zip(turns, lips, strict=True)):
        sims: dict[str, float | None] = dict.fromkeys(PARTY)
        if i in emb:
            for p in PARTY:
                ref = _unit([emb[k] for k in enrol[p] if k not in own.get(i, {i})])
                sims[p] = None if ref is None else round(similarity(emb[i], ref), 3)
        s, c = sims["staff"], sims["customer"]
        voice = None
        if s is not None and c is not None and abs(s - c) >= margin:
            voice = "staff" if s > c else "customer"
        rows.append(
            {
                "start": t.start,
                "end": t.end,
                "lips": lab,
                "lips_share": round(share, 2),
                "voice": voice,
                "staff": s,
                "customer": c,
            }
        )
    whole = {p: _unit([emb[k] for k in enrol[p]]) for p in PARTY}
    apart = None
    if whole["staff"] is not None and whole["customer"] is not None:
        apart = round(similarity(whole["staff"], whole["customer"]), 3)
    return {
        "turns": rows,
        "enrolled": {p: len(enrol[p]) for p in PARTY},
        "embedded": len(emb),
        "apart": apart,
        "missing": "",
    }


def _unclear(lab: str | None, share: float, enrol_share: float) -> bool:
    """The mouths leave a turn unclear: ``both`` over most of it, or its party under
    ``enrol_share`` of it."""
    return lab == "both" or (lab in PARTY and share < enrol_share)


def voice_relabel(
    evidence: dict[str, Any],
    labels: list[str | None],
    pinned: np.ndarray,
    enrol_share: float = 0.8,
    moving: tuple[np.ndarray, np.ndarray] | None = None,
    run_margin: float = 0.15,
) -> float:
    """Where the mouths do not say clearly who speaks a turn (``both`` over most of it, or
    its voice's party over less than ``enrol_share`` of it: a party mouthing along, a 代答
    while the customer's lips move too) and its voice is clearly one party's, the turn's
    frames labelled ``both`` or the other party become that party's and are pinned (not
    smoothed back). A turn most of whose frames the mouths give to the other party stays
    theirs (a real overlap's turn holds two voices; the mouths are the firmer evidence) unless
    it is a piece of a sentence (pieces cut without a pause) that the voice gives to one party
    throughout, each piece by ``run_margin`` at least (a 代答 the customer mouths along, whose
    second half their lips happen to win by a little); and so do frames given to nobody's
    mouth (``off_screen``), pinned short answers, and, given ``moving`` (the staff's and the
    customer's mouth moving per frame), the frames where the voice's party's mouth is still (a
    turn cut without a pause can hold a change of speaker: before it, only the other's mouth
    moves). The seconds changed."""
    changed = 0
    rows = evidence.get("turns", [])
    heard_whole = _one_voice_runs(rows, run_margin)
    for k, row in enumerate(rows):
        who = row["voice"]
        if who is None or (row["lips"] not in ("both", who) and not heard_whole[k]):
            continue  # the voice settles "both", not a mouth that moves more (but see above)
        if not _unclear(row["lips"], row["lips_share"], enrol_share):
            continue
        other = "customer" if who == "staff" else "staff"
        row["relabelled"] = True
        lo, hi = int(row["start"] / FRAME_S), min(len(labels), int(np.ceil(row["end"] / FRAME_S)))
        mouth = moving[PARTY.index(who)] if moving is not None else None
        for i in range(lo, hi):
            if labels[i] in ("both", other) and not pinned[i]:
                if mouth is not None and not mouth[i]:
                    continue  # their mouth is still here: not them (a change of speaker)
                labels[i], pinned[i] = who, True
                changed += 1
    return round(changed * FRAME_S, 2)


def _one_voice_runs(rows: Sequence[dict[str, Any]], margin: float) -> list[bool]:
    """Per turn: whether it is a piece of speech cut without a pause (at ``max_s``) whose
    every piece's voice is one party's, each nearer it by ``margin`` at least (two pieces at
    least): a sentence heard as one voice throughout."""
    out = [False] * len(rows)
    k = 0
    while k < len(rows):
        j = k + 1
        while j < len(rows) and abs(rows[j]["start"] - rows[j - 1]["end"]) < 1e-6:
            j += 1
        run = rows[k:j]
        one = len(run) >= 2 and len({r["voice"] for r in run}) == 1 and run[0]["voice"]
        if one and all(abs(r["staff"] - r["customer"]) >= margin for r in run):
            out[k:j] = [True] * len(run)
        k = j
    return out
