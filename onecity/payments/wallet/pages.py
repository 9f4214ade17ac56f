"""The citizen app's wallet pages: /app/wallet (balance, top-ups and withdrawals in progress,
history), /app/wallet/top-up and /app/wallet/withdraw.

Forms post back with the session's CSRF token and a one-time form token that keys the top-up or
withdrawal, so a double-tapped button moves money once. Withdrawing starts with face verification:
/app/face?act=wallet.withdraw&next=/app/wallet/withdraw comes back with `?face_grant=…`, which the
form carries and the service uses up with the withdrawal.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity.authz import Principal, allow_page
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.web_session import csrf_ok, csrf_token
from onecity.money import Money, yuan
from onecity.payments.bank import service as bank
from onecity.payments.wallet import service
from onecity.web import formatting
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

WALLET_PAGE = allow_page("citizen", verified=True)
HOME = "/app/wallet"
TOP_UP = "/app/wallet/top-up"
WITHDRAW = "/app/wallet/withdraw"
_NOTICES = {"top_up", "withdrawal"}


def local(dt: datetime | None) -> str:
    return formatting.local(dt, empty="")


def face_url() -> str:
    return "/app/face?" + urlencode({"act": service.WITHDRAW_ACT, "next": WITHDRAW})


def _ctx(**extra: Any) -> dict[str, Any]:
    return {"yuan": yuan, "local": local, **extra}


@router.get("/app/wallet", response_class=HTMLResponse)
def wallet_home(request: Request, db: DbSession, principal: Principal = Depends(WALLET_PAGE)) -> Response:
    assert principal.id is not None
    lang = negotiate(request)
    after = request.query_params.get("after") or None
    try:
        page = service.history(db, principal.id, after=after, limit=20)
    except DomainError:
        page = service.history(db, principal.id, limit=20)
    done = request.query_params.get("done", "")
    return render(request, "wallet_home.html", **_ctx(
        wallet=service.wallet_summary(db, principal.id), history=page,
        in_progress=[x for x in service.list_bank_transfers(db, principal.id, limit=10)],
        notice=t(lang, f"wallet.notice.{done}") if done in _NOTICES else None))


# --- top-up ---------------------------------------------------------------------------------------

def _top_up_page(request: Request, db: Session, principal: Principal, *, status: int = 200,
                 form: dict[str, Any] | None = None, **ctx: Any) -> Response:
    assert principal.id is not None
    return render(request, "wallet_top_up.html", status_code=status, **_ctx(
        cards=bank.list_cards(db, principal.id), csrf=csrf_token(principal),
        form=form or {"token": secrets.token_urlsafe(16)}, **ctx))


@router.get("/app/wallet/top-up", response_class=HTMLResponse)
def top_up_form(request: Request, db: DbSession, principal: Principal = Depends(WALLET_PAGE)) -> Response:
    return _top_up_page(request, db, principal)


@router.post("/app/wallet/top-up", response_class=HTMLResponse)
def top_up_submit(request: Request, db: DbSession, principal: Principal = Depends(WALLET_PAGE),
                  card_id: str = Form(""), amount: str = Form(""), token: str = Form(""),
                  csrf: str = Form("")) -> Response:
    lang = negotiate(request)
    form = {"card_id": card_id[:40], "amount": amount[:20], "token": token[:60] or secrets.token_urlsafe(16)}
    if not csrf_ok(principal, csrf):
        return _top_up_page(request, db, principal, status=403, form=form, error=t(lang, "identity.error.csrf"))
    assert principal.id is not None
    try:
        fen = Money.parse(amount).fen
        service.top_up(db, citizen_id=principal.id, card_id=card_id, amount=fen, actor=principal,
                       client_key="page:" + form["token"])
    except DomainError as exc:
        db.rollback()
        return _top_up_page(request, db, principal, status=exc.status, form=form, error=exc.title(lang))
    return RedirectResponse(f"{HOME}?done=top_up", status_code=303)


# --- withdrawal -----------------------------------------------------------------------------------

def _withdraw_page(request: Request, db: Session, principal: Principal, grant_id: str, *, status: int = 200,
                   form: dict[str, Any] | None = None, **ctx: Any) -> Response:
    assert principal.id is not None
    return render(request, "wallet_withdraw.html", status_code=status, **_ctx(
        cards=bank.list_cards(db, principal.id), wallet=service.wallet_summary(db, principal.id),
        grant_id=grant_id, face_url=face_url(), csrf=csrf_token(principal),
        form=form or {"token": secrets.token_urlsafe(16)}, **ctx))


@router.get("/app/wallet/withdraw", response_class=HTMLResponse)
def withdraw_form(request: Request, db: DbSession, principal: Principal = Depends(WALLET_PAGE)) -> Response:
    """Without a grant: the balance and the step to verify one's face; with one: the form."""
    return _withdraw_page(request, db, principal, (request.query_params.get("face_grant") or "")[:60])


@router.post("/app/wallet/withdraw", response_class=HTMLResponse)
def withdraw_submit(request: Request, db: DbSession, principal: Principal = Depends(WALLET_PAGE),
                    card_id: str = Form(""), amount: str = Form(""), grant_id: str = Form(""),
                    token: str = Form(""), csrf: str = Form("")) -> Response:
    lang = negotiate(request)
    grant_id = grant_id[:60]
    form = {"card_id": card_id[:40], "amount": amount[:20], "token": token[:60] or secrets.token_urlsafe(16)}
    if not csrf_ok(principal, csrf):
        return _withdraw_page(request, db, principal, grant_id, status=403, form=form,
                              error=t(lang, "identity.error.csrf"))
    assert principal.id is not None
    try:
        fen = Money.parse(amount).fen
        service.withdraw(db, citizen_id=principal.id, card_id=card_id, amount=fen, grant_id=grant_id,
                         actor=principal, client_key="page:" + form["token"])
    except DomainError as exc:
        db.rollback()
        if exc.code == "face_grant_invalid":  # expired or used: offer the face check again
            grant_id = ""
        return _withdraw_page(request, db, principal, grant_id, status=exc.status, form=form, error=exc.title(lang))
    return RedirectResponse(f"{HOME}?done=withdrawal", status_code=303)
