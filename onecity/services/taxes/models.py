"""Tables owned by services.taxes: the tax offices, assessments (应缴) and electronic receipts.
Other modules call `services.taxes.service`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class TaxOffice(Base):
    """An agency that assesses and collects taxes (a tax bureau)."""

    __tablename__ = "svc_tax_offices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaxReceipt(Base):
    """An electronic tax receipt (电子完税证明): one payment of one or more assessments. `signature`
    is Ed25519 (base64url) over `services.taxes.service.receipt_message`."""

    __tablename__ = "svc_tax_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(40), unique=True)
    citizen_id: Mapped[str] = mapped_column(String(40), index=True)
    payer_name_masked: Mapped[str] = mapped_column(String(50))
    office_org_id: Mapped[str] = mapped_column(String(40))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(100))
    transfer_id: Mapped[str] = mapped_column(String(100))


class TaxAssessment(Base):
    """An amount a citizen owes for one tax item and period. status: due → paid (once). `source_ref`
    makes the bureau's upload idempotent."""

    __tablename__ = "svc_tax_assessments"
    __table_args__ = (
        UniqueConstraint("office_org_id", "source_ref"),
        Index("ix_svc_tax_assessments_citizen", "citizen_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # txa_<ULID>
    citizen_id: Mapped[str] = mapped_column(String(40))
    office_org_id: Mapped[str] = mapped_column(String(40))
    item: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))
    source_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_row_id: Mapped[int | None] = mapped_column(ForeignKey("svc_tax_receipts.id"), index=True)
