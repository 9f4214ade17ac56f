"""Tables owned by medinsure.paylater: who the city allows to treat first and pay later, the debts
opened at settlement, and every movement of a debt (open, collect, reduce, pay back, return to the
wallet) with the ledger transfer that carried it. Other modules call `medinsure.paylater.service`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class PayLaterCitizen(Base):
    """The city's decision for one citizen (absent row = not allowed)."""

    __tablename__ = "medinsure_paylater_citizen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[str] = mapped_column(String(40), unique=True)
    allowed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PayLaterDebt(Base):
    """The citizen's self-pay of one settlement, advanced by the city's credit line.

    outstanding = amount − refunded − (collected − returned): refunds first reduce what is still owed;
    a refund of a debt already collected is returned to the wallet (`returned_fen`). States:
    open → collected (paid when due) | arrears (the wallet could not pay) → collected (paid back);
    open | arrears | collected → closed (refunds took all of it back).
    """

    __tablename__ = "medinsure_paylater_debt"
    __table_args__ = (
        Index("ix_medinsure_paylater_debt_due", "status", "due_at"),
        Index("ix_medinsure_paylater_debt_citizen", "citizen_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    debt_id: Mapped[str] = mapped_column(String(40), unique=True)  # mpl_<ULID>
    citizen_id: Mapped[str] = mapped_column(String(40))
    settlement_ref: Mapped[str] = mapped_column(String(64), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    collected_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    returned_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(12))  # open | arrears | collected | closed
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # collected or closed

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.refunded_fen - (self.collected_fen - self.returned_fen)


class PayLaterEntry(Base):
    """One movement of a debt. `kind`: open | collect (when due) | arrears (collection failed) |
    pay_arrears | reduce (a refund) | return (a refund of an already collected debt, back to the
    wallet). `transfer_id` is the ledger transfer that moved the money (none for open/arrears/reduce:
    the settlement's and refund's own groups carry those)."""

    __tablename__ = "medinsure_paylater_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    debt_row_id: Mapped[int] = mapped_column(ForeignKey("medinsure_paylater_debt.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    ref: Mapped[str | None] = mapped_column(String(100), unique=True)  # the refund's id, if given
    transfer_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
