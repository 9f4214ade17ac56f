"""The hospital and pharmacy console's medical-insurance pages (/console/medinsure…), for the
institution's staff: scan (or paste) a citizen's insurance code to open a visit, upload the fee lines
(a form or a CSV paste), pre-settle and read the split per line and per payer, settle at the counter when
the citizen consented (or wait for their confirmation in the app), refund the whole bill or some lines,
and list and find visits. The patient is shown by masked name only.

Server-rendered forms that post back and redirect (303) on success; a failed form re-renders with the
error in the request's language and changes nothing. Forms carry the session's CSRF token.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity import clock
from onecity.authz import Principal
from onecity.deps import DbSession
from onecity.errors import DomainError, InvalidInput
from onecity.i18n import negotiate, t
from onecity.identity.orgs.console import console_allow, csrf_token, require_csrf
from onecity.medinsure import rules, service
from onecity.medinsure.errors import FeeLineInvalid, NotAnInstitution
from onecity.medinsure.pages.display import payer_kind, payer_label
from onecity.medinsure.schemas import InstitutionOut
from onecity.money import Money
from onecity.web.formatting import local, yuan
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

# The same roles as the JSON API (medinsure.api): who reads, who works the counter, who refunds.
READ = console_allow("staff", roles={"owner", "admin", "operator", "cashier", "reviewer", "finance", "developer"})
COUNTER = console_allow("staff", roles={"owner", "admin", "operator", "cashier", "developer"})
REFUNDS = console_allow("staff", roles={"owner", "admin", "operator", "finance", "developer"})
STATUSES = ("open", "billed", "presettled", "settled", "partly_refunded", "refunded")
_NOTICES = {"opened": "medinsure.console.notice.opened", "billed": "medinsure.console.notice.billed",
            "presettled": "medinsure.console.notice.presettled", "settled": "medinsure.console.notice.settled",
            "refunded": "medinsure.console.notice.refunded"}
_VISIT_ID = re.compile(r"^vis_[0-9A-Za-z]{10,36}$")
MAX_LINES = 200


def _org(p: Principal) -> str:
    assert p.org_id is not None
    return p.org_id


def _page(request: Request, name: str, p: Principal, inst: InstitutionOut, *, status: int = 200,
          error: str | None = None, **ctx: Any) -> Response:
    lang = negotiate(request)
    key = _NOTICES.get(request.query_params.get("done", ""))
    return render(request, name, status_code=status, error=error,
                  notice=None if error or key is None else t(lang, key), principal_kind=p.kind,
                  csrf=csrf_token(p), yuan=yuan, local=local, inst=inst, payer_kind=payer_kind,
                  payer_label=lambda payer, names=None: payer_label(lang, payer),
                  can_counter=COUNTER.admits(p), can_refund=REFUNDS.admits(p), **ctx)


def _institution(request: Request, db: Session, p: Principal) -> InstitutionOut | Response:
    """The staff member's institution, or a page saying their organisation is not a designated one."""
    try:
        return service.get_institution(db, org_id=_org(p))
    except DomainError as exc:
        db.rollback()
        # Like any console section an organisation does not have: not found (the role itself is allowed).
        status = 404 if isinstance(exc, NotAnInstitution) else exc.status
        return render(request, "medinsure_console_message.html", status_code=status,
                      error=exc.title(negotiate(request)), principal_kind=p.kind, csrf=csrf_token(p))


# --- visits ---------------------------------------------------------------------------------------

def _home(request: Request, db: Session, p: Principal, inst: InstitutionOut, *, status: int = 200,
          error: str | None = None, form: dict[str, str] | None = None) -> Response:
    status_filter = request.query_params.get("status") or None
    if status_filter not in STATUSES:
        status_filter = None
    after = request.query_params.get("after") or None
    try:
        visits, cursor = service.list_visits_for_institution(db, institution_org_id=inst.org_id, status=status_filter,
                                                             after=after, limit=30)
    except DomainError:
        db.rollback()
        visits, cursor = service.list_visits_for_institution(db, institution_org_id=inst.org_id,
                                                             status=status_filter, limit=30)
    visit_types = ("pharmacy",) if inst.kind == "pharmacy" else tuple(v for v in rules.VISIT_TYPES if v != "pharmacy")
    return _page(request, "medinsure_console_home.html", p, inst, status=status, error=error, visits=visits,
                 cursor=cursor, status_filter=status_filter or "", statuses=STATUSES, visit_types=visit_types,
                 form=form or {})


@router.get("/console/medinsure", response_class=HTMLResponse)
def home(request: Request, db: DbSession, p: Principal = Depends(READ)) -> Response:
    inst = _institution(request, db, p)
    if isinstance(inst, Response):
        return inst
    q = (request.query_params.get("q") or "").strip()
    if q:
        if _VISIT_ID.match(q):
            return RedirectResponse(f"/console/medinsure/visits/{q}", status_code=303)
        return _home(request, db, p, inst, status=404, error=t(negotiate(request), "medinsure.console.not_found"))
    return _home(request, db, p, inst)


