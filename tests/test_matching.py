"""Tests of phrase matching on transcripts shaped like the recogniser's output."""

from __future__ import annotations

import itertools
import random

import pytest

from dualrec_audit.core.result import Word
from dualrec_audit.speech.matching import PhraseMatch, PhraseMatcher, TranscriptIndex
from dualrec_audit.speech.pinyin import fuzzy_syllable, normalize_text, to_syllables

FORBIDDEN = ["保本", "保证收益", "稳赚", "零风险", "刚性兑付"]


def asr(*texts: str, start: float = 0.0, step: float = 0.5) -> list[Word]:
    """Words back to back, each lasting ``step`` seconds, the first starting at ``start``."""
    return [
        Word(start + i * step, start + (i + 1) * step, text, 0.9) for i, text in enumerate(texts)
    ]


# --------------------------------------------------------------------------------------------
# Normalisation, pinyin, index


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 好的，", "好的"),
        ("风险提示！", "风险提示"),
        ("请您确认。。。", "请您确认"),
        ("“保本”、", "保本"),
        ("ＡＰＰ下载", "app下载"),
        ("Hello, World?", "helloworld"),
        ("１２３％", "123"),
        ("《说明书》……", "说明书"),
        (" \t", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_syllables_use_context_for_heteronyms() -> None:
    assert to_syllables("银行") == ["yin", "hang"]
    assert to_syllables("行走") == ["xing", "zou"]
    assert to_syllables("app理财") == ["a", "p", "p", "li", "cai"]


@pytest.mark.parametrize(
    ("syllable", "canonical"),
    [
        ("zhuang", "zuan"),
        ("chan", "can"),
        ("shi", "si"),
        ("nin", "lin"),
        ("ren", "len"),
        ("hu", "fu"),
        ("feng", "fen"),
        ("ling", "lin"),
        ("xiang", "xian"),
        ("zheng", "zen"),
        ("a", "a"),
        ("er", "er"),
        ("ng", "ng"),
        ("n", "n"),
        ("7", "7"),
    ],
)
def test_fuzzy_syllable(syllable: str, canonical: str) -> None:
    assert fuzzy_syllable(syllable) == canonical


def test_index_splits_word_time_over_its_characters() -> None:
    index = TranscriptIndex.from_words(
        [Word(1.0, 2.0, " 风险，", 0.9), Word(2.0, 2.0, "。", 0.5), Word(2.0, 2.3, "提示吗", 0.8)]
    )
    assert index.chars == "风险提示吗"
    assert index.starts == pytest.approx([1.0, 1.5, 2.0, 2.1, 2.2])
    assert index.ends == pytest.approx([1.5, 2.0, 2.1, 2.2, 2.3])
    assert index.syllables == ("feng", "xian", "ti", "shi", "ma")


# --------------------------------------------------------------------------------------------
# Required phrases


def test_exact_match_and_time_span() -> None:
    words = [
        Word(0.0, 0.6, "下面", 0.9),
        Word(0.6, 1.2, "是风", 0.8),  # 风: 0.9-1.2
        Word(1.2, 1.8, "险提", 0.9),
        Word(1.8, 2.1, "示", 0.9),  # 示: 1.8-2.1
        Word(2.1, 2.7, "内容", 0.9),
    ]
    match = PhraseMatcher().find(["风险提示"], words)
    assert match is not None
    assert (match.phrase, match.text, match.method) == ("风险提示", "风险提示", "exact")
    assert match.score == 1.0
    assert match.start == pytest.approx(0.9)
    assert match.end == pytest.approx(2.1)
    assert match.to_dict() == {
        "phrase": "风险提示",
        "text": "风险提示",
        "score": 1.0,
        "start": 0.9,
        "end": 2.1,
        "method": "exact",
    }


@pytest.mark.parametrize(
    ("phrase", "words", "heard", "start"),
    [
        ("风险提示", asr("下面", "进行", "风显", "提示"), "风显提示", 1.0),
        ("请您确认", asr("好的", "请您", "却认", "一下"), "请您却认", 0.5),
        ("产品", asr("这款", "铲品", "的", "收益"), "铲品", 0.5),
        ("确认", asr("您", "却认", "吗"), "却认", 0.5),
    ],
)
@pytest.mark.parametrize("fuzzy", [True, False])
def test_homophones_are_found_by_pinyin(
    phrase: str, words: list[Word], heard: str, start: float, fuzzy: bool
) -> None:
    match = PhraseMatcher(fuzzy_pinyin=fuzzy).find([phrase], words)
    assert match is not None
    assert (match.text, match.method, match.score) == (heard, "pinyin", 1.0)
    assert match.start == pytest.approx(start)


@pytest.mark.parametrize(
    ("phrase", "words", "heard"),
    [
        ("风险提示", asr("下面", "是", "分险", "提示"), "分险提示"),  # feng → fen
        ("风险提示", asr("下面", "是", "风险", "提四"), "风险提四"),  # shi → si
        ("理财产品", asr("这款", "尼财", "产品"), "尼财产品"),  # li → ni
        ("理财产品", asr("这款", "理财", "惨品"), "理财惨品"),  # chan → can
        ("请您确认", asr("好", "请林", "确认"), "请林确认"),  # nin → lin
        ("本人确认", asr("我", "本冷", "确认"), "本冷确认"),  # ren → leng
        ("刚性兑付", asr("不", "承诺", "刚性", "兑胡"), "刚性兑胡"),  # fu → hu
        ("保证收益", asr("我们", "保真", "收益"), "保真收益"),  # zheng → zhen
        ("零风险", asr("这是", "林风险", "的"), "林风险"),  # ling → lin
    ],
)
def test_near_homophones_need_fuzzy_pinyin(phrase: str, words: list[Word], heard: str) -> None:
    match = PhraseMatcher(fuzzy_pinyin=True).find([phrase], words)
    assert match is not None
    assert (match.text, match.method) == (heard, "pinyin")
    assert match.score == pytest.approx(0.95)
    assert PhraseMatcher(fuzzy_pinyin=False).find([phrase], words) is None


@pytest.mark.parametrize(
    ("words", "heard", "score", "start", "end"),
    [
        # 愿 dropped: a window one shorter than the phrase.
        (asr("我", "本人", "自", "购买", "的"), "本人自购买", 5 / 6, 0.5, 2.0),
        # 己 inserted: a window one longer than the phrase.
        (asr("我", "本人", "自己", "愿", "购买", "的"), "本人自己愿购买", 6 / 7, 0.5, 2.5),
        # 愿 heard as 元 (a homophone) and 己 inserted.
        (asr("本人", "自己", "元", "购买"), "本人自己元购买", 6 / 7, 0.0, 2.0),
    ],
)
def test_dropped_and_inserted_characters(
    words: list[Word], heard: str, score: float, start: float, end: float
) -> None:
    match = PhraseMatcher().find(["本人自愿购买"], words)
    assert match is not None
    assert match.text == heard
    assert match.score == pytest.approx(score)
    assert (match.start, match.end) == (pytest.approx(start), pytest.approx(end))


def test_two_errors_in_a_six_char_phrase_are_too_many() -> None:
    assert PhraseMatcher().find(["本人自愿购买"], asr("本人", "自", "买")) is None


def test_punctuation_and_spaces_inside_words() -> None:
    words = asr(" 好的，", "下面", "是风", "险、", " 提示！", "请您", " 确认。")
    matcher = PhraseMatcher()
    index = matcher.index(words)
    risk = matcher.find(["风险提示"], index)
    assert risk is not None
    assert (risk.text, risk.method) == ("风险提示", "exact")
    assert (risk.start, risk.end) == (pytest.approx(1.25), pytest.approx(2.5))
    confirm = matcher.find(["请您，确认！"], index)
    assert confirm is not None
    assert (confirm.text, confirm.method) == ("请您确认", "exact")
    assert (confirm.start, confirm.end) == (pytest.approx(2.5), pytest.approx(3.5))


def test_full_width_latin_is_matched() -> None:
    match = PhraseMatcher().find(["下载APP"], asr("请您", "下载", "ＡＰＰ"))
    assert match is not None
    assert (match.text, match.method, match.score) == ("下载app", "exact", 1.0)


WEATHER = asr("今天", "天气", "很好，", "明天", "可能", "下雨，", "记得", "带伞。")


@pytest.mark.parametrize(
    ("phrase", "words"),
    [
        ("风险提示", WEATHER),
        ("请您确认", WEATHER),
        ("本人自愿购买", WEATHER),
        ("风险", asr("我来", "分享", "一下")),  # fen xiang: fuzzy-equal, but a 2-char phrase
        ("风险", asr("有", "分险", "吗")),  # needs the exact syllables
        ("确认", asr("我", "确定", "了")),
        ("产品", asr("这是", "残品")),
    ],
)
def test_phrases_not_said_are_not_found(phrase: str, words: list[Word]) -> None:
    assert PhraseMatcher(fuzzy_pinyin=True).find([phrase], words) is None


def test_empty_inputs() -> None:
    matcher = PhraseMatcher()
    assert matcher.find(["风险提示"], []) is None
    assert matcher.find([], WEATHER) is None
    assert matcher.find(["，。"], WEATHER) is None
    assert matcher.find_all(FORBIDDEN, []) == []


def test_invalid_threshold() -> None:
    with pytest.raises(ValueError):
        PhraseMatcher(threshold=0.0)
    with pytest.raises(ValueError):
        PhraseMatcher(threshold=1.5)


def test_best_alternative_is_reported() -> None:
    words = asr("我", "本人", "自愿", "购买", "这款", "产品")
    alternatives = ["本人自愿购买该产品", "本人自愿购买这款产品"]
    matcher = PhraseMatcher()
    match = matcher.find(alternatives, words)
    assert match is not None
    assert (match.phrase, match.text, match.method, match.score) == (
        "本人自愿购买这款产品",
        "本人自愿购买这款产品",
        "exact",
        1.0,
    )
    # The other alternative alone matches too, only less well.
    other = matcher.find(alternatives[:1], words)
    assert other is not None
    assert other.phrase == "本人自愿购买该产品"
    assert other.score == pytest.approx(0.8)  # 该→这, 款 inserted: 2 edits in 10


def test_equal_scores_prefer_the_earliest() -> None:
    words = asr("请您", "确认", "，", "好的", "请您", "确认")
    match = PhraseMatcher().find(["请您确认"], words)
    assert match is not None
    assert match.start == pytest.approx(0.0)


def test_higher_threshold_rejects_approximate_matches() -> None:
    words = asr("本人", "自", "购买")
    assert PhraseMatcher(threshold=0.8).find(["本人自愿购买"], words) is not None
    assert PhraseMatcher(threshold=0.9).find(["本人自愿购买"], words) is None


# --------------------------------------------------------------------------------------------
# Forbidden phrases


def summary(matches: list[PhraseMatch]) -> list[tuple[str, str]]:
    return [(m.phrase, m.text) for m in matches]


@pytest.mark.parametrize(
    ("words", "found", "found_with_negated"),
    [
        (asr("这个", "产品", "保本", "保", "收益"), [("保本", "保本")], [("保本", "保本")]),
        (asr("本", "产品", "不", "保本"), [], [("保本", "保本")]),
        (asr("本产品", "不保本。"), [], [("保本", "保本")]),
        (asr("本产品", "不，", "嗯，", "保本"), [], [("保本", "保本")]),
        (asr("我们", "不能", "保证", "收益"), [], [("保证收益", "保证收益")]),
        (asr("我们", "不", "保证", "收益"), [], [("保证收益", "保证收益")]),
        (asr("这是", "非", "保本", "浮动", "收益", "型"), [], [("保本", "保本")]),
        (asr("投资", "并非", "零风险"), [], [("零风险", "零风险")]),
        (asr("没有", "刚性", "兑付"), [], [("刚性兑付", "刚性兑付")]),
        (asr("我们", "保证", "收益"), [("保证收益", "保证收益")], [("保证收益", "保证收益")]),
        (asr("绝对", "稳赚"), [("稳赚", "稳赚")], [("稳赚", "稳赚")]),
        (WEATHER, [], []),
    ],
)
def test_forbidden_phrases_and_negation(
    words: list[Word],
    found: list[tuple[str, str]],
    found_with_negated: list[tuple[str, str]],
) -> None:
    matcher = PhraseMatcher()
    index = matcher.index(words)
    assert summary(matcher.find_all(FORBIDDEN, index)) == found
    assert summary(matcher.find_all(FORBIDDEN, index, skip_negated=False)) == found_with_negated


def test_forbidden_occurrences_in_time_order() -> None:
    words = asr("保本", "没问题，", "而且", "稳赚", "不赔，", "绝对", "保本。")
    matches = PhraseMatcher().find_all(FORBIDDEN, words)
    assert summary(matches) == [("保本", "保本"), ("稳赚", "稳赚"), ("保本", "保本")]
    assert [m.start for m in matches] == pytest.approx([0.0, 1.5, 3.0])
    assert [m.end for m in matches] == pytest.approx([0.5, 2.0, 3.5])
    assert all(m.method == "exact" and m.score == 1.0 for m in matches)


def test_negated_and_plain_occurrences_together() -> None:
    words = asr("本产品", "不保本，", "但是", "保证", "收益")
    matcher = PhraseMatcher()
    assert summary(matcher.find_all(FORBIDDEN, words)) == [("保证收益", "保证收益")]
    assert summary(matcher.find_all(FORBIDDEN, words, skip_negated=False)) == [
        ("保本", "保本"),
        ("保证收益", "保证收益"),
    ]


def test_find_all_is_in_time_order_whatever_the_scores() -> None:
    # The earlier occurrence only matches fuzzily (0.95), the later one exactly (1.0).
    matches = PhraseMatcher().find_all(FORBIDDEN, asr("我们", "保真", "收益", "而且", "保本"))
    assert [(m.phrase, m.text, m.score) for m in matches] == [
        ("保证收益", "保真收益", pytest.approx(0.95)),
        ("保本", "保本", 1.0),
    ]


@pytest.mark.parametrize(
    ("words", "text"),
    [
        # 保 dropped: the best window starts with the negation itself.
        (asr("我们", "不", "证", "年化", "收益"), "不证年化收益"),
        # A hesitation between the negation and the phrase.
        (asr("我们", "不", "呃，", "保正", "年化", "收益"), "保正年化收益"),
    ],
)
def test_negation_inside_the_matched_window(words: list[Word], text: str) -> None:
    matcher = PhraseMatcher()
    assert matcher.find_all(["保证年化收益"], words) == []
    matches = matcher.find_all(["保证年化收益"], words, skip_negated=False)
    assert [m.text for m in matches] == [text]


def test_find_all_with_recognition_errors() -> None:
    # 保本 heard as 包本 (bao ben), 保证收益 as 保正收益 (zheng).
    matches = PhraseMatcher().find_all(FORBIDDEN, asr("这个", "包本", "而且", "保正", "收益"))
    assert [(m.phrase, m.text, m.method) for m in matches] == [
        ("保本", "包本", "pinyin"),
        ("保证收益", "保正收益", "pinyin"),
    ]


# --------------------------------------------------------------------------------------------
# Performance sanity (not timed): a 3,000-character transcript and 30 phrases


FILLER = [
    "今天天气很好我们去公园散步吧",
    "明天可能会下雨记得带伞出门",
    "周末一起去看电影怎么样",
    "晚饭想吃面条还是米饭",
    "小猫在窗台上晒太阳",
    "图书馆九点开门",
]

REQUIRED = [
    "风险提示",
    "请您确认",
    "本人自愿购买",
    "我已阅读并理解产品说明书",
    "投资有风险",
    "过往业绩不代表未来表现",
    "请出示您的身份证件",
    "风险承受能力评估",
    "冷静期",
    "犹豫期内可以撤销",
    "本金可能遭受损失",
    "请您签名",
    "销售人员工号",
    "录音录像",
    "理财产品",
    "投诉电话",
    "产品风险等级",
    "您是否清楚",
    "请您抄录风险揭示语句",
    "是否为本人操作",
    "资金来源合法",
    "适当性匹配",
    "请再次确认购买金额",
    "到期日",
    "提前赎回",
]


def test_long_transcript_many_phrases() -> None:
    rng = random.Random(20240601)
    texts: list[str] = []
    sentences = itertools.cycle(FILLER)
    spoken = 0
    while spoken < 3000:
        sentence = next(sentences)
        spoken += len(sentence)
        pos = 0
        while pos < len(sentence):
            size = rng.randint(1, 4)
            texts.append(sentence[pos : pos + size])
            pos += size
        texts[-1] += rng.choice(["，", "。", ""])
    planted = {
        100: ["风险", "提示"],
        300: ["请您", "却认"],  # 确认 heard as 却认
        500: ["本人", "自", "购买"],  # 愿 dropped
        700: ["保证", "收益"],
        900: ["本产品", "不保本"],
    }
    for at in sorted(planted, reverse=True):
        texts[at:at] = planted[at]
    words = asr(*texts, step=0.25)
    # Each insertion shifts the later words: find where the planted words ended up.
    start_of: dict[int, float] = {}
    offset = 0
    for at in sorted(planted):
        start_of[at] = words[at + offset].start
        offset += len(planted[at])

    matcher = PhraseMatcher()
    index = matcher.index(words)
    assert len(index) > 3000
    results = {phrase: matcher.find([phrase], index) for phrase in REQUIRED}
    forbidden = matcher.find_all(FORBIDDEN, index)

    risk = results.pop("风险提示")
    assert risk is not None
    assert (risk.text, risk.method) == ("风险提示", "exact")
    assert risk.start == pytest.approx(start_of[100])
    confirm = results.pop("请您确认")
    assert confirm is not None
    assert (confirm.text, confirm.method) == ("请您却认", "pinyin")
    assert confirm.start == pytest.approx(start_of[300])
    buy = results.pop("本人自愿购买")
    assert buy is not None
    assert buy.text == "本人自购买"
    assert buy.start == pytest.approx(start_of[500])
    assert results == dict.fromkeys(results)  # nothing else is said

    assert [(m.phrase, m.start) for m in forbidden] == [("保证收益", start_of[700])]
    assert len(REQUIRED) + len(FORBIDDEN) == 30
