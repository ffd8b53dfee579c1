"""Build test recordings in which papers are held up to the camera (documents check, issue 19).

Each recording is laid out like the samples of ``build_samples.py`` (same wall, counter,
GRID talking-face panels, Mandarin dialogue, encoder settings): 20 s, 1280x720, 25 fps. On top,
pages rendered with a CJK font (a title, body text and a signature line) and a synthetic
resident ID card with fake data (a face photo from the shared media, a fake name and a fake
18-digit number with a valid check digit) are held up to the camera between given times:
warped in perspective, drifting a little, blurred, with a glare spot and a hand over a corner.

The ground truth (which document, when, its title, the ID number printed) comes from the
same ``COMPOSITES`` table that drives the builds. Nothing here is committed: tests build the
recordings at test time into a temporary folder::

    .venv/bin/python sample_videos/build_documents.py --out /tmp/docs [--only docs_risk.mp4]

Needs PyAV, NumPy, OpenCV, Pillow and a CJK font (Debian: ``fonts-noto-cjk``; or
``$DUALREC_CJK_FONT``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_samples as bs  # the compositor, audio and encoder of the samples

FONT_ENV = "DUALREC_CJK_FONT"
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
FONT_NAMES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "NotoSerifCJK-Regular.ttc")
SC_INDEX = 2  # Simplified Chinese face inside the Noto CJK collections

PAGE_W, PAGE_H = 420, 594  # A4 proportions, rendering pixels
CARD_W, CARD_H = 428, 270  # ID-1 card proportions (85.6 x 54 mm)


@dataclass(frozen=True)
class Paper:
    """One paper held up: what it shows and how it appears in the picture."""

    kind: str  # "page" | "id_card"
    title: str  # the title printed (page) or the card's heading
    start: float
    end: float
    center: tuple[float, float]  # where its centre sits in the frame (pixels)
    width: float  # its width in the frame (pixels)
    tilt: float = 0.12  # perspective: how much narrower the far edge is (share of width)
    rotate_deg: float = 4.0
    blur: float = 0.8  # Gaussian sigma (pixels in the frame)
    glare: float = 0.45  # strength of the glare spot (0: none)
    occlusion: bool = True  # a hand over one corner
    body: tuple[str, ...] = ()
    id_number: str | None = None  # printed on an ID card
    sway: float = 1.0  # how much it drifts and sways in the hand (0: held perfectly still)
    hand: float = 1.0  # size of the hand over its corner (1: a thumb and the heel of a palm)
    slide_s: float = 0.0  # raised into view from below (and lowered away) over this long

    def covers(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class Composite:
    name: str
    description: str
    papers: tuple[Paper, ...] = field(default_factory=tuple)


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check digit of an 18-digit resident ID number."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(first17, weights, strict=True))
    return "10X98765432"[total % 11]


# A fake number (region 110105, born 1990-03-07) whose check digit is X, to test that form too.
FAKE_ID_FIRST17 = "11010519900307806"
FAKE_ID = FAKE_ID_FIRST17 + id_check_digit(FAKE_ID_FIRST17)

RISK_BODY = (
    "尊敬的投资者：",
    "本产品属于中高风险产品，可能损失全部本金。",
    "过往业绩不代表未来表现，请您慎重决策。",
    "请您仔细阅读本揭示书的全部内容。",
)
NOTICE_BODY = (
    "尊敬的投保人：",
    "您购买的是保险产品，不是银行存款。",
    "犹豫期为十五天，犹豫期后退保会有损失。",
    "请您认真阅读保险条款及责任免除。",
)

STAFF_PAGE_AT = (660.0, 400.0)  # between the two panels, held by the staff member
CARD_AT = (1130.0, 585.0)  # low on the customer's side

COMPOSITES = (
    Composite(
        "docs_risk.mp4",
        "staff shows the 风险揭示书 (4-10 s); customer shows an ID card (13-18 s)",
        (
            Paper("page", "风险揭示书", 4.0, 10.0, STAFF_PAGE_AT, 230.0, body=RISK_BODY),
            Paper(
                "id_card",
                "居民身份证",
                13.0,
                18.0,
                CARD_AT,
                330.0,
                tilt=0.06,
                rotate_deg=-3.0,
                blur=0.6,
                glare=0.3,
                id_number=FAKE_ID,
            ),
        ),
    ),
    Composite(
        "docs_notice.mp4",
        "staff shows the 投保提示书 (6-11 s), more tilted, more blur, stronger glare",
        (
            Paper(
                "page",
                "投保提示书",
                6.0,
                11.0,
                STAFF_PAGE_AT,
                240.0,
                tilt=0.2,
                rotate_deg=-7.0,
                blur=1.2,
                glare=0.6,
                body=NOTICE_BODY,
            ),
        ),
    ),
    Composite(
        "docs_blurred.mp4",
        "staff holds up the 风险揭示书 (5-10 s) far out of focus: a page, but unreadable",
        (
            Paper(
                "page",
                "风险揭示书",
                5.0,
                10.0,
                STAFF_PAGE_AT,
                230.0,
                blur=4.0,
                glare=0.0,
                occlusion=False,
                body=RISK_BODY,
            ),
        ),
    ),
    Composite("docs_none.mp4", "the same two-party recording with no paper shown"),
)


# --- rendering ---------------------------------------------------------------------------------
def find_cjk_font() -> Path:
    env = os.environ.get(FONT_ENV)
    if env:
        if not Path(env).is_file():
            raise FileNotFoundError(f"${FONT_ENV}={env} is not a file")
        return Path(env)
    for d in FONT_DIRS:
        for name in FONT_NAMES:
            hits = sorted(d.rglob(name)) if d.is_dir() else []
            if hits:
                return hits[0]
    raise FileNotFoundError(
        f"no CJK font found (looked for {', '.join(FONT_NAMES)} under "
        f"{', '.join(map(str, FONT_DIRS))}); install fonts-noto-cjk or set ${FONT_ENV}"
    )


def _font(path: Path, size: int, bold: bool = False):  # a PIL font
    from PIL import ImageFont

    if bold:
        b = path.with_name(path.name.replace("Regular", "Bold"))
        path = b if b.is_file() else path
    try:
        return ImageFont.truetype(str(path), size, index=SC_INDEX)
    except OSError:
        return ImageFont.truetype(str(path), size)


def render_page(title: str, body: tuple[str, ...], font: Path) -> np.ndarray:
    """An A4-like page: a bold title, body text and a signature line (BGR)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (PAGE_W, PAGE_H), (248, 248, 244))
    d = ImageDraw.Draw(img)
    tf = _font(font, 46, bold=True)
    w = d.textlength(title, font=tf)
    d.text(((PAGE_W - w) / 2, 34), title, font=tf, fill=(15, 15, 15))
    bf = _font(font, 17)
    for i, line in enumerate(body):
        d.text((34, 130 + i * 34), line, font=bf, fill=(30, 30, 30))
    for i in range(4):  # small print: lines of the form's body, too small to read on camera
        y = 300 + i * 26
        d.line((34, y, PAGE_W - 34 - (i == 3) * 120, y), fill=(120, 120, 120), width=2)
    d.text((34, 500), "投资者签字：", font=bf, fill=(30, 30, 30))
    d.line((140, 522, 300, 522), fill=(20, 20, 20), width=2)
    d.text((34, 540), "日期：    年    月    日", font=bf, fill=(30, 30, 30))
    return cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)


