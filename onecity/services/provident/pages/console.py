"""The fund centre's console (/console/services/provident…), for the staff of the agency registered
as the city's provident fund centre: find an account by the holder's ID number (the page shows the
holder masked), open an account, seal or unseal it, post an employer's monthly contributions, and
see the withdrawals waiting for review (reviewed — approved or rejected — in the applications
console, which runs the payout).

Forms post back and redirect (303) on success; a failed form re-renders with the error in the
request's language and changes nothing. Forms carry the session's CSRF token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from onecity.authz import Principal
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.orgs.console import console_allow, csrf_ok, csrf_token
from onecity.money import InvalidAmount, Money
from onecity.services.provident import service
from onecity.services.provident.pages.display import rate
from onecity.services.provident.schemas import AccountIn, ContributionLineIn, PostingIn
from onecity.web.formatting import local, yuan
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

READ = console_allow("staff", roles={"owner", "admin", "operator", "reviewer", "developer"})
WRITE = console_allow("staff", roles={"owner", "admin", "operator"})
_NOTICES = {"posted", "opened", "status"}
MAX_LINES = 2000


def _page(request: Request, name: str, p: Principal, *, status: int = 200, error: str | None = None,
          **ctx: Any) -> Response:
    lang = negotiate(request)
    done = request.query_params.get("done", "")
    return render(request, name, status_code=status, error=error,
                  notice=t(lang, f"services.provident.console.done.{done}") if done in _NOTICES and not error else None,
                  principal_kind=p.kind, csrf=csrf_token(p), yuan=yuan, local=local, rate=rate,
                  can_write=WRITE.admits(p), **ctx)


def _not_centre(request: Request, db: Session, p: Principal) -> Response | None:
    if service.is_centre_staff(db, p):
        return None
    return render(request, "provident_console_message.html", status_code=404, principal_kind=p.kind,
                  error=t(negotiate(request), "services.provident.console.not_centre"))


def _home(request: Request, db: Session, p: Principal, *, status: int = 200, error: str | None = None,
          form: dict[str, str] | None = None) -> Response:
    return _page(request, "provident_console_home.html", p, status=status, error=error, form=form or {},
                 queue=service.withdrawals(db, status="held", limit=100),
                 postings=service.recent_postings(db, limit=20))


@router.get("/console/services/provident", response_class=HTMLResponse)
def home(request: Request, db: DbSession, p: Principal = Depends(READ)) -> Response:
    return _not_centre(request, db, p) or _home(request, db, p)


@router.post("/console/services/provident/lookup", response_class=HTMLResponse)
def lookup(request: Request, db: DbSession, p: Principal = Depends(READ), csrf: str = Form(""),
           id_number: str = Form("", max_length=18)) -> Response:
    """By the holder's full ID number (typed at the desk); the account page shows it masked."""
    if (denied := _not_centre(request, db, p)) is not None:
        return denied
    lang = negotiate(request)
    if not csrf_ok(p, csrf):
        return _home(request, db, p, status=403, error=t(lang, "identity.error.csrf"))
    try:
        acc = service.find_account(db, id_number=id_number)
    except DomainError as exc:
        return _home(request, db, p, status=exc.status, error=exc.title(lang))
    return RedirectResponse(f"/console/services/provident/accounts/{acc.account_no}", status_code=303)


def _percent_bp(text: str) -> int:
    """"12" or "7.5" (percent) → 1200 or 750 basis points: a percent with two decimals read exactly
    the way a yuan amount is read into fen (integers only)."""
    return Money.parse(text).fen


@router.post("/console/services/provident/accounts", response_class=HTMLResponse)
def open_account(request: Request, db: DbSession, p: Principal = Depends(WRITE), csrf: str = Form(""),
                 id_number: str = Form("", max_length=18), employer_name: str = Form("", max_length=200),
                 employer_uscc: str = Form("", max_length=18), base: str = Form("", max_length=20),
                 employee_rate: str = Form("", max_length=6), employer_rate: str = Form("", max_length=6)) -> Response:
    if (denied := _not_centre(request, db, p)) is not None:
        return denied
    lang = negotiate(request)
    form = {"employer_name": employer_name, "employer_uscc": employer_uscc, "base": base,
            "employee_rate": employee_rate, "employer_rate": employer_rate}
    if not csrf_ok(p, csrf):
        return _home(request, db, p, status=403, error=t(lang, "identity.error.csrf"), form=form)
    try:
        citizen_id = service.citizen_by_id_number(db, id_number=id_number)
        data = AccountIn(citizen_id=citizen_id, employer_name=employer_name.strip(),
                         employer_uscc=employer_uscc.strip().upper(), base_fen=Money.parse(base).fen,
                         employee_rate_bp=_percent_bp(employee_rate), employer_rate_bp=_percent_bp(employer_rate))
        acc = service.open_account(db, data=data, actor=p)
    except (InvalidAmount, ValidationError):
        db.rollback()
        return _home(request, db, p, status=422, error=t(lang, "services.provident.amount_invalid"), form=form)
    except DomainError as exc:
        db.rollback()
        return _home(request, db, p, status=exc.status, error=exc.title(lang), form=form)
    return RedirectResponse(f"/console/services/provident/accounts/{acc.account_no}?done=opened", status_code=303)


