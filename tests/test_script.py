"""Script check: required phrases and forbidden promises on ASR-like transcripts."""

from __future__ import annotations

import pytest

from dualrec_audit.checks.script import run_script_check
from dualrec_audit.core.errors import ConfigError
from dualrec_audit.core.result import CheckResult, Text, Word
from dualrec_audit.speech.phrases import load_phrases


def words_from(text: str, start: float = 0.0, per_char: float = 0.25) -> list[Word]:
    """Two-character words, as a Mandarin recogniser tends to produce, with times."""
    out, t = [], start
    for i in range(0, len(text), 2):
        chunk = text[i : i + 2]
        out.append(Word(t, t + per_char * len(chunk), chunk, 0.9))
        t += per_char * len(chunk)
    return out


OK = CheckResult("transcript", "ok", timeline=(1.0,) * 30)


@pytest.fixture()
def phrases(tmp_path):
    f = tmp_path / "phrases.txt"
    f.write_text(
        "# fund sale\n风险提示 | 风险揭示\n请您确认\n本产品由基金公司管理\n! 翻倍\n",
        encoding="utf-8",
    )
    return load_phrases(f)


def test_phrase_file_format(phrases):
    assert [p.alternatives for p in phrases.required] == [
        ("风险提示", "风险揭示"),
        ("请您确认",),
        ("本产品由基金公司管理",),
    ]
    forbidden = [p.text for p in phrases.forbidden]
    assert "保本" in forbidden and "保证收益" in forbidden and forbidden[-1] == "翻倍"
    assert phrases.hotwords().startswith("风险提示")


def test_asr_errors_still_match_and_missing_is_reported(phrases):
    # 风险揭示 heard as 风显揭示 (homophone), 请您确认 as 请您却认; the management phrase missing.
    text = "您好现在进行风显揭示投资有风险请您却认"
    result = run_script_check(OK, words_from(text, start=2.0), phrases, 30.0)
    req = {r["phrase"]: r for r in result.details["required"]}
    assert req["风险提示"]["found"] and req["风险提示"]["match"]["phrase"] == "风险揭示"
    assert req["风险提示"]["match"]["method"] == "pinyin"
    assert req["风险提示"]["match"]["start"] == pytest.approx(2.0 + 6 * 0.25)
    assert req["请您确认"]["found"]
    assert not req["本产品由基金公司管理"]["found"]
    events = [(e.check, e.details["phrase"]) for e in result.events]
    assert events == [("phrase_missing", "本产品由基金公司管理")]
    assert result.status == "ok"


def test_forbidden_promise_found_with_time_but_not_when_negated(phrases):
    text = "本产品不保本投资有风险" + "但是我们保证收益稳赚"
    result = run_script_check(OK, words_from(text), phrases, 30.0)
    forbidden = [
        (e.details["phrase"], round(e.start, 2))
        for e in result.events
        if e.check == "forbidden_phrase"
    ]
    assert forbidden == [("保证收益", 3.75), ("稳赚", 4.75)]  # chars 15 and 19, 0.25 s each
    assert result.timeline[3] == 0.0 and result.timeline[4] == 0.0 and result.timeline[0] == 1.0


def test_unavailable_transcript_makes_script_unavailable(phrases):
    missing = CheckResult.unavailable("transcript", Text("无", "none"))
    result = run_script_check(missing, [], phrases, 10.0)
    assert result.status == "unavailable" and result.events == ()
    assert result.reason is not None and "script" in result.reason.en


def test_bad_phrase_files(tmp_path):
    with pytest.raises(ConfigError, match="Cannot read"):
        load_phrases(tmp_path / "nope.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("风险提示\n | \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.txt:2: empty phrase"):
        load_phrases(bad)
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("风险提示".encode("gbk"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_phrases(gbk)
