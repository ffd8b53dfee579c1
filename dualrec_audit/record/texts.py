"""What the teller reads while recording: each hint's text in Chinese and English."""

from __future__ import annotations

from dualrec_audit.core.result import Text

PARTY_ZH = {"staff": "柜员", "customer": "客户", None: ""}
PARTY_EN = {"staff": "The staff member", "customer": "The customer", None: ""}

_SIDE_ZH = {"top": "头顶", "bottom": "下巴", "left": "脸的左侧", "right": "脸的右侧"}
_SIDE_EN = {"top": "top of the head", "bottom": "chin", "left": "left side", "right": "right side"}

_PLAIN: dict[str, tuple[str, str]] = {
    "party_absent": ("{pz}不在画面中", "{pe} is not in the picture"),
    "face_small": ("{pz}离镜头太远", "{pe} is too far from the camera"),
    "face_turned": ("请{pz}正对镜头", "{pe} should face the camera"),
    "extra_person": ("画面中有第三人", "A third person is in the picture"),
    "dark": ("光线太暗", "Too dark"),
    "overexposed": ("光线太亮", "Too bright (overexposed)"),
    "blur": ("画面模糊，请对焦", "The picture is blurred: focus the camera"),
    "frozen": ("画面卡住了", "The picture is frozen"),
    "silence": ("长时间无人说话", "Nobody has spoken for a while"),
    "noise": ("环境噪音大", "Loud background noise"),
    "quiet": ("说话声音太小", "Speech too quiet"),
    "clipping": ("声音过大（失真）", "Sound too loud (clipping)"),
    "device_lost": ("设备断开：{d}", "Device lost: {d}"),
    "disk_full": ("磁盘已满，录像已停止保存", "The disk is full: recording stopped"),
}


def hint_text(code: str, party: str | None = None, side: str | None = None, **kw: str) -> Text:
    """The hint ``code`` (a live check's condition) in both languages."""
    if code == "face_cut":
        zh = f"{PARTY_ZH[party]}{_SIDE_ZH.get(side or '', '脸部')}超出画面"
        en = f"{PARTY_EN[party]}'s {_SIDE_EN.get(side or '', 'face')} is out of the picture"
        return Text(zh=zh, en=en)
    zh, en = _PLAIN.get(code, (code, code))
    return Text(
        zh=zh.format(pz=PARTY_ZH[party], **kw), en=en.format(pe=PARTY_EN[party] or "", **kw)
    )


def stage_text(name: Text) -> Text:
    return Text(zh=f"已说：{name.zh}", en=f"Said: {name.en}")


def alarm_text(phrase: str) -> Text:
    return Text(zh=f"禁止用语：“{phrase}”", en=f"Forbidden promise: “{phrase}”")


def document_text(name: Text, shown: bool) -> Text:
    """A document asked for or ticked (a profile names it "出示风险揭示书")."""
    title = name.zh.removeprefix("出示")
    if shown:
        return Text(zh=f"已出示{title}", en=f"Shown: {name.en}")
    return Text(zh=f"请出示{title}", en=f"Please show: {name.en}")
