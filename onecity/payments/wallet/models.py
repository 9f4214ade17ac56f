"""Tables owned by the wallet. Balances and history are the ledger's; the wallet keeps its top-ups
and withdrawals (their bank-side state is the bank instruction's, read through bank.service)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class WalletBankTransfer(Base):
    """A top-up (充值, bank card → wallet) or a withdrawal (提现, wallet → bank card).

    `client_key` (the API's Idempotency-Key or the page form's one-time token) makes a retried request
    return the first one's result instead of moving money twice."""

    __tablename__ = "wallet_bank_transfer"
    __table_args__ = (
        UniqueConstraint("citizen_id", "client_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("kind IN ('top_up', 'withdrawal')", name="kind_known"),
        Index("ix_wallet_bank_transfer_citizen", "citizen_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    citizen_id: Mapped[str] = mapped_column(String(40))
    card_id: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    client_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
