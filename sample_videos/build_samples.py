"""Build the sample dual recordings (双录) in ``sample_videos/`` from real, credited media.

Each sample is a 20.0 s, 1280x720, 25 fps H.264 + AAC (mono, 16 kHz) MP4 laid out like a
counter recording: a plain wall with a darker counter band at the bottom, the staff member's
panel in the left half and the customer's panel in the right half. Each panel is a GRID corpus
talking-face clip (3 s, 360x288) scaled up and looped ping-pong (forward, then backward) so the
face keeps moving a little. The audio is real Mandarin speech (AISHELL-1, FunASR and
PaddleSpeech clips), alternating staff / customer turns, each clip normalised to about
-20 dBFS RMS.

One defect is injected per sample (see ``SAMPLES``):

    clean.mp4               none                                        -> approve
    customer_chin_cut.mp4   face_cut, customer, 8-14 s (chin/mouth below the frame)
    party_absent.mp4        party_absent, customer, 6-13 s (empty background)
    noisy_speech.mp4        low_clarity, 5-15 s (machine hum at -3 dB SNR)
    dark_segment.mp4        dark, 9-14 s (whole frame x 0.06)
    frozen_segment.mp4      frozen, 10-15 s (frame at 10.0 s repeated, audio goes on)

It also writes ``labels.json`` (the expected verdict and defect intervals, generated from the
same ``SAMPLES`` table that drives the builds) and ``CREDITS.md``.

The videos are never committed (they are made from third-party media): ``scripts/setup.sh``
builds them. Everything is deterministic (fixed seeds, a fixed number of encoder threads).
Rebuild with::

    .venv/bin/python sample_videos/build_samples.py [--src MEDIA_DIR] [--out DIR]

``--src`` defaults to ``../shared/media`` next to the repository (the files listed, with their
sha256 and credits, in ``media/manifest.toml``); ``--out`` defaults to ``sample_videos/``.
Needs only PyAV, NumPy and OpenCV.
"""

from __future__ import annotations

import argparse
import json
import time
import tomllib
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO_ROOT.parent / "shared" / "media"
DEFAULT_OUT = REPO_ROOT / "sample_videos"
MEDIA_MANIFEST = REPO_ROOT / "media" / "manifest.toml"

SEED = 20240607

# --- output format ---------------------------------------------------------------------------
WIDTH, HEIGHT = 1280, 720
FPS = 25
DURATION_S = 20.0
N_FRAMES = round(DURATION_S * FPS)
SAMPLE_RATE = 16_000
N_SAMPLES = round(DURATION_S * SAMPLE_RATE)
# A fixed thread count: x264's output depends on it, and the samples must be the same bytes on
# every machine.
X264_OPTIONS = {"crf": "23", "preset": "veryfast", "tune": "film", "threads": "2"}
AAC_BITRATE = 48_000

# --- layout ------------------------------------------------------------------------------------
WALL_TOP_BGR = (196, 214, 226)  # warm off-white wall, slightly lighter at the top
WALL_BOTTOM_BGR = (170, 190, 205)
DESK_TOP_Y = 600  # the counter band runs from here to the bottom of the frame
DESK_BGR = (52, 74, 98)  # dark wood
DESK_EDGE_BGR = (92, 120, 146)


@dataclass(frozen=True)
class Panel:
    """One party's talking-face panel."""

    party: str
    video: str  # file under <src>/video
    scale: float  # GRID frames are 360x288
    center_x: int  # panel centre, in output pixels
    bottom_y: int  # panel bottom edge in the clean layout