@router.post("/console/medinsure/scan", response_class=HTMLResponse)
def scan(request: Request, db: DbSession, p: Principal = Depends(COUNTER), csrf: str = Form(""),
         code: str = Form("", max_length=2000), visit_type: str = Form("", max_length=16)) -> Response:
    """The scanner's (or a pasted) code text opens a visit; the code is used up."""
    require_csrf(p, csrf)
    inst = _institution(request, db, p)
    if isinstance(inst, Response):
        return inst
    try:
        v = service.scan_code(db, institution_org_id=inst.org_id, code=code.strip(), visit_type=visit_type, actor=p)
    except DomainError as exc:
        db.rollback()
        return _home(request, db, p, inst, status=exc.status, error=exc.title(negotiate(request)),
                     form={"visit_type": visit_type})
    return RedirectResponse(f"/console/medinsure/visits/{v.visit_id}?done=opened", status_code=303)


def _detail(request: Request, db: Session, p: Principal, inst: InstitutionOut, visit_id: str, *, status: int = 200,
            error: str | None = None, typed: list[dict[str, str]] | None = None, csv_text: str = "") -> Response:
    visit = service.get_visit(db, visit_id=visit_id, institution_org_id=inst.org_id)
    settlement = service.settlement_for_visit(db, visit_id=visit_id, institution_org_id=inst.org_id) \
        if visit.settlement_id else None
    refunds = service.refunds_of(db, settlement_id=settlement.settlement_id, institution_org_id=inst.org_id) \
        if settlement else []
    policy = service.policy_for(db, on=clock.today_local().date())
    catalogue = sorted(policy.catalogue.values(), key=lambda i: i.code)
    if typed is None:
        typed = [{"code": f.code, "quantity": str(f.quantity), "price": yuan(f.unit_price_fen)} for f in visit.lines]
    rows = typed + [{"code": "", "quantity": "", "price": ""}] * max(3, 6 - len(typed))
    return _page(request, "medinsure_console_visit.html", p, inst, status=status, error=error, visit=visit,
                 pre=visit.presettlement, settlement=settlement, refunds=refunds, catalogue=catalogue, rows=rows,
                 csv_text=csv_text, fees={f.line_no: f for f in visit.lines}, names={}, editable=visit.status in ("open", "billed", "presettled"))


def _visit_or_message(request: Request, db: Session, p: Principal, inst: InstitutionOut, visit_id: str,
                      **kw: Any) -> Response:
    try:
        return _detail(request, db, p, inst, visit_id, **kw)
    except DomainError as exc:
        db.rollback()
        return render(request, "medinsure_console_message.html", status_code=exc.status,
                      error=exc.title(negotiate(request)), principal_kind=p.kind, csrf=csrf_token(p))


@router.get("/console/medinsure/visits/{visit_id}", response_class=HTMLResponse)
def visit(visit_id: str, request: Request, db: DbSession, p: Principal = Depends(READ)) -> Response:
    inst = _institution(request, db, p)
    if isinstance(inst, Response):
        return inst
    return _visit_or_message(request, db, p, inst, visit_id)


@router.get("/console/medinsure/visits/{visit_id}/status")
def visit_status(visit_id: str, db: DbSession, p: Principal = Depends(READ)) -> Response:
    """What the visit page polls while it waits for the citizen's confirmation."""
    v = service.get_visit(db, visit_id=visit_id, institution_org_id=_org(p))
    return JSONResponse({"status": v.status, "settlement_id": v.settlement_id}, headers={"Cache-Control": "no-store"})


def parse_fee_lines(codes: list[str], quantities: list[str], prices: list[str], csv_text: str) -> list[dict[str, Any]]:
    """Form rows (code, quantity, unit price in yuan) or a CSV paste (`code,quantity,unit_price` per line,
    an optional header) into fee lines numbered from 1. Blank rows are skipped; a row that cannot be read
    raises InvalidInput naming it."""
    raw: list[tuple[str, str, str]] = []
    if csv_text.strip():
        for row in csv.reader(io.StringIO(csv_text.strip())):
            cells = [c.strip() for c in row]
            if not any(cells) or (cells and cells[0].lower() in ("code", "编码", "项目编码")):
                continue
            if len(cells) != 3:
                raise InvalidInput(detail=f"CSV row {len(raw) + 1}: expected code,quantity,unit_price")
            raw.append((cells[0], cells[1], cells[2]))
    else:
        for code, qty, price in zip(codes, quantities, prices, strict=False):
            if code.strip() or qty.strip() or price.strip():
                raw.append((code.strip(), qty.strip(), price.strip()))
    if not raw:
        raise InvalidInput(detail="a bill needs at least one line")
    if len(raw) > MAX_LINES:
        raise InvalidInput(detail=f"at most {MAX_LINES} lines")
    lines = []
    for n, (code, qty, price) in enumerate(raw, start=1):
        if not re.fullmatch(r"-?\d{1,6}", qty):
            raise FeeLineInvalid(detail=f"line {n}: the quantity is not a whole number", reason="bad_quantity",
                                 line_no=n, item_code=code)
        try:
            fen = Money.parse(price).fen
        except (DomainError, ValueError) as exc:
            raise FeeLineInvalid(detail=f"line {n}: the unit price is not an amount", reason="bad_price",
                                 line_no=n, item_code=code) from exc
        lines.append({"line_no": n, "code": code[:40], "quantity": int(qty), "unit_price_fen": fen})
    return lines


