"""Tables owned by trade: merchants' trade profiles, orders, refunds, notifications (with their delivery
attempts) and daily settlements. Other modules never touch them; they call `trade.service`."""

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
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class TradeMerchant(Base):
    """A merchant organisation's trade profile: its payable ledger account, fee rate, settlement bank
    account (encrypted, purpose `trade.bank_account`; only the last four digits in clear) and QR data."""

    __tablename__ = "trade_merchant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(40), unique=True)  # org public id
    ledger_account_id: Mapped[str] = mapped_column(String(40))
    fee_rate_bp: Mapped[int] = mapped_column(Integer)  # basis points: 38 = 0.38 %
    bank_account_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    bank_account_last4: Mapped[str | None] = mapped_column(String(4))
    bank_holder_name: Mapped[str | None] = mapped_column(String(200))
    notify_url: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str] = mapped_column(String(15))
    mcc: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TradeOrder(Base):
    """One order. `status` follows Alipay: WAIT_BUYER_PAY → TRADE_SUCCESS (paid) → TRADE_CLOSED (fully
    refunded); WAIT_BUYER_PAY → TRADE_CLOSED (closed unpaid). `fee` is charged on payment and
    `fee_refunded` returned with refunds, proportionally."""

    __tablename__ = "trade_order"
    __table_args__ = (
        UniqueConstraint("merchant_id", "out_trade_no"),
        Index("ix_trade_order_merchant_created", "merchant_id", "id"),
        Index("ix_trade_order_merchant_paid", "merchant_id", "paid_at"),
        Index("ix_trade_order_status_expires", "status", "expires_at"),
        Index("ix_trade_order_buyer_status", "buyer_citizen_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trade_no: Mapped[str] = mapped_column(String(40), unique=True)
    merchant_id: Mapped[str] = mapped_column(String(40))
    out_trade_no: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # create | precreate | code | static_qr
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    subject: Mapped[str] = mapped_column(String(256))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    buyer_citizen_id: Mapped[str | None] = mapped_column(String(40))
    payment_code_id: Mapped[str | None] = mapped_column(String(64))
    notify_url: Mapped[str | None] = mapped_column(Text)
    app_id: Mapped[str | None] = mapped_column(String(40))
    qr_code: Mapped[str | None] = mapped_column(Text)
    fee_rate_bp: Mapped[int] = mapped_column(Integer)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TradeRefund(Base):
    """One refund of an order, keyed by the merchant's `out_request_no` (unique per order)."""

    __tablename__ = "trade_refund"
    __table_args__ = (
        UniqueConstraint("order_id", "out_request_no"),
        Index("ix_trade_refund_merchant_created", "merchant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    refund_id: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("trade_order.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(String(40))
    out_request_no: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    fee_refunded: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TradeNotification(Base):
    """An asynchronous notification to a merchant's notify URL, retried on the schedule in
    `service.notifications.SCHEDULE` until the response body is exactly `success`."""

    __tablename__ = "trade_notification"
    __table_args__ = (
        Index("ix_trade_notification_due", "status", "next_attempt_at"),
        Index("ix_trade_notification_merchant", "merchant_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notify_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)  # the outbox event it reports
    merchant_id: Mapped[str] = mapped_column(String(40))
    trade_no: Mapped[str] = mapped_column(String(40), index=True)
    trade_status: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)  # the form fields, unsigned, without notify_time
    status: Mapped[str] = mapped_column(String(12))  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TradeNotificationAttempt(Base):
    """The delivery log: one row per POST."""

    __tablename__ = "trade_notification_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("trade_notification.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    duration_ms: Mapped[int] = mapped_column(Integer)


class TradeSettlement(Base):
    """The settlement of one merchant's day (Asia/Shanghai): what it received that day less refunds and
    fees, plus any shortfall carried from the day before, paid out to its bank account."""

    __tablename__ = "trade_settlement"
    __table_args__ = (UniqueConstraint("merchant_id", "settle_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[str] = mapped_column(String(40), unique=True)
    merchant_id: Mapped[str] = mapped_column(String(40))
    settle_date: Mapped[date] = mapped_column(Date)
    payments_count: Mapped[int] = mapped_column(Integer)
    payments_amount: Mapped[int] = mapped_column(BigInteger)
    refunds_count: Mapped[int] = mapped_column(Integer)
    refunds_amount: Mapped[int] = mapped_column(BigInteger)
    fees: Mapped[int] = mapped_column(BigInteger)  # fees charged less fees refunded (may be negative)
    carried_in: Mapped[int] = mapped_column(BigInteger)  # <= 0: a shortfall from the previous settlement
    payout_amount: Mapped[int] = mapped_column(BigInteger)
    carried_out: Mapped[int] = mapped_column(BigInteger)  # <= 0
    payout_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # nothing | paying | paid | failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
