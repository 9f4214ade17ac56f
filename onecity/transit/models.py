"""Tables owned by transit's platform side: the platform transit keys, fare systems and operators,
riders and their device certificates, uploaded taps, fare corrections, the pricing work queue,
charges (what each rider owes each operator per service day) and the versioned deny-list.
Other modules never touch them; they call `transit.service`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class TransitPlatformKey(Base):
    """A platform transit signing key (Ed25519). `status`: active (signs certificates; exactly one) →
    retiring (still in every gate's key set until `retire_after`, when the last certificate it signed
    has expired) → retired (dropped from the key set; its private key destroyed). The seed is AES-GCM
    encrypted at rest (purpose `transit.platform_key`)."""

    __tablename__ = "transit_platform_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(4), unique=True)  # hex of the 2-byte kid
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retire_after: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TransitFareSystem(Base):
    """One fare system's configuration (GTFS-Fares-v2-like JSON, see transit.fares.config)."""

    __tablename__ = "transit_fare_system"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[str] = mapped_column(String(60), unique=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TransitOperator(Base):
    """A transit operator organisation (identity org of kind "transit"), the fare-system operator code
    its networks carry, and its payable ledger account (fares are credited to it)."""

    __tablename__ = "transit_operator"
    __table_args__ = (UniqueConstraint("system_id", "operator_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40), unique=True)
    system_id: Mapped[str] = mapped_column(String(60))
    operator_code: Mapped[str] = mapped_column(String(60))
    ledger_account_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TransitRider(Base):
    """A citizen who rides. `rider_ref` (16 hex) is the opaque reference in certificates and taps; only
    this table maps it to the citizen. `payment_mode`: postpaid (wallet) | card (e-bus card)."""

    __tablename__ = "transit_rider"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rider_ref: Mapped[str] = mapped_column(String(16), unique=True)
    citizen_id: Mapped[str] = mapped_column(String(40), unique=True)
    payment_mode: Mapped[str] = mapped_column(String(10))
    in_arrears: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TransitDeviceCertificate(Base):
    """One device certificate the platform signed (the certificate bytes are the phone's).
    `session_id` is the sign-in session (identity's `ses_…`) that asked for it, when it came through
    one: signing that session out puts the certificate's serial on the deny-list."""

    __tablename__ = "transit_device_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[int] = mapped_column(BigInteger, unique=True)
    rider_ref: Mapped[str] = mapped_column(String(16), index=True)
    device_public: Mapped[bytes] = mapped_column(LargeBinary)
    kid: Mapped[str] = mapped_column(String(4))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10))  # active | revoked (lost phone) | signed_out
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    session_id: Mapped[str | None] = mapped_column(String(40), index=True)


class TransitTap(Base):
    """One accepted tap, uploaded by its operator. Unique by `tap_id` (deterministic from the signed
    code), so a re-uploaded tap is the same row. `at` is the gate's clock (epoch seconds)."""

    __tablename__ = "transit_tap"
    __table_args__ = (
        Index("ix_transit_tap_rider_at", "rider_ref", "at"),
        Index("ix_transit_tap_operator_day", "operator_id", "service_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tap_id: Mapped[str] = mapped_column(String(40), unique=True)
    rider_ref: Mapped[str] = mapped_column(String(16))
    serial: Mapped[int] = mapped_column(BigInteger)
    operator_id: Mapped[str] = mapped_column(String(40))
    system_id: Mapped[str] = mapped_column(String(60))
    network_id: Mapped[str] = mapped_column(String(60))
    gate_id: Mapped[str] = mapped_column(String(60))
    stop_id: Mapped[str] = mapped_column(String(60))
    direction: Mapped[str] = mapped_column(String(3))
    at: Mapped[int] = mapped_column(BigInteger)
    code_ts: Mapped[int] = mapped_column(BigInteger)
    service_day: Mapped[date] = mapped_column(Date)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TransitCorrection(Base):
    """A fare correction (补票/更正) of a leg missing a tap, named by its lone tap: the stop the rider
    really left (or entered) by. `source`: operator | rider (a rider's claim; an operator's
    correction replaces it)."""

    __tablename__ = "transit_correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tap_id: Mapped[str] = mapped_column(String(40), unique=True)
    rider_ref: Mapped[str] = mapped_column(String(16), index=True)
    stop_id: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TransitPricingDue(Base):
    """Work queue: this rider's week (ISO week of service days) in this fare system must be priced
    again at or after `due_at` (new or corrected taps, or an open leg that will time out)."""

    __tablename__ = "transit_pricing_due"
    __table_args__ = (UniqueConstraint("rider_ref", "system_id", "week_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rider_ref: Mapped[str] = mapped_column(String(16))
    system_id: Mapped[str] = mapped_column(String(60))
    week_start: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class TransitCharge(Base):
    """A change in what a rider owes an operator for a service day: the day's capped fares less what
    earlier charges already asked (negative: a refund after a correction or a late tap lowered the
    day). `status`: due → paid (debited through the ledger, `transfer_id`) | failed (debit refused:
    the rider is in arrears) → paid."""

    __tablename__ = "transit_charge"
    __table_args__ = (
        Index("ix_transit_charge_rider_status", "rider_ref", "status"),
        Index("ix_transit_charge_operator_day", "operator_id", "service_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    charge_id: Mapped[str] = mapped_column(String(40), unique=True)
    rider_ref: Mapped[str] = mapped_column(String(16))
    system_id: Mapped[str] = mapped_column(String(60))
    operator_id: Mapped[str] = mapped_column(String(40))
    service_day: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))
    paid_from: Mapped[str | None] = mapped_column(String(10))  # wallet | card
    transfer_id: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TransitDenyEntry(Base):
    """One deny-list entry: a rider in arrears (`kind` rider, `value` rider_ref) or a lost phone
    (`kind` serial, `value` the certificate serial)."""

    __tablename__ = "transit_deny_entry"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TransitDenyChange(Base):
    """The deny-list's history, one row per version: what was added or removed. Versions are given
    under a lock on the head row, so they commit in order and a delta never skips one."""

    __tablename__ = "transit_deny_change"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(24))
    op: Mapped[str] = mapped_column(String(6))  # add | remove
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TransitDenyHead(Base):
    """The deny-list's current version (one row, id 1); locked to give the next version."""

    __tablename__ = "transit_deny_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