def _line_error(lang: str, exc: DomainError) -> str:
    line_no = exc.extra.get("line_no")
    title = exc.title(lang)
    return t(lang, "medinsure.console.line_error", line=line_no, error=title) if line_no else title


@router.post("/console/medinsure/visits/{visit_id}/fees", response_class=HTMLResponse)
def upload_fees(
    visit_id: str,
    request: Request,
    db: DbSession,
    p: Principal = Depends(COUNTER),
    csrf: str = Form(""),
    code: list[str] = Form(default_factory=list),
    quantity: list[str] = Form(default_factory=list),
    price: list[str] = Form(default_factory=list),
    csv_text: str = Form("", max_length=50_000),
) -> Response:
    require_csrf(p, csrf)
    inst = _institution(request, db, p)
    if isinstance(inst, Response):
        return inst
    lang = negotiate(request)
    typed = [{"code": c, "quantity": q, "price": pr} for c, q, pr in zip(code, quantity, price, strict=False)
             if c or q or pr][:MAX_LINES]
    try:
        lines = parse_fee_lines(code[:MAX_LINES + 1], quantity, price, csv_text)
        service.upload_fees(db, institution_org_id=inst.org_id, visit_id=visit_id, lines=lines, actor=p)
    except DomainError as exc:
        db.rollback()
        return _visit_or_message(request, db, p, inst, visit_id, status=exc.status, error=_line_error(lang, exc),
                                 typed=typed, csv_text=csv_text)
    return RedirectResponse(f"/console/medinsure/visits/{visit_id}?done=billed", status_code=303)


def _act(request: Request, db: Session, p: Principal, visit_id: str, done: str, action: Any) -> Response:
    inst = _institution(request, db, p)
    if isinstance(inst, Response):
        return inst
    try:
        action(inst)
    except DomainError as exc:
        db.rollback()
        return _visit_or_message(request, db, p, inst, visit_id, status=exc.status,
                                 error=exc.title(negotiate(request)))
    return RedirectResponse(f"/console/medinsure/visits/{visit_id}?done={done}", status_code=303)


@router.post("/console/medinsure/visits/{visit_id}/presettle", response_class=HTMLResponse)
def presettle(visit_id: str, request: Request, db: DbSession, p: Principal = Depends(COUNTER),
              csrf: str = Form("")) -> Response:
    """The split per line and per payer; the citizen is asked to confirm unless the counter may settle."""
    require_csrf(p, csrf)
    return _act(request, db, p, visit_id, "presettled",
                lambda inst: service.presettle(db, institution_org_id=inst.org_id, visit_id=visit_id, actor=p))


@router.post("/console/medinsure/visits/{visit_id}/settle", response_class=HTMLResponse)
def settle(visit_id: str, request: Request, db: DbSession, p: Principal = Depends(COUNTER),
           csrf: str = Form("")) -> Response:
    """Settle at the counter (allowed when the code carried consent and the self-pay is within the limit)."""
    require_csrf(p, csrf)
    return _act(request, db, p, visit_id, "settled",
                lambda inst: service.settle(db, institution_org_id=inst.org_id, visit_id=visit_id, actor=p))


@router.post("/console/medinsure/visits/{visit_id}/refund", response_class=HTMLResponse)
def refund(visit_id: str, request: Request, db: DbSession, p: Principal = Depends(REFUNDS), csrf: str = Form(""),
           line: list[str] = Form(default_factory=list), whole: str = Form(""),
           reason: str = Form("", max_length=500)) -> Response:
    """Refund the ticked lines, or the whole bill (`whole=1`); exactly reversed for every payer."""
    require_csrf(p, csrf)

    def run(inst: InstitutionOut) -> None:
        s = service.settlement_for_visit(db, visit_id=visit_id, institution_org_id=inst.org_id)
        if whole == "1":
            line_nos = None
        else:
            if not line or not all(x.isdigit() for x in line):
                raise InvalidInput(detail="tick at least one line to refund")
            line_nos = [int(x) for x in line][:500]
        service.refund(db, institution_org_id=inst.org_id, settlement_id=s.settlement_id, line_nos=line_nos,
                       reason=reason.strip() or None, actor=p)

    return _act(request, db, p, visit_id, "refunded", run)
