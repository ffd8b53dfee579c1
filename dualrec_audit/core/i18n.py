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
    if check == "damaged" and kw.get("hole"):
        return Text("此段无画面：录像缺帧", "No picture here: frames missing from the recording")
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


# What a teller reads when the recording cannot be checked: what happened and what to do.
MEDIA_ERRORS = {
    "truncated": Text(
        "录像文件不完整（录制中断或未完整拷贝）：请确认录制已正常结束，重新拷贝文件；仍不行请重新录制",
        "The file is incomplete (recording cut off or not fully copied): make sure the "
        "recording was stopped properly and copy the file again; if that fails, record again",
    ),
    "not_media": Text(
        "这不是录像文件：请选择录制设备导出的视频文件（如 .mp4）",
        "This is not a video: choose the video file the recorder exported (such as .mp4)",
    ),
    "corrupt": Text(
        "录像文件已损坏，无法读取画面：请重新拷贝文件；仍不行请重新录制",
        "The file is damaged and no picture can be read: copy it again; if that fails, "
        "record again",
    ),
    "empty_file": Text(
        "文件是空的（0 字节）：请重新拷贝录像文件",
        "The file is empty (0 bytes): copy the recording again",
    ),
    "zero_length": Text(
        "录像时长为零：请检查录制设备后重新录制",
        "The recording has no length: check the recorder and record again",
    ),
    "no_video": Text(
        "文件里没有画面，只有声音：请使用双录设备录制带画面的视频",
        "The file has no picture: record a video with the dual-recording device",
    ),
    "not_found": Text(
        "找不到这个文件：它可能已被移动或删除，请重新选择",
        "The file cannot be found: it may have been moved or deleted; choose it again",
    ),
    "not_a_file": Text("这不是一个文件：请选择录像文件", "This is not a file: choose the video"),
    "broken_link": Text(
        "这是一个指向不存在文件的链接：请找到录像文件本身再试",
        "This is a link to a file that does not exist: find the recording itself",
    ),
    "not_video": Text(
        "这是一张图片，不是录像：请选择录像文件",
        "This is a still picture, not a video: choose the recording",
    ),
    "unknown_profile": Text(
        "未知的业务类型：请检查旁注文件或 --profile 中的业务规则编号"
        "（dualrec-audit profiles list）",
        "Unknown business profile: check the id in the sidecar or --profile "
        "(dualrec-audit profiles list)",
    ),
    "profile_error": Text(
        "旁注文件或业务类型映射表有误：请按提示修改后重试",
        "The sidecar or the profile map is wrong: correct it as the message says and retry",
    ),
    "unreadable": Text(
        "无法打开这个文件（可能没有权限或文件正在使用）：请关闭其他程序后重试，或联系管理员",
        "The file cannot be opened (no permission, or in use): close other programs and try "
        "again, or ask the administrator",
    ),
}

OTHER_ERROR = Text(
    "无法检查这段录像：请重新选择文件再试一次；仍不行请联系管理员",
    "The recording cannot be checked: choose the file again; if that fails, ask the administrator",
)


def error_text(code: str) -> Text:
    """A failed audit's error, for a teller or reviewer: in their language, saying what to do."""
    return MEDIA_ERRORS.get(code, OTHER_ERROR)


def profile_choice_text(choice: Mapping[str, str] | None, file_name: str) -> Text | None:
    """Why a recording was judged under its profile (``AuditResult.profile["chosen_by"]``)."""
    if not choice:
        return None
    by, detail = choice.get("by", ""), choice.get("detail", "")
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    texts = {
        "option": Text("命令行 --profile 指定", "given with --profile"),
        "sidecar": Text(f"旁注文件 {detail}", f"the sidecar file {detail}"),
        "profile_map": Text("业务类型映射表（--profile-map）列出此文件", "listed in --profile-map"),
        "pattern": Text(f"映射表的文件名规则 {detail}", f"the --profile-map pattern {detail}"),
        "map_default": Text("映射表的默认业务类型", "the --profile-map default"),
        "window": Text("在窗口中选择的业务类型", "chosen in the window"),
        "default": Text(
            f"默认业务类型：没有旁注文件 {stem}.json，也没有用 --profile 指定",
            f"the default: no sidecar file {stem}.json and no --profile",
        ),
    }
    return texts.get(by)