# The GRID speakers sit at different distances from their camera (the customer's face fills
# more of the frame), so the scales differ to give both faces about 190-200 px of height.
STAFF = Panel("staff", "grid_bbaf2n.mpg", scale=1.3, center_x=WIDTH // 4, bottom_y=DESK_TOP_Y)
CUSTOMER = Panel(
    "customer", "grid_lbax4n.mpg", scale=1.05, center_x=3 * WIDTH // 4, bottom_y=DESK_TOP_Y
)
# In customer_chin_cut the customer panel moves down until this source row (between the tip of
# the nose at ~174 and the upper lip at ~190 in grid_lbax4n) lands on the bottom edge of the
# frame: eyes and nose stay in view, mouth and chin leave it.
CHIN_CUT_SOURCE_ROW = 186

# --- audio -------------------------------------------------------------------------------------
TARGET_DBFS = -20.0  # speech clip level (RMS of the trimmed clip)
FIRST_TURN_S = 0.5
TURN_GAPS_S = (0.6, 0.7, 0.6)  # silence between consecutive turns
# (party, file under <src>/speech_zh), in speaking order.
TURNS = (
    ("staff", "wenet_aishell-BAC009S0724W0121.wav"),
    ("customer", "firered_BAC009S0764W0121.wav"),
    ("staff", "funasr_asr_example.wav"),
    ("customer", "paddlespeech_zh.wav"),
)
NOISE_FILE = "speechbrain_noise1.wav"
NOISE_SNR_DB = -3.0  # speech RMS minus noise RMS
EDGE_FADE_S = 0.01
END_FADE_S = 0.3
LIMIT_KNEE = 0.85  # soft limiter: samples above this are compressed smoothly below 1.0
BLUR_SIGMA_PX = 8.0  # a "blur" defect: Gaussian blur of the whole 1280x720 frame


@dataclass(frozen=True)
class Defect:
    check: str
    party: str | None
    start: float
    end: float

    def covers(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class Dimmed:
    """Several dark spans in one clip (the compositor asks ``covers(t)``): the calibration
    clips of tests/test_calibrate.py and scripts/calibration_screenshot.py."""

    spans: tuple[tuple[float, float], ...]
    check: str = "dark"
    party: str | None = None

    @property
    def start(self) -> float:
        return self.spans[0][0]

    def covers(self, t: float) -> bool:
        return any(s <= t < e for s, e in self.spans)


@dataclass(frozen=True)
class Sample:
    name: str
    description: str
    defect: Defect | None = None

    @property
    def expected(self) -> str:
        return "approve" if self.defect is None else "flag"


# The single table that drives the builds, labels.json and CREDITS.md.
SAMPLES = (
    Sample("clean.mp4", "no defect: both parties in view, clear speech throughout"),
    Sample(
        "customer_chin_cut.mp4",
        "the customer's panel drops so their mouth and chin are below the bottom edge "
        "(eyes and nose still visible)",
        Defect("face_cut", "customer", 8.0, 14.0),
    ),
    Sample(
        "party_absent.mp4",
        "the customer's panel is replaced by the empty background (nobody there)",
        Defect("party_absent", "customer", 6.0, 13.0),
    ),
    Sample(
        "noisy_speech.mp4",
        "machine hum mixed in at -3 dB SNR (noise louder than the speech)",
        Defect("low_clarity", None, 5.0, 15.0),
    ),
    Sample(
        "dark_segment.mp4",
        "the whole frame multiplied by 0.06 (very dark)",
        Defect("dark", None, 9.0, 14.0),
    ),
    Sample(
        "frozen_segment.mp4",
        "the frame at 10.0 s is repeated while the audio goes on",
        Defect("frozen", None, 10.0, 15.0),
    ),
)

GRID_CITATION = (
    "Cooke, M., Barker, J., Cunningham, S., & Shao, X. (2006). An audio-visual corpus for "
    "speech perception and automatic speech recognition. The Journal of the Acoustical "
    "Society of America, 120(5), 2421-2424. https://doi.org/10.1121/1.2229005 — GRID corpus "
    "distributed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)."
)


# --- media helpers -----------------------------------------------------------------------------
def read_wav(path: Path) -> np.ndarray:
    """A 16 kHz mono 16-bit WAV as float32 in [-1, 1]."""
    with wave.open(str(path), "rb") as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (SAMPLE_RATE, 1, 2):
            raise ValueError(f"{path}: expected 16 kHz mono 16-bit PCM")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.astype(np.float32) / 32768.0


def rms_dbfs(x: np.ndarray) -> float:
    return float(10.0 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def trim_silence(x: np.ndarray, rel_db: float = -25.0, pad_s: float = 0.1) -> np.ndarray:
    """Cut leading/trailing stretches quieter than ``rel_db`` below the loudest 20 ms frame."""
    hop = SAMPLE_RATE // 50
    frames = x[: len(x) // hop * hop].reshape(-1, hop)
    level = 10.0 * np.log10(np.mean(np.square(frames, dtype=np.float64), axis=1) + 1e-20)
    active = np.flatnonzero(level > level.max() + rel_db)
    pad = round(pad_s * SAMPLE_RATE)
    start = max(0, active[0] * hop - pad)
    end = min(len(x), (active[-1] + 1) * hop + pad)
    return x[start:end]


def fade(x: np.ndarray, in_s: float, out_s: float) -> np.ndarray:
    y = x.copy()
    n_in, n_out = round(in_s * SAMPLE_RATE), round(out_s * SAMPLE_RATE)
    if n_in:
        y[:n_in] *= np.linspace(0.0, 1.0, n_in, dtype=np.float32)
    if n_out:
        y[-n_out:] *= np.linspace(1.0, 0.0, n_out, dtype=np.float32)
    return y


def soft_limit(x: np.ndarray, knee: float = LIMIT_KNEE) -> np.ndarray:
    """Leave |x| <= knee alone; squeeze anything above it smoothly into (knee, 1)."""
    y = x.copy()
    over = np.abs(y) > knee
    span = 1.0 - knee
    y[over] = np.sign(y[over]) * (knee + span * np.tanh((np.abs(y[over]) - knee) / span))
    return y


def build_speech(src: Path) -> tuple[np.ndarray, list[tuple[str, str, float, float]]]:
    """The dialogue track (float32, N_SAMPLES) and its turns (party, file, start, end)."""
    track = np.zeros(N_SAMPLES, dtype=np.float32)
    turns = []
    t = FIRST_TURN_S
    end_limit = DURATION_S - 0.2
    for i, (party, name) in enumerate(TURNS):
        clip = trim_silence(read_wav(src / "speech_zh" / name))
        clip = clip * np.float32(10.0 ** ((TARGET_DBFS - rms_dbfs(clip)) / 20.0))
        clip = fade(clip, EDGE_FADE_S, EDGE_FADE_S)
        start = round(t * SAMPLE_RATE)
        room = round(end_limit * SAMPLE_RATE) - start
        if len(clip) > room:  # shorten the last turn to fit, with a gentle fade-out
            clip = fade(clip[:room], 0.0, END_FADE_S)
        track[start : start + len(clip)] += clip
        turns.append((party, name, start / SAMPLE_RATE, (start + len(clip)) / SAMPLE_RATE))
        t = (start + len(clip)) / SAMPLE_RATE + (TURN_GAPS_S[i] if i < len(TURN_GAPS_S) else 0)
    return track, turns


def add_noise(track: np.ndarray, src: Path, defect: Defect, rng: np.random.Generator):
    noise = read_wav(src / "noise" / NOISE_FILE)
    start, end = round(defect.start * SAMPLE_RATE), round(defect.end * SAMPLE_RATE)
    offset = int(rng.integers(0, len(noise) - (end - start)))
    seg = noise[offset : offset + end - start]
    noise_dbfs = TARGET_DBFS - NOISE_SNR_DB
    seg = seg * np.float32(10.0 ** ((noise_dbfs - rms_dbfs(seg)) / 20.0))
    out = track.copy()
    out[start:end] += fade(seg, EDGE_FADE_S, EDGE_FADE_S)
    return out, offset / SAMPLE_RATE


def load_panel_frames(src: Path, panel: Panel) -> list[np.ndarray]:
    """All frames of the panel's GRID clip, scaled, as BGR uint8."""
    with av.open(str(src / "video" / panel.video)) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    h, w = frames[0].shape[:2]
    size = (round(w * panel.scale), round(h * panel.scale))
    return [cv2.resize(f, size, interpolation=cv2.INTER_CUBIC) for f in frames]


def ping_pong(i: int, n: int) -> int:
    """Index into an n-frame clip played forward, then backward, then forward, ..."""
    period = 2 * n - 2
    k = i % period
    return k if k < n else period - k


def make_background() -> np.ndarray:
    bg = np.empty((HEIGHT, WIDTH, 3), dtype=np.float32)
    ramp = np.linspace(0.0, 1.0, DESK_TOP_Y, dtype=np.float32)[:, None, None]
    top, bottom = np.array(WALL_TOP_BGR, np.float32), np.array(WALL_BOTTOM_BGR, np.float32)
    bg[:DESK_TOP_Y] = top + (bottom - top) * ramp
    bg[DESK_TOP_Y:] = DESK_BGR
    bg[DESK_TOP_Y : DESK_TOP_Y + 8] = DESK_EDGE_BGR
    return np.round(bg).astype(np.uint8)


def paste(canvas: np.ndarray, img: np.ndarray, x: int, y: int) -> None:
    """Paste img with its top-left at (x, y), clipped to the canvas."""
    h, w = img.shape[:2]
    y0, y1 = max(y, 0), min(y + h, canvas.shape[0])
    x0, x1 = max(x, 0), min(x + w, canvas.shape[1])
    if y0 < y1 and x0 < x1:
        canvas[y0:y1, x0:x1] = img[y0 - y : y1 - y, x0 - x : x1 - x]


class Compositor:
    def __init__(self, src: Path):
        self.background = make_background()
        self.frames = {p.party: load_panel_frames(src, p) for p in (STAFF, CUSTOMER)}

    def frame(self, i: int, defect: Defect | None) -> np.ndarray:
        t = i / FPS
        active = defect is not None and defect.covers(t)
        if active and defect.check == "frozen":
            return self.frame(round(defect.start * FPS), None)
        canvas = self.background.copy()
        for panel in (STAFF, CUSTOMER):
            if active and defect.check == "party_absent" and defect.party == panel.party:
                continue
            clip = self.frames[panel.party]
            img = clip[ping_pong(i, len(clip))]
            h, w = img.shape[:2]
            x, y = panel.center_x - w // 2, panel.bottom_y - h
            if active and defect.check == "face_cut" and defect.party == panel.party:
                y = HEIGHT - round(CHIN_CUT_SOURCE_ROW * panel.scale)
            paste(canvas, img, x, y)
        if active and defect.check == "dark":
            canvas = np.round(canvas.astype(np.float32) * 0.06).astype(np.uint8)
        if active and defect.check == "blur":
            canvas = cv2.GaussianBlur(canvas, (0, 0), BLUR_SIGMA_PX)
        return canvas


def encode(path: Path, compositor: Compositor, audio: np.ndarray, defect: Defect | None):
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        vs = out.add_stream("libx264", rate=FPS, options=dict(X264_OPTIONS))
        vs.width, vs.height, vs.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        vs.codec_context.time_base = Fraction(1, FPS)
        aus = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        aus.bit_rate = AAC_BITRATE
        aus.codec_context.time_base = Fraction(1, SAMPLE_RATE)

        chunk = 1024
        a_pos = 0

        def push_audio(until: int) -> None:
            nonlocal a_pos
            while a_pos < min(until, N_SAMPLES):
                n = min(chunk, N_SAMPLES - a_pos)
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(audio[None, a_pos : a_pos + n]),
                    format="fltp",
                    layout="mono",
                )
                frame.sample_rate = SAMPLE_RATE
                frame.pts = a_pos
                frame.time_base = Fraction(1, SAMPLE_RATE)
                out.mux(aus.encode(frame))
                a_pos += n

        for i in range(N_FRAMES):
            frame = av.VideoFrame.from_ndarray(compositor.frame(i, defect), format="bgr24")
            frame.pts = i
            frame.time_base = Fraction(1, FPS)
            out.mux(vs.encode(frame))
            push_audio((i + 1) * SAMPLE_RATE // FPS)  # keep the streams interleaved
        push_audio(N_SAMPLES)
        out.mux(vs.encode(None))
        out.mux(aus.encode(None))


# --- clips and long recordings built at test time -------------------------------------------------
def build_clip(path: Path, src: Path, defect: Defect | None = None) -> Path:
    """One 20 s clip like the samples (clean speech, both parties) with ``defect`` in the
    picture (party_absent, face_cut, dark, blur, frozen; not low_clarity)."""
    speech, _ = build_speech(src)
    encode(path, Compositor(src), soft_limit(speech), defect)
    return path


def concat_recordings(parts: list[Path], target: Path) -> list[float]:
    """Remux clips encoded alike (these builds) end to end, without re-encoding, into
    ``target``; returns each part's start time. A 0.2 s step between parts keeps every
    stream's timestamps increasing (B-frame delay)."""
    offsets = []
    with av.open(str(target), "w") as out:
        with av.open(str(parts[0])) as first:
            vout = out.add_stream_from_template(first.streams.video[0])
            aout = out.add_stream_from_template(first.streams.audio[0])
        offset = 0.0
        for part in parts:
            offsets.append(offset)
            with av.open(str(part)) as c:
                length = float(c.duration) / 1e6
                for pkt in c.demux():
                    if pkt.dts is None:
                        continue
                    shift = round(offset / pkt.time_base)
                    pkt.pts += shift
                    pkt.dts += shift
                    pkt.stream = vout if pkt.stream.type == "video" else aout
                    out.mux(pkt)
            offset += length + 0.2
    return offsets


# A ten-minute recording: 30 clips, five with the customer away for 7 s, one frozen for 10 s.
LONG_ABSENT_AT = (5, 9, 14, 19, 24)  # clip indexes
LONG_FROZEN_AT = 27
LONG_CLIPS = 30
ABSENT = Defect("party_absent", "customer", 6.0, 13.0)
FROZEN_10S = Defect("frozen", None, 5.0, 15.0)


def build_long_recording(src: Path, folder: Path) -> tuple[Path, dict]:
    """The ten-minute recording above (built once per folder) and its label (as in
    labels.json): the defects with their times in the long recording."""
    folder.mkdir(parents=True, exist_ok=True)
    clips = {
        None: build_clip(folder / "part_clean.mp4", src),
        "absent": build_clip(folder / "part_absent.mp4", src, ABSENT),
        "frozen": build_clip(folder / "part_frozen.mp4", src, FROZEN_10S),
    }
    kinds = [
        "absent" if i in LONG_ABSENT_AT else "frozen" if i == LONG_FROZEN_AT else None
        for i in range(LONG_CLIPS)
    ]
    target = folder / "long_10min.mp4"
    offsets = concat_recordings([clips[k] for k in kinds], target)
    defects = []
    for kind, off in zip(kinds, offsets, strict=True):
        d = {"absent": ABSENT, "frozen": FROZEN_10S}.get(kind or "")
        if d is not None:
            defects.append(
                {
                    "check": d.check,
                    "party": d.party,
                    "start": round(off + d.start, 3),
                    "end": round(off + d.end, 3),
                }
            )
    return target, {"expected": "flag", "defects": defects}


# --- labels and credits -----------------------------------------------------------------------
def labels() -> dict:
    recordings = {}
    for s in SAMPLES:
        defects = []
        if s.defect is not None:
            d = s.defect
            defects.append({"check": d.check, "party": d.party, "start": d.start, "end": d.end})
        recordings[s.name] = {"expected": s.expected, "defects": defects}
    return {"schema_version": 1, "recordings": recordings}


def media_manifest() -> list[dict]:
    """Every third-party media file (media/manifest.toml): origin, licence, sha256."""
    return tomllib.loads(MEDIA_MANIFEST.read_text(encoding="utf-8"))["file"]


def credits_table(files: list[str] | None = None) -> list[str]:
    rows = [
        "| File | From (repository : path @ commit) | Licence | Ground truth |",
        "|---|---|---|---|",
    ]
    for f in media_manifest():
        if files is None or f["path"] in files:
            rows.append(f"| {f['path']} | {f['origin']} | {f['licence']} | {f['truth']} |")
    return rows


def sample_credits(turns: list[tuple[str, str, float, float]], noise_offset_s: float) -> str:
    used = [f"video/{STAFF.video}", f"video/{CUSTOMER.video}"]
    used += [f"speech_zh/{name}" for _, name in TURNS] + [f"noise/{NOISE_FILE}"]
    lines = [
        "# Sample recordings: contents and credits",
        "",
        "Synthetic dual recordings (双录) built from real, openly licensed media by",
        "`sample_videos/build_samples.py`. Every file is 20.0 s, 1280x720, 25 fps, H.264 +",
        "AAC mono 16 kHz. Expected verdicts and defect intervals are in `labels.json`.",
        "",
        "## What each sample is made of",
        "",
        "All samples share one layout: a plain wall and a dark counter band; the **staff** panel",
        f"(left half) is GRID `{STAFF.video}` scaled {STAFF.scale}x, the **customer** panel",
        f"(right half) is GRID `{CUSTOMER.video}` scaled {CUSTOMER.scale}x; both 3 s clips are",
        "looped ping-pong (forward, then backward) to fill 20 s. The GRID clips' own (English)",
        "audio is dropped. The soundtrack is Mandarin speech, alternating turns, each clip",
        f"trimmed of leading/trailing silence and normalised to {TARGET_DBFS:g} dBFS RMS:",
        "",
        "| Turn | Party | Clip | Start (s) | End (s) |",
        "|---|---|---|---|---|",
    ]
    for k, (party, name, start, end) in enumerate(turns, 1):
        lines.append(f"| {k} | {party} | speech_zh/{name} | {start:.2f} | {end:.2f} |")
    lines += [
        "",
        "The last turn is cut to fit with a short fade-out.",
        "",
        "| Sample | Expected | Defect (check, party, interval) | What was done |",
        "|---|---|---|---|",
    ]
    for s in SAMPLES:
        d = s.defect
        what = s.description
        if d is not None and d.check == "low_clarity":
            what += (
                f"; a continuous {d.end - d.start:g} s stretch of noise/{NOISE_FILE} "
                f"(from {noise_offset_s:.2f} s into the file) scaled to "
                f"{TARGET_DBFS - NOISE_SNR_DB:g} dBFS RMS, peaks soft-limited"
            )
        where = "—" if d is None else f"{d.check}, {d.party or '—'}, {d.start:g}-{d.end:g} s"
        lines.append(f"| {s.name} | {s.expected} | {where} | {what} |")
    lines += [
        "",
        "## Source files and licences",
        "",
        "Copied byte for byte from the public repositories below (pinned in",
        "`media/manifest.toml` with their sha256; see also `media/CREDITS.md`).",
        "",
        *credits_table(used),
        "",
        "GRID corpus: " + GRID_CITATION,
        "",
        "AISHELL-1: Bu, H., Du, J., Na, X., Wu, B., & Zheng, H. (2017). AISHELL-1: An open-source",
        "Mandarin speech corpus and a speech recognition baseline. O-COCOSDA 2017",
        "(Apache-2.0, https://www.openslr.org/33/).",
        "",
        "## Rebuild",
        "",
        "```",
        ".venv/bin/python sample_videos/build_samples.py [--src MEDIA_DIR] [--out DIR]",
        "```",
        "",
        "The build is deterministic (fixed seed, fixed encoder threads); it needs PyAV (with",
        "libx264), NumPy and OpenCV. `bash scripts/setup.sh` runs it; the videos are not",
        "committed.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC, help="shared media folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--only", nargs="*", default=None, help="build only these samples (file names)"
    )
    args = parser.parse_args(argv)
    src, out = args.src.resolve(), args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng(SEED)
    speech, turns = build_speech(src)
    compositor = Compositor(src)
    noise_offset_s = 0.0
    for sample in SAMPLES:
        audio = speech
        if sample.defect is not None and sample.defect.check == "low_clarity":
            audio, noise_offset_s = add_noise(speech, src, sample.defect, rng)
        audio = soft_limit(audio)
        if args.only is not None and sample.name not in args.only:
            continue
        t0 = time.perf_counter()
        encode(out / sample.name, compositor, audio, sample.defect)
        size = (out / sample.name).stat().st_size
        print(f"{sample.name}: {size / 1e6:.2f} MB in {time.perf_counter() - t0:.1f} s")

    (out / "labels.json").write_text(
        json.dumps(labels(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "CREDITS.md").write_text(sample_credits(turns, noise_offset_s), encoding="utf-8")
    print(f"wrote {out / 'labels.json'} and {out / 'CREDITS.md'}")


if __name__ == "__main__":
    main()
