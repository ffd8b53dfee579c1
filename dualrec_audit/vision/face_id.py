"""Face descriptors: who a face is, as 128 numbers (dlib's ResNet face recognition model).

A face found by the detector (its box) is aligned with dlib's 5-point shape predictor (eye
corners and nose) into a 150 x 150 chip, and the ResNet turns the chip into a descriptor; two
faces of one person are about 0.6 or less apart (Euclidean distance), different people more
(99.38 % on LFW by the model's author). Both files are the public-domain models of dlib's
model collection (``models/manifest.toml``, ``dlib-face-id``); the ``dlib`` module comes from
the ``dlib-bin`` wheel. Loaded once per process, on first use.

One descriptor takes about 0.085 s on one core here (alignment included), whatever the face's
size in the picture: the check that uses it (``checks.identity``) takes few.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.core.errors import ModelError
from dualrec_audit.core.result import Text
from dualrec_audit.models.registry import LocatedModel, ModelStore

MODEL = "dlib-face-id"  # in models/manifest.toml
PREDICTOR_FILE = "shape_predictor_5_face_landmarks.dat"
NETWORK_FILE = "dlib_face_recognition_resnet_model_v1.dat"
CHIP_SIZE = 150  # the network's input, as it was trained
CHIP_PADDING = 0.25
NO_DLIB = Text(
    "未安装人脸识别组件 dlib（pip install dlib-bin）",
    "The face recogniser dlib is not installed (pip install dlib-bin)",
)

Box = tuple[float, float, float, float]  # x, y, w, h in picture pixels


def locate(store: ModelStore) -> tuple[LocatedModel | None, Text | None]:
    """The face identity models (``dlib-face-id``), or None and why (the identity check is then
    'unavailable': a recording it cannot check is reviewed, never auto-approved)."""
    why = available()
    if why is not None:
        return None, why
    try:
        return store.locate(MODEL), None
    except ModelError as exc:
        return None, Text(f"未安装人脸识别模型 {MODEL}：{exc.message}", exc.message)


def available() -> Text | None:
    """Why descriptors cannot be computed here (None when they can)."""
    try:
        import dlib  # noqa: F401
    except ImportError:
        return NO_DLIB
    return None


@functools.lru_cache(maxsize=2)
def _load(folder: str) -> tuple[Any, Any]:
    import dlib

    root = Path(folder)
    predictor = dlib.shape_predictor(str(root / PREDICTOR_FILE))
    network = dlib.face_recognition_model_v1(str(root / NETWORK_FILE))
    return predictor, network


class FaceDescriber:
    """Descriptors of faces given by their boxes (the models in ``folder``). dlib's objects
    are not shared between threads: one describer is used by one thread at a time."""

    def __init__(self, folder: Path):
        self.predictor, self.network = _load(str(folder))
        self._lock = threading.Lock()
        self.runs = 0

    def describe(self, frame: np.ndarray, box: Box) -> np.ndarray:
        """The descriptor (128 float64) of the face at ``box`` in ``frame`` (BGR)."""
        import cv2
        import dlib

        x, y, w, h = box
        # Only the face and a margin are converted (the predictor looks inside the box).
        fh, fw = frame.shape[:2]
        m = 0.6 * max(w, h)
        x0, y0 = max(0, int(x - m)), max(0, int(y - m))
        x1, y1 = min(fw, int(x + w + m)), min(fh, int(y + h + m))
        rgb = np.ascontiguousarray(cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2RGB))
        rect = dlib.rectangle(int(x - x0), int(y - y0), int(x + w - x0), int(y + h - y0))
        with self._lock:
            shape = self.predictor(rgb, rect)
            chip = dlib.get_face_chip(rgb, shape, CHIP_SIZE, CHIP_PADDING)
            out = np.array(self.network.compute_face_descriptor(chip), dtype=np.float64)
            self.runs += 1
        return out


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))


def centre(descriptors: Sequence[np.ndarray]) -> np.ndarray:
    """The mean of several descriptors of one face (closer to the person than any one)."""
    return np.mean(np.stack(list(descriptors)), axis=0)