def _lines(text: str) -> list[ContributionLineIn]:
    """One account number a line, optionally ",<base in yuan>"."""
    out = []
    for raw in text.splitlines()[:MAX_LINES]:
        line = raw.strip()
        if not line:
            continue
        number, _, base = line.partition(",")
        out.append(ContributionLineIn(account_no=number.strip(),
                                      base_fen=Money.parse(base).fen if base.strip() else None))
    return out


@router.post("/console/services/provident/postings", response_class=HTMLResponse)
def post(request: Request, db: DbSession, p: Principal = Depends(WRITE), csrf: str = Form(""),
         employer_uscc: str = Form("", max_length=18), month: str = Form("", max_length=7),
         lines: str = Form("", max_length=60_000)) -> Response:
    if (denied := _not_centre(request, db, p)) is not None:
        return denied
    lang = negotiate(request)
    form = {"post_uscc": employer_uscc, "month": month, "lines": lines}
    if not csrf_ok(p, csrf):
        return _home(request, db, p, status=403, error=t(lang, "identity.error.csrf"), form=form)
    try:
        body = PostingIn(month=month, lines=_lines(lines))
        service.post_contributions(db, employer_uscc=employer_uscc.strip().upper(), month=body.month,
                                   lines=body.lines, actor=p)
    except (InvalidAmount, ValidationError):
        db.rollback()
        return _home(request, db, p, status=422, error=t(lang, "services.provident.amount_invalid"), form=form)
    except DomainError as exc:
        db.rollback()
        detail = "; ".join(f"{e['account_no']}: {e['error']}" for e in exc.extra.get("errors", []))
        return _home(request, db, p, status=exc.status, error=exc.title(lang) + (f"（{detail}）" if detail else ""),
                     form=form)
    return RedirectResponse("/console/services/provident?done=posted", status_code=303)


def _account_page(request: Request, db: Session, p: Principal, account_no: str, *, status: int = 200,
                  error: str | None = None) -> Response:
    try:
        acc = service.get_account(db, account_no=account_no)
    except DomainError as exc:
        return _home(request, db, p, status=exc.status, error=exc.title(negotiate(request)))
    return _page(request, "provident_console_account.html", p, status=status, error=error, account=acc,
                 contributions=service.contributions(db, account_no=account_no, limit=60),
                 withdrawals=service.withdrawals(db, citizen_id=acc.citizen_id, limit=50))


@router.get("/console/services/provident/accounts/{account_no}", response_class=HTMLResponse)
def account(account_no: str, request: Request, db: DbSession, p: Principal = Depends(READ)) -> Response:
    return _not_centre(request, db, p) or _account_page(request, db, p, account_no[:20])


@router.post("/console/services/provident/accounts/{account_no}/status", response_class=HTMLResponse)
def set_status(account_no: str, request: Request, db: DbSession, p: Principal = Depends(WRITE),
               csrf: str = Form(""), status: str = Form("", max_length=10), reason: str = Form("", max_length=500),
               employer_name: str = Form("", max_length=200), employer_uscc: str = Form("", max_length=18)) -> Response:
    if (denied := _not_centre(request, db, p)) is not None:
        return denied
    lang = negotiate(request)
    account_no = account_no[:20]
    if not csrf_ok(p, csrf):
        return _account_page(request, db, p, account_no, status=403, error=t(lang, "identity.error.csrf"))
    try:
        service.set_status(db, account_no=account_no, status=status, actor=p,
                           reason=reason.strip() or status, employer_name=employer_name.strip() or None,
                           employer_uscc=employer_uscc.strip().upper() or None)
    except DomainError as exc:
        db.rollback()
        return _account_page(request, db, p, account_no, status=exc.status, error=exc.title(lang))
    return RedirectResponse(f"/console/services/provident/accounts/{account_no}?done=status", status_code=303)
