"""Tax pages: the citizen's /app/services/taxes (due with today's surcharge, pay, paid, receipts),
/app/services/taxes/receipts/{no} (the electronic receipt with its QR), the public
/verify/tax-receipt/{no} (checks the signature), and the tax office's console /console/services/taxes
(issue an assessment, list due and paid). Forms carry the session's CSRF token; a failed form
re-renders with the error and changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from onecity import money
from onecity.authz import PUBLIC, Principal, allow_page
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.console import console_allow, csrf_ok, csrf_token
from onecity.services.taxes import rules, service
from onecity.services.taxes.errors import AssessmentInvalid, NotATaxOffice
from onecity.services.taxes.schemas import AssessmentIn
from onecity.web import qr
from onecity.web.formatting import local, yuan
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

CITIZEN = allow_page("citizen", verified=True)
STAFF = console_allow("staff", roles={"owner", "admin", "operator", "reviewer"})
ISSUERS = console_allow("staff", roles={"owner", "admin", "operator"})
_NOTICES = {"issued": "services.taxes.console.notice.issued", "paid": "services.taxes.notice.paid"}


def _render(request: Request, name: str, p: Principal | None, *, status: int = 200, error: str | None = None,
            **ctx: Any) -> Response:
    key = _NOTICES.get(request.query_params.get("done", ""))
    notice = None if error or key is None else t(negotiate(request), key)
    return render(request, name, status_code=status, error=error, notice=notice,
                  csrf=csrf_token(p) if p is not None and p.kind != "anonymous" else "", yuan=yuan, local=local,
                  items=rules.ITEMS, **ctx)


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


def _home(request: Request, db: DbSession, p: Principal, *, status: int = 200, error: str | None = None) -> Response:
    return _render(request, "taxes_home.html", p, status=status, error=error,
                   mine=service.my_taxes(db, citizen_id=_me(p)))


@router.get("/app/services/taxes", response_class=HTMLResponse)
def home(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    return _home(request, db, p)


@router.post("/app/services/taxes/pay", response_class=HTMLResponse)
def pay(request: Request, db: DbSession, p: Principal = Depends(CITIZEN), csrf: str = Form(""),
        assessment_id: list[str] = Form(default_factory=list), expected_fen: int | None = Form(None)) -> Response:
    lang = negotiate(request)
    if not csrf_ok(p, csrf):
        return _home(request, db, p, status=403, error=t(lang, "identity.error.csrf"))
    if not assessment_id:
        return _home(request, db, p, status=422, error=t(lang, "services.taxes.pick"))
    try:
        receipt = service.pay(db, citizen_id=_me(p), assessment_ids=[a[:40] for a in assessment_id[:50]],
                              expected_fen=expected_fen, actor=p)
    except DomainError as exc:
        db.rollback()
        return _home(request, db, p, status=exc.status, error=exc.title(lang))
    return RedirectResponse(f"/app/services/taxes/receipts/{receipt.receipt_no}?done=paid", status_code=303)


def _verify_url(request: Request, verify_path: str, signature: str) -> str:
    return f"{str(request.base_url).rstrip('/')}{verify_path}?s={signature}"


@router.get("/app/services/taxes/receipts/{receipt_no}", response_class=HTMLResponse)
def receipt_page(receipt_no: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    try:
        r = service.get_receipt(db, receipt_no=receipt_no[:40], citizen_id=_me(p))
    except DomainError as exc:
        db.rollback()
        return _home(request, db, p, status=exc.status, error=exc.title(negotiate(request)))
    url = _verify_url(request, r.verify_path, r.signature)
    return _render(request, "taxes_receipt.html", p, r=r, verify_url=url, qr_svg=qr.svg(url, scale=3))


@router.get("/app/services/taxes/receipts/{receipt_no}/qr.png")
def receipt_qr(receipt_no: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    r = service.get_receipt(db, receipt_no=receipt_no[:40], citizen_id=_me(p))
    return Response(qr.png(_verify_url(request, r.verify_path, r.signature), scale=5), media_type="image/png")


@router.get("/verify/tax-receipt/{receipt_no}", response_class=HTMLResponse)
def verify_page(receipt_no: str, request: Request, db: DbSession, s: str | None = None,
                p: Principal = Depends(PUBLIC)) -> Response:
    """Public: anyone holding a receipt (or its QR) checks it was issued by the platform, unaltered."""
    v = service.verify_receipt(db, receipt_no=receipt_no[:40], signature=(s or None) and s[:100])
    return _render(request, "taxes_verify.html", None, status=200 if v.valid else 404, v=v)


# --- the tax office's console ---------------------------------------------------------------------

def _console(request: Request, db: DbSession, p: Principal, *, status: int = 200, error: str | None = None,
             form: dict[str, str] | None = None) -> Response:
    status_filter = request.query_params.get("status") or ""
    try:
        rows = service.list_for_office(db, office_org_id=p.org_id or "",
                                       status=status_filter if status_filter in ("due", "paid") else None)
    except NotATaxOffice as exc:
        db.rollback()
        return render(request, "taxes_console_message.html", status_code=404, error=exc.title(negotiate(request)))
    return _render(request, "taxes_console.html", p, status=status, error=error, rows=rows, form=form or {},
                   principal_kind=p.kind, org=orgs.get_org(db, p.org_id or ""),
                   status_filter=status_filter, can_issue=ISSUERS.admits(p))


@router.get("/console/services/taxes", response_class=HTMLResponse)
def console_home(request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    return _console(request, db, p)


@router.post("/console/services/taxes/assessments", response_class=HTMLResponse)
def console_issue(request: Request, db: DbSession, p: Principal = Depends(ISSUERS), csrf: str = Form(""),
                  id_number: str = Form("", max_length=18), item: str = Form("", max_length=40),
                  period: str = Form("", max_length=20), amount: str = Form("", max_length=20),
                  due_on: str = Form("", max_length=10), description: str = Form("", max_length=200)) -> Response:
    lang = negotiate(request)
    form = {"id_number": id_number, "item": item, "period": period, "amount": amount, "due_on": due_on,
            "description": description}
    if not csrf_ok(p, csrf):
        return _console(request, db, p, status=403, error=t(lang, "identity.error.csrf"), form=form)
    try:
        try:
            body = AssessmentIn(id_number=id_number.strip(), item=item, period=period.strip(),
                                amount_fen=money.Money.parse(amount).fen, due_on=date.fromisoformat(due_on),
                                description=description.strip() or None)
        except (ValidationError, ValueError) as exc:
            raise AssessmentInvalid() from exc
        service.issue_assessment(db, office_org_id=p.org_id or "", assessment=body, actor=p)
    except DomainError as exc:
        db.rollback()
        return _console(request, db, p, status=exc.status, error=exc.title(lang), form=form)
    return RedirectResponse("/console/services/taxes?done=issued", status_code=303)
