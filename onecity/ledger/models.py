"""Tables owned by the ledger. Only `onecity.ledger.service` reads or writes them.

`ledger_account` carries the four running balances; `ledger_transfer` is the append-only history
(only a pending transfer's `status` ever changes: pending -> posted | voided | expired).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime

# An autoincrement 64-bit key on PostgreSQL; SQLite only auto-numbers an INTEGER PRIMARY KEY.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class LedgerAccount(Base):
    """An account. Balances only ever change together with a transfer row, in the same transaction."""

    __tablename__ = "ledger_account"
    __table_args__ = (
        CheckConstraint(
            "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0",
            name="balances_non_negative",
        ),
        # Balance rows are rewritten by every transfer: free space on each page lets PostgreSQL update
        # them in place (HOT updates, no index writes) instead of touching both indexes each time.
        {"postgresql_with": {"fillfactor": 50}},
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # acc_<ULID>
    key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. wallet:cit_…:CNY
    code: Mapped[str] = mapped_column(String(40))  # account type: wallet, merchant, system …
    owner: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    flags: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str | None] = mapped_column(String(200))
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerTransfer(Base):
    """One transfer. `id` orders history and cursors (never shown); `transfer_id` is the client's id."""

    __tablename__ = "ledger_transfer"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        CheckConstraint("kind IN ('single', 'pending', 'post', 'void')", name="kind_known"),
        CheckConstraint("status IN ('posted', 'pending', 'voided', 'expired')", name="status_known"),
        Index("ix_ledger_transfer_debit", "debit_account_id", "id"),
        Index("ix_ledger_transfer_credit", "credit_account_id", "id"),
        # Partial indexes: most transfers have no ref and are never pending, and each index on the
        # append-only table costs every insert.
        Index("ix_ledger_transfer_ref", "ref", postgresql_where=text("ref IS NOT NULL"),
              sqlite_where=text("ref IS NOT NULL")),
        Index("ix_ledger_transfer_pending_timeout", "timeout_at", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    transfer_id: Mapped[str] = mapped_column(String(100), unique=True)
    debit_account_id: Mapped[str] = mapped_column(String(40), ForeignKey("ledger_account.id"))
    credit_account_id: Mapped[str] = mapped_column(String(40), ForeignKey("ledger_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    code: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))  # single | pending | post | void
    status: Mapped[str] = mapped_column(String(8))  # posted | pending | voided | expired
    pending_id: Mapped[str | None] = mapped_column(String(100))  # post/void: the pending transfer's id
    timeout_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    group_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
