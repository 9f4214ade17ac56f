"""The citizen app's paying pages: the payment code (/app/pay), its settings, and scan-to-pay (/app/scan).

The payment code is computed by the page's JavaScript from the device secret provisioned for this
signed-in session (so it refreshes every minute offline); the page polls for scans of it and for
payments awaiting the citizen's confirmation. Forms carry the session's CSRF token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity import clock, money
from onecity.authz import Principal, allow_page
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.web_session import csrf_ok, csrf_token
from onecity.money import Money
from onecity.payments.checkout import service
from onecity.payments.codes import service as codes
from onecity.payments.trade import service as trade
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

PAYER = allow_page("citizen", verified=True)

_JS_MESSAGES = (
    "checkout.pay.paid_to",
    "checkout.pay.awaiting",
    "checkout.pay.confirm",
    "checkout.pay.offline",
)


def yuan(fen: int | None) -> str:
    return "" if fen is None else money.yuan(fen)


def _fail(db: Session, request: Request, exc: DomainError) -> str:
    db.rollback()
    return exc.title(negotiate(request))


# --- the payment code ------------------------------------------------------------------------------


def _pay_page(
    request: Request, db: Session, principal: Principal, *, status: int = 200, **ctx: Any
) -> Response:
    assert principal.id is not None and principal.session_id is not None
    lang = negotiate(request)
    device = codes.device_for_session(
        db,
        citizen_id=principal.id,
        session_id=principal.session_id,
        label=t(lang, "checkout.pay.device_label"),
    )
    config = {
        "secret": device.secret,
        "number": device.number,
        "prefix": device.prefix,
        "digits": device.digits,
        "period": device.period,
        "algorithm": device.algorithm,
        "revealDigits": False,
        "updatesUrl": "/app/pay/updates",
        "since": clock.now().isoformat(),
        "messages": {k: t(lang, k) for k in _JS_MESSAGES},
    }
    pending = service.pending_confirmations(db, citizen_id=principal.id)
    limit = codes.small_amount_limit(db, principal.id)
    response = render(
        request,
        "checkout_pay.html",
        status_code=status,
        config=config,
        pending=pending,
        yuan=yuan,
        limit=limit,
        csrf=csrf_token(principal),
        **ctx,
    )
    response.headers["Cache-Control"] = "no-store"  # the page carries the device secret
    return response


@router.get("/app/pay", response_class=HTMLResponse)
def pay_page(request: Request, db: DbSession, principal: Principal = Depends(PAYER)) -> Response:
    notice = None
    if request.query_params.get("done") == "paid":
        notice = t(negotiate(request), "checkout.pay.confirmed")
    return _pay_page(request, db, principal, notice=notice)


@router.get("/app/pay/updates")
def pay_updates(request: Request, db: DbSession, principal: Principal = Depends(PAYER)) -> Response:
    """What the payment page polls: scans of the citizen's codes since it loaded, and payments awaiting
    confirmation."""
    assert principal.id is not None
    try:
        since = clock.aware(datetime.fromisoformat(request.query_params.get("since", "")))
    except ValueError:
        since = clock.now() - timedelta(minutes=5)
    uses = codes.recent_uses(db, citizen_id=principal.id, since=since)
    names: dict[str, str] = {}
    for u in uses:
        if u.merchant_id not in names:
            try:
                names[u.merchant_id] = trade.get_profile(db, u.merchant_id).merchant_name
            except DomainError:
                names[u.merchant_id] = u.merchant_id
    pending = service.pending_confirmations(db, citizen_id=principal.id)
    return JSONResponse(
        {
            "uses": [
                {
                    "code_id": u.code_id,
                    "merchant_name": names[u.merchant_id],
                    "used_at": u.used_at.isoformat(),
                }
                for u in uses
            ],
            "pending": [
                {
                    "trade_no": o.trade_no,
                    "merchant_name": o.merchant_name,
                    "amount": yuan(o.amount),
                    "subject": o.subject,
                }
                for o in pending
            ],
        }
    )


@router.post("/app/pay/confirm", response_class=HTMLResponse)
def confirm_payment(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(PAYER),
    trade_no: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    """The citizen confirms a payment by code above their small-amount limit."""
    assert principal.id is not None
    lang = negotiate(request)
    if not csrf_ok(principal, csrf):
        return _pay_page(request, db, principal, status=403, error=t(lang, "identity.error.csrf"))
    try:
        order = service.confirm(db, citizen_id=principal.id, trade_no=trade_no)
    except DomainError as exc:
        return _pay_page(request, db, principal, status=exc.status, error=_fail(db, request, exc))
    return render(request, "checkout_result.html", order=order, yuan=yuan)


@router.get("/app/pay/settings", response_class=HTMLResponse)
def settings_page(request: Request, db: DbSession, principal: Principal = Depends(PAYER)) -> Response:
    assert principal.id is not None
    s = codes.get_settings(db, citizen_id=principal.id)
    saved = t(negotiate(request), "checkout.settings.saved") if request.query_params.get("done") else None
    return render(
        request,
        "checkout_settings.html",
        settings=s,
        yuan=yuan,
        csrf=csrf_token(principal),
        typed=yuan(s.small_amount_limit_fen),
        notice=saved,
    )


@router.post("/app/pay/settings", response_class=HTMLResponse)
def settings_submit(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(PAYER),
    limit: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    assert principal.id is not None
    lang = negotiate(request)
    s = codes.get_settings(db, citizen_id=principal.id)
    if not csrf_ok(principal, csrf):
        return render(
            request,
            "checkout_settings.html",
            status_code=403,
            settings=s,
            yuan=yuan,
            csrf=csrf_token(principal),
            typed=limit,
            error=t(lang, "identity.error.csrf"),
        )
    try:
        codes.set_small_amount_limit(db, citizen_id=principal.id, limit_fen=Money.parse(limit).fen)
    except DomainError as exc:
        return render(
            request,
            "checkout_settings.html",
            status_code=exc.status,
            settings=s,
            yuan=yuan,
            csrf=csrf_token(principal),
            typed=limit,
            error=_fail(db, request, exc),
        )
    return RedirectResponse("/app/pay/settings?done=1", status_code=303)


# --- scan to pay -----------------------------------------------------------------------------------


def _scan_page(request: Request, principal: Principal, *, status: int = 200, **ctx: Any) -> Response:
    return render(request, "checkout_scan.html", status_code=status, csrf=csrf_token(principal), **ctx)


@router.get("/app/scan", response_class=HTMLResponse)
def scan_page(request: Request, principal: Principal = Depends(PAYER)) -> Response:
    return _scan_page(request, principal)


@router.post("/app/scan", response_class=HTMLResponse)
def scan_submit(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(PAYER),
    payload: str = Form(""),
    csrf: str = Form(""),
    image: UploadFile | None = File(None),
) -> Response:  # noqa: B008
    """A scanned payload (camera) or an uploaded picture of a merchant QR: show what would be paid."""
    lang = negotiate(request)
    if not csrf_ok(principal, csrf):
        return _scan_page(request, principal, status=403, error=t(lang, "identity.error.csrf"))
    try:
        if image is not None and image.filename:
            payload = service.decode_qr_image(image.file.read(service.MAX_IMAGE_BYTES + 1))
        if not payload.strip():
            return _scan_page(request, principal, status=422, error=t(lang, "checkout.scan.nothing"))
        scan = service.describe_scan(db, payload=payload.strip())
    except DomainError as exc:
        return _scan_page(request, principal, status=exc.status, error=_fail(db, request, exc))
    return render(
        request,
        "checkout_confirm.html",
        scan=scan,
        payload=payload.strip(),
        yuan=yuan,
        csrf=csrf_token(principal),
        typed_amount="",
        note="",
    )


@router.post("/app/scan/pay", response_class=HTMLResponse)
def scan_pay(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(PAYER),
    payload: str = Form(""),
    amount: str = Form(""),
    note: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    assert principal.id is not None
    lang = negotiate(request)
    if not csrf_ok(principal, csrf):
        return _scan_page(request, principal, status=403, error=t(lang, "identity.error.csrf"))
    try:
        scan = service.describe_scan(db, payload=payload)
    except DomainError as exc:
        return _scan_page(request, principal, status=exc.status, error=_fail(db, request, exc))
    try:
        amount_fen = None if scan.dynamic else Money.parse(amount).fen
        order = service.pay_scanned(
            db, citizen_id=principal.id, payload=payload, amount_fen=amount_fen, note=note.strip() or None
        )
    except DomainError as exc:
        error = _fail(db, request, exc)
        return render(
            request,
            "checkout_confirm.html",
            status_code=exc.status,
            scan=scan,
            payload=payload,
            yuan=yuan,
            csrf=csrf_token(principal),
            typed_amount=amount,
            note=note,
            error=error,
        )
    return render(request, "checkout_result.html", order=order, yuan=yuan)
