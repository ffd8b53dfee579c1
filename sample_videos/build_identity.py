"""Build test recordings for face identity (issue 29): a customer replaced part-way, the same
customer under pose and lighting changes, and ID cards with the customer's own portrait or
another person's.

Laid out like the samples of ``build_samples.py`` (wall, counter, GRID talking-face panels,
Mandarin dialogue, encoder settings). The five GRID clips are five different people (dlib
descriptors 0.655-0.90 apart; the same clip's frames 0.11-0.23 apart). Two splits use
different people, so that what is tuned on one is measured on the other:

- ``tune``: staff ``bbaf2n``; customer ``lbax4n``, replaced by ``brbk7n``; card portraits of
  ``lbax4n`` and of Obama.
- ``held_out``: staff ``brbk7n``; customer ``lrwp9a``, replaced by ``lbbc2a`` (the closest
  pair of the five, 0.71); card portraits of ``lrwp9a`` and of Biden.

Per split: ``<split>_cut.mp4`` (two recordings with the same staff and different customers cut
together: the tune split remuxes two 20 s recordings end to end, the held-out one switches
within one recording at a time that is not on a second), ``<split>_same.mp4`` (one customer
throughout: lit from one side, darkened, tinted, turned a little, nearer and farther),
``<split>_flash.mp4`` (another person's face in the customer's place for 0.6 s: no change),
``<split>_card_own.mp4`` and ``<split>_card_other.mp4`` (the customer holds up an ID card,
13-18 s, whose portrait is the customer at another moment of the source clip, or another
person). The truth of each is in ``identity_truth.json``. Nothing here is committed: the tests
build them at test time into a temporary folder::

    .venv/bin/python sample_videos/build_identity.py --out /tmp/identity [--split tune]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_documents as bd  # the ID card and how a paper is held up
import build_samples as bs  # the compositor, audio and encoder of the samples

SCALES = {"bbaf2n": 1.3, "lbax4n": 1.05, "brbk7n": 1.15, "lrwp9a": 1.1, "lbbc2a": 1.15}
SPLITS = {
    "tune": {
        "staff": "bbaf2n",
        "customer": "lbax4n",
        "other": "brbk7n",
        "other_photo": "images/facerec_obama.jpg",
        "cut_at": None,  # None: two recordings remuxed end to end
    },
    "held_out": {
        "staff": "brbk7n",
        "customer": "lrwp9a",
        "other": "lbbc2a",
        "other_photo": "images/facerec_biden.jpg",
        "cut_at": 11.3,
    },
}
PORTRAIT_FRAME = 70  # the customer's portrait: this frame of their clip (another moment)


@dataclass(frozen=True)
class Look:
    """How the customer's panel is changed over time (the same person: no identity change)."""

    light: bool = False  # lit from one side, then darkened, then tinted
    pose: bool = False  # turned a little, nearer and farther


@dataclass(frozen=True)
class Scene:
    name: str
    customers: tuple[tuple[float, str], ...]  # (from time, GRID clip) for the customer
    staff: str
    look: Look = Look()
    card: str | None = None  # "own" | "other"
    truth: dict = field(default_factory=dict)


def _panel(party: str, clip: str) -> bs.Panel:
    x = bs.WIDTH // 4 if party == "staff" else 3 * bs.WIDTH // 4
    return bs.Panel(party, f"grid_{clip}.mpg", SCALES[clip], x, bs.DESK_TOP_Y)


def _relight(img: np.ndarray, t: float) -> np.ndarray:
    """Side light (0-6 s), dark (6-10 s), warm tint (10-14 s), then as it was."""
    f = img.astype(np.float32)
    if t < 6:
        ramp = np.linspace(0.45, 1.15, img.shape[1], dtype=np.float32)[None, :, None]
        f *= ramp
    elif t < 10:
        f *= 0.5
    elif t < 14:
        f *= np.array([0.75, 0.95, 1.2], np.float32)
    return np.clip(f, 0, 255).astype(np.uint8)


def _pose(img: np.ndarray, t: float) -> np.ndarray:
    """Turned (in-plane) up to 10 degrees and 0.85-1.15 times the size, slowly."""
    h, w = img.shape[:2]
    angle = 10.0 * math.sin(2 * math.pi * t / 9.0)
    scale = 1.0 + 0.15 * math.sin(2 * math.pi * t / 13.0)
    m = cv2.getRotationMatrix2D((w / 2, h * 0.4), angle, scale)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


