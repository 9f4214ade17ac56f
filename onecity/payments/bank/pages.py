"""The citizen app's bank cards page (/app/bank-cards): the bound cards (masked), binding a card, and
unbinding one. Forms post back with the session's CSRF token (post/redirect/get)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity.authz import Principal, allow_page
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.web_session import csrf_ok, csrf_token
from onecity.payments.bank import service
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

CARDS_PAGE = allow_page("citizen", verified=True)
HOME = "/app/bank-cards"
_NOTICES = {"bound", "unbound"}


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/app/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _page(request: Request, db: Session, principal: Principal, *, status: int = 200,
          form: dict[str, Any] | None = None, **ctx: Any) -> Response:
    assert principal.id is not None
    lang = negotiate(request)
    done = request.query_params.get("done", "")
    return render(request, "bank_cards.html", status_code=status, cards=service.list_cards(db, principal.id),
                  csrf=csrf_token(principal), form=form or {}, next_url=_safe_next(request.query_params.get("next")),
                  notice=ctx.pop("notice", t(lang, f"bank.notice.{done}") if done in _NOTICES else None), **ctx)


@router.get("/app/bank-cards", response_class=HTMLResponse)
def cards_page(request: Request, db: DbSession, principal: Principal = Depends(CARDS_PAGE)) -> Response:
    return _page(request, db, principal)


@router.post("/app/bank-cards", response_class=HTMLResponse)
def bind(request: Request, db: DbSession, principal: Principal = Depends(CARDS_PAGE),
         card_number: str = Form(""), holder_name: str = Form(""), next_url: str = Form(""),
         csrf: str = Form("")) -> Response:
    lang = negotiate(request)
    form = {"holder_name": holder_name[:40]}
    if not csrf_ok(principal, csrf):
        return _page(request, db, principal, status=403, form=form, error=t(lang, "identity.error.csrf"))
    assert principal.id is not None
    try:
        service.bind_card(db, citizen_id=principal.id, card_number=card_number[:40], holder_name=holder_name[:40],
                          actor=principal)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, principal, status=exc.status, form=form, error=exc.title(lang))
    return RedirectResponse(_safe_next(next_url) or f"{HOME}?done=bound", status_code=303)


@router.post("/app/bank-cards/{card_id}/unbind", response_class=HTMLResponse)
def unbind(card_id: str, request: Request, db: DbSession, principal: Principal = Depends(CARDS_PAGE),
           csrf: str = Form("")) -> Response:
    lang = negotiate(request)
    if not csrf_ok(principal, csrf):
        return _page(request, db, principal, status=403, error=t(lang, "identity.error.csrf"))
    assert principal.id is not None
    try:
        service.unbind_card(db, citizen_id=principal.id, card_id=card_id[:40], actor=principal)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, principal, status=exc.status, error=exc.title(lang))
    return RedirectResponse(f"{HOME}?done=unbound", status_code=303)
