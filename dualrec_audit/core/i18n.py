"""User-facing texts in Simplified Chinese (default) and English.

Code, logs and docs are English; everything a teller or reviewer reads goes through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dualrec_audit.core.result import Text

PARTY = {
    "staff": Text("工作人员", "Staff"),
    "customer": Text("客户", "Customer"),
}

CHECK_NAMES = {
    "faces": Text("人脸", "Faces"),
    "speech": Text("语音", "Speech"),
    "transcript": Text("语音识别", "Transcript"),
    "script": Text("话术", "Script"),
    "video": Text("画面质量", "Video quality"),
    "documents": Text("出示文件", "Documents shown"),
    "talk": Text("说话人", "Who talks"),
    "identity": Text("人员身份", "Identity"),
}

# Who is talking (talk intervals, stage speakers).
TALKER = {
    "staff": Text("工作人员", "Staff"),
    "customer": Text("客户", "Customer"),
    "both": Text("双方同时", "Both at once"),
    "off_screen": Text("画面外", "Off screen"),
}

DOCUMENT_STATUS = {
    "shown": Text("已出示", "shown"),
    "illegible": Text("无法辨认", "not legible"),
    "not_shown": Text("未出示", "not shown"),
    "not_verified": Text("未核对", "not verified"),
}

DECISIONS = {
    "approve": Text("自动通过", "Auto-approve"),
    "review": Text("需人工复核", "Needs review"),
    "rerecord": Text("需重新录制", "Re-record"),
    "error": Text("无法审核", "Could not audit"),
}

_SIDE = {
    "top": Text("头顶", "head top"),
    "bottom": Text("下巴", "chin"),
    "left": Text("脸部左侧", "left side of the face"),
    "right": Text("脸部右侧", "right side of the face"),
}


def fmt_time(seconds: float) -> str:
    """01:12 (or 1:02:03 from an hour on)."""
    s = max(0, int(seconds + 0.5))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def fmt_span(start: float, end: float) -> str:
    return f"{fmt_time(start)}–{fmt_time(end)}"


def _party(party: str | None) -> Text:
    return PARTY[party] if party else Text("", "")


def event_message(check: str, party: str | None = None, **kw: str) -> Text:
    """The message of a layer-1 event."""
    p = _party(party)
    if check == "face_cut":
        side = _SIDE[kw.get("side", "bottom")]
        return Text(f"{p.zh}{side.zh}超出画面", f"{p.en}'s {side.en} out of frame")
    if check == "phrase_missing":
        phrase = kw.get("phrase", "")
        return Text(f"未检测到必讲话术：{phrase}", f"Required phrase not heard: {phrase}")
    if check == "forbidden_phrase":
        phrase = kw.get("phrase", "")
        return Text(f"出现违规表述：{phrase}", f"Forbidden promise: {phrase}")
    if check == "document_missing":
        title = kw.get("title", "")
        return Text(f"未出示文件：{title}", f"Document not shown: {title}")
    if check == "document_illegible":
        title = kw.get("title", "")
        if kw.get("reason") == "too_short":
            return Text(f"文件展示时间过短：{title}", f"Document shown too briefly: {title}")
        return Text(f"文件无法辨认：{title}", f"Document not legible: {title}")
    if check == "audio_track":
        n, k = kw.get("tracks", "2"), kw.get("audited", "1")
        if k == "1":
            return Text(
                f"录像有 {n} 条音轨，只审核了第 1 条", f"{n} audio tracks: only track 1 was audited"
            )
        return Text(
            f"录像有 {n} 条音轨，第 1 条无声，审核的是第 {k} 条",
            f"{n} audio tracks: track 1 is silent, track {k} was audited",
        )
    if check in ("wrong_speaker", "answered_for_customer", "prompted_answer"):
        return _said_message(check, kw.get("what_zh", ""), kw.get("what_en", ""), kw)
    if check == "person_changed":
        d = kw.get("distance", "")
        return Text(
            f"{p.zh}疑似更换为另一人（人脸特征距离 {d}）",
            f"{p.en} replaced by another person (face distance {d})",
        )
    if check == "id_face_mismatch":
        d = kw.get("distance", "")
        return Text(
            f"身份证照片与客户本人不符（人脸特征距离 {d}）",
            f"The ID card's photo is not the customer (face distance {d})",
        )
    if check == "low_clarity" and kw.get("cause") == "quiet":
        return Text("语音音量过低", "Speech too quiet")
    templates = {
        "party_absent": (f"{p.zh}不在画面中", f"{p.en} not in frame"),
        "extra_person": ("画面中出现第三人", "An extra person is in frame"),
        "face_small": (f"{p.zh}脸部过小", f"{p.en}'s face too small"),
        "face_turned": (f"{p.zh}未正对镜头", f"{p.en} turned away from the camera"),
        "silence": ("长时间无人说话", "No speech for a long time"),
        "low_clarity": ("语音不清晰（噪声大）", "Speech unclear (noisy)"),
        "clipping": ("音频削波失真", "Audio clipping (distorted)"),
        "dark": ("画面过暗", "Picture too dark"),
        "overexposed": ("画面过曝", "Picture overexposed"),
        "blur": ("画面模糊", "Picture blurred"),
        "frozen": ("画面静止（疑似卡顿）", "Picture frozen"),
        "damaged": ("录像此段损坏，无法解码", "Recording damaged here: cannot be decoded"),
    }
    zh, en = templates[check]
    return Text(zh, en)


def _said_message(check: str, zh: str, en: str, kw: Mapping[str, str]) -> Text:
    """Who said it: a stage said by the other party, 代答, a word-for-word prompted answer."""
    if check == "answered_for_customer":
        return Text(
            f"疑似代答：{zh}由工作人员说出（客户嘴部未动，工作人员嘴部在动）",
            f"Answered for the customer: {en} voiced while the staff's mouth moves "
            "and the customer's is still",
        )
    if check == "prompted_answer":
        return Text(
            f"疑似诱导作答：{zh}逐字重复工作人员上一句（请人工复核）",
            f"Prompted answer: {en} repeats the staff's previous sentence word for word",
        )
    exp = PARTY.get(kw.get("expected", ""), Text("", ""))
    got = TALKER.get(kw.get("detected", ""), Text("", ""))
    return Text(
        f"说话人不符：{zh}应由{exp.zh}说出，实为{got.zh}",
        f"Wrong speaker: {en} should be said by {exp.en.lower()}, was said by {got.en.lower()}",
    )


NO_AUDIO = Text("录像没有音轨", "The recording has no audio track")
NO_SPEECH_MODEL = Text(
    "未安装语音识别模型（离线安装：dualrec-audit models install --from 目录）",
    "No speech model installed (offline: dualrec-audit models install --from DIR)",
)
NO_SCRIPT_MODEL = Text(
    "未安装话术核验模型 kws-zh-3.3m，无法核对话术（安装：bash scripts/setup.sh，或离线："
    "dualrec-audit models install --from 目录 kws-zh-3.3m）",
    "The script model kws-zh-3.3m is not installed, so the script cannot be verified "
    "(install: bash scripts/setup.sh, or offline: dualrec-audit models install --from DIR "
    "kws-zh-3.3m)",
)
NO_TRANSCRIPT = Text(
    "没有可用的语音转写，无法核对话术", "No transcript, so the script cannot be checked"
)
TEST_MODEL = Text(
    "使用的是测试用随机权重模型，转写结果不可信",
    "A random-weight test model was used: the transcript is not trustworthy",
)
NO_PHRASES = Text("未配置必讲话术", "No required phrases configured")


# What a teller can do about each kind of problem (the pre-check window's "how to fix").
FIX_ADVICE = {
    "party_absent": Text(
        "双方须全程在画面中：请重新录制，录制时不要离开座位",
        "Both parties must stay in frame throughout: record again without leaving the seat",
    ),
    "extra_person": Text(
        "画面中只能有工作人员和客户：请其他人离开后重新录制",
        "Only the staff member and the customer may be in frame: ask others to leave, then "
        "record again",
    ),
    "face_cut": Text(
        "请调整座位或镜头，让整张脸（含下巴和头顶）留在画面内",
        "Adjust the seat or the camera so the whole face (chin and top of the head) stays in frame",
    ),
    "face_small": Text(
        "请靠近镜头，或把镜头拉近",
        "Sit closer to the camera, or zoom in",
    ),
    "face_turned": Text(
        "请正对镜头，尤其是在朗读和确认时",
        "Face the camera, especially while reading and confirming",
    ),
    "silence": Text(
        "不要长时间停顿；请按话术连续讲解",
        "Avoid long pauses; go through the script without stopping",
    ),
    "low_clarity": Text(
        "环境太吵或声音太小：请到安静处、靠近麦克风、提高音量后重新录制",
        "Too noisy or too quiet: record again somewhere quiet, closer to the microphone, "
        "speaking up",
    ),
    "clipping": Text(
        "声音失真：请降低麦克风音量或离麦克风远一些",
        "Distorted sound: turn the microphone gain down or move back from it",
    ),
    "dark": Text(
        "画面过暗：请打开灯光或调整镜头曝光",
        "Too dark: turn the lights on or adjust the camera's exposure",
    ),
    "overexposed": Text(
        "画面过亮：请避开窗户或强光",
        "Too bright: keep away from windows and strong light",
    ),
    "blur": Text(
        "画面模糊：请擦拭镜头并重新对焦",
        "Blurred: clean the lens and refocus",
    ),
    "frozen": Text(
        "画面卡住：请检查录像设备和连接线",
        "Frozen picture: check the recording device and its cables",
    ),
    "person_changed": Text(
        "录制过程中客户不能更换：请由客户本人全程参与并重新录制",
        "The customer cannot change during the recording: record again with the customer "
        "present throughout",
    ),
    "id_face_mismatch": Text(
        "请出示客户本人的身份证，照片须与客户本人一致",
        "Show the customer's own ID card: its photo must be the customer",
    ),
    "forbidden_phrase": Text(
        "不得作出保本、保收益等承诺：请重新录制，按标准话术讲解",
        "No promises of capital or returns: record again using the standard script",
    ),
    "stage": Text(
        "请补讲这一环节的标准话术后重新录制",
        "Record again including this stage of the standard script",
    ),
    "confirmation_missing": Text(
        "请让客户清楚地说出确认（例如“我已知晓风险”）",
        "Have the customer say the confirmation clearly (e.g. 'I understand the risks')",
    ),
    "min_duration": Text(
        "录像过短：请完整讲解全部话术",
        "Too short: go through the whole script",
    ),
}

STAFF_CHANGED = Text(
    "录制过程中工作人员发生更换：如交接未获允许，请由同一工作人员重新录制",
    "The staff member changed during the recording: unless the hand-over is allowed, record "
    "again with one staff member throughout",
)

# Layer-2 rules that stand for a layer-1 problem kind.
_RULE_KIND = {
    "mandatory.both_parties_present": "party_absent",
    "mandatory.max_face_cut": "face_cut",
    "mandatory.clarity": "low_clarity",
    "mandatory.min_duration": "min_duration",
    "mandatory.no_forbidden_phrases": "forbidden_phrase",
    "confirmation_missing": "confirmation_missing",
}


def document_advice(title: str, seconds: float) -> Text:
    """What the teller should do about a document: hold it to the camera, long enough."""
    return Text(
        f"请将{title}对准镜头 {seconds:g} 秒", f"Hold the {title} to the camera for {seconds:g} s"
    )


def advice_for(rule: str, evidence: Mapping[str, Any] | None = None) -> Text | None:
    """How to fix what a finding (layer-2 rule id, or ``event.<check>``) points at; a
    document finding's advice names the document and the time (from its evidence)."""
    if rule.startswith("document.") and evidence and evidence.get("title"):
        return document_advice(str(evidence["title"]), float(evidence.get("min_seconds") or 3))
    if rule.startswith(("stage.", "stage_uncertain.")):
        return FIX_ADVICE["stage"]
    if rule == "event.person_changed" and (evidence or {}).get("event", {}).get("party") == "staff":
        return STAFF_CHANGED
    kind = _RULE_KIND.get(rule) or (rule.split(".", 1)[1] if rule.startswith("event.") else rule)
    return FIX_ADVICE.get(kind)


# Reason codes a reviewer picks when deciding (stored in review_decisions.reason_code).
REASON_CODES = {
    "party_absent": Text("人员不在画面中", "A party not in frame"),
    "face_cut": Text("人脸不完整", "Face cut off"),
    "speech_unclear": Text("语音不清晰", "Speech unclear"),
    "script_missing": Text("话术缺失", "Script stage missing"),
    "forbidden_phrase": Text("违规表述", "Forbidden promise"),
    "video_quality": Text("画面质量问题", "Picture quality"),
    "false_alarm": Text("系统误报", "False alarm"),
    "needs_senior": Text("需上级判断", "Needs a senior reviewer"),
    "other": Text("其他", "Other"),
}
