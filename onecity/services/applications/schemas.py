"""Requests and responses of services.applications. Other sub-packages import these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from onecity.services.catalogue.schemas import I18n

Outcome = Literal["approved", "rejected", "withdrawn"]


class EventOut(BaseModel):
    action: str
    from_state: str | None
    to_state: str
    actor_kind: str
    actor: str
    reason: str | None
    at: datetime


class ActionOut(BaseModel):
    name: str
    label: I18n
    reason: Literal["required", "optional"] | None
    needs_claim: bool


class PaymentOut(BaseModel):
    fee_fen: int
    currency: str
    state: Literal["due", "paid"] | None
    transfer_id: str | None


class ApplicationOut(BaseModel):
    id: str
    reference: str
    service_code: str
    service_version: int
    city_code: str
    agency_org_id: str
    workflow: str
    citizen_id: str
    state: str
    state_label: I18n
    outcome: Outcome | None
    form: dict[str, Any]
    attachments: dict[str, str]
    submitted_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    overdue: bool
    assignee: str | None
    trips_needed: int
    visits: int
    credential_id: str | None
    payment: PaymentOut
    events: list[EventOut] = []
    available_actions: list[ActionOut] = []
    last_reason: str | None = None


class ApplicationFact(BaseModel):
    """One per application, for measures."""

    application_id: str
    service_code: str
    agency_org_id: str
    state: str
    outcome: Outcome | None
    trips_needed: int
    visits: int
    submitted_at: datetime
    completed_at: datetime | None
    due_at: datetime | None
    # open, past due_at, and the agency's to move (an application waiting on the applicant — 补正,
    # 待缴费 — is not overdue); measures should count this rather than compare due_at themselves
    overdue: bool = False


class AttachmentOut(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    slot: str | None
    application_id: str | None
    created_at: datetime


class ConsentNeeded(BaseModel):
    org_id: str
    purpose: str
    type_ids: list[str]


class PrefillOut(BaseModel):
    """Fields found (form field → value), which of them came from certificates, and the consent
    still needed to read the others (None when nothing is missing)."""

    service_code: str
    values: dict[str, Any]
    from_certificates: list[str]
    consent_needed: ConsentNeeded | None
    missing: list[str] = []


class NoticeOut(BaseModel):
    id: str
    title: I18n
    body: I18n
    link: str | None
    created_at: datetime
    read: bool


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_code: str = Field(max_length=80)
    city_code: str | None = Field(default=None, max_length=12)
    form: dict[str, Any]
    attachments: dict[str, str] = {}


class ActIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)
    form: dict[str, Any] | None = None
    attachments: dict[str, str] | None = None


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(default=90, ge=1, le=365)


class ApplicationsPage(BaseModel):
    items: list[ApplicationOut]
    next_after: str | None = None
