"""Bad and unusual inputs through the real CLI: each gives a clear result or error, never a
traceback.

Every case runs ``python -m dualrec_audit check PATH --json --no-progress`` in a subprocess with
an empty user data dir, so no user-installed model changes the result. The inputs are built once
per module in a temporary folder, from ``sample_videos/clean.mp4`` and the face photos in
``tests/data/media/images``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest

from .conftest import ROOT, SAMPLES
from .conftest import media as media_file

CLEAN = SAMPLES / "clean.mp4"
DAMAGED = re.compile(r"truncated|damaged|copied", re.IGNORECASE)


# -- running the CLI --------------------------------------------------------------------------


class Run:
    def __init__(self, proc: subprocess.CompletedProcess[str]):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        try:
            self.doc: Any = json.loads(proc.stdout)
        except ValueError:
            self.doc = None

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"Run(rc={self.rc}, stdout={self.stdout[-2000:]!r}, stderr={self.stderr[-3000:]!r})"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg"))
    env.pop("DUALREC_AUDIT_MODELS", None)
    return env


@pytest.fixture(scope="module")
def check(cli_env: dict[str, str]):
    def run(*paths: Path | str) -> Run:
        cmd = [sys.executable, "-m", "dualrec_audit", "check", *map(str, paths)]
        proc = subprocess.run(
            [*cmd, "--json", "--no-progress"],
            cwd=ROOT,
            env=cli_env,
            capture_output=True,
            encoding="utf-8",
            timeout=120,
        )
        r = Run(proc)
        assert "Traceback" not in r.stderr, r
        assert r.doc is not None, r
        return r

    return run


def assert_error(r: Run, path: Path | str, code: str) -> dict[str, Any]:
    assert r.rc == 1, r
    doc = r.doc
    assert doc["file"] == str(path)
    assert doc["decision"] == "error", r
    assert doc["error"]["code"] == code, r
    message = doc["error"]["message"]
    assert isinstance(message, str) and len(message) > 10
    assert "Errno" not in message and "Traceback" not in message, message
    return doc


def assert_audited(r: Run, path: Path | str) -> dict[str, Any]:
    assert r.rc == 0, r
    doc = r.doc
    assert doc["file"] == str(path)
    assert doc["error"] is None, r
    assert doc["decision"] in ("approve", "review", "rerecord"), r
    return doc


def party_absent(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in doc["events"] if e["check"] == "party_absent"]


# -- building the inputs ----------------------------------------------------------------------


def two_faces(width: int, height: int) -> np.ndarray:
    """A plain wall with two real face photos side by side (staff left, customer right)."""
    canvas = np.full((height, width, 3), (190, 205, 215), np.uint8)
    for i, name in enumerate(("facerec_obama.jpg", "facerec_biden.jpg")):
        img = cv2.imread(str(media_file(f"images/{name}")))
        assert img is not None, name
        ih, iw = img.shape[:2]
        s = min(0.8 * (width / 2) / iw, 0.7 * height / ih)
        img = cv2.resize(img, (int(iw * s), int(ih * s)), interpolation=cv2.INTER_AREA)
        ih, iw = img.shape[:2]
        x0 = int((i + 0.5) * width / 2 - iw / 2)
        y0 = (height - ih) // 2
        canvas[y0 : y0 + ih, x0 : x0 + iw] = img
    return canvas


def write_video(
    path: Path, picture: np.ndarray, seconds: float, *, fps: int = 25, rotation: int | None = None
) -> Path:
    """An H.264 MP4 with no audio track: ``picture`` with a frame counter drawn on it."""
    h, w = picture.shape[:2]
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "28"}
        if rotation is not None:
            vs.set_display_rotation(rotation)
        for i in range(round(seconds * fps)):
            frame = picture.copy()
            cv2.putText(frame, str(i), (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1, (0, 0, 0), 2)
            vf = av.VideoFrame.from_ndarray(frame, format="bgr24")
            vf.pts = i
            for packet in vs.encode(vf):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bad_input")


@pytest.fixture(scope="module")
def truncated(media: Path) -> Path:
    data = CLEAN.read_bytes()
    path = media / "truncated.mp4"
    path.write_bytes(data[: int(len(data) * 0.4)])
    return path


@pytest.fixture(scope="module")
def header_only(media: Path) -> Path:
    path = media / "header_only.mp4"
    path.write_bytes(CLEAN.read_bytes()[:2048])
    return path


@pytest.fixture(scope="module")
def empty(media: Path) -> Path:
    path = media / "empty.mp4"
    path.write_bytes(b"")
    return path


@pytest.fixture(scope="module")
def text_file(media: Path) -> Path:
    path = media / "notes.mp4"
    path.write_text("客户签字确认单，不是视频。\nnot a video\n" * 20, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def no_audio(media: Path) -> Path:
    return write_video(media / "no_audio.mp4", two_faces(640, 360), 3.0)


@pytest.fixture(scope="module")
def vertical(media: Path) -> Path:
    return write_video(media / "vertical.mp4", two_faces(720, 1280), 3.0)


@pytest.fixture(scope="module")
def rotated(media: Path) -> Path:
    """Stored sideways (360x640) with a display matrix that turns it 90° clockwise into an
    upright 640x360 picture. Decoded without the rotation, no face is found at all."""
    if not hasattr(av.video.stream.VideoStream, "set_display_rotation"):
        pytest.skip(f"PyAV {av.__version__} cannot write a display matrix (set_display_rotation)")
    sideways = np.ascontiguousarray(np.rot90(two_faces(640, 360), k=1))
    # PyAV's degrees are counter-clockwise: -90 = display turned 90° clockwise.
    return write_video(media / "rotated.mp4", sideways, 3.0, rotation=-90)


@pytest.fixture(scope="module")
def uhd(media: Path) -> Path:
    return write_video(media / "uhd_4k.mp4", two_faces(3840, 2160), 2.0, fps=10)


# -- damaged or not a video -------------------------------------------------------------------


def test_truncated_file(check, truncated: Path):
    doc = assert_error(check(truncated), truncated, "truncated")
    assert DAMAGED.search(doc["error"]["message"]), doc["error"]


def test_file_still_being_copied_header_only(check, header_only: Path):
    """Only the first 2 kB (part of the header) arrived: the same error as a truncated file,
    not a raw decoder message."""
    doc = assert_error(check(header_only), header_only, "truncated")
    assert DAMAGED.search(doc["error"]["message"]), doc["error"]


def test_empty_file(check, empty: Path):
    doc = assert_error(check(empty), empty, "empty_file")
    assert "empty" in doc["error"]["message"]


def test_text_file_named_mp4(check, text_file: Path):
    doc = assert_error(check(text_file), text_file, "not_media")
    assert "not a readable video" in doc["error"]["message"]


def test_missing_path(check, media: Path):
    missing = media / "不存在的录像.mp4"
    doc = assert_error(check(missing), missing, "not_found")
    assert str(missing) in doc["error"]["message"]


# -- unusual but valid recordings -------------------------------------------------------------


def test_video_without_audio_track(check, no_audio: Path):
    doc = assert_audited(check(no_audio), no_audio)
    assert doc["media"]["audio_streams"] == 0
    speech = doc["checks"]["speech"]
    assert speech["status"] == "unavailable"
    assert "no audio track" in speech["reason"]["en"].lower()
    assert doc["checks"]["faces"]["status"] == "ok"
    assert party_absent(doc) == []  # both faces were found
    assert doc["decision"] != "approve"


def test_chinese_and_space_file_names(check, media: Path):
    folder = media / "客户资料 二〇二四"
    folder.mkdir(exist_ok=True)
    names = [folder / "客户张三_基金销售.mp4", folder / "客户 李四 (复录).mp4"]
    for p in names:
        shutil.copyfile(CLEAN, p)
        shutil.copyfile(CLEAN.with_suffix(".json"), p.with_suffix(".json"))  # same profile
    r = check(CLEAN, *names)
    assert r.rc == 0, r
    ref, *docs = r.doc
    assert ref["file"] == str(CLEAN) and ref["error"] is None
    for path, doc in zip(names, docs, strict=True):
        assert doc["file"] == str(path)
        assert doc["error"] is None
        assert doc["sha256"] == ref["sha256"]
        assert doc["decision"] == ref["decision"]
        assert doc["events"] == ref["events"]
        assert doc["timelines"] == ref["timelines"]


def test_vertical_video(check, vertical: Path):
    doc = assert_audited(check(vertical), vertical)
    assert (doc["media"]["width"], doc["media"]["height"]) == (720, 1280)
    assert doc["media"]["rotation"] == 0
    assert doc["checks"]["faces"]["status"] == "ok"
    assert party_absent(doc) == []


def test_rotated_video(check, rotated: Path):
    doc = assert_audited(check(rotated), rotated)
    media = doc["media"]
    assert media["rotation"] == 90
    assert (media["width"], media["height"]) == (360, 640)  # as stored
    assert doc["checks"]["faces"]["status"] == "ok"
    # Faces are only found when the frames are turned upright before detection.
    assert party_absent(doc) == [], doc["events"]


def test_4k_video(check, uhd: Path):
    doc = assert_audited(check(uhd), uhd)
    assert (doc["media"]["width"], doc["media"]["height"]) == (3840, 2160)
    faces = doc["checks"]["faces"]
    assert faces["status"] == "ok"
    assert party_absent(doc) == []
    # Face boxes are in the pixels of the sampled frames: 4K is scaled down to 1920 wide.
    tracks = faces["details"]["tracks"]
    assert tracks
    assert max(x + w for _, _, x, _, w, _ in tracks) <= 1920
    assert max(x for _, party, x, _, _, _ in tracks if party == "customer") > 960


# -- a folder ---------------------------------------------------------------------------------


def test_folder_with_good_and_bad_files(
    check, media: Path, no_audio: Path, vertical: Path, empty: Path, text_file: Path, header_only
):
    folder = media / "mixed folder"
    folder.mkdir(exist_ok=True)
    good = {"a_good.mp4": no_audio, "d_good_vertical.mp4": vertical}
    bad = {"b_empty.mp4": (empty, "empty_file"), "c_text.MP4": (text_file, "not_media")}
    bad["e_copying.mp4"] = (header_only, "truncated")
    for name, src in good.items():
        shutil.copyfile(src, folder / name)
    for name, (src, _) in bad.items():
        shutil.copyfile(src, folder / name)
    (folder / "readme.txt").write_text("not a recording", encoding="utf-8")

    r = check(folder)
    assert r.rc == 1, r
    assert isinstance(r.doc, list)
    by_name = {Path(d["file"]).name: d for d in r.doc}
    assert sorted(by_name) == sorted([*good, *bad])  # readme.txt is not a video
    for name in good:
        doc = by_name[name]
        assert doc["file"] == str(folder / name)
        assert doc["error"] is None and doc["decision"] != "error", doc["error"]
        assert doc["checks"]["faces"]["status"] == "ok"
    for name, (_, code) in bad.items():
        doc = by_name[name]
        assert doc["decision"] == "error"
        assert doc["error"]["code"] == code
        assert doc["error"]["message"]
