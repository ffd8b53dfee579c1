"""Re-encode a recording the way branch recorders and IP cameras write theirs.

The samples (and the long recording made of them) are x264 High with B-frames and a keyframe
every 10 s. Recorders often write H.264 Baseline (no B-frames: every frame is a reference, so
a decoder that samples a few frames per second cannot skip any), or HEVC, at 25-30 fps, 720p
or 1080p, with a keyframe every 1-4 s. ``transcode`` turns one recording into another with the
same content (the picture scaled and re-timed to the target size and rate, the audio copied
packet for packet), in one of the ``ENCODINGS`` below.

    .venv/bin/python sample_videos/build_encodings.py SOURCE OUT_DIR [NAME ...]

Used by benchmarks/run.py (--encodings) and by the tests (short clips built at test time).
The outputs are made from third-party media: never commit them.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av


@dataclass(frozen=True)
class Encoding:
    """One recorder-style encoding: codec, profile, size, frame rate, keyframe interval."""

    name: str
    codec: str  # "libx264" or "libx265"
    width: int
    height: int
    fps: int
    gop_s: float  # seconds between keyframes (fixed: no scene-cut keyframes)
    bframes: int
    profile: str | None = None  # x264 profile

    def encoder_options(self) -> dict[str, str]:
        keyint = str(round(self.gop_s * self.fps))
        if self.codec == "libx265":
            params = (
                f"keyint={keyint}:min-keyint={keyint}:scenecut=0:bframes={self.bframes}"
                ":log-level=error:pools=2:frame-threads=1"
            )
            return {"preset": "superfast", "crf": "26", "x265-params": params}
        opts = {
            "preset": "veryfast",
            "crf": "23",
            "threads": "2",
            "g": keyint,
            "keyint_min": keyint,
            "sc_threshold": "0",
            "bf": str(self.bframes),
        }
        if self.profile:
            opts["profile"] = self.profile
        return opts


def _encodings() -> dict[str, Encoding]:
    out = {}
    for w, h, fps in ((1280, 720, 25), (1920, 1080, 30)):
        size = f"{h}p{fps}"
        for e in (
            Encoding(f"h264_baseline_gop1_{size}", "libx264", w, h, fps, 1.0, 0, "baseline"),
            Encoding(f"h264_baseline_gop4_{size}", "libx264", w, h, fps, 4.0, 0, "baseline"),
            Encoding(f"h264_high_bframes_{size}", "libx264", w, h, fps, 2.0, 3, "high"),
            Encoding(f"hevc_gop2_{size}", "libx265", w, h, fps, 2.0, 0),
        ):
            out[e.name] = e
    return out


ENCODINGS = _encodings()


def transcode(source: Path, target: Path, enc: Encoding, max_seconds: float | None = None) -> Path:
    """``source`` re-encoded as ``enc`` into ``target`` (the first ``max_seconds`` only, when
    given); its first audio track is copied unchanged. Frames are repeated or dropped to reach
    the target rate (nearest earlier source frame)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.stem + ".part" + target.suffix)
    with av.open(str(source)) as src, av.open(str(tmp), "w", format="mp4") as out:
        vin = src.streams.video[0]
        ain = src.streams.audio[0] if src.streams.audio else None
        vout = out.add_stream(enc.codec, rate=enc.fps, options=enc.encoder_options())
        vout.width, vout.height, vout.pix_fmt = enc.width, enc.height, "yuv420p"
        vout.codec_context.time_base = Fraction(1, enc.fps)
        aout = out.add_stream_from_template(ain) if ain is not None else None
        start = float(vin.start_time * vin.time_base) if vin.start_time is not None else 0.0
        streams = [vin] if ain is None else [vin, ain]
        n_out = 0
        for packet in src.demux(*streams):
            if packet.stream is ain:
                if packet.dts is None:
                    continue
                if max_seconds is not None and float(packet.pts * packet.time_base) > max_seconds:
                    continue
                packet.stream = aout
                out.mux(packet)
                continue
            for frame in packet.decode():
                t = float(frame.pts * vin.time_base) - start
                if max_seconds is not None and t >= max_seconds:
                    continue
                img = frame.reformat(width=enc.width, height=enc.height, format="yuv420p")
                # every output frame whose time falls before the next source frame shows this one
                until = t + 1.0 / float(vin.average_rate or 25)
                while n_out / enc.fps < until - 1e-6:
                    if n_out / enc.fps >= t - 1e-6 or n_out == 0:
                        img.pts = n_out
                        img.time_base = Fraction(1, enc.fps)
                        out.mux(vout.encode(img))
                    n_out += 1
        out.mux(vout.encode(None))
    tmp.replace(target)
    return target


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("names", nargs="*", default=list(ENCODINGS), help="encodings (default all)")
    ap.add_argument("--seconds", type=float, help="only the first S seconds")
    args = ap.parse_args(argv)
    for name in args.names:
        t0 = time.perf_counter()
        path = transcode(args.source, args.out / f"{name}.mp4", ENCODINGS[name], args.seconds)
        print(f"{path}: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
