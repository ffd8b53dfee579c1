"""Text recognition on held-up papers: RapidOCR (PP-OCR Chinese detection and recognition).

The ``rapidocr`` wheel ships its ONNX models (PP-OCRv6 small detection and recognition; the
recogniser's character set is inside its ONNX file), so nothing is downloaded: the engine is
built with explicit paths to those files and fails with a clear error when one is missing,
instead of letting the library fetch it. Loaded once per process, on first use.

Personal data: every text that leaves this module has its ID numbers masked
(:func:`mask_id_numbers`), so an unmasked number is never stored, reported or logged.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.core.result import Text

log = logging.getLogger(__name__)

PACKAGE = "rapidocr"
# The models inside the wheel (rapidocr/models/), by task.
MODEL_FILES = {"det": "PP-OCRv6_det_small.onnx", "rec": "PP-OCRv6_rec_small.onnx"}
DET_LIMIT_SIDE = 960  # detection runs on the crop scaled so its longer side is at most this
# One ONNX Runtime thread per model: OCR runs beside the frame checks (and scan's workers);
# on 2 busy cores a second spinning thread made each run about 2x slower, not faster.
THREADS = 1
NO_OCR = Text(
    "未安装文字识别组件 rapidocr（pip install --no-deps rapidocr==3.10.0）",
    "The text recogniser rapidocr is not installed (pip install --no-deps rapidocr==3.10.0)",
)

# A resident ID number: 18 characters (17 digits and a digit or X) or the older 15 digits.
# Any run of 15 or more digits (a misread number, a bank card) is masked the same way.
_ID_RE = re.compile(r"(?<![0-9])(?:\d\s?){14,}[\dXx](?![0-9])")


def mask_id_numbers(text: str) -> str:
    """Mask every ID number in ``text``: keep the first 3 and last 2 characters (enough to
    show that a number was read, not enough to identify anyone)."""

    def mask(m: re.Match[str]) -> str:
        digits = re.sub(r"\s", "", m.group(0))
        return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]

    return _ID_RE.sub(mask, text)


def find_id_number(text: str) -> str | None:
    """The masked form of the first ID number in ``text`` (None when there is none)."""
    m = _ID_RE.search(text)
    return None if m is None else mask_id_numbers(m.group(0))


@dataclass(frozen=True)
class Line:
    """One line of text read: masked text, recogniser confidence, box (x, y, w, h) in the
    image given to :func:`read_lines`, and whether it held an ID number."""

    text: str
    score: float
    box: tuple[float, float, float, float]
    id_number: bool = False


class OcrUnavailable(RuntimeError):
    """rapidocr or one of its bundled models is missing."""


def _package_dir() -> Path:
    try:
        import rapidocr
    except ImportError as exc:
        raise OcrUnavailable(NO_OCR.en) from exc
    return Path(rapidocr.__file__).resolve().parent


def model_paths() -> dict[str, Path]:
    """The bundled model files; OcrUnavailable when one is missing (never downloaded)."""
    models = _package_dir() / "models"
    paths = {task: models / name for task, name in MODEL_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise OcrUnavailable(f"rapidocr's bundled model file(s) missing: {', '.join(missing)}")
    return paths


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Recorded in each result's ``models``: the package version and each model's name and
    sha256 prefix (computed once per process)."""
    out = {"rapidocr": metadata.version(PACKAGE)}
    for task, path in model_paths().items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        out[f"ocr_{task}"] = f"{path.stem} sha256:{digest}"
    return out


_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _engine() -> Any:
    paths = model_paths()
    from rapidocr import RapidOCR

    params = {
        "Global.log_level": "error",
        "Global.use_cls": False,  # papers are held upright
        "Det.model_path": str(paths["det"]),
        "Rec.model_path": str(paths["rec"]),
        "Det.limit_type": "max",
        "Det.limit_side_len": DET_LIMIT_SIDE,
        "EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
        "EngineConfig.onnxruntime.inter_op_num_threads": THREADS,
    }
    log.debug("loading rapidocr (%s)", ", ".join(f"{k}={v}" for k, v in versions().items()))
    return RapidOCR(params=params)


def load() -> None:
    """Load the OCR models now (a guided recording does it before the first paper is held
    up, so that the first reading is not held up by the load)."""
    with _lock:
        _engine()


def available() -> Text | None:
    """None when OCR can run, else why not."""
    try:
        model_paths()
    except OcrUnavailable as exc:
        return NO_OCR if "not installed" in str(exc) else Text(str(exc), str(exc))
    return None


def _box(points: Any) -> tuple[float, float, float, float]:
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def detect(image: np.ndarray, max_side: int | None = None) -> list[np.ndarray]:
    """Text line quads (4 x 2 points, ``image`` pixels) found by the detector alone; with
    ``max_side`` the detector sees a copy scaled down so that its longer side is at most that
    (a page's title keeps its share of the page, so it stays large enough to be found)."""
    scale = 1.0
    if max_side is not None and max(image.shape[:2]) > max_side:
        import cv2

        scale = max_side / max(image.shape[:2])
        h, w = image.shape[:2]
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    with _lock:
        out = _engine()(image, use_det=True, use_cls=False, use_rec=False)
    boxes = getattr(out, "boxes", None)
    if boxes is None:
        return []
    return [np.asarray(b, dtype=np.float32) / np.float32(scale) for b in boxes]


def recognise(image: np.ndarray, quads: list[np.ndarray]) -> list[Line]:
    """Read the given line quads of ``image`` in one batch; ID numbers come back masked."""
    if not quads:
        return []
    with _lock:
        engine = _engine()
        crops = engine.crop_text_regions(image, np.stack(quads))
        out = engine.recognize_txt(crops)
    lines = []
    for quad, raw, score in zip(quads, out.txts or (), out.scores or (), strict=False):
        text = str(raw).strip()
        if not text:
            continue
        masked = mask_id_numbers(text)
        lines.append(Line(masked, float(score), _box(quad), id_number=masked != text))
    return lines
