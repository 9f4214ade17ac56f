"""Tables owned by organisations: the organisation, its staff, its API keys and the nonces those
keys have used. Other modules never touch them; they call `onecity.identity.orgs.service`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class Org(Base):
    """An organisation on the platform. `kind` decides which staff roles and key scopes exist."""

    __tablename__ = "org"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | suspended
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Staff(Base):
    """A console account of one organisation's employee. The display name is personal data: stored
    encrypted (purpose `staff.display_name`)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | suspended
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """A public key an organisation signs requests with; `app_id` names it in every request."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[str] = mapped_column(String(40), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    algorithm: Mapped[str] = mapped_column(String(16))  # ed25519 | rsa-sha256
    public_key_pem: Mapped[str] = mapped_column(Text)
    # SHA-256 of the key's DER SubjectPublicKeyInfo: one key, one app id.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | revoked
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(40))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiNonce(Base):
    """A nonce an app id has used. The unique pair makes two concurrent replays fail at insert; rows
    older than twice the signature window are purged (a replay that old fails the timestamp check)."""

    __tablename__ = "api_nonce"
    __table_args__ = (UniqueConstraint("app_id", "nonce"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[str] = mapped_column(String(40))
    nonce: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
