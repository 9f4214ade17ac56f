"""Requests and responses of services.traffic. Money in fen; plates of other people's vehicles and
licence numbers only masked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

VehicleType = Literal["small_car", "large_bus", "truck", "motorcycle"]


class VehicleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plate: str = Field(min_length=7, max_length=12)
    vehicle_type: VehicleType = "small_car"
    owner_id_number: str = Field(min_length=18, max_length=18)


class VehicleOut(BaseModel):
    vehicle_id: str
    plate: str
    plate_masked: str
    plate_kind: str
    vehicle_type: str
    owner_citizen_id: str


class LicenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(min_length=18, max_length=18)
    licence_class: str = Field(pattern=r"^(A1|A2|A3|B1|B2|C1|C2|C3|C4|C5|C6|D|E|F|M|N|P)$")
    cycle_start: date  # the first day of the first scoring cycle (the date first issued)


class LicenceOut(BaseModel):
    licence_id: str
    citizen_id: str
    number_masked: str
    licence_class: str
    cycle_start: date
    cycle_end: date  # the last day of the current cycle
    points_used: int
    points_left: int
    status: Literal["valid", "suspended"]


class ViolationIn(BaseModel):
    """A violation to decide. `fine_fen` defaults to the code's fine; when given it must lie within
    the code's range. `driver_id_number` names the driver (points go to their licence); without it the
    vehicle's owner is taken as the driver (a camera capture). `source_ref` is the camera's capture id."""

    model_config = ConfigDict(extra="forbid")
    plate: str = Field(min_length=7, max_length=12)
    occurred_at: datetime
    place: str = Field(min_length=2, max_length=200)
    code: str = Field(pattern=r"^[0-9]{4,5}$")
    description: str | None = Field(default=None, max_length=300)
    fine_fen: int | None = Field(default=None, ge=0, le=10_000_000)
    driver_id_number: str | None = Field(default=None, min_length=18, max_length=18)
    source_ref: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")


class ViolationBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    violations: list[ViolationIn] = Field(min_length=1, max_length=500)


class ViolationOut(BaseModel):
    violation_id: str
    decision_no: str
    authority_org_id: str
    authority_name: str | None = None
    plate_masked: str
    occurred_at: datetime
    place: str
    code: str
    description: str
    points: int
    fine_fen: int
    decided_at: datetime
    decided_on: date
    status: Literal["unpaid", "paid"]
    source: str
    penalty_fen: int  # late penalty owed today (unpaid) or paid (paid)
    due_fen: int  # fine + penalty to pay today (0 once paid)
    paid_fen: int | None = None
    paid_at: datetime | None = None
    paid_by_me: bool | None = None


class ViolationBatchOut(BaseModel):
    recorded: list[ViolationOut]


class DecisionQrOut(BaseModel):
    decision_no: str
    payload: str


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payload: str = Field(min_length=1, max_length=2000)


class PayIn(BaseModel):
    """`expected_fen`: what the citizen was shown (fine + penalty); refused if today's amount differs."""

    model_config = ConfigDict(extra="forbid")
    expected_fen: int | None = Field(default=None, ge=0)


class PaymentOut(BaseModel):
    decision_no: str
    fine_fen: int
    penalty_fen: int
    paid_fen: int
    paid_at: datetime
    transfer_id: str


class MyTrafficOut(BaseModel):
    vehicles: list[VehicleOut]
    licence: LicenceOut | None
    e_licence_credential_id: str | None
    violations: list[ViolationOut]
