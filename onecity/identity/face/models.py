"""Tables of face verification (刷脸核身). Frames are never stored: only the outcome of each attempt.

- `face_challenge`: a one-time nonce (only its SHA-256 is kept) and the head movements asked, for one
  named act; used at most once.
- `face_verification`: every attempt, for audit — who, when, for which act, the distance to the
  reference photo, the decision and the reason it failed.
- `face_grant`: "face verified" for one act, short-lived and consumed once by the module that asked.
- `face_reference`: the reference photo's embedding, encrypted, cached per citizen; `photo_index` is
  a keyed hash of the photo it was computed from, so a new registry photo invalidates it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class FaceChallenge(Base):
    __tablename__ = "face_challenge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    nonce_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"), index=True)
    act: Mapped[str] = mapped_column(String(64))
    steps: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FaceVerification(Base):
    __tablename__ = "face_verification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"), index=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("face_challenge.id"), index=True)
    act: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    frame_count: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)  # Euclidean distance to the reference embedding
    threshold: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(8))  # pass | fail
    reason: Mapped[str | None] = mapped_column(String(40))  # a face_* code when the decision is fail
    duration_ms: Mapped[int] = mapped_column(Integer)


class FaceGrant(Base):
    __tablename__ = "face_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"), index=True)
    verification_id: Mapped[int] = mapped_column(ForeignKey("face_verification.id"), unique=True)
    act: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FaceReference(Base):
    __tablename__ = "face_reference"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"), unique=True)
    photo_index: Mapped[str] = mapped_column(String(64))
    embedding_enc: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
