"""Tables owned by services.bills: biller profiles, citizens' bill accounts, payments, reconciliation
files, and the bundled biller simulator's own records (`svc_bill_sim_*`: "the biller's database",
written only by the simulator, in its own transactions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class BillerProfile(Base):
    """What the platform knows about a biller organisation (kind `biller`)."""

    __tablename__ = "svc_bill_billers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40), unique=True)
    product: Mapped[str] = mapped_column(String(16))  # water | electricity | gas | phone
    account_pattern: Mapped[str] = mapped_column(String(200))  # a full-match regex
    check_digit: Mapped[str] = mapped_column(String(10))  # none | luhn | mod11
    account_hint_zh: Mapped[str | None] = mapped_column(String(100))
    account_hint_en: Mapped[str | None] = mapped_column(String(100))
    connector: Mapped[str] = mapped_column(String(16))  # simulator | http
    endpoint: Mapped[str | None] = mapped_column(String(300))
    topup_amounts: Mapped[list[int]] = mapped_column(JSON)  # fen; phone top-up only
    recon_enabled: Mapped[bool] = mapped_column(Boolean)
    recon_mask_accounts: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(12))  # active | paused
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BillAccount(Base):
    """A citizen's account number (户号) at one biller."""

    __tablename__ = "svc_bill_accounts"
    __table_args__ = (Index("ix_svc_bill_accounts_owner", "citizen_id", "status"),
                      Index("ix_svc_bill_accounts_number", "citizen_id", "biller_org_id", "number_index", unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # bac_<ULID>
    citizen_id: Mapped[str] = mapped_column(String(40))
    biller_org_id: Mapped[str] = mapped_column(String(40))
    number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    number_index: Mapped[str] = mapped_column(String(64))
    number_masked: Mapped[str] = mapped_column(String(40))
    alias: Mapped[str] = mapped_column(String(40))
    autopay: Mapped[bool] = mapped_column(Boolean)
    autopay_limit: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))  # active | removed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BillPayment(Base):
    """One payment of a bill (or a phone top-up). `bill_key` (biller + bill id) is unique while the
    payment stands, so a bill can be paid once however many requests race; a refunded payment frees it.
    States: see `rules.TRANSITIONS`."""

    __tablename__ = "svc_bill_payments"
    __table_args__ = (Index("ix_svc_bill_payments_due", "state", "next_action_at"),
                      Index("ix_svc_bill_payments_biller_day", "biller_org_id", "state", "confirmed_at"),
                      Index("ix_svc_bill_payments_account", "account_row_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # bpy_<ULID>: the platform reference
    bill_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    account_row_id: Mapped[int] = mapped_column(ForeignKey("svc_bill_accounts.id"))
    account_id: Mapped[str] = mapped_column(String(40))  # the account's public id
    owner_id: Mapped[str] = mapped_column(String(40))  # the account's holder
    payer_id: Mapped[str] = mapped_column(String(40))  # whose wallet paid (a relative with pay_bills)
    biller_org_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(8))  # bill | topup
    bill_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str | None] = mapped_column(String(20))
    due_date: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    via: Mapped[str] = mapped_column(String(10))  # app | autopay | family
    state: Mapped[str] = mapped_column(String(14))
    biller_ref: Mapped[str | None] = mapped_column(String(64))
    acks: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer)
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    failure_code: Mapped[str | None] = mapped_column(String(40))
    transfer_id: Mapped[str] = mapped_column(String(100))
    refund_transfer_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AutopayRun(Base):
    """One autopay decision per account and bill (idempotent: the job never decides a bill twice)."""

    __tablename__ = "svc_bill_autopay_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(160), unique=True)  # account public id + bill id
    account_row_id: Mapped[int] = mapped_column(ForeignKey("svc_bill_accounts.id"), index=True)
    bill_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(16))  # paid | over_limit | failed
    payment_id: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReconFile(Base):
    """A biller's signed reconciliation file for one Asia/Shanghai business day."""

    __tablename__ = "svc_bill_recon_files"
    __table_args__ = (Index("ix_svc_bill_recon_files_day", "biller_org_id", "business_date", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # brf_<ULID>
    biller_org_id: Mapped[str] = mapped_column(String(40))
    business_date: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))  # Ed25519 over the bytes, base64
    key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- the simulated biller's own records ------------------------------------------------------------

class BillSimBill(Base):
    __tablename__ = "svc_bill_sim_bills"
    __table_args__ = (Index("ix_svc_bill_sim_bills_account", "biller_org_id", "account_no"),
                      Index("ix_svc_bill_sim_bills_bill", "biller_org_id", "bill_id", unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    biller_org_id: Mapped[str] = mapped_column(String(40))
    account_no: Mapped[str] = mapped_column(String(40))
    bill_id: Mapped[str] = mapped_column(String(64))
    holder_masked: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # unpaid | paid | counter_paid
    paid_ref: Mapped[str | None] = mapped_column(String(40))


class BillSimAccount(Base):
    __tablename__ = "svc_bill_sim_accounts"
    __table_args__ = (Index("ix_svc_bill_sim_accounts_no", "biller_org_id", "account_no", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    biller_org_id: Mapped[str] = mapped_column(String(40))
    account_no: Mapped[str] = mapped_column(String(40))
    holder_masked: Mapped[str] = mapped_column(String(40))


class BillSimAdvice(Base):
    """A payment advice the simulated biller received (one per platform reference)."""

    __tablename__ = "svc_bill_sim_advices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    biller_org_id: Mapped[str] = mapped_column(String(40))
    bill_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    biller_ref: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12))  # processing | confirmed | rejected
    failure_code: Mapped[str | None] = mapped_column(String(40))
    fate: Mapped[dict[str, Any]] = mapped_column(JSON)
    received: Mapped[int] = mapped_column(Integer)  # how many times this advice arrived
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decide_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
