"""Layer 2: table-driven tests of every rule on constructed layer-1 results (each event type x
duration x built-in profile -> decision), the decision sentence as property tests (nothing with
a failed mandatory check, a medium or high finding or an unevaluated check is approved; the
score never changes the decision), episodes, and profile mistakes.

Layer-1 results are constructed here (checks ok, the script verified) so that an approve can
be reached; detection on real media is tested in test_samples, test_video and test_speech."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrec_audit.core.errors import ConfigError
from dualrec_audit.core.result import (
    EVENT_SOURCES,
    AuditError,
    AuditResult,
    CheckResult,
    Event,
    Finding,
    Text,
)
from dualrec_audit.rules.decide import decide
from dualrec_audit.rules.decision import decision_of, explain, holds
from dualrec_audit.rules.profiles import (
    DEFAULT_DEDUCTIONS,
    EVENT_TYPES,
    builtin_profiles,
    parse_profile,
)

FUND = builtin_profiles()["fund_sale"]
N = 120  # a two-minute recording
T = Text("x", "x")


def ev(check: str, start: float, end: float, party=None, sev="medium") -> Event:
    return Event(check, start, end, sev, Text(check, check), party)


def script_details(found: set[str] | None, profile=FUND) -> dict:
    confirmations = profile.confirmations.phrases if profile.confirmations else ()
    req = [p for s in profile.stages for p in s.phrases] + list(confirmations)
    if found is None:  # every phrase of the profile heard
        found = {p.text for p in req}
    return {
        "required": [
            {
                "phrase": p.text,
                "found": p.text in found,
                "match": {"phrase": p.text, "start": 10.0, "end": 12.0}
                if p.text in found
                else None,
            }
            for p in req
        ]
    }


ALL_PHRASES = {p.text for s in FUND.stages for p in s.phrases} | {"是的"}


def layer1(
    *,
    events=(),
    presence=(1.0, 1.0),
    speech_scores=None,
    found=None,
    status=None,
    duration=float(N),
    profile=FUND,
) -> AuditResult:
    n = max(1, round(duration))
    status = {
        "faces": "ok",
        "speech": "ok",
        "transcript": "ok",
        "script": "ok",
        "video": "ok",
        **(status or {}),
    }
    speech_tl = tuple(speech_scores or [1.0] * n)
    checks = {
        "faces": CheckResult(
            "faces",
            status["faces"],
            timeline=(1.0,) * n,
            details={"presence": {"staff": presence[0], "customer": presence[1]}},
        ),
        "speech": CheckResult(
            "speech", status["speech"], timeline=speech_tl, details={"speech_ratio": [0.8] * n}
        ),
        "transcript": CheckResult("transcript", status["transcript"], timeline=(0.9,) * n),
        "script": CheckResult(
            "script", status["script"], timeline=(1.0,) * n, details=script_details(found, profile)
        ),
        "video": CheckResult("video", status["video"], timeline=(1.0,) * n),
    }
    if profile.documents:  # every document the profile asks for, shown legibly
        shown = [
            {"id": d.id, "status": "shown", "start": 1.0, "end": 5.0, "seconds": 4.0}
            for d in profile.documents
        ]
        checks["documents"] = CheckResult("documents", "ok", details={"documents": shown})
    for k, s in status.items():
        if s != "ok":
            checks[k] = replace(checks[k], reason=Text("原因", "reason"))
    return AuditResult(
        file="x.mp4",
        tool_version="t",
        sha256="0",
        duration_s=duration,
        decision="review",
        score=0,
        checks=checks,
        events=tuple(events),
    )


CASES = [
    # (id, layer-1 result, decision, rules that must fire)
    ("clean", layer1(), "approve", set()),
    (
        "customer absent 30%",
        layer1(presence=(1.0, 0.7), events=[ev("party_absent", 30, 66, "customer")]),
        "rerecord",
        {"mandatory.both_parties_present", "event.party_absent"},
    ),
    (
        "staff absent 4% is tolerated by the share, not by the episode rule",
        layer1(presence=(0.96, 1.0), events=[ev("party_absent", 30, 34.8, "staff")]),
        "review",
        {"event.party_absent"},
    ),
    (
        "chin cut 6 s",
        layer1(events=[ev("face_cut", 8, 14, "customer")]),
        "rerecord",
        {"event.face_cut"},
    ),
    (
        "chin cut 1.5 s is a note",
        layer1(events=[ev("face_cut", 8, 9.5, "customer")]),
        "approve",
        {"event.face_cut"},
    ),
    (
        "unclear speech 20%",
        layer1(speech_scores=[0.3] * 24 + [1.0] * 96, events=[ev("low_clarity", 0, 24)]),
        "rerecord",
        {"mandatory.clarity", "event.low_clarity"},
    ),
    (
        "unclear speech 5%",
        layer1(speech_scores=[0.3] * 6 + [1.0] * 114, events=[ev("low_clarity", 0, 6)]),
        "review",
        {"event.low_clarity"},
    ),
    ("too short", layer1(duration=8.0), "rerecord", {"mandatory.min_duration"}),
    (
        "risk disclosure missing",
        layer1(found=ALL_PHRASES - {"基金投资有风险"}),
        "rerecord",
        {"stage.risk_disclosure"},
    ),
    (
        "confirmation missing",
        layer1(found=ALL_PHRASES - {"是的"}),
        "review",
        {"confirmation_missing"},
    ),
    (
        "forbidden promise",
        layer1(events=[ev("forbidden_phrase", 50, 52, sev="high")]),
        "rerecord",
        {"mandatory.no_forbidden_phrases"},
    ),
    (
        "frozen 10 s (score 90 once) is a failed mandatory check",
        layer1(events=[ev("frozen", 20, 30)]),
        "rerecord",
        {"event.frozen"},
    ),
    (
        "blurred 8 s",
        layer1(events=[ev("blur", 20, 28)]),
        "review",
        {"event.blur"},
    ),
    (
        "12 s of silence (score 97 once)",
        layer1(events=[ev("silence", 40, 52)]),
        "review",
        {"event.silence"},
    ),
    (
        "a third person for 8 s (score 90 once)",
        layer1(events=[ev("extra_person", 60, 68)]),
        "review",
        {"event.extra_person"},
    ),
    ("one dark stretch", layer1(events=[ev("dark", 10, 15)]), "review", {"event.dark"}),
    (
        "only low notes",
        layer1(events=[ev("clipping", 3, 4), ev("face_small", 10, 30, "staff")]),
        "approve",
        {"event.clipping", "event.face_small"},
    ),
    (
        "no speech model",
        layer1(status={"transcript": "unavailable", "script": "unavailable"}),
        "review",
        {"not_evaluable.script"},
    ),
    (
        "test speech model",
        layer1(status={"transcript": "unverified", "script": "unverified"}),
        "review",
        {"not_evaluable.script"},
    ),
    (
        "no audio track",
        layer1(
            status={"speech": "unavailable", "transcript": "unavailable", "script": "unavailable"}
        ),
        "review",
        {"not_evaluable.speech", "not_evaluable.script"},
    ),
    (
        "frames unreadable",
        layer1(status={"faces": "unavailable", "video": "unavailable"}),
        "review",
        {"not_evaluable.faces", "not_evaluable.video"},
    ),
]


@pytest.mark.parametrize(
    ("result", "decision", "rules"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rules_fire_exactly_when_they_should(result, decision, rules):
    verdict = decide(result, FUND)
    assert {f.rule for f in verdict.findings} == rules
    assert verdict.decision == decision
    for f in verdict.findings:
        assert f.reason.zh and f.reason.en and 0 <= f.start <= f.end <= result.duration_s


# -- each event type x duration x built-in profile -> decision ---------------------------------

LONG = 600.0  # a ten-minute recording: above every built-in minimum duration
DURATIONS = (1.0, 2.5, 4.0, 8.0, 12.0, 70.0)
A, R, X = "approve", "review", "rerecord"
# The decision for each event type and duration (columns: DURATIONS), on every built-in
# profile unless PROFILE_TABLE overrides it. Written out, not computed from the profiles.
TABLE = {
    "party_absent": (A, R, R, R, R, X),  # 70 s of 600: in frame 88 % < 95 %
    "extra_person": (A, R, R, R, R, R),
    "face_cut": (A, X, X, X, X, X),
    "face_small": (A, A, A, A, A, A),
    "face_turned": (A, A, A, R, R, R),
    "silence": (A, A, A, A, R, R),
    "low_clarity": (A, R, R, R, R, X),  # 70 s of 600 unclear: clear 88 % < 90 %
    "clipping": (A, A, A, A, A, A),
    "dark": (A, R, R, R, R, R),
    "overexposed": (A, R, R, R, R, R),
    "blur": (A, A, R, R, R, R),
    "frozen": (A, X, X, X, X, X),
    "damaged": (R, R, R, R, R, R),  # any undecodable span: a person looks at it
    "audio_track": (A, A, A, A, A, A),  # which audio track was audited: a note
    "wrong_speaker": (R, R, R, R, R, R),  # a stage said by the other party: a person looks
    "answered_for_customer": (R, R, R, R, R, R),  # 代答, seen in the picture: a person looks
    "prompted_answer": (R, R, R, R, R, R),  # repeated word for word: a person listens
    "person_changed": (X, X, X, X, X, X),  # the customer replaced part-way (staff: review)
    "id_face_mismatch": (X, X, X, X, X, X),  # the ID card's photo is not the customer
}
PROFILE_TABLE = {
    "high_risk_product": {
        "extra_person": (A, X, X, X, X, X),
        "face_turned": (A, A, R, R, R, R),
    },
}
PARTY_OF = {"party_absent": "customer", "face_cut": "customer", "face_small": "staff"}
PARTY_OF["face_turned"] = "customer"
PARTY_OF["person_changed"] = PARTY_OF["id_face_mismatch"] = "customer"


def one_event(check: str, d: float, profile) -> AuditResult:
    start = 100.0
    e = ev(check, start, start + d, PARTY_OF.get(check))
    presence = (1.0, 1.0 - d / LONG if check == "party_absent" else 1.0)
    speech = [1.0] * int(LONG)
    if check == "low_clarity":
        speech[int(start) : int(start + d)] = [0.3] * int(d)
    return layer1(
        events=[e], presence=presence, speech_scores=speech, duration=LONG, profile=profile
    )


def test_the_table_covers_every_event_type():
    judged_by_stages = ("script", "documents")  # required phrases and documents to show
    assert set(TABLE) == set(EVENT_TYPES)
    assert set(EVENT_TYPES) == {e for e, s in EVENT_SOURCES.items() if s not in judged_by_stages}


@pytest.mark.parametrize("pid", sorted(builtin_profiles()))
@pytest.mark.parametrize("check", EVENT_TYPES)
def test_decision_per_event_type_duration_and_profile(pid, check):
    profile = builtin_profiles()[pid]
    expected = PROFILE_TABLE.get(pid, {}).get(check, TABLE[check])
    got = tuple(decide(one_event(check, d, profile), profile).decision for d in DURATIONS)
    assert got == expected, dict(zip(DURATIONS, got, strict=True))


def test_frozen_is_mandatory_in_every_builtin_profile():
    for p in builtin_profiles().values():
        assert p.events["frozen"].mandatory and p.events["face_cut"].mandatory


# -- findings as episodes ---------------------------------------------------------------------


def test_an_aggregate_points_at_its_episodes():
    """Five 7 s absences of 600 s: the share rule fires once for the whole recording and
    lists the five episodes, each its own finding with its own times."""
    starts = (106.0, 190.0, 300.0, 410.0, 520.0)
    absent = [ev("party_absent", s, s + 7, "customer") for s in starts]
    result = layer1(
        events=[*absent, ev("frozen", 560, 570)], presence=(1.0, 1 - 35 / LONG), duration=LONG
    )
    verdict = decide(result, FUND)
    assert verdict.decision == "rerecord"
    (agg,) = [f for f in verdict.findings if f.rule == "mandatory.both_parties_present"]
    assert (agg.start, agg.end, agg.mandatory) == (0.0, LONG, True)
    assert agg.evidence["episodes"] == [[s, s + 7] for s in starts]
    assert "94%" in agg.reason.en and "01:46–01:53" in agg.reason.en
    episodes = [f for f in verdict.findings if f.rule == "event.party_absent"]
    assert [(f.start, f.end) for f in episodes] == [(s, s + 7) for s in starts]
    assert all(holds(f) and f.evidence["part_of"] == agg.rule for f in episodes)
    (frozen,) = [f for f in verdict.findings if f.rule == "event.frozen"]
    assert frozen.mandatory and (frozen.start, frozen.end) == (560, 570)
    assert len(verdict.findings) == 7


def test_an_aggregate_raises_its_short_episodes_to_be_watched():
    # twenty 1.5 s absences (each under the 2 s rule) add up to 5 % of a 600 s recording
    absent = [ev("party_absent", 20.0 * k, 20.0 * k + 1.5, "customer") for k in range(20)]
    result = layer1(events=absent, presence=(1.0, 0.94), duration=LONG)
    verdict = decide(result, FUND)
    episodes = [f for f in verdict.findings if f.rule == "event.party_absent"]
    assert len(episodes) == 20 and all(f.severity == "medium" for f in episodes)
    assert verdict.decision == "rerecord"


def test_findings_carry_evidence_and_times():
    result = layer1(events=[ev("face_cut", 30, 36, "customer")])
    (f,) = decide(result, FUND).findings
    assert (f.start, f.end, f.severity, f.mandatory) == (30, 36, "high", True)
    assert f.evidence["event"]["check"] == "face_cut" and f.evidence["rule"]["mandatory"]
    assert f.deduction == FUND.deduction("face_cut")
    assert "6 s" in f.reason.en and "re-record" in f.reason.en


def test_low_clarity_says_what_fired():
    e = Event(
        "low_clarity",
        10,
        14,
        "medium",
        Text("语音不清晰", "Speech unclear"),
        None,
        {"cause": "noise", "snr_db": 3.2, "level_dbfs": -24.8},
    )
    (f,) = decide(layer1(events=[e]), FUND).findings
    assert f.evidence["fired"] == {
        "cause": "noise",
        "snr_db": 3.2,
        "level_dbfs": -24.8,
        "asr_confidence": 0.9,
    }
    assert "SNR 3 dB" in f.reason.en and "recogniser confidence 0.90" in f.reason.en
    assert "信噪比 3 dB" in f.reason.zh


def test_stage_checklist():
    verdict = decide(layer1(found=ALL_PHRASES - {"过往业绩不代表未来表现"}), FUND)
    stages = {s.id: s for s in verdict.stages}
    assert [s.id for s in verdict.stages] == [s.id for s in FUND.stages]
    assert stages["identity"].status == "found" and stages["identity"].start == 10.0
    assert stages["risk_disclosure"].status == "missing"  # match = all: one of two heard
    unverified = decide(layer1(status={"script": "unavailable"}), FUND)
    assert {s.status for s in unverified.stages} == {"not_verified"}


def test_error_result_is_error():
    result = replace(layer1(), error=AuditError("truncated", "x"))
    assert decide(result, FUND).decision == "error"


def test_decision_is_deterministic():
    r = layer1(events=[ev("blur", 0, 5), ev("face_cut", 8, 14, "customer")])
    assert decide(r, FUND) == decide(r, FUND)


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("clean", ("Every mandatory check passed", "所有必检项均通过")),
        ("chin cut 6 s", ("A mandatory check failed: face_cut for 6 s", "(00:08–00:14)")),
        ("blurred 8 s", ("No mandatory check failed, but 1 finding", "blur for 8 s")),
        ("no speech model", ("No mandatory check failed", "could not be evaluated (script)")),
    ],
)
def test_one_line_of_why(case, words):
    result = dict((c[0], c[1]) for c in CASES)[case]
    verdict = decide(result, FUND)
    why = explain(verdict.decision, verdict.findings, result.duration_s)
    line = why.en + why.zh
    assert all(w in line for w in words), line
    assert "\n" not in line


# -- the decision sentence, as properties -------------------------------------------------------

STATUS = st.sampled_from(["ok", "unavailable", "unverified"])
EVENT = st.builds(
    ev,
    st.sampled_from([*EVENT_TYPES, "forbidden_phrase"]),
    st.floats(0, 100),
    st.floats(100, 120),
    st.sampled_from([None, "staff", "customer"]),
).map(lambda e: replace(e, end=e.start + (e.end - 100.0) / 2))  # episodes of 0-10 s


@settings(max_examples=300, deadline=None)
@given(
    faces=STATUS,
    speech=STATUS,
    script=STATUS,
    events=st.lists(EVENT, max_size=5),
    presence=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    found=st.one_of(st.none(), st.sets(st.sampled_from(sorted(ALL_PHRASES)))),  # None: all
    profile=st.sampled_from(sorted(builtin_profiles())),
    weight=st.floats(0, 100),
)
def test_nothing_with_a_failed_mandatory_check_or_a_medium_finding_is_approved(
    faces, speech, script, events, presence, found, profile, weight
):
    p = builtin_profiles()[profile]
    result = layer1(
        status={"faces": faces, "speech": speech, "transcript": script, "script": script},
        events=events,
        presence=presence,
        found=found,
        profile=p,
    )
    verdict = decide(result, p)
    mandatory = any(f.mandatory for f in verdict.findings)
    medium = any(f.severity in ("medium", "high") for f in verdict.findings)
    assert (verdict.decision == "approve") == (not mandatory and not medium)
    assert (verdict.decision == "rerecord") == mandatory
    if {faces, speech, script} != {"ok"}:
        assert verdict.decision != "approve"
        assert any(f.rule.startswith("not_evaluable.") for f in verdict.findings)
    assert 0 <= verdict.score <= 100
    # The score ranks the queue and never changes the decision: reweigh every deduction.
    heavy = p.model_copy(update={"deductions": dict.fromkeys(DEFAULT_DEDUCTIONS, weight)})
    assert decide(result, heavy).decision == verdict.decision
    # Episodes stay episodes: one finding per layer-1 event of a ruled type, with its times.
    located = sorted((f.start, f.end) for f in verdict.findings if f.rule.startswith("event."))
    assert located == sorted((e.start, e.end) for e in events if e.check in EVENT_TYPES)


@given(st.lists(st.sampled_from(["low", "medium", "high"]), max_size=6), st.booleans())
def test_decision_of_is_the_sentence(severities, mandatory):
    fs = [Finding("r", 0, 1, s, T, mandatory=mandatory and s == "high") for s in severities]
    d = decision_of(fs)
    if any(f.mandatory for f in fs):
        assert d == "rerecord"
    elif any(s != "low" for s in severities):
        assert d == "review"
    else:
        assert d == "approve"


EVENT_RULES = "\n[events]\n" + "".join(
    f'{e} = {{ severity = "high", mandatory = true, min_duration_s = 2.0 }}\n' for e in EVENT_TYPES
)
PROFILE = (
    """
