"""Finding faces in a picture: the YuNet detector and the MediaPipe face landmarker, loaded once
per model file, and the faces they give in the picture's own coordinates.

``FaceDetector`` runs YuNet over a whole picture or a window around a face;
``LandmarkExtent`` runs the landmarker on a padded crop around one face and gives the face
mesh's extent and a yaw proxy (the mesh extends past the frame edge when part of the face is
outside it). The faces check (``checks.faces``) decides with them.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.vision.native import import_mediapipe, quiet_stderr

log = logging.getLogger(__name__)


# Face-mesh landmark indices (MediaPipe 478-point topology).
LM_NOSE_TIP = 1
LM_CHEEK_R = 234  # image-left cheek edge
LM_CHEEK_L = 454  # image-right cheek edge


@dataclass(frozen=True)
class Face:
    """One detected face in frame coordinates."""

    box: tuple[float, float, float, float]  # x, y, w, h
    score: float
    keypoints: tuple[tuple[float, float], ...]  # right eye, left eye, nose, mouth r, mouth l

    @property
    def cx(self) -> float:
        return self.box[0] + self.box[2] / 2


@functools.lru_cache(maxsize=4)
def load_yunet(model_path: str) -> Any:
    import cv2

    # Errors only: no backend notices on the user's terminal.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    data = np.frombuffer(Path(model_path).read_bytes(), dtype=np.uint8)
    return cv2.FaceDetectorYN.create("onnx", data, np.zeros(0, np.uint8), (320, 320), 0.5, 0.3, 50)


@functools.lru_cache(maxsize=4)
def load_landmarker(model_path: str) -> Any:
    import_mediapipe()  # without its drawing helpers' matplotlib (start-up time)
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=Path(model_path).read_bytes()),
        running_mode=vision.RunningMode.IMAGE,
        num_faces=1,
        min_face_detection_confidence=0.3,
        min_face_presence_confidence=0.3,
    )
    with quiet_stderr():
        landmarker = vision.FaceLandmarker.create_from_options(options)
        _warm_up(landmarker)
    # Close it before interpreter teardown: MediaPipe's finaliser fails once its executor and
    # modules are gone. Threading's exit hooks run newest first, so this one runs before the
    # hook that shuts MediaPipe's executor down.
    register = getattr(threading, "_register_atexit", atexit.register)
    register(_close_quietly, landmarker)
    return landmarker


def _warm_up(landmarker: Any) -> None:
    """One inference on a blank picture: the native libraries log their set-up on the first
    one, which then happens while their output is muted."""
    import mediapipe as mp

    blank = np.zeros((192, 192, 3), np.uint8)
    landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=blank))


def _close_quietly(task: Any) -> None:
    try:
        task.close()
    except Exception:  # already shut down with the interpreter: nothing left to release
        log.debug("landmarker close at exit failed", exc_info=True)


class FaceDetector:
    """YuNet over a whole picture, returning faces in the picture's own coordinates."""

    def __init__(self, model_path: Path, detect_width: int = 640, score_threshold: float = 0.6):
        self.net = load_yunet(str(model_path))
        self.detect_width = detect_width
        self.score_threshold = score_threshold

    def detect(self, image: np.ndarray, width: int | None = None) -> list[Face]:
        """Faces in ``image``, searched for in the picture scaled to ``width`` (default
        ``detect_width``; never upscaled)."""
        import cv2

        h, w = image.shape[:2]
        scale = min(1.0, (width or self.detect_width) / w)
        if scale < 1.0:
            image = cv2.resize(
                image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
            )
        ih, iw = image.shape[:2]
        self.net.setInputSize((iw, ih))
        self.net.setScoreThreshold(self.score_threshold)
        _, rows = self.net.detect(image)
        faces = []
        for r in rows if rows is not None else []:
            k = r[4:14].reshape(5, 2) / scale
            faces.append(
                Face(
                    box=(
                        float(r[0] / scale),
                        float(r[1] / scale),
                        float(r[2] / scale),
                        float(r[3] / scale),
                    ),
                    score=float(r[14]),
                    keypoints=tuple((float(x), float(y)) for x, y in k),
                )
            )
        return faces

    def detect_near(self, image: np.ndarray, face: Face, window: float, size: int) -> list[Face]:
        """Faces in a square ``window`` times ``face``'s size around it (the part outside the
        picture black), searched for at ``size`` x ``size`` pixels; in picture coordinates."""
        import cv2

        side = max(1, round(window * max(face.box[2], face.box[3])))
        cx, cy = face.box[0] + face.box[2] / 2, face.box[1] + face.box[3] / 2
        x0, y0 = round(cx - side / 2), round(cy - side / 2)
        crop = _padded_crop(image, x0, y0, side)
        if crop is None:
            return []
        found = self.detect(cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA))
        k = side / size
        return [
            Face(
                box=(f.box[0] * k + x0, f.box[1] * k + y0, f.box[2] * k, f.box[3] * k),
                score=f.score,
                keypoints=tuple((x * k + x0, y * k + y0) for x, y in f.keypoints),
            )
            for f in found
        ]


def _padded_crop(image: np.ndarray, x0: int, y0: int, side: int) -> np.ndarray | None:
    """The ``side`` x ``side`` square of ``image`` from (x0, y0), black outside the picture;
    None when the square misses the picture. A square inside the picture is a view of it
    (nothing copied: callers only read it)."""
    h, w = image.shape[:2]
    if x0 >= 0 and y0 >= 0 and x0 + side <= w and y0 + side <= h:
        return image[y0 : y0 + side, x0 : x0 + side]
    fx0, fy0 = max(0, x0), max(0, y0)
    fx1, fy1 = min(w, x0 + side), min(h, y0 + side)
    if fx1 <= fx0 or fy1 <= fy0:
        return None
    crop = np.zeros((side, side, *image.shape[2:]), image.dtype)
    crop[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0] = image[fy0:fy1, fx0:fx1]
    return crop


class LandmarkExtent:
    """The face mesh around one face, from the landmarker run on a padded crop."""

    def __init__(self, model_path: Path):
        self.landmarker = load_landmarker(str(model_path))

    def extent(self, image: np.ndarray, face: Face) -> dict[str, float] | None:
        """top/bottom/left/right of the mesh and a yaw proxy, in frame coordinates."""
        import cv2
        import mediapipe as mp

        x, y, bw, bh = face.box
        side = 2.2 * max(bw, bh)
        cx, cy = x + bw / 2, y + bh / 2
        x0, y0 = round(cx - side / 2), round(cy - side / 2)
        s = round(side)
        crop = _padded_crop(image, x0, y0, s)  # outside the frame stays black
        if crop is None:
            return None
        size = 256
        rgb = cv2.cvtColor(
            cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB
        )
        result = self.landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        if not result.face_landmarks:
            return None
        pts = np.array([(p.x, p.y) for p in result.face_landmarks[0]], dtype=np.float64)
        pts = pts * s + np.array([x0, y0])
        left, right = pts[LM_CHEEK_R, 0], pts[LM_CHEEK_L, 0]
        width = max(1e-6, right - left)
        return {
            "top": float(pts[:, 1].min()),
            "bottom": float(pts[:, 1].max()),
            "left": float(pts[:, 0].min()),
            "right": float(pts[:, 0].max()),
            "yaw": float(2 * ((pts[LM_NOSE_TIP, 0] - left) / width) - 1),
        }