class IdentityCompositor(bs.Compositor):
    """The samples' compositor with chosen people, looks and an ID card."""

    def __init__(self, src: Path, scene: Scene, card: np.ndarray | None):
        self.background = bs.make_background()
        self.scene = scene
        self.staff = bs.load_panel_frames(src, _panel("staff", scene.staff))
        self.customers = [
            (t, c, bs.load_panel_frames(src, _panel("customer", c))) for t, c in scene.customers
        ]
        self.card = card
        self.paper = bd.Paper(
            "id_card", "居民身份证", 13.0, 18.0, bd.CARD_AT, 330.0, tilt=0.06, rotate_deg=-3.0,
            blur=0.6, glare=0.3, id_number=bd.FAKE_ID,
        )  # fmt: skip

    def frame(self, i: int, defect: bs.Defect | None) -> np.ndarray:
        t = i / bs.FPS
        canvas = self.background.copy()
        _, clip, frames = [c for c in self.customers if c[0] <= t][-1]
        for party, panel_frames, name in (
            ("staff", self.staff, self.scene.staff),
            ("customer", frames, clip),
        ):
            img = panel_frames[bs.ping_pong(i, len(panel_frames))]
            if party == "customer" and self.scene.look.light:
                img = _relight(img, t)
            if party == "customer" and self.scene.look.pose:
                img = _pose(img, t)
            panel = _panel(party, name)
            h, w = img.shape[:2]
            bs.paste(canvas, img, panel.center_x - w // 2, panel.bottom_y - h)
        if self.card is not None and self.paper.covers(t):
            bd.place(canvas, self.card, self.paper, t)
        return canvas


def _portrait(src: Path, clip: str, folder: Path) -> Path:
    """A frame of the clip at another moment, framed as an ID photo (head and shoulders, the
    face about half the photo's width; found with OpenCV's bundled Haar cascade), as a photo
    file that :func:`build_documents.render_id_card` crops as it crops any portrait."""
    frames = bs.load_panel_frames(src, bs.Panel("customer", f"grid_{clip}.mpg", 1.0, 0, 0))
    frame = frames[PORTRAIT_FRAME]
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    x, y, w, h = max(cascade.detectMultiScale(grey, 1.1, 5, minSize=(60, 60)), key=lambda b: b[2])
    rw = 1.7 * w  # the photo on the card: 112 x 136
    rh = rw * 136 / 112
    rx, ry = x + w / 2 - rw / 2, y - 0.35 * h
    # render_id_card keeps the upper 60 % and the middle 60 % of the photo it is given.
    pw, ph = rw / 0.6, rh / 0.6
    x0, y0 = round(rx - 0.2 * pw), round(ry)
    pad = 400
    padded = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    photo = padded[y0 + pad : y0 + pad + round(ph), x0 + pad : x0 + pad + round(pw)]
    path = folder / f"portrait_{clip}.png"
    cv2.imwrite(str(path), photo)
    return path


def scenes(split: str) -> list[Scene]:
    s = SPLITS[split]
    staff, cust, other = s["staff"], s["customer"], s["other"]
    cut = s["cut_at"]
    out = [
        Scene(f"{split}_same.mp4", ((0.0, cust),), staff, Look(light=True, pose=True)),
        Scene(f"{split}_card_own.mp4", ((0.0, cust),), staff, card="own"),
        Scene(f"{split}_card_other.mp4", ((0.0, cust),), staff, card="other"),
        # Another face for 0.6 s (one or two samples): one bad look is no change.
        Scene(f"{split}_flash.mp4", ((0.0, cust), (7.2, other), (7.8, cust)), staff),
    ]
    if cut is not None:
        out.append(Scene(f"{split}_cut.mp4", ((0.0, cust), (cut, other)), staff))
    return out


def build(src: Path, out: Path, split: str) -> dict[str, dict]:
    """The split's recordings in ``out`` and their truth (changes, cards)."""
    out.mkdir(parents=True, exist_ok=True)
    s = SPLITS[split]
    font = bd.find_cjk_font()
    speech, _ = bs.build_speech(src)
    audio = bs.soft_limit(speech)
    truth: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        photos = {
            "own": _portrait(src, s["customer"], Path(tmp)),
            "other": src / s["other_photo"],
        }
        for sc in scenes(split):
            card = None if sc.card is None else bd.render_id_card(bd.FAKE_ID, photos[sc.card], font)
            bs.encode(out / sc.name, IdentityCompositor(src, sc, card), audio, None)
            flash = sc.name.endswith("_flash.mp4")
            changes = [] if flash else [{"party": "customer", "at": t} for t, _ in sc.customers[1:]]
            truth[sc.name] = {"changes": changes, "card": sc.card, "look": asdict(sc.look)}
        if s["cut_at"] is None:  # two recordings cut together
            parts = []
            for k, clip in enumerate((s["customer"], s["other"])):
                sc = Scene(f"part{k}.mp4", ((0.0, clip),), s["staff"])
                parts.append(Path(tmp) / sc.name)
                bs.encode(parts[-1], IdentityCompositor(src, sc, None), audio, None)
            name = f"{split}_cut.mp4"
            offsets = bs.concat_recordings(parts, out / name)
            changes = [{"party": "customer", "at": offsets[1]}]
            truth[name] = {"changes": changes, "card": None, "look": asdict(Look())}
    (out / f"identity_truth_{split}.json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=bs.DEFAULT_SRC, help="shared media folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--split", choices=sorted(SPLITS), default="tune")
    args = parser.parse_args(argv)
    for name, t in build(args.src, args.out, args.split).items():
        print(name, t)


if __name__ == "__main__":
    main()
