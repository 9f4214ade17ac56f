"""Traffic-police JSON routes. Citizens see their vehicles, licence points and violations, read a
decision by number or scanned QR and pay its fine; the authority's staff record violations and
vehicles; the authority's servers upload camera captures with a signed request (idempotent by
capture id). POSTs take an `Idempotency-Key`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from onecity.authz import PUBLIC, Principal, allow
from onecity.deps import DbSession
from onecity.services.traffic import service, signing_key
from onecity.services.traffic.schemas import (
    DecisionQrOut,
    LicenceIn,
    LicenceOut,
    MyTrafficOut,
    PayIn,
    PaymentOut,
    ScanIn,
    VehicleIn,
    VehicleOut,
    ViolationBatchIn,
    ViolationBatchOut,
    ViolationIn,
    ViolationOut,
)
from onecity.web import qr as qrcode

router = APIRouter(tags=["services-traffic"])

CITIZEN = allow("citizen", verified=True)
STAFF = allow("staff", roles={"owner", "admin", "operator", "reviewer"})
RECORDERS = allow("staff", roles={"owner", "admin", "operator"})
CAMERAS = allow("org", roles={"operator"})
DecisionNo = Annotated[str, Path(max_length=40)]


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


@router.get("/v1/services/traffic/decision-key")
def decision_key(p: Principal = Depends(PUBLIC)) -> dict[str, str]:
    """The public key that signs decision QRs (Ed25519, PEM) and its id."""
    return {"alg": "Ed25519", "key_id": signing_key.key_id(), "public_key_pem": signing_key.public_pem()}


@router.get("/v1/services/traffic/me", response_model=MyTrafficOut)
def mine(db: DbSession, p: Principal = Depends(CITIZEN)) -> MyTrafficOut:
    return service.my_traffic(db, citizen_id=_me(p))


@router.get("/v1/services/traffic/decisions/{decision_no}", response_model=ViolationOut)
def decision(decision_no: DecisionNo, db: DbSession, p: Principal = Depends(CITIZEN)) -> ViolationOut:
    return service.get_decision(db, decision_no=decision_no, viewer_citizen_id=_me(p))


@router.post("/v1/services/traffic/decisions/scan", response_model=ViolationOut)
def scan(body: ScanIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> ViolationOut:
    """A scanned decision QR (or a typed decision number): the fine and today's late penalty."""
    return service.read_scanned(db, payload=body.payload, viewer_citizen_id=_me(p))


@router.post("/v1/services/traffic/decisions/{decision_no}/pay", response_model=PaymentOut)
def pay(decision_no: DecisionNo, body: PayIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> PaymentOut:
    return service.pay_fine(db, decision_no=decision_no, citizen_id=_me(p), expected_fen=body.expected_fen,
                            actor=p)


# --- the authority's staff ------------------------------------------------------------------------

@router.get("/v1/services/traffic/authority/violations", response_model=list[ViolationOut])
def authority_list(db: DbSession, status: str | None = None, p: Principal = Depends(STAFF)) -> list[ViolationOut]:
    assert p.org_id is not None
    return service.list_for_authority(db, authority_org_id=p.org_id, status=status)


@router.post("/v1/services/traffic/authority/violations", response_model=ViolationOut, status_code=201)
def authority_record(body: ViolationIn, db: DbSession, p: Principal = Depends(RECORDERS)) -> ViolationOut:
    assert p.org_id is not None
    return service.record_violation(db, authority_org_id=p.org_id, violation=body, source="console", actor=p)


@router.get("/v1/services/traffic/authority/decisions/{decision_no}/qr", response_model=DecisionQrOut)
def authority_qr(decision_no: DecisionNo, db: DbSession, p: Principal = Depends(STAFF)) -> DecisionQrOut:
    assert p.org_id is not None
    return service.decision_qr(db, decision_no=decision_no, authority_org_id=p.org_id)


@router.get("/v1/services/traffic/authority/decisions/{decision_no}/qr.png")
def authority_qr_png(decision_no: DecisionNo, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    assert p.org_id is not None
    out = service.decision_qr(db, decision_no=decision_no, authority_org_id=p.org_id)
    return Response(qrcode.png(out.payload), media_type="image/png")


@router.post("/v1/services/traffic/authority/vehicles", response_model=VehicleOut, status_code=201)
def authority_vehicle(body: VehicleIn, db: DbSession, p: Principal = Depends(RECORDERS)) -> VehicleOut:
    service.authority_of(db, p.org_id)
    return service.register_vehicle(db, vehicle=body, actor=p)


@router.post("/v1/services/traffic/authority/licences", response_model=LicenceOut, status_code=201)
def authority_licence(body: LicenceIn, db: DbSession, p: Principal = Depends(RECORDERS)) -> LicenceOut:
    service.authority_of(db, p.org_id)
    return service.register_licence(db, licence=body, actor=p)


# --- the authority's servers (signed) -------------------------------------------------------------

@router.post("/v1/services/traffic/org/violations", response_model=ViolationBatchOut)
def camera_upload(body: ViolationBatchIn, db: DbSession, p: Principal = Depends(CAMERAS)) -> ViolationBatchOut:
    """Camera captures in bulk; each `source_ref` is recorded once (a re-sent batch answers the same
    decisions)."""
    assert p.org_id is not None
    return ViolationBatchOut(recorded=service.record_batch(db, authority_org_id=p.org_id,
                                                           violations=body.violations, actor=p))
