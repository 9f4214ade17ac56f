"""The face models: dlib's HOG frontal face detector, its 68-point shape predictor and its ResNet face
recognition model (128-d embeddings), from the `face-recognition-models` package. Nothing is
downloaded at run time.

The models are loaded once per process, on first use, under a lock; dlib's network keeps per-call
state inside the model object, so calls into the models are serialised by the same lock. A city
that needs more verifications per second runs more processes.

Glossary: 人脸检测 → face detection, 特征点 → landmarks, 人脸特征向量 → face embedding.
"""

from __future__ import annotations

import importlib.util
import io
import math
import struct
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from onecity.identity.face.pose import Point, yaw_degrees

MODEL_FILES = {
    "shape": "shape_predictor_68_face_landmarks.dat",
    "recognition": "dlib_face_recognition_resnet_model_v1.dat",
}
# Images are brought to a long side within these bounds before detection: large photos are shrunk
# (speed), small ones enlarged so that a face filling a small picture is still seen by the detector,
# whose window is 80×80 pixels. No pyramid upsampling: it finds faces in patterned cloth.
MIN_SIDE = 480
MAX_SIDE = 800
# Refuse images whose header promises more than this before decoding them (decompression bombs).
MAX_PIXELS = 4096 * 4096
EMBEDDING_DIMS = 128


class BadImage(ValueError):
    """The bytes are not a JPEG/PNG image we can decode within the limits."""


@dataclass(frozen=True)
class Face:
    """One face found in an image: its box (left, top, right, bottom), score and 68 landmarks."""

    box: tuple[int, int, int, int]
    score: float
    landmarks: tuple[Point, ...]
    _shape: Any  # the dlib full_object_detection, needed to compute the embedding

    @property
    def yaw(self) -> float:
        return yaw_degrees(self.landmarks)


def model_dir() -> Path:
    """Where `face-recognition-models` keeps its .dat files (its __init__ is not imported: it needs
    pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the face-recognition-models package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def decode_image(data: bytes) -> np.ndarray:
    """JPEG or PNG bytes → an RGB uint8 array, upright (EXIF orientation applied), long side in
    [MIN_SIDE, MAX_SIDE]."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            if opened.format not in ("JPEG", "PNG"):
                raise BadImage(f"not a JPEG or PNG image ({opened.format})")
            if opened.width * opened.height > MAX_PIXELS or opened.width < 16 or opened.height < 16:
                raise BadImage(f"image of {opened.width}×{opened.height} pixels is outside the limits")
            opened.load()
            img: Image.Image = ImageOps.exif_transpose(opened).convert("RGB")
    except BadImage:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error,
            Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        # Pillow reports damaged files with any of these (SyntaxError for a broken PNG chunk).
        raise BadImage("the image cannot be decoded") from exc
    long_side = max(img.size)
    scale = 1.0
    if long_side > MAX_SIDE:
        scale = MAX_SIDE / long_side
    elif long_side < MIN_SIDE:
        scale = MIN_SIDE / long_side
    if scale != 1.0:
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.Resampling.BICUBIC if scale > 1 else Image.Resampling.LANCZOS)
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8))


class Engine:
    """The loaded models. Obtain the process-wide one with `engine()`."""

    def __init__(self, directory: Path | None = None) -> None:
        import dlib

        d = directory or model_dir()
        self._detector = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(str(d / MODEL_FILES["shape"]))
        self._recognition = dlib.face_recognition_model_v1(str(d / MODEL_FILES["recognition"]))
        self._lock = threading.Lock()

    def faces(self, image: np.ndarray) -> list[Face]:
        """Every face the HOG detector finds (upsampling 0, its default threshold), with landmarks."""
        with self._lock:
            boxes, scores, _ = self._detector.run(image, 0, 0.0)
            found = []
            for rect, score in zip(boxes, scores, strict=True):
                shape = self._shape(image, rect)
                points = tuple((float(shape.part(i).x), float(shape.part(i).y)) for i in range(68))
                found.append(Face((rect.left(), rect.top(), rect.right(), rect.bottom()), float(score),
                                  points, shape))
        return found

    def embedding(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The 128-d embedding of `face` (found in this same `image`)."""
        with self._lock:
            vec = self._recognition.compute_face_descriptor(image, face._shape)
        return np.asarray(vec, dtype=np.float64)


_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    """The process's models, loaded on first use (about a second), once even under concurrent calls."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = Engine()
    return _engine


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings (dlib's metric: same person below about 0.6)."""
    return float(math.sqrt(float(np.sum((np.asarray(a) - np.asarray(b)) ** 2))))


def embedding_to_bytes(vec: np.ndarray) -> bytes:
    if vec.shape != (EMBEDDING_DIMS,):
        raise ValueError("an embedding has 128 dimensions")
    return np.asarray(vec, dtype="<f8").tobytes()


def embedding_from_bytes(data: bytes) -> np.ndarray:
    vec = np.frombuffer(data, dtype="<f8")
    if vec.shape != (EMBEDDING_DIMS,):
        raise ValueError("an embedding has 128 dimensions")
    return vec.copy()
