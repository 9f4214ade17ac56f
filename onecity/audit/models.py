"""Tables owned by the audit log. Nothing but `onecity.audit.service.record` ever inserts into them,
and nothing updates or deletes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class AuditEntry(Base):
    """One audited action. `seq` is the entry's place in the hash chain (1, 2, 3, … without gaps)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_subject", "subject_citizen_id", "seq"),
        Index("ix_audit_entry_actor_org", "actor_org_id", "seq"),
        Index("ix_audit_entry_actor", "actor_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(16))  # anonymous | citizen | staff | org | admin | system
    actor_id: Mapped[str | None] = mapped_column(String(100))
    actor_org_id: Mapped[str | None] = mapped_column(String(40))
    on_behalf_of: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    resource: Mapped[str] = mapped_column(String(200))
    subject_citizen_id: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The chain's head (one row, id 1): the last seq and hash. Appends lock it, and it lets
    verification notice entries cut off the end of the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
