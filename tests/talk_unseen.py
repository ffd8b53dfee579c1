"""Two-party recordings the talk (who said it) check was not built on, composed at test time.

Issue 32: the feature was tuned on ``tests/talk_composites.py`` (two fixed GRID faces at fixed
places, whole sentences, one party at a time). These recipes break its assumptions: faces of
other people, sizes and head rolls, the staff on the right, long turns of two sentences and
one-syllable answers, a listener's short back-channel during a long turn, real overlap of a
known length, a voice from off screen (nobody's lips move), 代答 (a customer's sentence voiced
while only the staff's lips move), machine hum, and the GRID speakers' own English voice with
their lips played from another moment of the same clip (the mouth moves, not in sync).

Every recipe is in one of two splits: ``TUNE`` (faces grid_bbaf2n, grid_lbax4n, grid_brbk7n)
is what the algorithm may be tuned on; ``HELDOUT`` (faces grid_lbbc2a and grid_lrwp9a, never
used in TUNE, other places, sizes and poses) is measured once, at the end. Later splits
(``HELDOUT_2``, ``HELDOUT_3``, ``TUNE_VOICE``) are described where defined; the splits in hum
(``TUNE_HUM``, ``HELDOUT_4``, ``HELDOUT_5``) are in ``tests/talk_unseen_noise.py``.

The truth comes from the composition: each voice has a party (``staff``, ``customer`` or
``off_screen``), a place on the timeline and its audible span (energy within 35 dB of its
loudest 20 ms frame, as in ``talk_composites``); a talking party's mouth moves over the
voice's span (frames of the GRID clip's voiced part, from an offset), a listening party shows
the frames before their clip's speech (lips closed). Key phrases are the ``bundled_samples``
profile's stages (wenet and funasr clips: staff; firered and paddlespeech: customer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from sample_videos import build_samples as bs
from tests.talk_composites import SR, TRUTH_DB, _voiced, encode_mp4

FPS = bs.FPS
WENET = "speech_zh/wenet_aishell-BAC009S0724W0121.wav"  # 广州市房地产中介协会分析 (staff stage)
FIRERED = "speech_zh/firered_BAC009S0764W0121.wav"  # 甚至出现交易几乎停滞的情况 (customer)
FUNASR = "speech_zh/funasr_asr_example.wav"  # 欢迎大家来体验达摩院推出的语音识别模型 (staff)
PADDLE = "speech_zh/paddlespeech_zh.wav"  # 我认为跑步最重要的就是… (customer)
NOISY = "speech_zh/firered_IT0011W0001.wav"  # 换一首歌, far-field (no stage)
STAGE = {WENET: "staff", FIRERED: "customer", FUNASR: "staff", PADDLE: "customer"}


@dataclass(frozen=True)
class Face:
    clip: str  # a GRID clip under video/
    scale: float
    center_x: int
    bottom_y: int = bs.DESK_TOP_Y
    roll_deg: float = 0.0  # head tilted in the picture
    squeeze: float = 1.0  # narrower (a head turned a little)
    mirror: bool = False  # flipped left to right (the other side of the face to the camera)


@dataclass(frozen=True)
class Voice:
    party: str  # staff | customer | off_screen (nobody's lips move)
    sound: str  # a speech_zh/ clip or a video/grid_*.mpg (its own audio)
    at: float  # where the (trimmed) sound starts, s
    cut: tuple[float, float] | None = None  # a part of the trimmed sound (s): a short word
    lips_offset: int = 0  # the mouth plays from this frame of its moving part (not in sync)
    daida: bool = False  # a customer's stage voiced by the staff
    mouthing: bool = False  # the other party's lips move meanwhile (mouthing along, silent)
    scramble: bool = False  # the clip's 0.4 s pieces in reverse order: the voice, not the words


@dataclass(frozen=True)
class Recipe:
    name: str
    staff: Face
    customer: Face
    voices: tuple[Voice, ...]
    staff_side: str = "left"
    noise_snr_db: float | None = None
    noise: str = "hum"  # hum (SpeechBrain machine hum) | babble (the five GRID voices mixed)
    #                     | mains (a synthetic 50 Hz hum with its harmonics and a faint hiss)
    #                     | mains60 (the same at 60 Hz) | fan (pink noise with a blade tone)
    tail_s: float = 1.0


@dataclass(frozen=True)
class Said:
    party: str
    start: float
    end: float
    sound: str
    daida: bool = False
    short: bool = False  # a part of its clip (``Voice.cut``)
    scrambled: bool = False  # its 0.4 s pieces reversed: no sentence to recognise


@dataclass(frozen=True)
class Built:
    recipe: Recipe
    path: Path
    truth: tuple[Said, ...] = field(default=())

    def overlap_s(self) -> float:
        """Seconds where both parties really talk (the truth's staff and customer spans)."""
        return _seconds(_mask(self, "staff") & _mask(self, "customer"))


L, R = bs.WIDTH // 4, 3 * bs.WIDTH // 4
_S, _C = "staff", "customer"
TUNE: tuple[Recipe, ...] = (
    Recipe(  # a long staff turn (two sentences) with the customer's 嗯, a one-syllable answer
        "tune_long_turn_backchannel",
        Face("grid_bbaf2n.mpg", 1.3, L),
        Face("grid_lbax4n.mpg", 1.05, R),
        (
            Voice(_S, WENET, 0.5),
            Voice(_S, FUNASR, 5.0, lips_offset=7),
            Voice(_C, FIRERED, 7.0, cut=(0.1, 0.45)),  # back-channel inside the long turn
            Voice(_C, PADDLE, 11.8, cut=(0.0, 0.45)),  # one syllable (我)
            Voice(_C, FIRERED, 13.3),
        ),
    ),
    Recipe(  # staff on the right, a tilted larger customer, 代答, overlap, off-screen voice
        "tune_right_daida_overlap",
        Face("grid_brbk7n.mpg", 1.0, R),
        Face("grid_bbaf2n.mpg", 1.5, L, roll_deg=10.0),
        (
            Voice(_S, WENET, 0.5),
            Voice(_S, FIRERED, 5.6, daida=True),
            Voice("off_screen", NOISY, 10.6),
            Voice(_S, FUNASR, 13.2),
            Voice(_C, PADDLE, 15.6, lips_offset=5),  # 1.9 s of real overlap with the staff
        ),
        staff_side="right",
    ),
    Recipe(  # small faces, machine hum; the GRID voices in English with lips out of sync
        "tune_small_faces_hum",
        Face("grid_lbax4n.mpg", 0.6, L, bottom_y=520),
        Face("grid_brbk7n.mpg", 0.7, R, bottom_y=540, squeeze=0.8),
        (
            Voice(_S, "video/grid_lbax4n.mpg", 0.5, lips_offset=9),
            Voice(_C, "video/grid_brbk7n.mpg", 4.2, lips_offset=6),
            Voice(_S, WENET, 7.8),
            Voice(_C, PADDLE, 12.8),
            Voice(_C, FIRERED, 18.2, cut=(0.0, 0.4)),  # one syllable
        ),
        noise_snr_db=10.0,
    ),
    Recipe(  # large faces close to the camera, staff on the right; short answers, off screen
        "tune_large_faces_answers",
        Face("grid_brbk7n.mpg", 1.6, R + 40, bottom_y=640),
        Face("grid_lbax4n.mpg", 1.4, L - 30, roll_deg=-8.0),
        (
            Voice(_S, FUNASR, 0.5, lips_offset=11),
            Voice(_C, PADDLE, 6.0, cut=(0.0, 0.45)),  # one syllable
            Voice(_S, WENET, 7.4),
            Voice("off_screen", FIRERED, 12.6, cut=(0.0, 1.6)),
            Voice(_C, FIRERED, 15.0),
            Voice(_S, NOISY, 17.0, cut=(0.0, 0.5)),  # the staff's back-channel
        ),
        staff_side="right",
    ),
)
HELDOUT: tuple[Recipe, ...] = (
    Recipe(  # other faces, staff on the right and turned, a long customer turn with staff's 嗯
        "heldout_right_long_customer",
        Face("grid_lrwp9a.mpg", 1.2, R + 60, squeeze=0.8),
        Face("grid_lbbc2a.mpg", 0.9, L - 40),
        (
            Voice(_S, FUNASR, 0.5),
            Voice(_C, FIRERED, 6.8),
            Voice(_C, PADDLE, 11.4, lips_offset=4),
            Voice(_S, WENET, 13.0, cut=(0.05, 0.4)),  # back-channel inside the long turn
            Voice(_S, WENET, 17.4),
            Voice(_C, NOISY, 22.5, cut=(0.0, 0.5)),  # a short answer
        ),
        staff_side="right",
    ),
    Recipe(  # tilted small staff, large customer, 代答, 1.5 s overlap, off screen, hum
        "heldout_daida_overlap_offscreen",
        Face("grid_lbbc2a.mpg", 0.8, L, roll_deg=-12.0),
        Face("grid_lrwp9a.mpg", 1.4, R),
        (
            Voice(_S, WENET, 0.5),
            Voice(_S, PADDLE, 5.4, daida=True),
            Voice(_C, FIRERED, 11.0),
            Voice(_S, FUNASR, 14.0, lips_offset=3),  # overlaps the customer's end
            Voice("off_screen", NOISY, 20.6),
        ),
        noise_snr_db=15.0,
    ),
)

# Added after HELDOUT had been measured (twice, unchanged) and before its failing recording was
# looked into: measured once, at the end.
HELDOUT_2: tuple[Recipe, ...] = (
    Recipe(  # 代答 in a long staff turn, overlap, a short answer, off screen, hum
        "heldout2_daida_hum",
        Face("grid_lrwp9a.mpg", 1.0, L + 30, roll_deg=6.0),
        Face("grid_lbbc2a.mpg", 1.2, R - 20, squeeze=0.85),
        (
            Voice(_S, FUNASR, 0.5, lips_offset=2),
            Voice(_S, FIRERED, 6.4, daida=True),
            Voice(_C, PADDLE, 11.6, cut=(0.0, 0.45)),  # one syllable
            Voice("off_screen", WENET, 13.0, cut=(0.0, 2.0)),
            Voice(_C, PADDLE, 15.8, lips_offset=6),
            Voice(_S, WENET, 19.4),  # overlaps the customer's end
        ),
        noise_snr_db=12.0,
    ),
    Recipe(  # a TUNE face against a held-out one, staff on the right, small customer
        "heldout2_mixed_right",
        Face("grid_bbaf2n.mpg", 1.1, R),
        Face("grid_lrwp9a.mpg", 0.75, L, bottom_y=560, roll_deg=-6.0),
        (
            Voice(_S, WENET, 0.5, lips_offset=4),
            Voice(_C, FIRERED, 5.6),
            Voice(_S, FUNASR, 10.6, lips_offset=1),
            Voice(_C, NOISY, 12.5, cut=(0.0, 0.4)),  # back-channel inside the staff's turn
            Voice(_C, PADDLE, 16.8),
            Voice(_S, FIRERED, 19.0, cut=(0.0, 0.45)),  # the staff's short answer
        ),
        staff_side="right",
    ),
)

# Issue 32, item 3: the voice's tuning recordings, one voice per party (cuts of one speaker's
# clip), with TUNE's faces; 代答 in the staff's voice with the customer mouthing along.
TUNE_VOICE: tuple[Recipe, ...] = (
    Recipe(
        "tunev_daida_mouthing_hum",
        Face("grid_lbax4n.mpg", 1.0, L - 20),
        Face("grid_bbaf2n.mpg", 1.2, R + 10, roll_deg=-5.0),
        (
            Voice(_S, PADDLE, 0.5, cut=(0.0, 2.5), scramble=True),
            Voice(_C, FIRERED, 3.8),
            Voice(_S, PADDLE, 9.0, cut=(2.5, 4.6), lips_offset=2, scramble=True),
            Voice(_C, FIRERED, 12.0, cut=(0.0, 0.45)),  # one syllable
            Voice(_S, PADDLE, 13.4, daida=True, mouthing=True),
            Voice(_C, FIRERED, 19.6, cut=(1.5, 3.5)),
        ),
        noise_snr_db=15.0,
    ),
    Recipe(  # staff on the right; the customer speaks while the staff's lips move too
        "tunev_right_customer_mouthed",
        Face("grid_brbk7n.mpg", 0.9, R),
        Face("grid_lbax4n.mpg", 1.1, L, squeeze=0.9),
        (
            Voice(_S, WENET, 0.5),
            Voice(_C, PADDLE, 5.4, cut=(0.0, 2.2)),
            Voice(_S, WENET, 8.4, cut=(0.0, 1.6), lips_offset=4),
            Voice(_C, PADDLE, 10.6, mouthing=True),
            Voice(_S, WENET, 16.4, cut=(1.8, 3.3)),
        ),
        staff_side="right",
    ),
)

# Issue 32, item 3 (one voice per turn): written before the voice was used in the talk check,
# measured once, at the end. Unlike the splits above, each party speaks in one voice all along
# (a real person's: cuts of one speaker's clip), as the voice model needs: 代答 is the
# customer's stage said in the staff's voice while the customer's lips move too (mouthing
# along; the lips alone say "both"); babble (five English voices) instead of the hum. Each
# speaker has one clip only, so a party's turns are cuts of it: the 代答 sentence shares
# sound with the staff's other turns (a voice compared with itself, in part). The staff's
# other turns in blind3_daida_mouthing are scrambled (``Voice.scramble``): changed before the
# split was ever built, when TUNE_VOICE showed that a cut of a customer's stage said by the
# staff is heard as that stage (a 代答 of the composition's own making).
HELDOUT_3: tuple[Recipe, ...] = (
    Recipe(  # 代答 with the customer mouthing along; the staff's voice heard in two turns
        "blind3_daida_mouthing",
        Face("grid_lbbc2a.mpg", 1.1, L + 20, roll_deg=4.0),
        Face("grid_brbk7n.mpg", 0.85, R, squeeze=0.9),
        (
            Voice(_S, FIRERED, 0.5, cut=(0.0, 2.0), scramble=True),
            Voice(_C, PADDLE, 3.4),
            Voice(_S, FIRERED, 8.8, cut=(2.0, 4.1), lips_offset=3, scramble=True),
            Voice(_C, PADDLE, 11.6, cut=(0.0, 0.45)),  # one syllable
            Voice(_S, FIRERED, 12.8, daida=True, mouthing=True),
        ),
    ),
    Recipe(  # babble, a small tilted customer, staff on the right with a back-channel
        "blind3_babble_small_customer",
        Face("grid_bbaf2n.mpg", 1.25, R),
        Face("grid_lbbc2a.mpg", 0.65, L, bottom_y=560, roll_deg=-8.0),
        (
            Voice(_S, WENET, 0.5),
            Voice(_C, PADDLE, 5.0, cut=(0.0, 2.4)),
            Voice(_C, PADDLE, 8.6, lips_offset=2),
            Voice(_S, WENET, 10.5, cut=(0.0, 0.4)),  # back-channel inside the customer's turn
            Voice(_C, PADDLE, 15.0, cut=(3.0, 3.45)),  # a short answer
        ),
        staff_side="right",
        noise_snr_db=10.0,
        noise="babble",
    ),
    Recipe(  # overlap, off screen, short answers, babble
        "blind3_overlap_offscreen_babble",
        Face("grid_lrwp9a.mpg", 0.8, L, squeeze=0.85),
        Face("grid_lbax4n.mpg", 1.2, R, roll_deg=6.0),
        (
            Voice(_S, FUNASR, 0.5),
            Voice(_C, FIRERED, 5.3, lips_offset=3),  # overlaps the staff's end
            Voice(_S, FUNASR, 8.0, cut=(0.0, 0.5)),  # back-channel inside the customer's turn
            Voice("off_screen", NOISY, 12.0),
            Voice(_C, FIRERED, 14.5, cut=(0.0, 0.45)),  # one syllable
            Voice(_S, FUNASR, 15.5, cut=(2.0, 4.0)),
        ),
        noise_snr_db=14.0,
        noise="babble",
    ),
)


def _mask(built: Built, party: str, step: float = 0.01) -> np.ndarray:
    n = int(max(s.end for s in built.truth) / step) + 200
    m = np.zeros(n, bool)
    for s in built.truth:
        if s.party == party:
            m[int(s.start / step) : int(s.end / step)] = True
    return m


def _seconds(mask: np.ndarray, step: float = 0.01) -> float:
    return float(mask.sum() * step)


@cache
def _grid_frames(media_root: Path, clip: str) -> tuple[list[np.ndarray], int, int, int]:
    """All frames of a GRID clip, where its talking part starts and ends (frames) and how many
    frames before its speech the lips stay closed."""
    import av

    from dualrec_audit.media.sound import load_audio

    with av.open(str(media_root / "video" / clip)) as c:
        frames = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    audio = load_audio(media_root / "video" / clip, SR)
    assert audio is not None
    # The talking mouth: where the clip's own voice is within 20 dB of its loudest (at 25 dB
    # some clips' spans take in a second of breath and room noise with the lips closed).
    a, b = _voiced(audio.astype(np.float32), -20.0)
    first, last = int(a / SR * FPS), int(b / SR * FPS) + 1
    # The listening face: the frames before anything is audible (35 dB): grid_lrwp9a opens her
    # mouth from frame 5, 0.4 s before her voice reaches 20 dB of its loudest.
    onset = int(_voiced(audio.astype(np.float32), TRUTH_DB)[0] / SR * FPS)
    return frames, first, last, max(2, min(10, onset - 1))


def _face_image(face: Face, img: np.ndarray) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    out = cv2.resize(img, (round(w * face.scale * face.squeeze), round(h * face.scale)))
    if face.mirror:
        out = np.ascontiguousarray(out[:, ::-1])
    if face.roll_deg:
        h, w = out.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), face.roll_deg, 1.0)
        out = cv2.warpAffine(out, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    return out


def _sound(media_root: Path, v: Voice) -> np.ndarray:
    from dualrec_audit.media.sound import load_audio

    if v.sound.endswith(".mpg"):
        raw = load_audio(media_root / v.sound, SR)
        assert raw is not None
        x = bs.trim_silence(raw.astype(np.float32))
    else:
        x = bs.trim_silence(bs.read_wav(media_root / v.sound))
    level = bs.rms_dbfs(x[slice(*_voiced(x))])
    x = x * np.float32(10 ** ((bs.TARGET_DBFS - level) / 20))
    if v.scramble:  # other syllables in the same voice (no stage sentence is heard in them)
        a, b = _voiced(x, TRUTH_DB)
        piece = round(0.4 * SR)
        parts = [bs.fade(x[i : i + piece], 0.01, 0.01) for i in range(a, b, piece)]
        x = np.concatenate([x[:a], *parts[::-1], x[b:]]).astype(np.float32)
    if v.cut is not None:
        x = x[round(v.cut[0] * SR) : round(v.cut[1] * SR)]
    return bs.fade(x.astype(np.float32), 0.01, 0.03)


def build(recipe: Recipe, media_root: Path, out_dir: Path) -> Built:
    """Write the recipe's recording; return it with its truth."""
    sounds = [_sound(media_root, v) for v in recipe.voices]
    end = max(v.at + len(s) / SR for v, s in zip(recipe.voices, sounds, strict=True))
    n_frames = round((end + recipe.tail_s) * FPS)
    audio = np.zeros(round(n_frames / FPS * SR), np.float32)
    truth, lips = [], []
    for v, s in zip(recipe.voices, sounds, strict=True):
        i = round(v.at * SR)
        audio[i : i + len(s)] += s
        a, b = _voiced(s, TRUTH_DB)
        short = v.cut is not None
        truth.append(
            Said(v.party, v.at + a / SR, v.at + b / SR, v.sound, v.daida, short, v.scramble)
        )
        if v.party in (_S, _C):
            lips.append((v.party, v.at + a / SR, v.at + b / SR, v.lips_offset))
        if v.mouthing:
            other = _C if v.party == _S else _S
            lips.append((other, v.at + a / SR, v.at + b / SR, v.lips_offset + 4))
    if recipe.noise_snr_db is not None:
        noise = _babble(media_root, len(audio)) if recipe.noise == "babble" else None
        noise = _mains(len(audio)) if recipe.noise == "mains" else noise
        noise = _mains(len(audio), 60.0, seed=60) if recipe.noise == "mains60" else noise
        noise = _fan(len(audio)) if recipe.noise == "fan" else noise
        if noise is None:
            noise = np.resize(bs.read_wav(media_root / "noise" / bs.NOISE_FILE), len(audio))
        gain = 10 ** ((bs.TARGET_DBFS - recipe.noise_snr_db - bs.rms_dbfs(noise)) / 20)
        audio += noise * np.float32(gain)
    path = out_dir / f"{recipe.name}.mp4"
    encode_mp4(path, _frames(recipe, media_root, lips, n_frames), bs.soft_limit(audio))
    return Built(recipe, path, tuple(truth))


def _babble(media_root: Path, n: int) -> np.ndarray:
    """Five English voices at once (the GRID clips' own sound, each looped from its own
    offset): a room of other people talking."""
    from dualrec_audit.media.sound import load_audio

    out = np.zeros(n, np.float32)
    for k, clip in enumerate(sorted((media_root / "video").glob("grid_*.mpg"))):
        x = load_audio(clip, SR)
        assert x is not None
        x = bs.trim_silence(x.astype(np.float32))
        out += np.roll(np.resize(x / (np.sqrt(np.mean(x**2)) + 1e-9), n), 7919 * k)
    return out


def _mains(n: int, hz: float = 50.0, seed: int = 50) -> np.ndarray:
    """A transformer's hum: ``hz`` and its first 20 harmonics (the odd ones stronger), each
    slowly wavering in level, with a faint broadband hiss (deterministic)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    out = np.zeros(n, np.float64)
    for k in range(1, 21):
        amp = (1.0 if k % 2 else 0.4) / k
        wobble = 1.0 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.05, 0.4) * t + rng.uniform(0, 6))
        out += amp * wobble * np.sin(2 * np.pi * hz * k * t + rng.uniform(0, 6))
    out += 0.05 * np.sqrt(np.mean(out**2)) * rng.standard_normal(n)
    return out.astype(np.float32)


def _fan(n: int) -> np.ndarray:
    """A fan or an air conditioner: broadband noise falling 3 dB an octave (pink), swelling
    slowly, with its blade tone (90 Hz and three harmonics) under it (deterministic)."""
    rng = np.random.default_rng(90)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1 / SR), 20.0))
    pink = np.fft.irfft(spectrum, n)
    pink /= np.sqrt(np.mean(pink**2)) + 1e-12
    t = np.arange(n) / SR
    blade = sum(np.sin(2 * np.pi * 90.0 * k * t + rng.uniform(0, 6)) / k for k in range(1, 5))
    blade /= np.sqrt(np.mean(blade**2)) + 1e-12
    swell = 1.0 + 0.2 * np.sin(2 * np.pi * 0.15 * t + rng.uniform(0, 6))
    return (swell * pink + 0.3 * blade).astype(np.float32)


def _frames(recipe: Recipe, media_root: Path, lips: list, n_frames: int):
    background = bs.make_background()
    faces = {_S: recipe.staff, _C: recipe.customer}
    cache: dict[tuple[str, int], np.ndarray] = {}
    for k in range(n_frames):
        t = k / FPS
        canvas = background.copy()
        for party, face in faces.items():
            frames, a, b, still = _grid_frames(media_root, face.clip)
            talking = [x for x in lips if x[0] == party and x[1] <= t < x[2]]
            if talking:
                _, start, _, offset = talking[0]
                i = a + bs.ping_pong(round((t - start) * FPS) + offset, b - a)
            else:
                i = bs.ping_pong(k, still)
            if (party, i) not in cache:
                cache[(party, i)] = _face_image(face, frames[i])
            img = cache[(party, i)]
            h, w = img.shape[:2]
            bs.paste(canvas, img, face.center_x - w // 2, face.bottom_y - h)
        yield canvas
