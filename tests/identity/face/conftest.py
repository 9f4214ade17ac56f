"""Session-scoped face fixtures: the models are loaded once, the photos and head-turn frames made once."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest

from tests.identity.face import photos


@dataclass(frozen=True)
class Frames:
    """JPEG frames of one person: a still reference photo and head-turn sequences."""

    reference: bytes
    left_then_right: list[bytes]
    right_then_left: list[bytes]


@pytest.fixture(scope="session")
def face_models():  # type: ignore[no-untyped-def]
    from onecity.identity.face import engine

    return engine.engine()


@pytest.fixture(scope="session")
def astronaut_frames(face_models) -> Frames:  # type: ignore[no-untyped-def]
    img = photos.astronaut()
    return Frames(photos.jpeg(img), photos.turn_frames(img, photos.LEFT_THEN_RIGHT),
                  photos.turn_frames(img, photos.RIGHT_THEN_LEFT))


def b64(frames: list[bytes]) -> list[str]:
    return [base64.b64encode(f).decode() for f in frames]
