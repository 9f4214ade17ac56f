"""Tables owned by services.traffic: the traffic-police agencies, vehicles, driving licences and
violations (with their decisions and payments). Other modules call `services.traffic.service`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class TrafficAuthority(Base):
    """An agency that decides traffic violations; `prefix` begins its decision numbers (4403)."""

    __tablename__ = "svc_traffic_authorities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40), unique=True)
    prefix: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Vehicle(Base):
    """A registered motor vehicle (机动车) and the citizen who owns it."""

    __tablename__ = "svc_traffic_vehicles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # veh_<ULID>
    plate: Mapped[str] = mapped_column(String(10), unique=True)
    plate_kind: Mapped[str] = mapped_column(String(12))  # ordinary | new_energy
    vehicle_type: Mapped[str] = mapped_column(String(20))
    owner_citizen_id: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DrivingLicence(Base):
    """A driving licence (驾驶证). Its number is the holder's resident ID number: kept encrypted, found
    by blind index, shown masked. `cycle_start` is the start of the current 12-month scoring cycle
    (rolled forward on the anniversary of `first_cycle_start`). Status: valid | suspended (满分)."""

    __tablename__ = "svc_traffic_licences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # dl_<ULID>
    citizen_id: Mapped[str] = mapped_column(String(40), unique=True)
    number_index: Mapped[str] = mapped_column(String(64), unique=True)
    number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    number_masked: Mapped[str] = mapped_column(String(20))
    licence_class: Mapped[str] = mapped_column(String(12))
    first_cycle_start: Mapped[date] = mapped_column(Date)
    cycle_start: Mapped[date] = mapped_column(Date)
    points_used: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Violation(Base):
    """A violation and its penalty decision (处罚决定). status: unpaid → paid (once; nothing else).
    `source_ref` (a camera capture's id) makes a bulk upload idempotent per authority."""

    __tablename__ = "svc_traffic_violations"
    __table_args__ = (
        UniqueConstraint("authority_org_id", "source_ref"),
        Index("ix_svc_traffic_violations_authority", "authority_org_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # vio_<ULID>
    decision_no: Mapped[str] = mapped_column(String(40), unique=True)
    authority_org_id: Mapped[str] = mapped_column(String(40))
    vehicle_row_id: Mapped[int] = mapped_column(ForeignKey("svc_traffic_vehicles.id"), index=True)
    plate: Mapped[str] = mapped_column(String(10))
    licence_row_id: Mapped[int | None] = mapped_column(ForeignKey("svc_traffic_licences.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(300))
    points: Mapped[int] = mapped_column(Integer)
    fine_fen: Mapped[int] = mapped_column(BigInteger)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(8))  # console | camera
    source_ref: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(100))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_citizen_id: Mapped[str | None] = mapped_column(String(40))
    penalty_fen: Mapped[int | None] = mapped_column(BigInteger)
    paid_fen: Mapped[int | None] = mapped_column(BigInteger)
    transfer_id: Mapped[str | None] = mapped_column(String(100))
