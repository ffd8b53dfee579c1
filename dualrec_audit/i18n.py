"""User-facing texts in Simplified Chinese (default) and English.

Code, logs and docs are English; everything a teller or reviewer reads goes through here.
"""

from __future__ import annotations

from dualrec_audit.result import Text

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
    }
    zh, en = templates[check]
    return Text(zh, en)


NO_AUDIO = Text("录像没有音轨", "The recording has no audio track")
NO_SPEECH_MODEL = Text(
    "未安装语音识别模型（离线安装：dualrec-audit models install --from 目录）",
    "No speech model installed (offline: dualrec-audit models install --from DIR)",
)
NO_TRANSCRIPT = Text(
    "没有可用的语音转写，无法核对话术", "No transcript, so the script cannot be checked"
)
TEST_MODEL = Text(
    "使用的是测试用随机权重模型，转写结果不可信",
    "A random-weight test model was used: the transcript is not trustworthy",
)
NO_PHRASES = Text("未配置必讲话术", "No required phrases configured")
