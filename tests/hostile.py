"""Inputs as branch file shares and people make them, built at test time from the sample videos
and the shared test media (nothing here is committed media): damaged files, other containers,
extra audio tracks, GBK file names, photos renamed .mp4; and audit functions for the scan's
worker processes that rename a file or crash the worker (picklable, so spawned workers import
them from this module)."""

from __future__ import annotations

import os
import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from dualrec_audit.batch.workers import audit_in_worker

GBK_NAME = "录像 客户甲.mp4".encode("gbk")  # not valid UTF-8: a name from a Windows share


def gbk_name(folder: Path) -> Path:
    """A path in ``folder`` whose name is GBK bytes (Linux hands it to Python with surrogates)."""
    return Path(os.fsdecode(os.path.join(os.fsencode(folder), GBK_NAME)))


def corrupt_middle(src: Path, dst: Path, start: float = 0.4, end: float = 0.5) -> Path:
    """``src`` with the bytes between 40 % and 50 % of the file overwritten with noise: the
    container is intact, the frames (and audio) there cannot be decoded."""
    data = bytearray(src.read_bytes())
    i, j = int(len(data) * start), int(len(data) * end)
    data[i:j] = np.random.default_rng(14).integers(0, 256, j - i, dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    return dst


def remux(src: Path, dst: Path, fmt: str | None = None) -> Path:
    """The same streams in another container (e.g. ``3gp``), not re-encoded."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format=fmt) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return dst


def drop_frames(src: Path, dst: Path, start: float, end: float) -> Path:
    """``src`` with its picture's frames from ``start`` to ``end`` s left out (the others keep
    their times, re-encoded as H.264; the sound copied whole): a recorder that dropped its
    frames, a hole in the picture."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin, ain = inp.streams.video[0], inp.streams.audio[0]
        vs = out.add_stream("libx264", rate=vin.average_rate)
        vs.width, vs.height, vs.pix_fmt = vin.width, vin.height, "yuv420p"
        vs.time_base = vin.time_base
        audio = out.add_stream_from_template(ain)
        for frame in inp.decode(vin):
            if frame.time is None or start <= frame.time < end:
                continue
            f = frame.reformat(format="yuv420p")
            f.pts, f.time_base = frame.pts, vin.time_base
            out.mux(vs.encode(f))
        out.mux(vs.encode())
        inp.seek(0)
        for packet in inp.demux(ain):
            if packet.dts is not None:
                packet.stream = audio
                out.mux(packet)
    return dst


def webm(src: Path, dst: Path, seconds: float = 3.0) -> Path:
    """The first ``seconds`` of ``src`` re-encoded as VP8 + Opus in WebM (320x180)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="webm") as out:
        vin = inp.streams.video[0]
        vs = out.add_stream("libvpx", rate=25)
        vs.width, vs.height, vs.pix_fmt = 320, 180, "yuv420p"
        vs.options = {"deadline": "realtime", "cpu-used": "8", "crf": "10", "b": "1M"}
        audio = out.add_stream("libopus", rate=48000)
        audio.layout = "mono"
        for i, frame in enumerate(inp.decode(vin)):
            if frame.time is not None and frame.time >= seconds:
                break
            f = frame.reformat(width=320, height=180, format="yuv420p")
            f.pts, f.time_base = i, Fraction(1, 25)
            out.mux(vs.encode(f))
        out.mux(vs.encode())
        _encode_audio(str(src), out, audio, seconds)
    return dst


def _encode_audio(src: str, out, stream, seconds: float) -> None:
    resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=stream.rate)
    with av.open(src) as inp:
        for frame in inp.decode(inp.streams.audio[0]):
            if frame.time is not None and frame.time >= seconds:
                break
            for f in resampler.resample(frame):
                out.mux(stream.encode(f))
    out.mux(stream.encode())


def two_audio_tracks(src: Path, dst: Path, *, first_silent: bool = True) -> Path:
    """``src`` with an extra AAC track written first: silence (or, if not ``first_silent``,
    the same sound again); the original track comes second."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin, ain = inp.streams.video[0], inp.streams.audio[0]
        duration = float(inp.duration or 0) / 1_000_000
        first = out.add_stream("aac", rate=16000)
        first.layout = "mono"
        vout = out.add_stream_from_template(vin)
        aout = out.add_stream_from_template(ain)
        _first_track(str(src), out, first, duration, first_silent)
        for packet in inp.demux(vin, ain):
            if packet.dts is None:
                continue
            packet.stream = vout if packet.stream.index == vin.index else aout
            out.mux(packet)
    return dst


def _first_track(src: str, out, stream, duration: float, silent: bool) -> None:
    if not silent:
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=16000)
        with av.open(src) as inp:
            for frame in inp.decode(inp.streams.audio[0]):
                for f in resampler.resample(frame):
                    out.mux(stream.encode(f))
        out.mux(stream.encode())
        return
    n = 1024
    for i in range(int(duration * 16000) // n):
        zeros = np.zeros((1, n), np.float32)
        frame = av.AudioFrame.from_ndarray(zeros, format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 16000, i * n
        out.mux(stream.encode(frame))
    out.mux(stream.encode())


def photo_as_mp4(photo: Path, dst: Path) -> Path:
    shutil.copyfile(photo, dst)
    return dst


# -- audit functions run in the scan's workers ------------------------------------------------


def rename_then_audit(path: str, profile: str | None):
    """A person renames the file after the scan hashed it and before the audit opens it."""
    p = Path(path)
    if p.name.startswith("rename-me"):
        p.rename(p.with_name("renamed " + p.name))
    return audit_in_worker(path, profile)


def crash_on_bad_file(path: str, profile: str | None):
    """A file that kills its worker process every time (as a decoder bug would)."""
    if "crashes" in Path(path).name:
        os._exit(3)
    return audit_in_worker(path, profile)
