"""Build test recordings with print in the background (documents check, issue 33).

Branch counters have posters, notices, maps and shelves behind the staff. Each recording is
laid out like the samples of ``build_samples.py`` (same counter, GRID talking-face panels,
Mandarin dialogue, encoder settings; 20 s, 1280x720, 25 fps), but the wall behind the two
parties carries print: a wall map, a poster with large Chinese text, a page pinned to the
wall whose title *is* a document's title, a tiled wall, a bookshelf. In some, papers are
held up in front of that print (``build_documents.Paper``: pages, an ID card held perfectly
still, pages partly covered by a hand, papers raised into view); in the others nothing is.

Two splits with different backgrounds, papers, places and times: ``tune`` (looked at while
the documents check was tuned) and ``held_out`` (never looked at while tuning; reported
apart). The ground truth comes from the same ``SCENES`` table that drives the builds.
Nothing here is committed: tests build the recordings at test time into a temporary folder::

    .venv/bin/python sample_videos/build_backgrounds.py --out /tmp/bg [--split tune]

Needs what ``build_documents.py`` needs (PyAV, NumPy, OpenCV, Pillow, a CJK font).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_documents as bd

bs = bd.bs

CITIES = "北京 上海 广州 深圳 成都 武汉 西安 南京 杭州 重庆 天津 长沙 郑州 沈阳 青岛 厦门".split()
BOOKS = (
    "金融学 投资学 会计原理 经济学原理 证券法 保险学 理财规划 货币银行学 公司金融 统计学".split()
)


@dataclass(frozen=True)
class Print:
    """Print on the wall, there from the first frame to the last."""

    kind: str  # "map" | "poster" | "page" (a document pinned up) | "tiles" | "shelf"
    box: tuple[int, int, int, int]  # x, y, w, h on the wall (frame pixels)
    lines: tuple[str, ...] = ()  # poster: its lines (the first large); page: title, body
    seed: int = 0
    tile: int = 48  # tiles: size, grout width and colours (BGR)
    grout: int = 3
    grout_bgr: tuple[int, int, int] = (150, 150, 150)
    tile_bgr: tuple[int, int, int] = (236, 238, 240)


@dataclass(frozen=True)
class Scene:
    name: str
    split: str  # "tune" | "held_out"
    description: str
    prints: tuple[Print, ...]
    papers: tuple[bd.Paper, ...] = field(default_factory=tuple)


def _text(
    img: np.ndarray, font: Path, at: tuple[int, int], text: str, size: int, bgr, vertical=False
):
    """Draw ``text`` on ``img`` (BGR, in place) with the CJK font."""
    from PIL import Image, ImageDraw

    pil = Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    d = ImageDraw.Draw(pil)
    f = bd._font(font, size)
    rgb = tuple(int(c) for c in bgr[::-1])
    if vertical:
        for i, ch in enumerate(text):
            d.text((at[0], at[1] + i * (size + 2)), ch, font=f, fill=rgb)
    else:
        d.text(at, text, font=f, fill=rgb)
    img[:] = cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)


def render_map(w: int, h: int, seed: int, font: Path) -> np.ndarray:
    """A wall map: pastel regions with thin dark borders, rivers, roads, city names."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), (228, 238, 242), np.uint8)
    pastel = [(190, 222, 236), (200, 236, 210), (226, 214, 236), (184, 214, 226), (214, 232, 200)]
    centres = rng.uniform((0, 0), (w, h), size=(12, 2))
    yy, xx = np.mgrid[:h, :w]
    nearest = np.argmin(
        [(xx - cx) ** 2 + (yy - cy) ** 2 for cx, cy in centres], axis=0
    )  # Voronoi provinces
    for k in range(len(centres)):
        img[nearest == k] = pastel[k % len(pastel)]
    edges = cv2.morphologyEx(nearest.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((2, 2)))
    img[edges > 0] = (70, 70, 70)
    for _ in range(3):  # rivers
        pts = np.cumsum(rng.normal(0, 14, size=(14, 2)), axis=0) + rng.uniform((0, 0), (w, h))
        cv2.polylines(img, [pts.astype(np.int32)], False, (190, 120, 60), 2, cv2.LINE_AA)
    for _ in range(4):  # roads
        a, b = rng.uniform((0, 0), (w, h), size=(2, 2))
        cv2.line(img, tuple(int(v) for v in a), tuple(int(v) for v in b), (40, 40, 150), 1)
    for name in rng.choice(CITIES, size=10, replace=False):
        x, y = int(rng.uniform(10, w - 50)), int(rng.uniform(24, h - 20))
        cv2.circle(img, (x, y), 3, (30, 30, 30), -1)
        _text(img, font, (x + 5, y - 8), str(name), 13, (20, 20, 20))
    _text(img, font, (12, 4), "全国网点分布图", 20, (20, 20, 20))
    cv2.rectangle(img, (0, 0), (w - 1, h - 1), (60, 60, 60), 3)
    return img


