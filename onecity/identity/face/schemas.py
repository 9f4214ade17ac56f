"""Requests and responses of face verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

# A named act: dotted lower-case words, e.g. "family.link_minor", "payment.large".
ACT_PATTERN = r"^[a-z][a-z0-9_]{0,30}(\.[a-z][a-z0-9_]{0,30}){1,3}$"
MAX_FRAMES = 24
# Base64 of a 300 KB image; a 480×360 JPEG from the page is about 25 KB.
MAX_FRAME_CHARS = 400_000
Frame = Annotated[str, Field(min_length=16, max_length=MAX_FRAME_CHARS)]


class ChallengeIn(BaseModel):
    act: str = Field(pattern=ACT_PATTERN, max_length=64, examples=["family.link_minor"])


class ChallengeOut(BaseModel):
    challenge_id: str
    nonce: str = Field(description="One-time; send it back with the frames before expires_at")
    act: str
    steps: list[Literal["center", "turn_left", "turn_right"]] = Field(
        description="Head movements to follow, in order; left and right are the person's own"
    )
    expires_at: datetime


class VerificationIn(BaseModel):
    nonce: str = Field(min_length=16, max_length=128)
    frames: list[Frame] = Field(
        min_length=1,
        max_length=MAX_FRAMES,
        description="JPEG or PNG frames in capture order, base64 (a data: URL prefix is accepted)",
    )


Reason = Literal[
    "face_not_found",
    "face_multiple",
    "face_challenge_not_followed",
    "face_no_match",
    "face_nonce_expired",
    "face_nonce_used",
    "face_no_reference",
]


class VerificationOut(BaseModel):
    verification_id: str
    act: str
    score: float | None = Field(description="Euclidean distance to the reference photo; lower is closer")
    threshold: float
    decision: Literal["pass", "fail"]
    reason: Reason | None = None
    grant_id: str | None = None
    grant_expires_at: datetime | None = None
    duration_ms: int
