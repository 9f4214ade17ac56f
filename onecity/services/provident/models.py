"""Tables owned by services.provident: accounts, their monthly contributions, the employers' monthly
postings (one per employer and month), withdrawals, withdrawal drafts waiting for the face check,
and which agency is each city's fund centre.
Other modules call `services.provident.service`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class HpfCentre(Base):
    """The agency (org of kind `agency`) that runs a city's provident fund: its staff use the console."""

    __tablename__ = "svc_hpf_centres"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_code: Mapped[str] = mapped_column(String(6), unique=True)
    org_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HpfAccount(Base):
    """A citizen's provident fund account (one per citizen, kept by their city's centre). Status: normal (正常, contributions coming)
    ⇄ sealed (封存, between employers). The balance is the ledger account `ledger_account_id`."""

    __tablename__ = "svc_hpf_accounts"
    __table_args__ = (
        Index("ix_svc_hpf_accounts_employer", "employer_uscc"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_no: Mapped[str] = mapped_column(String(20), unique=True)  # 个人公积金账号
    city_code: Mapped[str] = mapped_column(String(6))
    citizen_id: Mapped[str] = mapped_column(String(40), unique=True)  # one account per citizen
    employer_name: Mapped[str] = mapped_column(String(200))
    employer_uscc: Mapped[str] = mapped_column(String(18))
    status: Mapped[str] = mapped_column(String(10))  # normal | sealed
    base_fen: Mapped[int] = mapped_column(BigInteger)  # 缴存基数 (monthly)
    employee_rate_bp: Mapped[int] = mapped_column(Integer)
    employer_rate_bp: Mapped[int] = mapped_column(Integer)
    ledger_account_id: Mapped[str] = mapped_column(String(40))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HpfPosting(Base):
    """An employer's contributions for one month (汇缴), posted once: a repeat with the same lines
    returns it, different lines are refused. `digest` is the SHA-256 of the lines as posted."""

    __tablename__ = "svc_hpf_postings"
    __table_args__ = (UniqueConstraint("employer_uscc", "month", name="uq_svc_hpf_postings_employer_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # hpp_…
    city_code: Mapped[str] = mapped_column(String(6))
    employer_uscc: Mapped[str] = mapped_column(String(18))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    lines: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(64))
    posted_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HpfContribution(Base):
    """One month's deposit into one account: base and the two parts (each rounded half-up to yuan)."""

    __tablename__ = "svc_hpf_contributions"
    __table_args__ = (UniqueConstraint("account_row_id", "month", name="uq_svc_hpf_contributions_account_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_row_id: Mapped[int] = mapped_column(ForeignKey("svc_hpf_accounts.id"), index=True)
    posting_row_id: Mapped[int] = mapped_column(ForeignKey("svc_hpf_postings.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    base_fen: Mapped[int] = mapped_column(BigInteger)
    employee_rate_bp: Mapped[int] = mapped_column(Integer)
    employer_rate_bp: Mapped[int] = mapped_column(Integer)
    employee_fen: Mapped[int] = mapped_column(BigInteger)
    employer_fen: Mapped[int] = mapped_column(BigInteger)
    transfer_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HpfWithdrawal(Base):
    """A withdrawal (提取). States: held (the amount is reserved by a pending ledger transfer, waiting
    for the automatic check or staff) → paid (posted to the wallet) | refused (voided: the money is
    back). `decision` is what the rules said at submission (auto | refer) and `decision_code` why."""

    __tablename__ = "svc_hpf_withdrawals"
    __table_args__ = (
        Index("ix_svc_hpf_withdrawals_account", "account_row_id", "reason", "period_key"),
        Index("ix_svc_hpf_withdrawals_property", "account_row_id", "property_index"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # hpw_…
    account_row_id: Mapped[int] = mapped_column(ForeignKey("svc_hpf_accounts.id"))
    citizen_id: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))  # held | paid | refused
    decision: Mapped[str] = mapped_column(String(10))  # auto | refer
    decision_code: Mapped[str] = mapped_column(String(40))
    rules_version: Mapped[str] = mapped_column(String(20))
    period_key: Mapped[str] = mapped_column(String(10))
    registered_lease: Mapped[bool] = mapped_column(Boolean, default=False)
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    property_masked: Mapped[str | None] = mapped_column(String(40))  # 不动产权证号, masked
    property_index: Mapped[str | None] = mapped_column(String(64))  # its blind index (once per property)
    application_id: Mapped[str | None] = mapped_column(String(40), index=True)
    payout_card_id: Mapped[str | None] = mapped_column(String(40))  # a bound bank card; None = the wallet
    hold_transfer_id: Mapped[str] = mapped_column(String(100))
    refusal: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HpfDraft(Base):
    """A withdrawal form the rules accepted, waiting for the citizen's face check (待刷脸的申请草稿).
    The page passes only `public_id` (hpd_…) through the face page's return URL, so personal data
    such as the property certificate number never travels in a URL. The form is encrypted
    (`data_enc`); a draft expires at `expires_at` and is removed once used."""

    __tablename__ = "svc_hpf_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # hpd_…
    citizen_id: Mapped[str] = mapped_column(String(40), index=True)
    data_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
