"""Trade's JSON routes.

Merchants (`/v1/merchant/…`) call with signed organisation requests (their API key's scopes) or a staff
bearer token (their roles); the merchant is always the caller's organisation. Citizens (`/v1/trades/…`)
see the orders waiting for them and pay them. Administrators set fee rates.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import PlainTextResponse

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.payments.trade import service
from onecity.payments.trade.schemas import (
    MerchantProfileOut,
    NotificationOut,
    OrderCreate,
    OrderOut,
    Page,
    PayByCode,
    ProfileUpdate,
    RefundCreate,
    RefundOut,
    SettlementOut,
    StaticQrPay,
)
from onecity.payments.trade.service import OrderNotFound

router = APIRouter(tags=["trade"])

# Staff roles and API key scopes of a merchant organisation (`orgs.ROLES_BY_KIND["merchant"]`).
ORDERS = allow("staff", "org", roles={"owner", "admin", "operator", "cashier", "developer"})
READ = allow("staff", "org", roles={"owner", "admin", "operator", "cashier", "finance", "developer"})
REFUNDS = allow("staff", "org", roles={"owner", "admin", "operator", "finance", "developer"})
FINANCE = allow("staff", "org", roles={"owner", "admin", "finance"})
DEVELOPERS = allow("staff", "org", roles={"owner", "admin", "operator", "developer"})
CITIZEN = allow("citizen", verified=True)
ADMIN = allow("admin")


def _merchant(p: Principal) -> str:
    assert p.org_id is not None
    return p.org_id


# --- orders ---------------------------------------------------------------------------------------

@router.post("/v1/merchant/orders", status_code=201, response_model=OrderOut)
def create_order(body: OrderCreate, response: Response, db: DbSession, p: Principal = Depends(ORDERS)) -> OrderOut:
    """Create an order (`precreate: true` also returns the EMVCo QR payload to show the buyer).
    The same out_trade_no with the same amount and subject returns the existing order."""
    fn = service.precreate if body.precreate else service.create_order
    o = fn(db, merchant_id=_merchant(p), out_trade_no=body.out_trade_no, amount=body.amount, subject=body.subject,
           buyer_citizen_id=body.buyer_citizen_id, notify_url=body.notify_url,
           app_id=p.session_id if p.kind == "org" else None, timeout_minutes=body.timeout_minutes, body=body.body)
    response.headers["Location"] = f"/v1/merchant/orders/{o.out_trade_no}"
    return o


@router.get("/v1/merchant/orders", response_model=Page[OrderOut])
def list_orders(
    db: DbSession,
    p: Principal = Depends(READ),
    status: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[OrderOut]:
    items, cursor = service.list_orders(db, merchant_id=_merchant(p), status=status, q=q, after=after, limit=limit)
    return Page[OrderOut](items=items, next_cursor=cursor)


@router.get("/v1/merchant/orders/{out_trade_no}", response_model=OrderOut)
def query_order(out_trade_no: str, db: DbSession, p: Principal = Depends(READ)) -> OrderOut:
    return service.query(db, merchant_id=_merchant(p), out_trade_no=out_trade_no)


@router.post("/v1/merchant/orders/{out_trade_no}/close", response_model=OrderOut)
def close_order(out_trade_no: str, db: DbSession, p: Principal = Depends(ORDERS)) -> OrderOut:
    return service.close(db, merchant_id=_merchant(p), out_trade_no=out_trade_no, actor=p)


@router.post("/v1/merchant/orders/{out_trade_no}/refunds", status_code=201, response_model=RefundOut)
def refund_order(out_trade_no: str, body: RefundCreate, db: DbSession, p: Principal = Depends(REFUNDS)) -> RefundOut:
    """Refund part or all of a paid order; the same out_request_no again returns the same refund."""
    return service.refund(db, merchant_id=_merchant(p), out_trade_no=out_trade_no, refund_amount=body.refund_amount,
                          out_request_no=body.out_request_no, reason=body.reason, actor=p)


@router.get("/v1/merchant/orders/{out_trade_no}/refunds", response_model=list[RefundOut])
def list_refunds(out_trade_no: str, db: DbSession, p: Principal = Depends(READ)) -> list[RefundOut]:
    o = service.query(db, merchant_id=_merchant(p), out_trade_no=out_trade_no)
    return service.refunds_of(db, merchant_id=_merchant(p), trade_no=o.trade_no)


@router.post("/v1/merchant/payments", response_model=OrderOut)
def pay_by_code(body: PayByCode, db: DbSession, p: Principal = Depends(ORDERS)) -> OrderOut:
    """Charge the buyer's payment code. Up to the buyer's small-amount limit the order is paid at once
    (TRADE_SUCCESS); above it, it waits for the buyer to confirm in the app (WAIT_BUYER_PAY)."""
    return service.pay_by_code(db, merchant_id=_merchant(p), out_trade_no=body.out_trade_no, amount=body.amount,
                               subject=body.subject, auth_code=body.auth_code, notify_url=body.notify_url,
                               app_id=p.session_id if p.kind == "org" else None)


# --- settlement, notifications, profile -----------------------------------------------------------

@router.get("/v1/merchant/settlements", response_model=list[SettlementOut])
def list_settlements(db: DbSession, p: Principal = Depends(FINANCE),
                     limit: Annotated[int, Query(ge=1, le=366)] = 60) -> list[SettlementOut]:
    return service.list_settlements(db, merchant_id=_merchant(p), limit=limit)


@router.get("/v1/merchant/settlements/{day}", response_model=SettlementOut)
def get_settlement(day: str, db: DbSession, p: Principal = Depends(FINANCE)) -> SettlementOut:
    return service.get_settlement(db, merchant_id=_merchant(p), day=service.parse_day(day))


@router.get("/v1/merchant/settlements/{day}/file", response_class=PlainTextResponse)
def settlement_file(day: str, db: DbSession, p: Principal = Depends(FINANCE)) -> Response:
    """The day's reconciliation file (CSV, UTF-8, with a header and a totals line)."""
    d = service.parse_day(day)
    text = service.reconciliation_csv(db, merchant_id=_merchant(p), day=d)
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="reconciliation-{d.isoformat()}.csv"'})


