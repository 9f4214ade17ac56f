"""Transit's JSON routes.

Public: the platform transit key set gates load (`GET /v1/transit/keys`).
Citizens (`/v1/transit/…`, real-name verified): get a device certificate for the ride code, see
trips with fares and caps applied, claim a correction, see and pay arrears, the e-bus card.
Operators (`/v1/transit/operator/…`, a transit organisation's signed request or staff token): upload
gate taps in batches, list taps and trips, revenue per day, the deny-list (whole or delta since a
version) and fare corrections. POSTs take an Idempotency-Key (onecity.idempotency).
"""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from onecity import clock
from onecity.authz import PUBLIC, Principal, allow
from onecity.deps import DbSession
from onecity.transit import service
from onecity.transit.schemas import (
    ArrearsOut,
    BatchResult,
    CardOut,
    CardTopUp,
    CertificateOut,
    CertificateRequest,
    ChargeOut,
    CorrectionIn,
    CorrectionOut,
    DenyEntryOut,
    KeyOut,
    KeySetOut,
    LegOut,
    PaymentModeIn,
    RevenueDayOut,
    RiderOut,
    TapBatch,
    TapOut,
    TripsOut,
)

router = APIRouter(tags=["transit"])

CITIZEN = allow("citizen", verified=True)
# Staff roles and API key scopes of a transit organisation (`orgs.ROLES_BY_KIND["transit"]`).
GATES = allow("staff", "org", roles={"owner", "admin", "operator", "developer"})
READ = allow("staff", "org", roles={"owner", "admin", "operator", "finance", "developer"})
FINANCE = allow("staff", "org", roles={"owner", "admin", "finance"})


def _operator(db: DbSession, p: Principal) -> str:
    assert p.org_id is not None
    service.operator_of(db, p.org_id)  # 404 for an organisation that runs no transit
    return p.org_id


def _citizen(p: Principal) -> str:
    assert p.id is not None
    return p.id


def _range(since: date | None, until: date | None, days: int) -> tuple[date, date]:
    until = until or clock.today_local().date()
    return since or until - timedelta(days=days), until


# --- public -----------------------------------------------------------------------------------------

@router.get("/v1/transit/keys", response_model=KeySetOut)
def key_set(db: DbSession, p: Principal = Depends(PUBLIC)) -> KeySetOut:
    """The platform transit public keys a gate trusts (next, active and retiring)."""
    keys = service.keys.published_keys(db)
    return KeySetOut(keys=[base64.b64encode(k.public_key).decode() for k in keys],
                     detail=[KeyOut(kid=k.kid, public_key=base64.b64encode(k.public_key).decode(), status=k.status,
                                    retire_after=k.retire_after) for k in keys])


# --- citizens ---------------------------------------------------------------------------------------

@router.get("/v1/transit/me", response_model=RiderOut)
def me(db: DbSession, p: Principal = Depends(CITIZEN)) -> RiderOut:
    return service.rider_summary(db, _citizen(p))


@router.post("/v1/transit/certificates", status_code=201, response_model=CertificateOut)
def get_certificate(body: CertificateRequest, db: DbSession, p: Principal = Depends(CITIZEN)) -> CertificateOut:
    """Sign this phone's device key for 24 h: the phone then makes ride codes offline. Signing out the
    session that asked denies the certificate at the gates (transit.subscribers)."""
    return service.issue_certificate(db, citizen_id=_citizen(p), session_id=p.session_id,
                                     device_public=service.decode_device_key(body.device_public_key))


@router.post("/v1/transit/devices/{serial}/lost", response_model=RiderOut)
def device_lost(serial: int, db: DbSession, p: Principal = Depends(CITIZEN)) -> RiderOut:
    """Report the phone holding this certificate lost: gates refuse its codes from the next deny-list."""
    service.report_device_lost(db, citizen_id=_citizen(p), serial=serial)
    return service.rider_summary(db, _citizen(p))


@router.get("/v1/transit/trips", response_model=TripsOut)
def my_trips(db: DbSession, p: Principal = Depends(CITIZEN), since: date | None = None,
             until: date | None = None) -> TripsOut:
    since, until = _range(since, until, 30)
    r = service.rider(db, _citizen(p))
    return service.trips(db, rider_ref=r.rider_ref, since=since, until=until)


