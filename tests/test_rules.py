"""Layer 2: table-driven tests of every rule on constructed layer-1 results, the invariant
(never auto-approve what could not be evaluated) as a property test, and profile mistakes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrec_audit.errors import ConfigError
from dualrec_audit.profiles import builtin_profiles, parse_profile
from dualrec_audit.result import AuditError, AuditResult, CheckResult, Event, Text
from dualrec_audit.rules import decide

FUND = builtin_profiles()["fund_sale"]
N = 120  # a two-minute recording


def ev(check: str, start: float, end: float, party=None, sev="medium") -> Event:
    return Event(check, start, end, sev, Text(check, check), party)


def script_details(found: set[str]) -> dict:
    req = [p for s in FUND.stages for p in s.phrases] + list(FUND.confirmations.phrases)
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
    found=ALL_PHRASES,
    status=None,
    duration=float(N),
) -> AuditResult:
    status = {"faces": "ok", "speech": "ok", "transcript": "ok", "script": "ok", **(status or {})}
    speech_tl = tuple(speech_scores or [1.0] * N)
    checks = {
        "faces": CheckResult(
            "faces",
            status["faces"],
            timeline=(1.0,) * N,
            details={"presence": {"staff": presence[0], "customer": presence[1]}},
        ),
        "speech": CheckResult(
            "speech", status["speech"], timeline=speech_tl, details={"speech_ratio": [0.8] * N}
        ),
        "transcript": CheckResult("transcript", status["transcript"], timeline=(0.9,) * N),
        "script": CheckResult(
            "script", status["script"], timeline=(1.0,) * N, details=script_details(found)
        ),
        "video": CheckResult("video", "ok", timeline=(1.0,) * N),
    }
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
        {"mandatory.both_parties_present"},
    ),
    (
        "staff absent 4% is tolerated",
        layer1(presence=(0.96, 1.0), events=[ev("party_absent", 30, 34.8, "staff")]),
        "review",
        {"event.party_absent"},
    ),
    (
        "chin cut 6 s",
        layer1(events=[ev("face_cut", 8, 14, "customer")]),
        "rerecord",
        {"mandatory.max_face_cut"},
    ),
    (
        "chin cut 1.5 s",
        layer1(events=[ev("face_cut", 8, 9.5, "customer")]),
        "approve",
        {"event.face_cut"},
    ),
    (
        "unclear speech 20%",
        layer1(speech_scores=[0.3] * 24 + [1.0] * 96, events=[ev("low_clarity", 0, 24)]),
        "rerecord",
        {"mandatory.clarity"},
    ),
    (
        "unclear speech 5%",
        layer1(speech_scores=[0.3] * 6 + [1.0] * 114, events=[ev("low_clarity", 0, 6)]),
        "approve",
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
        "many small problems",
        layer1(
            events=[
                ev("blur", 0, 5),
                ev("dark", 10, 15),
                ev("frozen", 20, 25),
                ev("overexposed", 30, 35),
                ev("extra_person", 40, 45),
            ]
        ),
        "rerecord",
        {"event.blur", "event.dark", "event.frozen", "event.overexposed", "event.extra_person"},
    ),
    (
        "some small problems",
        layer1(events=[ev("blur", 0, 5), ev("dark", 10, 15), ev("frozen", 20, 25)]),
        "review",
        {"event.blur", "event.dark", "event.frozen"},
    ),
    ("one dark stretch", layer1(events=[ev("dark", 10, 15)]), "approve", {"event.dark"}),
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
        layer1(status={"faces": "unavailable"}),
        "review",
        {"not_evaluable.faces"},
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


def test_findings_carry_evidence_and_times():
    result = layer1(presence=(1.0, 0.7), events=[ev("party_absent", 30, 66, "customer")])
    (f,) = decide(result, FUND).findings
    assert (f.start, f.end, f.severity, f.mandatory) == (30, 66, "high", True)
    assert f.evidence["party"] == "customer" and f.evidence["presence"] == 0.7
    assert f.evidence["events"][0]["check"] == "party_absent"
    assert f.deduction == FUND.deduction("party_absent")
    assert "客户" in f.reason.zh and "Customer" in f.reason.en


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


STATUS = st.sampled_from(["ok", "unavailable", "unverified"])
EVENT = st.builds(
    ev,
    st.sampled_from(
        ["party_absent", "face_cut", "blur", "dark", "low_clarity", "silence", "clipping"]
    ),
    st.floats(0, 100),
    st.floats(100, 120),
    st.sampled_from([None, "staff", "customer"]),
)


@settings(max_examples=300, deadline=None)
@given(
    faces=STATUS,
    speech=STATUS,
    script=STATUS,
    events=st.lists(EVENT, max_size=4),
    presence=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    found=st.sets(st.sampled_from(sorted(ALL_PHRASES))),
    profile=st.sampled_from(sorted(builtin_profiles())),
)
def test_never_approved_when_a_mandatory_check_could_not_be_evaluated(
    faces, speech, script, events, presence, found, profile
):
    result = layer1(
        status={"faces": faces, "speech": speech, "transcript": script, "script": script},
        events=events,
        presence=presence,
        found=found,
    )
    verdict = decide(result, builtin_profiles()[profile])
    if {faces, speech, script} != {"ok"}:
        assert verdict.decision != "approve"
        assert any(f.rule.startswith("not_evaluable.") for f in verdict.findings)
    assert 0 <= verdict.score <= 100


PROFILE = """
id = "mine"
name = { zh = "我的", en = "Mine" }
basis = ["内部规定"]
[[stages]]
id = "risk"
name = { zh = "风险", en = "Risk" }
phrases = [{ text = "投资有风险" }]
"""


def test_minimal_profile_is_valid():
    p = parse_profile(PROFILE, "mine.toml")
    assert p.id == "mine" and p.thresholds.approve == 80 and p.mandatory.max_face_cut_s == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PROFILE.replace('basis = ["内部规定"]', ""), "basis: required key is missing"),
        (PROFILE + "\nfoo = 1\n", "stages.0.foo: unknown key"),
        (PROFILE.replace("[[stages]]", "colour = 1\n[[stages]]"), "colour: unknown key"),
        (PROFILE.replace('id = "risk"', 'id = "Risk Stage"'), "stages.0.id: String should match"),
        (
            PROFILE.replace('phrases = [{ text = "投资有风险" }]', "phrases = []"),
            "stages.0.phrases",
        ),
        (
            PROFILE + "\n[mandatory]\nclarity_share = 1.5\n",
            "mandatory.clarity_share: Input should be less",
        ),
        (
            PROFILE.replace("[[stages]]", "[deductions]\nfaec_cut = 5\n[[stages]]"),
            "unknown finding type 'faec_cut'",
        ),
        (
            PROFILE.replace("[[stages]]", "[thresholds]\napprove = 50\nreview = 70\n[[stages]]"),
            "review must not be above approve",
        ),
        (PROFILE + PROFILE[PROFILE.index("[[stages]]") :], "duplicate stage id 'risk'"),
        ("id = ", "not valid TOML"),
    ],
)
def test_profile_mistakes_name_the_file_and_key(text, message):
    with pytest.raises(ConfigError) as exc:
        parse_profile(text, "bad.toml")
    assert str(exc.value).startswith("bad.toml:")
    assert message in str(exc.value)