def render_poster(w: int, h: int, lines: tuple[str, ...], font: Path) -> np.ndarray:
    """A poster: a large first line, the others smaller, on a light card with a red band."""
    img = np.full((h, w, 3), (240, 244, 246), np.uint8)
    img[: h // 12] = (40, 40, 190)
    big = max(18, int(0.9 * w / max(1, len(lines[0]))))
    _text(img, font, (int(0.05 * w), h // 12 + 10), lines[0], big, (20, 20, 160))
    small = max(14, big // 2)
    for i, line in enumerate(lines[1:]):
        _text(
            img,
            font,
            (int(0.06 * w), h // 12 + big + 30 + i * (small + 12)),
            line,
            small,
            (30, 30, 30),
        )
    cv2.rectangle(img, (0, 0), (w - 1, h - 1), (90, 90, 90), 2)
    return img


def render_tiles(w: int, h: int, p: Print) -> np.ndarray:
    img = np.full((h, w, 3), p.tile_bgr, np.uint8)
    for x in range(0, w, p.tile):
        img[:, x : x + p.grout] = p.grout_bgr
    for y in range(0, h, p.tile):
        img[y : y + p.grout] = p.grout_bgr
    return img


def render_shelf(w: int, h: int, seed: int, font: Path) -> np.ndarray:
    """A bookshelf: a wooden frame, shelves, book spines (some light with titles)."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), (40, 62, 92), np.uint8)
    shelf_h = h // 4
    for s in range(4):
        y0, y1 = s * shelf_h + 10, (s + 1) * shelf_h - 6
        x = 10
        while x < w - 30:
            bw = int(rng.integers(16, 34))
            top = y0 + int(rng.integers(0, 30))
            light = rng.random() < 0.5
            colour = (
                tuple(int(v) for v in rng.integers(205, 245, 3))
                if light
                else tuple(int(v) for v in rng.integers(40, 170, 3))
            )
            img[top:y1, x : x + bw - 2] = colour
            if light and bw >= 20:
                _text(img, font, (x + 2, top + 6), str(rng.choice(BOOKS)), 13, (25, 25, 25), True)
            x += bw
        img[y1 : y1 + 6] = (30, 48, 72)
    return img


def render(p: Print, font: Path) -> np.ndarray:
    _, _, w, h = p.box
    if p.kind == "map":
        return render_map(w, h, p.seed, font)
    if p.kind == "poster":
        return render_poster(w, h, p.lines, font)
    if p.kind == "page":
        page = bd.render_page(p.lines[0], tuple(p.lines[1:]), font)
        return cv2.resize(page, (w, h), interpolation=cv2.INTER_AREA)
    if p.kind == "tiles":
        return render_tiles(w, h, p)
    if p.kind == "shelf":
        return render_shelf(w, h, p.seed, font)
    raise ValueError(f"unknown print kind {p.kind!r}")


def paper(
    title: str, start: float, end: float, at: tuple[float, float], width: float, **kw
) -> bd.Paper:
    """A page (the 风险揭示书 or the 投保提示书) or, titled 居民身份证, the ID card."""
    if title == "居民身份证":
        kw = {"tilt": 0.06, "rotate_deg": -3.0, "blur": 0.6, "glare": 0.3} | kw
        return bd.Paper("id_card", title, start, end, at, width, id_number=bd.FAKE_ID, **kw)
    body = bd.RISK_BODY if title == "风险揭示书" else bd.NOTICE_BODY
    return bd.Paper("page", title, start, end, at, width, body=body, **kw)


RISK, NOTICE, CARD = "风险揭示书", "投保提示书", "居民身份证"
POSTER_TUNE = ("理财非存款", "产品有风险", "投资须谨慎", "详情请咨询柜台工作人员")
POSTER_HELD = ("拒绝非法集资", "守护好您的钱袋子", "远离高息诱惑", "谨防上当受骗")
WALL = (0, 0, bs.WIDTH, bs.DESK_TOP_Y)

_BACKGROUNDS = {
    "tune": {
        "map": (Print("map", (470, 30, 420, 300), seed=1),),
        "poster": (Print("poster", (560, 40, 210, 290), POSTER_TUNE),),
        "titled": (Print("page", (575, 30, 180, 255), (RISK, *bd.RISK_BODY)),),
        "tiles": (Print("tiles", WALL),),
        "shelf": (Print("shelf", (470, 0, 440, 600), seed=3),),
    },
    "held_out": {
        "map": (Print("map", (520, 10, 560, 300), seed=11),),
        "poster": (Print("poster", (600, 20, 260, 340), POSTER_HELD),),
        "titled": (Print("page", (590, 40, 200, 283), (NOTICE, *bd.NOTICE_BODY)),),
        "tiles": (
            Print(
                "tiles", WALL, tile=64, grout=2, grout_bgr=(90, 90, 90), tile_bgr=(200, 222, 232)
            ),
        ),
        "shelf": (Print("shelf", (430, 0, 520, 600), seed=13),),
    },
}

_PAPERS = {
    "tune": {
        "map": (
            paper(RISK, 4.0, 10.0, bd.STAFF_PAGE_AT, 230.0),
            paper(CARD, 13.0, 18.5, (680.0, 170.0), 330.0, sway=0.0),
        ),
        "poster": (paper(NOTICE, 6.0, 12.0, (660.0, 330.0), 220.0, hand=2.5),),
        "titled": (
            paper(NOTICE, 3.0, 9.0, (660.0, 420.0), 220.0),
            paper(RISK, 12.0, 18.0, (690.0, 300.0), 230.0),
        ),
        "tiles": (
            paper(RISK, 5.0, 11.0, bd.STAFF_PAGE_AT, 230.0, hand=2.0),
            paper(CARD, 14.0, 19.5, (660.0, 200.0), 330.0, sway=0.0),
        ),
        "shelf": (
            paper(NOTICE, 4.0, 9.0, (650.0, 380.0), 230.0),
            paper(CARD, 12.0, 17.0, (700.0, 220.0), 330.0),
        ),
    },
    "held_out": {
        "map": (
            paper(NOTICE, 5.0, 12.0, (700.0, 330.0), 210.0, slide_s=0.5),
            paper(CARD, 14.0, 19.0, (1000.0, 180.0), 320.0, sway=0.0),
        ),
        "poster": (paper(RISK, 7.0, 13.0, (700.0, 360.0), 240.0, tilt=0.15, hand=2.5),),
        "titled": (
            paper(RISK, 4.0, 10.0, (670.0, 400.0), 220.0),
            paper(CARD, 13.0, 18.0, (720.0, 200.0), 330.0, sway=0.0),
        ),
        "tiles": (
            paper(NOTICE, 3.0, 9.0, (640.0, 390.0), 240.0, hand=3.0, slide_s=0.4),
            paper(RISK, 12.0, 18.0, (700.0, 300.0), 200.0, blur=1.0),
        ),
        "shelf": (
            paper(CARD, 3.0, 8.0, (660.0, 250.0), 340.0, sway=0.0),
            paper(RISK, 11.0, 17.0, (660.0, 380.0), 230.0, hand=2.0),
        ),
    },
}


def _scenes() -> tuple[Scene, ...]:
    out = []
    for split, backgrounds in _BACKGROUNDS.items():
        for bg, prints in backgrounds.items():
            first = prints[0].lines[0] if prints[0].lines else ""
            what = {
                "map": "a wall map",
                "poster": f"a poster ({first})",
                "titled": f"a {first} pinned to the wall",
                "tiles": "a tiled wall",
                "shelf": "a bookshelf",
            }[bg]
            out.append(Scene(f"bg_{split}_{bg}_none.mp4", split, f"{what}, no paper", prints))
            papers = _PAPERS[split][bg]
            held = "; ".join(f"{p.title} {p.start:g}-{p.end:g} s" for p in papers)
            out.append(
                Scene(
                    f"bg_{split}_{bg}_held.mp4", split, f"{what}; held up: {held}", prints, papers
                )
            )
    return tuple(out)


SCENES = _scenes()


class BackgroundCompositor(bd.DocumentCompositor):
    """The document compositor on a wall with print."""

    def __init__(self, src: Path, scene: Scene, font: Path):
        super().__init__(src, bd.Composite(scene.name, scene.description, scene.papers), font)
        for p in scene.prints:
            x, y, _, _ = p.box
            bs.paste(self.background, render(p, font), x, y)


def truth(scene: Scene) -> dict:
    return {
        "name": scene.name,
        "split": scene.split,
        "description": scene.description,
        "prints": [asdict(p) for p in scene.prints],
        "papers": [asdict(p) for p in scene.papers],
    }


def build(
    src: Path, out: Path, split: str | None = None, only: list[str] | None = None
) -> dict[str, dict]:
    """Build the scenes of ``split`` (all when None) into ``out``; their ground truth."""
    out.mkdir(parents=True, exist_ok=True)
    font = bd.find_cjk_font()
    speech, _turns = bs.build_speech(src)
    audio = bs.soft_limit(speech)
    done = {}
    for s in SCENES:
        if (split is not None and s.split != split) or (only is not None and s.name not in only):
            continue
        t0 = time.perf_counter()
        if not (out / s.name).exists():
            bs.encode(out / s.name, BackgroundCompositor(src, s, font), audio, None)
        print(f"{s.name}: {time.perf_counter() - t0:.1f} s")
        done[s.name] = truth(s)
    (out / f"backgrounds_truth_{split or 'all'}.json").write_text(
        json.dumps(done, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=bs.DEFAULT_SRC, help="shared media folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--split", choices=("tune", "held_out"), help="only this split")
    parser.add_argument("--only", nargs="*", default=None, help="build only these (file names)")
    args = parser.parse_args(argv)
    build(args.src.resolve(), args.out.resolve(), args.split, args.only)


if __name__ == "__main__":
    main()
