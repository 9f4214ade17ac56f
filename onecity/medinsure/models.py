"""Tables owned by the medinsure core: published policies, registered institutions, insured people and
their year-to-date accumulators, issued insurance codes, visits with their fee lines, settlements (with
the electronic receipt), refunds and the lines they took back, and pharmacies' price lists.

Other modules never touch them; they call `medinsure.service`. The commercial and pay-later
sub-packages own their own tables (`medinsure_commercial_*`, `medinsure_paylater_*`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class MedPolicy(Base):
    """One published version of a city's rules for one year (the JSON document `rules.Policy.from_json`
    accepts). A row never changes; a settlement records the `policy_key` ("city/year/vN") it used."""

    __tablename__ = "medinsure_policy"
    __table_args__ = (UniqueConstraint("city", "year", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_key: Mapped[str] = mapped_column(String(60), unique=True)
    city: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    published_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MedInstitution(Base):
    """A designated hospital (level 1-3) or retail pharmacy (level 0) and its medinsure receivable
    ledger account, which every settlement credits and every refund debits."""

    __tablename__ = "medinsure_institution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # hospital | pharmacy
    level: Mapped[int] = mapped_column(Integer)
    city: Mapped[str] = mapped_column(String(40))
    ledger_account_id: Mapped[str] = mapped_column(String(40))
    registered_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MedInsured(Base):
    """An insured person (参保人): a real-name citizen in a scheme, with a personal account (个人账户,
    a no-overdraft ledger account). `insured_id` is the only reference the insurance code reveals."""

    __tablename__ = "medinsure_insured"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insured_id: Mapped[str] = mapped_column(String(40), unique=True)  # ins_<ULID>
    citizen_id: Mapped[str] = mapped_column(String(40), unique=True)
    city: Mapped[str] = mapped_column(String(40))
    scheme: Mapped[str] = mapped_column(String(12))  # employee | resident
    retiree: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(12))  # active | suspended
    personal_account_id: Mapped[str] = mapped_column(String(40))
    name_masked: Mapped[str | None] = mapped_column(String(40))
    code_activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MedAccumulator(Base):
    """An insured person's year to date: the per-year deductibles used (by visit type) and what the
    fund paid against the annual cap. Changed only under a row lock, by a settlement or a refund."""

    __tablename__ = "medinsure_accumulator"
    __table_args__ = (UniqueConstraint("insured_row_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insured_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_insured.id"))
    year: Mapped[int] = mapped_column(Integer)
    deductible_used: Mapped[dict[str, int]] = mapped_column(JSON)
    fund_paid_fen: Mapped[int] = mapped_column(BigInteger)
    settlements: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MedCode(Base):
    """One issued insurance code (医保码): who it names, who showed it (the insured or a guardian),
    whether the citizen consented to counter settlement, and when it expires. Scanning marks it used
    (once: the UPDATE that sets `used_at` succeeds for one scan only)."""

    __tablename__ = "medinsure_code"
    __table_args__ = (Index("ix_medinsure_code_expires", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_id: Mapped[str] = mapped_column(String(40), unique=True)  # mc_<ULID>, the signed nonce
    insured_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_insured.id"), index=True)
    shown_by: Mapped[str] = mapped_column(String(40))  # citizen public id
    counter_consent: Mapped[bool] = mapped_column(Boolean)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_org: Mapped[str | None] = mapped_column(String(40))


class MedVisit(Base):
    """A visit (就诊) or a pharmacy purchase, opened by scanning a code or by an online order.

    status: open → billed (fees uploaded) → presettled → settled → partly_refunded → refunded.
    Uploading fees again before settlement replaces them (back to billed). `presettlement` holds the
    last quote (split per line and per payer) the citizen or counter is shown."""

    __tablename__ = "medinsure_visit"
    __table_args__ = (
        Index("ix_medinsure_visit_institution", "institution_org_id", "id"),
        Index("ix_medinsure_visit_citizen", "citizen_id", "id"),
        Index("ix_medinsure_visit_confirmer_status", "confirmer_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[str] = mapped_column(String(40), unique=True)  # vis_<ULID>
    institution_org_id: Mapped[str] = mapped_column(String(40))
    insured_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_insured.id"))
    citizen_id: Mapped[str] = mapped_column(String(40))
    confirmer_id: Mapped[str] = mapped_column(String(40))  # who showed the code / placed the order
    visit_type: Mapped[str] = mapped_column(String(12))
    level: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(12))  # code | online
    code_id: Mapped[str | None] = mapped_column(String(40))
    counter_consent: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    presettlement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MedFeeLine(Base):
    """One line of a visit's bill, checked against the catalogue of the policy in force."""

    __tablename__ = "medinsure_fee_line"
    __table_args__ = (UniqueConstraint("visit_row_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_visit.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class MedSettlement(Base):
    """A settled bill: the split (per line), every payer's share (per line) and ledger account, the
    commercial covers applied, and the signed electronic receipt. Refunds take lines back; the money
    columns are what the settlement moved (refunds are their own rows)."""

    __tablename__ = "medinsure_settlement"
    __table_args__ = (
        Index("ix_medinsure_settlement_day", "day"),
        Index("ix_medinsure_settlement_institution", "institution_org_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[str] = mapped_column(String(40), unique=True)  # stl_<ULID>
    visit_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_visit.id"), unique=True)
    institution_org_id: Mapped[str] = mapped_column(String(40))
    citizen_id: Mapped[str] = mapped_column(String(40))
    policy_key: Mapped[str] = mapped_column(String(60))
    year: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)  # city date
    channel: Mapped[str] = mapped_column(String(12))  # app | counter
    confirmed_by: Mapped[str] = mapped_column(String(40))
    split: Mapped[dict[str, Any]] = mapped_column(JSON)
    shares: Mapped[list[Any]] = mapped_column(JSON)  # [[payer, line_no, fen], …]
    payers: Mapped[dict[str, Any]] = mapped_column(JSON)  # {payer: {"account": id, "fen": n}}
    covers: Mapped[dict[str, Any]] = mapped_column(JSON)  # {payer: {"per_line": …, "total_fen": n}}
    total_fen: Mapped[int] = mapped_column(BigInteger)
    fund_fen: Mapped[int] = mapped_column(BigInteger)
    personal_fen: Mapped[int] = mapped_column(BigInteger)  # own and relatives' personal accounts
    commercial_fen: Mapped[int] = mapped_column(BigInteger)
    self_fen: Mapped[int] = mapped_column(BigInteger)  # wallet or credit line
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16))  # settled | partly_refunded | refunded
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON)
    receipt_signature: Mapped[str] = mapped_column(String(200))
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MedRefund(Base):
    """A refund of some lines (or all) of a settlement, the exact reverse of what those lines moved."""

    __tablename__ = "medinsure_refund"
    __table_args__ = (Index("ix_medinsure_refund_day", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    refund_id: Mapped[str] = mapped_column(String(40), unique=True)  # mrf_<ULID>
    settlement_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_settlement.id"), index=True)
    line_nos: Mapped[list[int]] = mapped_column(JSON)
    by_payer: Mapped[dict[str, int]] = mapped_column(JSON)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    fund_fen: Mapped[int] = mapped_column(BigInteger)
    personal_fen: Mapped[int] = mapped_column(BigInteger)
    commercial_fen: Mapped[int] = mapped_column(BigInteger)
    self_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MedRefundedLine(Base):
    """A settlement line that has been refunded: the unique pair makes a second refund of a line fail,
    also when two refunds race."""

    __tablename__ = "medinsure_refunded_line"
    __table_args__ = (UniqueConstraint("settlement_row_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_settlement.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    refund_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_refund.id"), index=True)


class MedPharmacyPrice(Base):
    """A pharmacy's price for a catalogue item, used by online orders (a list-priced item must be
    sold at its list price)."""

    __tablename__ = "medinsure_pharmacy_price"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
