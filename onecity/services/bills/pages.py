"""Utility-bill pages.

Citizen app (real-name verified citizens):
- /app/services/bills — my accounts by product (and the relatives' I may see), adding an account,
  the payment history;
- /app/services/bills/accounts/{id} — one account: its bills fetched from the biller now, paying one
  (or topping up a phone), autopay with its limit, the account's payments.
Biller console (/console/services/bills, a biller's staff): payments by day, reconciliation files.

Forms carry the session's CSRF token and redirect (303) on success; a failed form shows the error in
the request's language and changes nothing. Routes that call the biller end their read-only
transaction first (the request owns it), so none is held across the network.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity import clock
from onecity.authz import Principal, allow_page
from onecity.deps import DbSession
from onecity.errors import DomainError, InvalidInput
from onecity.i18n import negotiate, t
from onecity.identity.family import service as family
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.console import console_allow, csrf_token
from onecity.identity.web_session import csrf_ok
from onecity.money import Money
from onecity.payments.wallet import service as wallet
from onecity.services.bills import rules, service
from onecity.services.bills.schemas import AccountOut
from onecity.web.formatting import local, yuan
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

CITIZEN = allow_page("citizen", verified=True)
STAFF = console_allow("staff", roles={"owner", "admin", "operator", "finance", "developer"})
FINANCE = console_allow("staff", roles={"owner", "admin", "finance"})
HOME = "/app/services/bills"
CONSOLE = "/console/services/bills"
_NOTICES = {"added", "paid", "topped_up", "autopay", "removed"}


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


def _notice(request: Request) -> str | None:
    done = request.query_params.get("done", "")
    return t(negotiate(request), f"services.bills.notice.{done}") if done in _NOTICES else None


def _by_product(accounts: list[AccountOut]) -> list[tuple[str, list[AccountOut]]]:
    return [(p, [a for a in accounts if a.product == p]) for p in rules.PRODUCTS if any(a.product == p for a in accounts)]


def _relatives(db: Session, me: str) -> list[tuple[str, list[AccountOut]]]:
    """Accounts of relatives over whom I hold view_bills, by relative (masked name)."""
    out = []
    for link in family.list_links(db, me):
        if link.other is None or "view_bills" not in link.my_scopes:
            continue
        if family.has_scope(db, actor_citizen_id=me, subject_citizen_id=link.other.citizen_id, scope="view_bills"):
            accounts = service.list_accounts(db, citizen_id=me, owner_id=link.other.citizen_id)
            if accounts:
                out.append((link.other.name_masked or "", accounts))
    return out


def _home(request: Request, db: Session, p: Principal, *, status: int = 200, error: str | None = None,
          form: dict[str, str] | None = None) -> Response:
    me = _me(p)
    accounts = service.list_accounts(db, citizen_id=me)
    return render(request, "bills_home.html", status_code=status, error=error, notice=None if error else _notice(request),
                  groups=_by_product(accounts), relatives=_relatives(db, me), billers=service.list_billers(db),
                  history=service.history(db, citizen_id=me, limit=20), csrf=csrf_token(p), form=form or {},
                  yuan=yuan, local=local, me=me)


@router.get(HOME, response_class=HTMLResponse)
def home(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    return _home(request, db, p)


@router.post(f"{HOME}/accounts", response_class=HTMLResponse)
def add(request: Request, db: DbSession, p: Principal = Depends(CITIZEN), biller_org_id: str = Form(""),
        account_no: str = Form(""), alias: str = Form(""), csrf: str = Form("")) -> Response:
    form = {"biller_org_id": biller_org_id[:40], "account_no": account_no[:40], "alias": alias[:40]}
    if not csrf_ok(p, csrf):
        return _home(request, db, p, status=403, error=t(negotiate(request), "identity.error.csrf"), form=form)
    try:
        acc = service.add_account(db, citizen_id=_me(p), biller_org_id=biller_org_id[:40], account_no=account_no[:40],
                                  alias=alias[:40], actor=p)
    except DomainError as exc:
        db.rollback()
        return _home(request, db, p, status=exc.status, error=exc.title(negotiate(request)), form=form)
    return RedirectResponse(f"{HOME}/accounts/{acc.account_id}?done=added", status_code=303)


def _account(request: Request, db: Session, p: Principal, account_id: str, *, status: int = 200,
             error: str | None = None) -> Response:
    me = _me(p)
    lang = negotiate(request)
    account = service.get_account(db, citizen_id=me, account_id=account_id)
    target = service.locate(db, citizen_id=me, account_id=account_id)
    can_pay = not target.for_relative or family.has_scope(db, actor_citizen_id=me, subject_citizen_id=target.owner_id,
                                                          scope="pay_bills")
    biller = service.get_biller(db, account.biller_org_id)
    history = service.account_history(db, target=target)
    balance = wallet.wallet_balance(db, me)
    db.rollback()  # read-only so far: hold no transaction while the biller answers
    bills, fetch_error = [], None
    try:
        bills = service.bills_view(db, target, service.fetch_from_biller(target))
    except DomainError as exc:
        fetch_error = exc.title(lang)
    return render(request, "bills_account.html", status_code=status, error=error,
                  notice=None if error else _notice(request), account=account, biller=biller, bills=bills,
                  fetch_error=fetch_error, history=history, can_pay=can_pay, mine=not target.for_relative,
                  balance=balance, csrf=csrf_token(p), yuan=yuan)


@router.get(HOME + "/accounts/{account_id}", response_class=HTMLResponse)
def account_page(account_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    try:
        return _account(request, db, p, account_id[:40])
    except DomainError as exc:
        db.rollback()
        return _home(request, db, p, status=exc.status, error=exc.title(negotiate(request)))


def _act(request: Request, db: Session, p: Principal, account_id: str, csrf: str, done: str, fn: Any) -> Response:
    lang = negotiate(request)
    if not csrf_ok(p, csrf):
        return _account(request, db, p, account_id, status=403, error=t(lang, "identity.error.csrf"))
    try:
        fn()
    except DomainError as exc:
        db.rollback()
        return _account(request, db, p, account_id, status=exc.status, error=exc.title(lang))
    db.commit()
    return RedirectResponse(f"{HOME}/accounts/{account_id}?done={done}", status_code=303)


@router.post(HOME + "/accounts/{account_id}/pay", response_class=HTMLResponse)
def pay(account_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN), bill_id: str = Form(""),
        amount: str = Form(""), csrf: str = Form("")) -> Response:
    account_id = account_id[:40]

    def run() -> None:
        fen = _fen(amount)
        target = service.locate(db, citizen_id=_me(p), account_id=account_id, scope="pay_bills")
        db.rollback()
        bills = service.fetch_from_biller(target)
        service.pay_bill(db, target=target, bills=bills, bill_id=bill_id[:64], amount=fen, actor=p)

    return _act(request, db, p, account_id, csrf, "paid", run)


@router.post(HOME + "/accounts/{account_id}/topup", response_class=HTMLResponse)
def top_up(account_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN), amount: str = Form(""),
           csrf: str = Form("")) -> Response:
    account_id = account_id[:40]

    def run() -> None:
        target = service.locate(db, citizen_id=_me(p), account_id=account_id, scope="pay_bills")
        allowed = service.get_biller(db, target.route.org_id).topup_amounts
        service.top_up(db, target=target, amount=_fen(amount), allowed=allowed, actor=p)

    return _act(request, db, p, account_id, csrf, "topped_up", run)


@router.post(HOME + "/accounts/{account_id}/autopay", response_class=HTMLResponse)
def autopay(account_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN),
            enabled: str = Form(""), limit: str = Form(""), csrf: str = Form("")) -> Response:
    account_id = account_id[:40]

    def run() -> None:
        on = enabled == "on"
        service.set_autopay(db, citizen_id=_me(p), account_id=account_id, enabled=on,
                            limit=_fen(limit) if on else None, actor=p)

    return _act(request, db, p, account_id, csrf, "autopay", run)


@router.post(HOME + "/accounts/{account_id}/remove", response_class=HTMLResponse)
def remove(account_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN),
           csrf: str = Form("")) -> Response:
    lang = negotiate(request)
    if not csrf_ok(p, csrf):
        return _home(request, db, p, status=403, error=t(lang, "identity.error.csrf"))
    try:
        service.remove_account(db, citizen_id=_me(p), account_id=account_id[:40], actor=p)
    except DomainError as exc:
        db.rollback()
        return _home(request, db, p, status=exc.status, error=exc.title(lang))
    return RedirectResponse(f"{HOME}?done=removed", status_code=303)


def _fen(text: str) -> int:
    """A yuan amount typed or posted ("86.40") as fen, exactly."""
    try:
        return Money.parse(text[:20]).fen
    except DomainError as exc:
        raise InvalidInput(detail="amount must be yuan, e.g. 86.40") from exc


# --- biller console -----------------------------------------------------------------------------------

def _biller(db: Session, p: Principal) -> str:
    return service.biller_org_of(db, p.org_id)  # 404 for an organisation that is not a biller


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get(CONSOLE, response_class=HTMLResponse)
def console(request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    org = _biller(db, p)
    day = _day(request.query_params.get("day")) or clock.today_local().date()
    start, end = service.day_window(day)
    payments = service.biller_payments(db, biller_org_id=org, start=start, end=end)
    confirmed = [x for x in payments if x.state == "confirmed"]
    return render(request, "bills_console.html", org=orgs.get_org(db, org), biller=service.get_biller(db, org), day=day,
                  prev_day=day - timedelta(days=1), payments=payments, confirmed_total=sum(x.amount for x in confirmed),
                  confirmed_count=len(confirmed), files=service.list_files(db, biller_org_id=org)
                  if FINANCE.admits(p) else [], can_finance=FINANCE.admits(p), yuan=yuan, principal_kind=p.kind,
                  csrf=csrf_token(p))


@router.get(CONSOLE + "/recon/{file_id}", response_class=HTMLResponse)
def console_file(file_id: str, db: DbSession, p: Principal = Depends(FINANCE)) -> Response:
    meta, text = service.get_file(db, biller_org_id=_biller(db, p), file_id=file_id[:40])
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=service.download_headers(meta))


@router.get(CONSOLE + "/recon/{file_id}/signature", response_class=HTMLResponse)
def console_signature(file_id: str, db: DbSession, p: Principal = Depends(FINANCE)) -> Response:
    """The detached signature (base64) of the file, to keep beside it."""
    meta, _ = service.get_file(db, biller_org_id=_biller(db, p), file_id=file_id[:40])
    return Response(meta.signature + "\n", media_type="text/plain", headers={
        "Content-Disposition": f'attachment; filename="bills-recon-{meta.business_date.isoformat()}.csv.sig"'})
