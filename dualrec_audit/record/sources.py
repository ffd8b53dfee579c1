"""Where pictures and sound come from: a camera and a microphone, or a recording played back
as devices would deliver it. Every source hands its frames and sound to a :class:`Sink` from
its own threads, so the session's code path is the same for all of them.

- :class:`FileSource` (``--source FILE``): the file decoded with PyAV; with ``realtime`` each
  frame and block of sound is handed over at its time on the wall clock (a recording of 10 min
  takes 10 min), as a camera and a microphone deliver them. A sink that is busy is not waited
  for: the session drops frames then, as a real camera would.
- :class:`DeviceSource`: a camera through OpenCV (V4L2, DirectShow, AVFoundation) and a
  microphone through PortAudio (``sounddevice``).

Frames are PyAV ``VideoFrame`` objects (yuv420p: what the encoder and the mouth tracker read);
sound is float32 mono at 16 kHz (what the checks and the recogniser read; the recording's AAC
track is written at that rate).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dualrec_audit.core.errors import DualrecError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000


class DeviceError(DualrecError):
    """A camera or microphone cannot be opened or was lost; the message (Chinese first) names
    the device."""

    code = "device_error"


class Sink(Protocol):
    """What a source hands its frames and sound to (``t``: seconds from the start)."""

    def video(self, t: float, frame: Any) -> None: ...

    def sound(self, t: float, samples: np.ndarray) -> None: ...

    def lost(self, device: str, why: str) -> None: ...

    def ended(self) -> None: ...


@dataclass(frozen=True)
class Format:
    width: int
    height: int
    fps: float


class Source(Protocol):
    name: str
    lossless: bool  # True: the sink is waited for (a file played as fast as it is checked)

    def open(self) -> Format: ...

    def start(self, sink: Sink) -> None: ...

    def stop(self) -> None: ...


class FileSource:
    """A recording played back as a camera and a microphone would deliver it."""

    def __init__(self, path: Path, *, realtime: bool = True) -> None:
        self.path = path
        self.name = str(path)
        self.realtime = realtime
        self.lossless = not realtime
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self) -> Format:
        from dualrec_audit.media.probe import check_file, probe

        check_file(self.path)
        info = probe(self.path)
        w, h = info.display_size
        return Format(w, h, info.fps or 25.0)

    def start(self, sink: Sink) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(sink,), name="source-file", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self, sink: Sink) -> None:
        import av

        try:
            with av.open(str(self.path)) as container:
                self._play(container, sink)
        except Exception as exc:  # a damaged file: the source is lost, as a device would be
            log.warning("%s: %s", self.path, exc)
            sink.lost(self.name, str(exc))
        finally:
            sink.ended()

    def _play(self, container: Any, sink: Sink) -> None:
        import av

        streams = [*container.streams.video[:1], *container.streams.audio[:1]]
        vs = container.streams.video[0] if container.streams.video else None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        start = time.monotonic()
        heard = 0  # samples handed over
        for packet in container.demux(*streams):
            for frame in packet.decode():
                if self._stop.is_set():
                    return
                if frame.pts is None:
                    continue
                if vs is not None and packet.stream is vs:
                    t = float(frame.pts * frame.time_base)
                    self._wait(start, t)
                    sink.video(t, frame.reformat(format="yuv420p", threads=1))
                    continue
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    t = heard / SAMPLE_RATE
                    heard += len(samples)
                    self._wait(start, heard / SAMPLE_RATE)  # a block is there once complete
                    sink.sound(t, samples)

    def _wait(self, start: float, t: float) -> None:
        if self.realtime:
            delay = start + t - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)


class DeviceSource:
    """A camera (OpenCV's ``VideoCapture``: V4L2, DirectShow, AVFoundation) and a microphone
    (PortAudio through ``sounddevice``), on one clock."""

    def __init__(self, camera: int = 0, mic: str | None = None, fps: float = 25.0) -> None:
        self.camera, self.fps = camera, fps
        # A microphone by PortAudio's index or by (part of) its name.
        self.mic: int | str | None = int(mic) if mic is not None and mic.isdigit() else mic
        self.name = f"camera {camera}"
        self.lossless = False
        self._cap: Any = None
        self._mic: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self) -> Format:
        import cv2

        cap = cv2.VideoCapture(self.camera)
        if not cap.isOpened():
            raise DeviceError(
                f"无法打开摄像头 {self.camera}：未找到或被其他程序占用（先运行 "
                f"dualrec-audit record --list-devices 查看）/ camera {self.camera} cannot be "
                "opened: not found or in use",
                code="no_camera",
            )
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        ok, img = cap.read()
        if not ok:
            cap.release()
            raise DeviceError(
                f"摄像头 {self.camera} 没有画面 / camera {self.camera} gives no picture",
                code="no_camera",
            )
        self._cap = cap
        try:
            sd = _sounddevice()
        except DeviceError:
            cap.release()
            raise
        device = self.mic if self.mic is not None else sd.default.device[0]
        try:
            sd.check_input_settings(device=device, channels=1, samplerate=SAMPLE_RATE)
        except Exception as exc:
            cap.release()
            raise DeviceError(
                f"无法打开麦克风“{self.mic or '默认'}”：{exc} / the microphone "
                f"'{self.mic or 'default'}' cannot be opened",
                code="no_microphone",
            ) from None
        self._device = device
        return Format(img.shape[1], img.shape[0], float(cap.get(cv2.CAP_PROP_FPS) or self.fps))

    def start(self, sink: Sink) -> None:
        sd = _sounddevice()
        t0 = time.monotonic()
        heard = [0]

        def callback(indata: np.ndarray, frames: int, when: Any, status: Any) -> None:
            if status.input_overflow:
                log.warning("microphone overflow: sound lost")
            samples = indata[:, 0].astype(np.float32)
            sink.sound(heard[0] / SAMPLE_RATE, samples)
            heard[0] += len(samples)

        self._mic = sd.InputStream(
            device=self._device, channels=1, samplerate=SAMPLE_RATE, callback=callback
        )
        self._mic.start()
        self._thread = threading.Thread(
            target=self._grab, args=(sink, t0), name="source-camera", daemon=True
        )
        self._thread.start()

    def _grab(self, sink: Sink, t0: float) -> None:
        import av

        misses = 0
        while not self._stop.is_set():
            ok, img = self._cap.read()
            if not ok:
                misses += 1
                if misses >= 25:  # about a second without a picture: the camera is gone
                    sink.lost(f"摄像头 {self.camera}", "no picture")
                    break
                continue
            misses = 0
            if self._mic is not None and not self._mic.active:
                sink.lost(f"麦克风 {self.mic or '默认'}", "stream stopped")
                break
            frame = av.VideoFrame.from_ndarray(img, format="bgr24").reformat(
                format="yuv420p", threads=1
            )
            sink.video(time.monotonic() - t0, frame)
        sink.ended()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._mic is not None:
            self._mic.close()
        if self._cap is not None:
            self._cap.release()


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # the PortAudio library is missing
        raise DeviceError(
            "找不到声音库 PortAudio，无法使用麦克风（Debian/Ubuntu：sudo apt-get install "
            f"libportaudio2）/ PortAudio is not installed ({exc})",
            code="no_portaudio",
        ) from None
    return sounddevice


@dataclass(frozen=True)
class Devices:
    cameras: tuple[tuple[int, str], ...]
    microphones: tuple[str, ...]
    problems: tuple[str, ...]  # why a kind of device could not be listed (Chinese / English)


def list_devices(max_cameras: int = 8) -> Devices:
    """The cameras OpenCV can open (index, backend) and PortAudio's input devices."""
    import cv2

    problems: list[str] = []
    cameras: list[tuple[int, str]] = []
    for i in range(max_cameras):
        cap = cv2.VideoCapture(i)
        try:
            if cap.isOpened():
                cameras.append((i, cap.getBackendName()))
        finally:
            cap.release()
    if not cameras:
        problems.append("未找到摄像头 / no camera found")
    mics: list[str] = []
    try:
        sd = _sounddevice()
        mics = [d["name"] for d in sd.query_devices() if d["max_input_channels"] > 0]
        if not mics:
            problems.append("未找到麦克风 / no microphone found")
    except DeviceError as exc:
        problems.append(exc.message)
    return Devices(tuple(cameras), tuple(mics), tuple(problems))
