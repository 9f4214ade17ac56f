"""Tables owned by identity (citizens and the population registry). Other modules never touch them.

Personal data is stored encrypted (AES-GCM, `onecity.crypto.fields`) with an HMAC blind index for
look-up: `*_enc` columns hold ciphertext, `*_index` columns the blind index.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class PopulationRegistryEntry(Base):
    """One resident in the city's population registry (人口库), loaded by the city."""

    __tablename__ = "population_registry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    # Reference photo for face verification (JPEG/PNG bytes, encrypted), may be absent.
    photo_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | deceased | moved_out
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Citizen(Base):
    """A citizen's account: mobile number first, real name once verified against the registry."""

    __tablename__ = "citizen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    mobile_enc: Mapped[bytes] = mapped_column(LargeBinary)
    mobile_index: Mapped[str] = mapped_column(String(64), unique=True)
    mobile_masked: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | locked | closed
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Real name (set by verification)
    registry_entry_id: Mapped[int | None] = mapped_column(ForeignKey("population_registry.id"), unique=True)
    real_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(20))
    sex: Mapped[str | None] = mapped_column(String(1))  # M | F, derived from the ID number
    birth_date: Mapped[date | None] = mapped_column(Date)  # derived from the ID number
    region_code: Mapped[str | None] = mapped_column(String(6))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Added by identity_0002
    real_name_masked: Mapped[str | None] = mapped_column(String(40))
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OtpChallenge(Base):
    """A one-time code sent by SMS (短信验证码). Only an HMAC of the code is kept; single use."""

    __tablename__ = "otp_challenge"
    __table_args__ = (Index("ix_otp_challenge_mobile_purpose", "mobile_index", "purpose", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    mobile_index: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(16))  # login | password_reset
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthSession(Base):
    """A signed-in session (登录会话): a web cookie or an API bearer token. Only the token's SHA-256 is kept."""

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # citizen | staff | admin
    subject_id: Mapped[str] = mapped_column(String(40), index=True)  # public id of the citizen/staff
    credential: Mapped[str] = mapped_column(String(10))  # cookie | bearer
    label: Mapped[str | None] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateLimitCounter(Base):
    """Fixed-window hit counters shared by every process (the sliding limit weighs two windows)."""

    __tablename__ = "rate_limit_counter"
    __table_args__ = (UniqueConstraint("bucket", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(128))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    hits: Mapped[int] = mapped_column(Integer, default=0)