def render_id_card(number: str, face_photo: Path, font: Path) -> np.ndarray:
    """A synthetic resident ID card (front) with fake data and a real face photo (BGR)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (CARD_W, CARD_H), (226, 236, 242))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, CARD_W - 1, CARD_H - 1), 16, outline=(170, 190, 205), width=3)
    hf = _font(font, 22, bold=True)
    d.text((20, 14), "居民身份证", font=hf, fill=(180, 40, 40))
    f = _font(font, 19)
    rows = (("姓名", "张测试"), ("性别", "男   民族  汉"), ("出生", "1990年3月7日"))
    for i, (k, v) in enumerate(rows):
        d.text((20, 56 + i * 34), k, font=f, fill=(90, 110, 130))
        d.text((74, 56 + i * 34), v, font=f, fill=(10, 10, 10))
    d.text((20, 224), "公民身份号码", font=f, fill=(90, 110, 130))
    d.text((150, 222), number, font=_font(font, 22), fill=(10, 10, 10))
    photo = cv2.imread(str(face_photo))
    if photo is None:
        raise FileNotFoundError(f"cannot read {face_photo}")
    h, w = photo.shape[:2]  # head and shoulders: the upper middle of the portrait
    crop = photo[: int(h * 0.6), int(w * 0.2) : int(w * 0.8)]
    crop = cv2.resize(crop, (112, 136), interpolation=cv2.INTER_AREA)
    card = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
    card[56:192, 296:408] = crop
    return card


def _quad(p: Paper, size: tuple[int, int], t: float) -> np.ndarray:
    """Where the paper's corners land in the frame at time t: scaled, tilted in perspective,
    rotated, drifting a few pixels as a hand does."""
    w, h = size
    fw = p.width
    fh = fw * h / w
    shrink = p.tilt * fw / 2  # the top edge is farther from the camera
    top, bottom = -fh / 2, fh / 2
    pts = np.array(
        [[-fw / 2 + shrink, top], [fw / 2 - shrink, top], [fw / 2, bottom], [-fw / 2, bottom]]
    )
    a = math.radians(p.rotate_deg + p.sway * 1.5 * math.sin(2 * math.pi * 0.3 * t))
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    drift = p.sway * np.array(
        [4.0 * math.sin(2 * math.pi * 0.5 * t), 3.0 * math.sin(2 * math.pi * 0.7 * t)]
    )
    if p.slide_s > 0:  # still rising (or already lowering): lower by up to its own height
        k = min(1.0, (t - p.start) / p.slide_s, (p.end - t) / p.slide_s)
        drift = drift + np.array([0.0, (1.0 - max(0.0, k)) * fh])
    return (pts @ rot.T + np.array(p.center) + drift).astype(np.float32)


def _glare(roi: np.ndarray, mask: np.ndarray, quad: np.ndarray, strength: float) -> None:
    """A soft bright spot over the upper right part of the paper (a lamp's reflection);
    ``quad`` in the ROI's coordinates."""
    if strength <= 0:
        return
    cx, cy = quad[1] * 0.55 + quad[3] * 0.1 + quad[2] * 0.35
    r = 0.35 * float(np.linalg.norm(quad[1] - quad[0]))
    yy, xx = np.ogrid[: roi.shape[0], : roi.shape[1]]
    spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)) * strength * mask
    out = roi.astype(np.float32) * (1 - spot[..., None]) + 255.0 * spot[..., None]
    roi[:] = np.clip(out, 0, 255).astype(np.uint8)


