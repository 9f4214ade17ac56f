"""JSON API of scan-to-pay and of the citizen's confirmations (for the citizen app)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.payments.checkout import service
from onecity.payments.checkout.schemas import ScanIn, ScanOut, ScanPayIn
from onecity.payments.trade.schemas import OrderOut

router = APIRouter(tags=["checkout"])

CITIZEN = allow("citizen")
VERIFIED_CITIZEN = allow("citizen", verified=True)


@router.post("/v1/scans", response_model=ScanOut)
def describe_scan(body: ScanIn, db: DbSession, principal: Principal = Depends(CITIZEN)) -> ScanOut:
    """Read a scanned merchant QR: the merchant, and the amount of a dynamic (per-order) code."""
    return service.describe_scan(db, payload=body.payload)


@router.post("/v1/scans/payments", status_code=201, response_model=OrderOut)
def pay_scan(body: ScanPayIn, db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN)) -> OrderOut:
    """Pay a scanned merchant QR from the wallet: a dynamic code pays its order, a static code pays
    `amount_fen`. Returns the trade order."""
    assert principal.id is not None
    return service.pay_scanned(
        db, citizen_id=principal.id, payload=body.payload, amount_fen=body.amount_fen, note=body.note
    )


@router.get("/v1/me/pending-payments", response_model=list[OrderOut])
def pending(db: DbSession, principal: Principal = Depends(CITIZEN)) -> list[OrderOut]:
    """Orders awaiting this citizen's confirmation (a payment by code above their small-amount limit)."""
    assert principal.id is not None
    return service.pending_confirmations(db, citizen_id=principal.id)


@router.post("/v1/me/pending-payments/{trade_no}/confirmation", response_model=OrderOut)
def confirm(trade_no: str, db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN)) -> OrderOut:
    assert principal.id is not None
    return service.confirm(db, citizen_id=principal.id, trade_no=trade_no)
