"""Tables owned by services.applications: applications (办件), their history, attachments, the
citizen's notices, and what reference numbers are drawn from (a sequence on PostgreSQL, a per-city
daily counter on SQLite). Other sub-packages call
`services.applications.service`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Sequence,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class Application(Base):
    """One application for one service item version. `form_enc` is the form's JSON, encrypted
    (purpose `services.application.form`); `attachments` maps slot key → att_ id. `assignee` is the
    staff member (stf_) who claimed it. `outcome`/`completed_at` are set when a decided state is
    reached (cleared again by a resubmission after rejection). `trips_needed` is the item's trips at
    submit, `visits` the in-person visits staff recorded."""

    __tablename__ = "svc_applications"
    __table_args__ = (
        Index("ix_svc_applications_queue", "agency_org_id", "state", "due_at"),
        Index("ix_svc_applications_citizen", "citizen_id", "id"),
        Index("ix_svc_applications_open_due", "outcome", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # app_<ULID>
    reference: Mapped[str] = mapped_column(String(40), unique=True)  # 440300-20261126-000123
    service_code: Mapped[str] = mapped_column(String(80))
    service_version: Mapped[int] = mapped_column(Integer)
    city_code: Mapped[str] = mapped_column(String(12))
    agency_org_id: Mapped[str] = mapped_column(String(40))
    workflow: Mapped[str] = mapped_column(String(40))
    citizen_id: Mapped[str] = mapped_column(String(40))
    submitted_by: Mapped[str] = mapped_column(String(100))  # who filed it (the citizen, or a guardian)
    state: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str | None] = mapped_column(String(12))
    form_enc: Mapped[bytes] = mapped_column(LargeBinary)
    attachments: Mapped[dict[str, Any]] = mapped_column(JSON)
    assignee: Mapped[str | None] = mapped_column(String(40))
    trips_needed: Mapped[int] = mapped_column(Integer)
    visits: Mapped[int] = mapped_column(Integer, default=0)
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    payment_state: Mapped[str | None] = mapped_column(String(12))  # None | due | paid
    payment_transfer_id: Mapped[str | None] = mapped_column(String(100))
    credential_id: Mapped[str | None] = mapped_column(String(60))
    resubmits: Mapped[str | None] = mapped_column(String(40))  # app_ id of an earlier application
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApplicationEvent(Base):
    """One step of an application's history: submit, each workflow action, a recorded visit, the
    overdue mark. `actor` is a public id (cit_/stf_) or `system`."""

    __tablename__ = "svc_application_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_row_id: Mapped[int] = mapped_column(ForeignKey("svc_applications.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Attachment(Base):
    """An uploaded file: the bytes encrypted at rest (purpose `services.attachment`), the type sniffed
    from them, the SHA-256 of the plaintext. Bound to an application (and slot) when submitted."""

    __tablename__ = "svc_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # att_<ULID>
    citizen_id: Mapped[str] = mapped_column(String(40), index=True)
    application_id: Mapped[str | None] = mapped_column(String(40), index=True)
    slot: Mapped[str | None] = mapped_column(String(60))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notice(Base):
    """A message in the citizen's services inbox (通知)."""

    __tablename__ = "svc_notices"
    __table_args__ = (Index("ix_svc_notices_citizen", "citizen_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # ntc_<ULID>
    citizen_id: Mapped[str] = mapped_column(String(40))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# PostgreSQL: the serial part of reference numbers (see service/references.py; gaps are fine).
REFERENCE_SEQUENCE = Sequence("svc_application_reference_seq", metadata=Base.metadata)


class ReferenceCounter(Base):
    """SQLite only: the last reference serial handed out per city and local day (bumped by one atomic
    upsert; PostgreSQL uses REFERENCE_SEQUENCE instead and leaves this table empty)."""

    __tablename__ = "svc_reference_counters"
    __table_args__ = (UniqueConstraint("city_code", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_code: Mapped[str] = mapped_column(String(12))
    day: Mapped[str] = mapped_column(String(8))  # YYYYMMDD, Asia/Shanghai
    last: Mapped[int] = mapped_column(Integer)