def _hand(canvas: np.ndarray, quad: np.ndarray, size: float = 1.0) -> None:
    """A skin-coloured hand (palm and thumb) over the paper's lower left corner; ``size``
    scales it (2-3: a hand covering a good part of the page's lower half)."""
    x, y = int(quad[3][0]), int(quad[3][1])
    skin, thumb = (120, 150, 205), (112, 142, 198)

    def s(v: float) -> int:
        return round(v * size)

    cv2.ellipse(canvas, (x + s(6), y - s(4)), (s(38), s(26)), 35, 0, 360, skin, -1, cv2.LINE_AA)
    cv2.ellipse(canvas, (x + s(34), y - s(30)), (s(10), s(24)), 20, 0, 360, thumb, -1, cv2.LINE_AA)


def place(canvas: np.ndarray, img: np.ndarray, p: Paper, t: float) -> None:
    """Warp ``img`` (the flat paper) into the frame at its quad, with blur, glare and a hand.
    Only the paper's bounding box (with room for the blur) is touched."""
    h, w = img.shape[:2]
    quad = _quad(p, (w, h), t)
    pad = int(3 * p.blur) + 4
    x0, y0 = np.maximum(np.floor(quad.min(axis=0)).astype(int) - pad, 0)
    x1 = min(int(np.ceil(quad[:, 0].max())) + pad, canvas.shape[1])
    y1 = min(int(np.ceil(quad[:, 1].max())) + pad, canvas.shape[0])
    local = quad - np.float32([x0, y0])
    m = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), local)
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(img, m, size, flags=cv2.INTER_AREA).astype(np.float32)
    mask = cv2.warpPerspective(np.full((h, w), 1.0, np.float32), m, size, flags=cv2.INTER_LINEAR)
    if p.blur > 0:
        warped = cv2.GaussianBlur(warped, (0, 0), p.blur)
        mask = cv2.GaussianBlur(mask, (0, 0), max(0.5, p.blur / 2))
    roi = canvas[y0:y1, x0:x1]
    blended = roi.astype(np.float32) * (1 - mask[..., None]) + warped * mask[..., None]
    roi[:] = np.clip(blended, 0, 255).astype(np.uint8)
    _glare(roi, mask, local, p.glare)
    if p.occlusion:
        _hand(canvas, quad, p.hand)


class DocumentCompositor(bs.Compositor):
    """The samples' compositor with papers held up on top."""

    def __init__(self, src: Path, composite: Composite, font: Path):
        super().__init__(src)
        self.composite = composite
        self.images = []
        for p in composite.papers:
            if p.kind == "id_card":
                img = render_id_card(p.id_number or FAKE_ID, src / "images/facerec_obama.jpg", font)
            else:
                img = render_page(p.title, p.body, font)
            self.images.append(img)

    def frame(self, i: int, defect: bs.Defect | None) -> np.ndarray:
        canvas = super().frame(i, defect)
        t = i / bs.FPS
        for p, img in zip(self.composite.papers, self.images, strict=True):
            if p.covers(t):
                place(canvas, img, p, t)
        return canvas


def truth(composite: Composite) -> dict:
    return {
        "name": composite.name,
        "description": composite.description,
        "papers": [asdict(p) for p in composite.papers],
    }


def build(src: Path, out: Path, only: list[str] | None = None) -> dict[str, dict]:
    """Build the composites into ``out``; returns their ground truth by file name."""
    out.mkdir(parents=True, exist_ok=True)
    font = find_cjk_font()
    speech, _turns = bs.build_speech(src)
    audio = bs.soft_limit(speech)
    done = {}
    for c in COMPOSITES:
        if only is not None and c.name not in only:
            continue
        t0 = time.perf_counter()
        bs.encode(out / c.name, DocumentCompositor(src, c, font), audio, None)
        print(f"{c.name}: {time.perf_counter() - t0:.1f} s")
        done[c.name] = truth(c)
    (out / "documents_truth.json").write_text(
        json.dumps(done, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=bs.DEFAULT_SRC, help="shared media folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--only", nargs="*", default=None, help="build only these (file names)")
    args = parser.parse_args(argv)
    build(args.src.resolve(), args.out.resolve(), args.only)


if __name__ == "__main__":
    main()