id = "mine"
name = { zh = "我的", en = "Mine" }
basis = ["内部规定"]
[[stages]]
id = "risk"
name = { zh = "风险", en = "Risk" }
phrases = [{ text = "投资有风险" }]
"""
    + EVENT_RULES
)


def test_minimal_profile_is_valid():
    p = parse_profile(PROFILE, "mine.toml")
    assert p.id == "mine" and p.mandatory.both_parties_present == 0.95
    assert set(p.events) == set(EVENT_TYPES) and p.events["blur"].min_duration_s == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PROFILE.replace('basis = ["内部规定"]', ""), "basis: required key is missing"),
        (PROFILE.replace("[events]", "foo = 1\n[events]"), "stages.0.foo: unknown key"),
        (PROFILE.replace("[[stages]]", "colour = 1\n[[stages]]"), "colour: unknown key"),
        (
            PROFILE.replace(EVENT_RULES.splitlines()[3] + "\n", ""),
            f"events: no rule for event type '{EVENT_TYPES[1]}'",
        ),
        (
            PROFILE.split("[events]")[0],
            "events: no rule for event type 'party_absent', 'extra_person'",
        ),
        (
            PROFILE.replace(
                "[events]\n",
                '[events]\nblurr = { severity = "low", mandatory = false, min_duration_s = 1 }\n',
            ),
            "events: unknown event type 'blurr'",
        ),
        (
            PROFILE.replace(
                'blur = { severity = "high", mandatory = true',
                'blur = { severity = "medium", mandatory = true',
            ),
            "events.blur: a mandatory rule has severity 'high'",
        ),
        (
            PROFILE.replace('frozen = { severity = "high", mandatory = true, ', "frozen = { "),
            "events.frozen.severity: required key is missing",
        ),
        (PROFILE.replace('id = "risk"', 'id = "Risk Stage"'), "stages.0.id: String should match"),
        (
            PROFILE.replace('phrases = [{ text = "投资有风险" }]', "phrases = []"),
            "stages.0.phrases",
        ),
        (
            PROFILE.replace("[events]", "[mandatory]\nclarity_share = 1.5\n[events]"),
            "mandatory.clarity_share: Input should be less",
        ),
        (
            PROFILE.replace("[events]", "[mandatory]\nmax_face_cut_s = 2\n[events]"),
            "mandatory.max_face_cut_s: moved: set [events] face_cut",
        ),
        (
            PROFILE.replace("[[stages]]", "[deductions]\nfaec_cut = 5\n[[stages]]"),
            "unknown finding type 'faec_cut'",
        ),
        (
            PROFILE.replace("[[stages]]", "[thresholds]\napprove = 50\n[[stages]]"),
            "thresholds: no longer used: the score only ranks the queue",
        ),
        (
            PROFILE.replace(
                "[events]",
                PROFILE[PROFILE.index("[[stages]]") :].split("\n[events]")[0] + "\n[events]",
            ),
            "duplicate stage id 'risk'",
        ),
        ("id = ", "not valid TOML"),
    ],
)
def test_profile_mistakes_name_the_file_and_key(text, message):
    with pytest.raises(ConfigError) as exc:
        parse_profile(text, "bad.toml")
    assert str(exc.value).startswith("bad.toml:")
    assert message in str(exc.value)
