"""Two-party composites for the talk (who said it) tests, built at test time.

Layout as the sample videos (``sample_videos/build_samples.py``): staff's GRID face in the left
half, the customer's in the right half, 1280x720, 25 fps. A *turn* plays one party's clip
frames with moving lips while the other party shows frames of their own clip from before its
speech starts (mouth closed: a listening face). The sound of a turn is either the clip's own
audio (GRID: lips and voice in sync) or a Mandarin speech clip dubbed over the moving face
(the lips do not match the words; only mouth activity against stillness is measured).

The truth comes from the composition: who moves their lips while which sound plays, and, for
every sound, its audible span (energy within ``TRUTH_DB`` = 35 dB of its loudest 20 ms frame:
the GRID speakers' audible breath before the first word counts; at 25 dB, which leaves it out,
the first staff turn's IoU is 0.62).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sample_videos import build_samples as bs

FPS = bs.FPS
SR = bs.SAMPLE_RATE
STAFF_CLIP = "grid_bbaf2n.mpg"
CUSTOMER_CLIP = "grid_lbax4n.mpg"
TRUTH_DB = -35.0


@dataclass(frozen=True)
class Turn:
    mover: str | None  # whose lips move ("staff" / "customer"), None: nobody's
    sound: Path | None  # a .mpg (its own audio) or a .wav (dubbed); None: silence
    gap_after_s: float = 0.8
    length_s: float | None = None  # only for a silent turn


@dataclass(frozen=True)
class Truth:
    party: str
    start: float
    end: float


def _voiced(x: np.ndarray, rel_db: float = -25.0) -> tuple[int, int]:
    hop = SR // 50
    frames = x[: len(x) // hop * hop].reshape(-1, hop)
    level = 10 * np.log10(np.mean(np.square(frames, dtype=np.float64), axis=1) + 1e-20)
    on = np.flatnonzero(level > level.max() + rel_db)
    return int(on[0] * hop), int((on[-1] + 1) * hop)


def _grid(video_dir: Path, name: str, scale: float) -> tuple[list[np.ndarray], np.ndarray]:
    from dualrec_audit.media.sound import load_audio

    panel = bs.Panel("x", name, scale, 0, 0)
    frames = bs.load_panel_frames(video_dir.parent, panel)
    audio = load_audio(video_dir / name, SR)
    assert audio is not None
    return frames, audio.astype(np.float32)


class Composer:
    def __init__(self, video_dir: Path):
        self.video_dir = video_dir
        self.faces: dict[str, tuple[list[np.ndarray], np.ndarray]] = {
            "staff": _grid(video_dir, STAFF_CLIP, bs.STAFF.scale),
            "customer": _grid(video_dir, CUSTOMER_CLIP, bs.CUSTOMER.scale),
        }
        self.background = bs.make_background()

    def still(self, party: str) -> list[np.ndarray]:
        """The listening face: the frames before the clip's speech starts (lips closed)."""
        frames, audio = self.faces[party]
        first = int(_voiced(audio)[0] / SR * FPS) - 3
        return frames[: max(2, min(10, first))]

    def moving(self, party: str) -> list[np.ndarray]:
        frames, audio = self.faces[party]
        a, b = _voiced(audio)
        return frames[int(a / SR * FPS) : int(b / SR * FPS) + 1]

    def build(self, path: Path, turns: list[Turn], lead_s: float = 0.5) -> list[Truth]:
        """Write the composite to ``path``; return who talks when (voiced spans)."""
        track: list[np.ndarray] = [np.zeros(round(lead_s * SR), np.float32)]
        plan: list[tuple[str | None, int, bool]] = []  # per video frame: mover, index, own clip
        plan += [(None, i, False) for i in range(round(lead_s * FPS))]
        truth: list[Truth] = []
        t = lead_s
        for turn in turns:
            n, sound = self._turn_sound(turn)
            if turn.mover is not None and sound is not None:
                a, b = _voiced(sound, TRUTH_DB)
                truth.append(Truth(turn.mover, t + a / SR, t + b / SR))
            own = turn.sound is not None and turn.sound.suffix == ".mpg"
            k = round(n / SR * FPS)
            plan += [(turn.mover, i, own) for i in range(k)]
            track.append(sound if sound is not None else np.zeros(n, np.float32))
            gap = round(turn.gap_after_s * FPS)
            plan += [(None, i, False) for i in range(gap)]
            track.append(np.zeros(round(gap / FPS * SR), np.float32))
            t += k / FPS + gap / FPS
        audio = np.concatenate(track)
        audio = np.pad(audio, (0, max(0, round(len(plan) / FPS * SR) - len(audio))))
        self._encode(path, plan, audio[: round(len(plan) / FPS * SR)])
        return truth

    def _turn_sound(self, turn: Turn) -> tuple[int, np.ndarray | None]:
        if turn.sound is None:
            return round((turn.length_s or 1.0) * SR), None
        if turn.sound.suffix == ".mpg":
            assert turn.mover is not None
            audio = self.faces[turn.mover][1]
        else:
            audio = bs.trim_silence(bs.read_wav(turn.sound))
        level = bs.rms_dbfs(audio[slice(*_voiced(audio))])
        audio = audio * np.float32(10 ** ((bs.TARGET_DBFS - level) / 20))
        return len(audio), bs.fade(audio.astype(np.float32), 0.01, 0.01)

    def frame(self, mover: str | None, i: int, own: bool) -> np.ndarray:
        canvas = self.background.copy()
        for panel in (bs.STAFF, bs.CUSTOMER):
            if panel.party == mover:
                clip = self.faces[panel.party][0] if own else self.moving(panel.party)
                img = clip[min(i, len(clip) - 1)] if own else clip[bs.ping_pong(i, len(clip))]
            else:
                clip = self.still(panel.party)
                img = clip[bs.ping_pong(i, len(clip))]
            h, w = img.shape[:2]
            bs.paste(canvas, img, panel.center_x - w // 2, panel.bottom_y - h)
        return canvas

    def _encode(self, path: Path, plan: list[tuple[str | None, int, bool]], audio: np.ndarray):
        encode_mp4(path, (self.frame(mover, i, own) for mover, i, own in plan), audio)


def encode_mp4(path: Path, frames: Iterable[np.ndarray], audio: np.ndarray) -> None:
    """BGR frames at FPS and mono float audio at SR into an H.264/AAC MP4, as the samples."""
    from fractions import Fraction

    import av

    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=FPS, options=dict(bs.X264_OPTIONS))
        vs.width, vs.height, vs.pix_fmt = bs.WIDTH, bs.HEIGHT, "yuv420p"
        aus = out.add_stream("aac", rate=SR, layout="mono")
        for k, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts, frame.time_base = k, Fraction(1, FPS)
            out.mux(vs.encode(frame))
        for a in range(0, len(audio), 1024):
            chunk = np.ascontiguousarray(audio[None, a : a + 1024])
            af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            af.sample_rate, af.pts, af.time_base = SR, a, Fraction(1, SR)
            out.mux(aus.encode(af))
        out.mux(vs.encode(None))
        out.mux(aus.encode(None))


def iou(a: tuple[float, float], spans: list[tuple[float, float]]) -> float:
    """|a ∩ U| / |a ∪ U| for U the union of the spans overlapping a."""
    hits = [s for s in spans if s[0] < a[1] and a[0] < s[1]]
    if not hits:
        return 0.0
    inter = sum(max(0.0, min(a[1], e) - max(a[0], s)) for s, e in hits)
    union = max(a[1], *(e for _, e in hits)) - min(a[0], *(s for s, _ in hits))
    return inter / union
