"""Tables owned by medinsure.commercial: insurers' city-side accounts, products (immutable versions),
policies, per policy per year accumulators, claims and their reversals. Other modules (the medinsure
core included) never touch them; they call `medinsure.commercial.service`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class CommercialInsurer(Base):
    """An insurer organisation's city-side payable ledger account, opened on its first product."""

    __tablename__ = "medinsure_commercial_insurer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insurer_org_id: Mapped[str] = mapped_column(String(40), unique=True)
    ledger_account_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommercialProduct(Base):
    """One version of a product. A row never changes once written (only `status`, when a newer
    version supersedes it); a policy points at the exact version it was issued on."""

    __tablename__ = "medinsure_commercial_product"
    __table_args__ = (UniqueConstraint("insurer_org_id", "code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(String(40), unique=True)  # mcp_<ULID>
    insurer_org_id: Mapped[str] = mapped_column(String(40), index=True)
    code: Mapped[str] = mapped_column(String(40))  # the insurer's own product code
    version: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    ratio_bp: Mapped[int] = mapped_column(Integer)
    deductible_fen: Mapped[int] = mapped_column(BigInteger)
    annual_limit_fen: Mapped[int] = mapped_column(BigInteger)
    covers_outside: Mapped[bool] = mapped_column(Boolean)
    excluded_codes: Mapped[list[str]] = mapped_column(JSON)
    excluded_categories: Mapped[list[str]] = mapped_column(JSON)
    visit_types: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))  # active | superseded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommercialPolicy(Base):
    """A citizen's policy on one product version, valid from `start_on` to `end_on` (both included,
    city dates). `policy_no` is the insurer's own number: issuing the same number again returns it."""

    __tablename__ = "medinsure_commercial_policy"
    __table_args__ = (
        UniqueConstraint("insurer_org_id", "policy_no"),
        Index("ix_medinsure_commercial_policy_citizen", "citizen_id", "status"),
        Index("ix_medinsure_commercial_policy_insurer", "insurer_org_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(40), unique=True)  # mpol_<ULID>
    insurer_org_id: Mapped[str] = mapped_column(String(40))
    policy_no: Mapped[str] = mapped_column(String(64))
    product_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_commercial_product.id"), index=True)
    citizen_id: Mapped[str] = mapped_column(String(40))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # active | cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CommercialAccumulator(Base):
    """A policy's year to date: deductible used and paid (against the annual limit). Changed only
    under a row lock, by a claim (forward) or its reversal (back)."""

    __tablename__ = "medinsure_commercial_accumulator"
    __table_args__ = (UniqueConstraint("policy_row_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_commercial_policy.id"))
    year: Mapped[int] = mapped_column(Integer)
    deductible_used_fen: Mapped[int] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommercialClaim(Base):
    """What a policy paid in one settlement (`settlement_ref`, the medinsure settlement's id), line by
    line, and what refunds have taken back since."""

    __tablename__ = "medinsure_commercial_claim"
    __table_args__ = (
        UniqueConstraint("policy_row_id", "settlement_ref"),
        Index("ix_medinsure_commercial_claim_insurer_day", "insurer_org_id", "day"),
        Index("ix_medinsure_commercial_claim_insurer", "insurer_org_id", "id"),
        Index("ix_medinsure_commercial_claim_ref", "settlement_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[str] = mapped_column(String(40), unique=True)  # mclm_<ULID>
    policy_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_commercial_policy.id"))
    insurer_org_id: Mapped[str] = mapped_column(String(40))
    citizen_id: Mapped[str] = mapped_column(String(40))
    settlement_ref: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)  # the city date of the settlement
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    deductible_fen: Mapped[int] = mapped_column(BigInteger)
    per_line: Mapped[dict[str, Any]] = mapped_column(JSON)  # {line_no: [deductible_fen, paid_fen]}
    deductible_used_after_fen: Mapped[int] = mapped_column(BigInteger)  # the policy's year after this claim
    paid_after_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    deductible_returned_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20))  # paid | partly_reversed | reversed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommercialClaimReversal(Base):
    """One refund's share of a claim (the insurer's daily total nets them on the day they happen)."""

    __tablename__ = "medinsure_commercial_claim_reversal"
    __table_args__ = (Index("ix_medinsure_commercial_claim_reversal_insurer_day", "insurer_org_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_commercial_claim.id"), index=True)
    insurer_org_id: Mapped[str] = mapped_column(String(40))
    refund_fen: Mapped[int] = mapped_column(BigInteger)
    deductible_returned_fen: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