@router.get("/v1/merchant/notifications", response_model=Page[NotificationOut])
def list_notifications(
    db: DbSession,
    p: Principal = Depends(DEVELOPERS),
    trade_no: Annotated[str | None, Query(max_length=40)] = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[NotificationOut]:
    items, cursor = service.list_notifications(db, merchant_id=_merchant(p), trade_no=trade_no, after=after,
                                               limit=limit)
    return Page[NotificationOut](items=items, next_cursor=cursor)


@router.post("/v1/merchant/notifications/{notify_id}/resend", response_model=NotificationOut)
def resend_notification(notify_id: str, db: DbSession, p: Principal = Depends(DEVELOPERS)) -> NotificationOut:
    return service.resend(db, merchant_id=_merchant(p), notify_id=notify_id)


@router.get("/v1/merchant/profile", response_model=MerchantProfileOut)
def get_profile(db: DbSession, p: Principal = Depends(READ)) -> MerchantProfileOut:
    return service.get_profile(db, _merchant(p))


@router.put("/v1/merchant/profile", response_model=MerchantProfileOut)
def update_profile(body: ProfileUpdate, db: DbSession, p: Principal = Depends(FINANCE)) -> MerchantProfileOut:
    """Set the settlement bank account (stored encrypted, shown masked), default notify URL, QR city/MCC."""
    return service.update_profile(db, merchant_id=_merchant(p), actor=p, bank_account=body.bank_account,
                                  holder_name=body.holder_name, notify_url=body.notify_url, city=body.city,
                                  mcc=body.mcc)


@router.get("/v1/merchant/qr")
def static_qr(db: DbSession, p: Principal = Depends(READ)) -> dict[str, str]:
    """The merchant's static EMVCo QR payload (the buyer types the amount)."""
    return {"qr_code": service.static_qr_payload(db, _merchant(p))}


# --- citizens -------------------------------------------------------------------------------------

@router.get("/v1/trades/pending", response_model=list[OrderOut])
def pending(db: DbSession, p: Principal = Depends(CITIZEN)) -> list[OrderOut]:
    """Orders waiting for the citizen's confirmation (payment codes above the small-amount limit)."""
    assert p.id is not None
    return service.pending_for_citizen(db, p.id)


@router.get("/v1/trades/{trade_no}", response_model=OrderOut)
def get_trade(trade_no: str, db: DbSession, p: Principal = Depends(CITIZEN)) -> OrderOut:
    """An order the citizen paid or may pay (addressed to them, or open to whoever scans its QR)."""
    o = service.get_order(db, trade_no)
    if o.buyer_citizen_id not in (None, p.id):
        raise OrderNotFound()
    return o


@router.post("/v1/trades/{trade_no}/pay", response_model=OrderOut)
def pay(trade_no: str, db: DbSession, p: Principal = Depends(CITIZEN)) -> OrderOut:
    assert p.id is not None
    return service.pay_as_citizen(db, citizen_id=p.id, trade_no=trade_no)


@router.post("/v1/trades/static-qr", status_code=201, response_model=OrderOut)
def pay_static_qr(body: StaticQrPay, db: DbSession, p: Principal = Depends(CITIZEN)) -> OrderOut:
    """Pay a merchant's static QR an amount the citizen typed."""
    assert p.id is not None
    return service.pay_static_qr(db, citizen_id=p.id, merchant_id=body.merchant_id, amount=body.amount, note=body.note)


# --- administrators -------------------------------------------------------------------------------

@router.put("/v1/merchants/{merchant_id}/fee-rate", response_model=MerchantProfileOut)
def set_fee_rate(merchant_id: str, db: DbSession, p: Principal = Depends(ADMIN),
                 bp: Annotated[int, Query(ge=0, le=1000)] = 38) -> MerchantProfileOut:
    return service.set_fee_rate(db, merchant_id=merchant_id, fee_rate_bp=bp, actor=p)
