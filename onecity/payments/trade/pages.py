"""The merchant console's trade pages (for the merchant's staff): orders (filter, detail, refund),
settlements with their reconciliation files, the notification delivery log, the merchant's static QR
and the settlement settings. Server-rendered forms that post back and redirect (303) on success; a
failed form re-renders with the error in the request's language and changes nothing.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity.authz import Principal
from onecity.deps import DbSession
from onecity.errors import DomainError, Forbidden
from onecity.i18n import negotiate, t
from onecity.identity.orgs.console import console_allow, csrf_token, require_csrf
from onecity.ids import new_id
from onecity.money import Money
from onecity.payments.trade import service
from onecity.payments.trade.schemas import STATUSES, OrderOut
from onecity.web import formatting
from onecity.web.formatting import yuan
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

MERCHANT_ROLES = frozenset({"owner", "admin", "operator", "cashier", "finance", "developer"})
STAFF = console_allow("staff", roles=MERCHANT_ROLES)
REFUNDERS = console_allow("staff", roles={"owner", "admin", "operator", "finance"})
FINANCE = console_allow("staff", roles={"owner", "admin", "finance"})
DEVELOPERS = console_allow("staff", roles={"owner", "admin", "operator", "developer"})
_REQUEST_NO = re.compile(r"^console-[0-9A-Z]{26}$")
_NOTICES = {"refunded": "trade.notice.refunded", "resent": "trade.notice.resent", "saved": "trade.notice.saved"}


def local(dt: datetime | None) -> str:
    return formatting.local(dt, "%Y-%m-%d %H:%M:%S")


def _merchant(p: Principal) -> str:
    assert p.org_id is not None
    return p.org_id



def _can(p: Principal, allowed: Any) -> bool:
    return bool(allowed.admits(p))


def _page(request: Request, name: str, p: Principal, *, status: int = 200, error: str | None = None,
          **ctx: Any) -> Response:
    lang = negotiate(request)
    key = _NOTICES.get(request.query_params.get("done", ""))
    return render(request, name, status_code=status, error=error,
                  notice=None if error or key is None else t(lang, key), principal_kind=p.kind,
                  csrf=csrf_token(p), yuan=yuan, local=local, can_refund=_can(p, REFUNDERS),
                  can_finance=_can(p, FINANCE), can_develop=_can(p, DEVELOPERS), **ctx)


# --- orders ---------------------------------------------------------------------------------------

@router.get("/console/trade", response_class=HTMLResponse)
def trade_home(p: Principal = Depends(STAFF)) -> Response:
    return RedirectResponse("/console/trade/orders", status_code=303)


@router.get("/console/trade/orders", response_class=HTMLResponse)
def orders(request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    status = request.query_params.get("status") or None
    if status not in STATUSES:
        status = None
    q = (request.query_params.get("q") or "").strip()[:64] or None
    after = request.query_params.get("after") or None
    try:
        rows, cursor = service.list_orders(db, merchant_id=_merchant(p), status=status, q=q, after=after, limit=30)
    except DomainError:
        rows, cursor = service.list_orders(db, merchant_id=_merchant(p), status=status, q=q, limit=30)
    return _page(request, "trade_orders.html", p, orders=rows, cursor=cursor, status_filter=status or "", q=q or "",
                 statuses=STATUSES)


def _detail(request: Request, db: Session, p: Principal, trade_no: str, *, status: int = 200,
            error: str | None = None, form: dict[str, Any] | None = None) -> Response:
    o: OrderOut = service.query(db, merchant_id=_merchant(p), trade_no=trade_no)
    refunds = service.refunds_of(db, merchant_id=_merchant(p), trade_no=trade_no)
    notes, _ = service.list_notifications(db, merchant_id=_merchant(p), trade_no=trade_no, limit=20)
    return _page(request, "trade_order.html", p, status=status, error=error, order=o, refunds=refunds,
                 notifications=notes, refundable=o.amount - o.refunded_amount if o.paid_at else 0,
                 form=form or {}, out_request_no=(form or {}).get("out_request_no") or f"console-{new_id('x')[2:]}")


@router.get("/console/trade/orders/{trade_no}", response_class=HTMLResponse)
def order_detail(trade_no: str, request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    return _detail(request, db, p, trade_no)


@router.post("/console/trade/orders/{trade_no}/refund", response_class=HTMLResponse)
def refund(
    trade_no: str,
    request: Request,
    db: DbSession,
    p: Principal = Depends(REFUNDERS),
    csrf: str = Form(""),
    amount: str = Form("", max_length=20),
    reason: str = Form("", max_length=256),
    out_request_no: str = Form("", max_length=64),
) -> Response:
    """The form carries an out_request_no made when it was shown: submitting it twice refunds once."""
    require_csrf(p, csrf)
    form = {"amount": amount, "reason": reason, "out_request_no": out_request_no}
    try:
        if not _REQUEST_NO.match(out_request_no):
            raise Forbidden(detail="the form has expired; reload the page")
        fen = Money.parse(amount).fen
        service.refund(db, merchant_id=_merchant(p), trade_no=trade_no, refund_amount=fen,
                       out_request_no=out_request_no, reason=reason or None, actor=p)
    except DomainError as exc:
        db.rollback()
        return _detail(request, db, p, trade_no, status=exc.status, error=exc.title(negotiate(request)), form=form)
    return RedirectResponse(f"/console/trade/orders/{trade_no}?done=refunded", status_code=303)


# --- settlements ----------------------------------------------------------------------------------

@router.get("/console/trade/settlements", response_class=HTMLResponse)
def settlements(request: Request, db: DbSession, p: Principal = Depends(FINANCE)) -> Response:
    rows = service.list_settlements(db, merchant_id=_merchant(p), limit=60)
    profile = service.get_profile(db, _merchant(p))
    return _page(request, "trade_settlements.html", p, settlements=rows, profile=profile)


@router.get("/console/trade/settlements/{day}/file")
def settlement_file(day: str, db: DbSession, p: Principal = Depends(FINANCE)) -> Response:
    d = service.parse_day(day)
    text = service.reconciliation_csv(db, merchant_id=_merchant(p), day=d)
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="reconciliation-{d.isoformat()}.csv"'})


@router.get("/console/trade/settings", response_class=HTMLResponse)
def settings(request: Request, db: DbSession, p: Principal = Depends(FINANCE)) -> Response:
    return _page(request, "trade_settings.html", p, profile=service.get_profile(db, _merchant(p)), form={})


@router.post("/console/trade/settings", response_class=HTMLResponse)
def save_settings(
    request: Request,
    db: DbSession,
    p: Principal = Depends(FINANCE),
    csrf: str = Form(""),
    bank_account: str = Form("", max_length=40),
    holder_name: str = Form("", max_length=200),
    notify_url: str = Form("", max_length=1000),
) -> Response:
    require_csrf(p, csrf)
    try:
        service.update_profile(db, merchant_id=_merchant(p), actor=p, bank_account=bank_account or None,
                               holder_name=holder_name or None, notify_url=notify_url)
    except DomainError as exc:
        db.rollback()
        return _page(request, "trade_settings.html", p, status=exc.status, error=exc.title(negotiate(request)),
                     profile=service.get_profile(db, _merchant(p)),
                     form={"holder_name": holder_name, "notify_url": notify_url})
    return RedirectResponse("/console/trade/settings?done=saved", status_code=303)


# --- notifications --------------------------------------------------------------------------------

@router.get("/console/trade/notifications", response_class=HTMLResponse)
def notifications(request: Request, db: DbSession, p: Principal = Depends(DEVELOPERS)) -> Response:
    after = request.query_params.get("after") or None
    try:
        rows, cursor = service.list_notifications(db, merchant_id=_merchant(p), after=after, limit=30)
    except DomainError:
        rows, cursor = service.list_notifications(db, merchant_id=_merchant(p), limit=30)
    return _page(request, "trade_notifications.html", p, notifications=rows, cursor=cursor)


@router.post("/console/trade/notifications/{notify_id}/resend", response_class=HTMLResponse)
def resend(notify_id: str, request: Request, db: DbSession, p: Principal = Depends(DEVELOPERS),
           csrf: str = Form("")) -> Response:
    require_csrf(p, csrf)
    service.resend(db, merchant_id=_merchant(p), notify_id=notify_id)
    return RedirectResponse("/console/trade/notifications?done=resent", status_code=303)


# --- the merchant's static QR ---------------------------------------------------------------------

@router.get("/console/trade/qr", response_class=HTMLResponse)
def qr_page(request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    profile = service.get_profile(db, _merchant(p))
    return _page(request, "trade_qr.html", p, payload=service.static_qr_payload(db, _merchant(p)), profile=profile)


@router.get("/console/trade/qr.{fmt}")
def qr_image(fmt: str, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    """The static QR as an image (PNG or SVG) to print at the till."""
    if fmt not in ("png", "svg"):
        return Response(status_code=404)
    qr = segno.make(service.static_qr_payload(db, _merchant(p)), error="m")
    buf = io.BytesIO()
    if fmt == "png":
        qr.save(buf, kind="png", scale=10, border=4)
        return Response(buf.getvalue(), media_type="image/png")
    qr.save(buf, kind="svg", scale=10, border=4, xmldecl=False)
    return Response(buf.getvalue(), media_type="image/svg+xml")