@router.post("/v1/transit/claims", status_code=201, response_model=CorrectionOut)
def claim(body: CorrectionIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> CorrectionOut:
    """The rider's correction of a leg missing a tap (charged the maximum fare): where they really
    left (or entered). An operator's correction overrides it."""
    r = service.rider(db, _citizen(p))
    return service.correct(db, tap_id=body.tap_id, stop_id=body.stop_id, source="rider", actor=_citizen(p),
                           rider_ref=r.rider_ref, reason=body.reason)


@router.get("/v1/transit/charges", response_model=list[ChargeOut])
def my_charges(db: DbSession, p: Principal = Depends(CITIZEN),
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[ChargeOut]:
    return service.charges_of(db, _citizen(p), limit=limit)


@router.get("/v1/transit/arrears", response_model=ArrearsOut)
def my_arrears(db: DbSession, p: Principal = Depends(CITIZEN)) -> ArrearsOut:
    return service.arrears(db, _citizen(p))


@router.post("/v1/transit/arrears/pay", response_model=ArrearsOut)
def pay_arrears(db: DbSession, p: Principal = Depends(CITIZEN)) -> ArrearsOut:
    """Pay every fare owed now, from the wallet (or the e-bus card); lifts the deny-list entry."""
    return service.pay_arrears(db, citizen_id=_citizen(p))


@router.get("/v1/transit/card", response_model=CardOut)
def my_card(db: DbSession, p: Principal = Depends(CITIZEN)) -> CardOut:
    return service.card(db, _citizen(p))


@router.post("/v1/transit/card/top-ups", response_model=CardOut)
def top_up(body: CardTopUp, db: DbSession, p: Principal = Depends(CITIZEN)) -> CardOut:
    return service.top_up_card(db, citizen_id=_citizen(p), amount=body.amount, request_id=body.request_id)


@router.post("/v1/transit/payment-mode", response_model=RiderOut)
def payment_mode(body: PaymentModeIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> RiderOut:
    """postpaid: fares are debited from the wallet after the day; card: from the e-bus card."""
    return service.set_payment_mode(db, citizen_id=_citizen(p), mode=body.mode)


# --- operators --------------------------------------------------------------------------------------

@router.post("/v1/transit/operator/taps", response_model=BatchResult)
def upload_taps(body: TapBatch, request: Request, db: DbSession, p: Principal = Depends(GATES)) -> BatchResult:
    """A batch of gate taps; one result per record (accepted, duplicate, or rejected with the reason)."""
    return service.upload(db, operator_org_id=_operator(db, p), taps=body.taps,
                          batch_id=request.headers.get("idempotency-key"))


@router.get("/v1/transit/operator/taps", response_model=dict[str, Any])
def operator_taps(db: DbSession, p: Principal = Depends(READ), day: date | None = None,
                  after: Annotated[str | None, Query(max_length=40)] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    items, cursor = service.list_taps(db, operator_org_id=_operator(db, p), day=day, after=after, limit=limit)
    return {"items": [TapOut.model_validate(i).model_dump(mode="json") for i in items], "next_cursor": cursor}


@router.get("/v1/transit/operator/trips", response_model=list[LegOut])
def operator_trips(db: DbSession, p: Principal = Depends(READ), day: date | None = None) -> list[LegOut]:
    return service.operator_trips(db, operator_org_id=_operator(db, p), day=day or clock.today_local().date())


@router.get("/v1/transit/operator/revenue", response_model=list[RevenueDayOut])
def operator_revenue(db: DbSession, p: Principal = Depends(FINANCE), since: date | None = None,
                     until: date | None = None) -> list[RevenueDayOut]:
    since, until = _range(since, until, 30)
    return service.revenue(db, operator_org_id=_operator(db, p), since=since, until=until)


@router.get("/v1/transit/operator/deny-list", response_model=dict[str, Any])
def deny_list(db: DbSession, p: Principal = Depends(READ),
              since: Annotated[int | None, Query(ge=0)] = None) -> dict[str, Any]:
    """For gates: the whole list (`{"version", "riders", "serials"}`), or with `since` the delta from
    that version (`{"from_version", "to_version", "add", "remove"}`; equal versions: nothing changed)."""
    _operator(db, p)
    return service.deny.whole(db) if since is None else service.deny.delta(db, since=since)


@router.get("/v1/transit/operator/deny-list/entries", response_model=list[DenyEntryOut])
def deny_entries(db: DbSession, p: Principal = Depends(READ)) -> list[DenyEntryOut]:
    _operator(db, p)
    return service.deny.entries(db)


@router.post("/v1/transit/operator/corrections", status_code=201, response_model=CorrectionOut)
def correct(body: CorrectionIn, db: DbSession, p: Principal = Depends(GATES)) -> CorrectionOut:
    """Correct a leg missing a tap (the rider is refunded the difference from the maximum fare)."""
    return service.correct(db, tap_id=body.tap_id, stop_id=body.stop_id, source="operator", actor=p,
                           operator_org_id=_operator(db, p), reason=body.reason)
