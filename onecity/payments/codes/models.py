"""Tables of the payment code (付款码). Citizens are referred to by public id (cit_…): this module reads
no identity table.

- `paycode_device`: a device secret provisioned to one signed-in device, encrypted at rest; its
  random 8-digit `number` is in every code the device shows, so a code finds its secret in one look-up.
- `paycode_use`: one row per (device, time step) that paid — the unique pair is what makes each code
  pay once, also under concurrent scans.
- `paycode_setting`: the citizen's small-amount limit (小额免密); no row means the default.
- `paycode_guess_counter`: wrong codes per merchant per fixed window, for the guessing rate limit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class PaycodeDevice(Base):
    __tablename__ = "paycode_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    citizen_id: Mapped[str] = mapped_column(String(40), index=True)
    session_id: Mapped[str | None] = mapped_column(String(40), index=True)
    number: Mapped[str] = mapped_column(String(8), unique=True)
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    label: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)


class PaycodeUse(Base):
    __tablename__ = "paycode_use"
    __table_args__ = (UniqueConstraint("device_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("paycode_device.id"))
    step: Mapped[int] = mapped_column(BigInteger)
    merchant_id: Mapped[str] = mapped_column(String(40), index=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaycodeSetting(Base):
    __tablename__ = "paycode_setting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[str] = mapped_column(String(40), unique=True)
    small_amount_limit_fen: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaycodeGuessCounter(Base):
    __tablename__ = "paycode_guess_counter"
    __table_args__ = (UniqueConstraint("merchant_id", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(40))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer)
