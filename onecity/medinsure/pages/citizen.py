"""The citizen app's medical-insurance pages (/app/medinsure…).

The code page draws the signed insurance code as a QR (segno SVG) and asks for a fresh one every
minute with a countdown; the counter-consent switch and a relative's code (a family link with
`pay_medical`) ask for the next code with those choices. It polls for bills waiting for this citizen's
confirmation and opens the confirmation screen when one arrives. Forms carry the session's CSRF token;
a failed form re-renders with the error in the request's language and changes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from onecity import clock
from onecity.authz import Principal, allow_page
from onecity.deps import DbSession
from onecity.errors import DomainError, InvalidInput
from onecity.i18n import negotiate, t
from onecity.identity import service as identity
from onecity.identity.family import service as family
from onecity.identity.web_session import csrf_ok, csrf_token
from onecity.medinsure import service
from onecity.medinsure.commercial import service as commercial
from onecity.medinsure.errors import NotAllowedForRelative, NotAnInstitution
from onecity.medinsure.pages.display import payer_kind, payer_label, scalable_svg
from onecity.medinsure.paylater import service as paylater
from onecity.medinsure.schemas import InsuredOut, OrderItemIn, VisitOut
from onecity.web.formatting import local, yuan
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

CITIZEN = allow_page("citizen", verified=True)
ACTIVATE_ACT = "medinsure.activate_code"
PAY_MEDICAL = "pay_medical"
_NOTICES = {"activated": "medinsure.notice.activated", "settled": "medinsure.notice.settled",
            "arrears_paid": "medinsure.notice.arrears_paid", "ordered": "medinsure.notice.ordered"}
_JS_MESSAGES = ("medinsure.code.refresh_in", "medinsure.code.expired", "medinsure.code.new_bill",
                "medinsure.code.error")


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


def _page(request: Request, name: str, p: Principal, *, status: int = 200, error: str | None = None,
          **ctx: Any) -> Response:
    lang = negotiate(request)
    key = _NOTICES.get(request.query_params.get("done", ""))
    response = render(request, name, status_code=status, error=error,
                      notice=None if error or key is None else t(lang, key), csrf=csrf_token(p), yuan=yuan,
                      local=local, payer_label=lambda payer, names=None: payer_label(lang, payer, names),
                      payer_kind=payer_kind, **ctx)
    response.headers["Cache-Control"] = "no-store"
    return response


def _fail(db: Session, request: Request, exc: DomainError) -> str:
    db.rollback()
    return exc.title(negotiate(request))


def _status(exc: DomainError) -> int:
    """An organisation that is no designated pharmacy is, to a citizen, a pharmacy that does not exist."""
    return 404 if isinstance(exc, NotAnInstitution) else exc.status


def _insured(db: Session, citizen_id: str) -> InsuredOut | None:
    return service.get_insured(db, citizen_id=citizen_id) if service.is_insured(db, citizen_id) else None


def _cared_for(db: Session, citizen_id: str) -> list[dict[str, str]]:
    """Insured relatives whose insurance this citizen may use (they granted `pay_medical`)."""
    out = []
    for link in family.list_links(db, citizen_id):
        if link.other is not None and PAY_MEDICAL in link.my_scopes and service.is_insured(db, link.other.citizen_id):
            out.append({"citizen_id": link.other.citizen_id, "name": link.other.name_masked or "",
                        "relation": link.relation})
    return out


def _helpers(db: Session, citizen_id: str) -> list[dict[str, str]]:
    """Insured relatives who may pay this citizen's bills from their personal account (家庭共济)."""
    out = []
    for link in family.list_links(db, citizen_id):
        if link.other is not None and PAY_MEDICAL in link.their_scopes and service.is_insured(db, link.other.citizen_id):
            out.append({"citizen_id": link.other.citizen_id, "name": link.other.name_masked or "",
                        "relation": link.relation})
    return out


def _masked_name(db: Session, citizen_id: str) -> str:
    try:
        return identity.citizen_summary(db, citizen_id).masked_name or ""
    except DomainError:
        return ""


def _payer_names(db: Session, payers: list[str], patient_id: str | None) -> dict[str, str]:
    """Names to show beside payers: a relative's masked name, a commercial policy's product."""
    names: dict[str, str] = {}
    policies = {}
    if patient_id and any(p.startswith("commercial:") for p in payers):
        policies = {f"commercial:{pol.policy_id}": pol for pol in commercial.policies_of_citizen(db, citizen_id=patient_id)}
    for payer in payers:
        if payer.startswith("family:"):
            names[payer] = _masked_name(db, payer.split(":", 1)[1])
        elif payer in policies:
            names[payer] = policies[payer].product.name_zh
    return names


# --- overview -------------------------------------------------------------------------------------

def _year_to_date(db: Session, ins: InsuredOut) -> dict[str, Any]:
    policy = service.policy_for(db, on=clock.today_local().date())
    scheme = policy.scheme(ins.scheme)
    acc = ins.accumulators
    used = acc.deductible_used if acc is not None and acc.year == policy.year else {}
    deductibles = []
    seen: set[str] = set()
    for visit_type, rule in scheme.deductible.items():
        pool = rule.pool or visit_type
        if rule.per != "year" or pool in seen:
            continue
        seen.add(pool)
        deductibles.append({"pool": pool, "used": used.get(pool, 0), "amount": rule.amount_fen})
    fund_paid = acc.fund_paid_fen if acc is not None and acc.year == policy.year else 0
    return {"year": policy.year, "policy_key": policy.key, "deductibles": deductibles, "fund_paid": fund_paid,
            "cap": scheme.annual_cap_fen, "cap_left": max(0, scheme.annual_cap_fen - fund_paid),
            "cap_pct": min(100, fund_paid * 100 // scheme.annual_cap_fen) if scheme.annual_cap_fen else 0}


@router.get("/app/medinsure", response_class=HTMLResponse)
def overview(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    me = _me(p)
    ins = _insured(db, me)
    if ins is None:
        return _page(request, "medinsure_home.html", p, insured=None, cared_for=_cared_for(db, me))
    return _page(request, "medinsure_home.html", p, insured=ins, ytd=_year_to_date(db, ins),
                 policies=commercial.policies_of_citizen(db, citizen_id=me),
                 paylater=paylater.status_of(db, citizen_id=me),
                 pending=service.pending_confirmations(db, citizen_id=me), cared_for=_cared_for(db, me))


@router.post("/app/medinsure/paylater/pay", response_class=HTMLResponse)
def pay_arrears(request: Request, db: DbSession, p: Principal = Depends(CITIZEN), csrf: str = Form("")) -> Response:
    """Pay every overdue pay-later debt from the wallet (the citizen is eligible again afterwards)."""
    lang = negotiate(request)
    if not csrf_ok(p, csrf):
        return _page(request, "medinsure_message.html", p, status=403, error=t(lang, "identity.error.csrf"))
    try:
        paylater.pay_arrears(db, citizen_id=_me(p))
    except DomainError as exc:
        return _page(request, "medinsure_message.html", p, status=exc.status, error=_fail(db, request, exc))
    return RedirectResponse("/app/medinsure?done=arrears_paid", status_code=303)


# --- the insurance code ---------------------------------------------------------------------------

def _subject(db: Session, p: Principal, for_id: str | None) -> str:
    me = _me(p)
    if not for_id or for_id == me:
        return me
    if not service.may_act_for(db, citizen_id=me, subject_citizen_id=for_id):
        raise NotAllowedForRelative()
    return for_id


def _code_json(db: Session, p: Principal, subject: str, consent: bool) -> dict[str, Any]:
    code = service.current_code(db, citizen_id=_me(p), subject_citizen_id=subject, counter_consent=consent,
                                with_svg=True)
    return {"text": code.text, "svg": scalable_svg(code.svg or ""), "expires_at": code.expires_at.isoformat(),
            "refresh_seconds": code.refresh_seconds, "name": code.name_masked, "consent": code.counter_consent}


@router.get("/app/medinsure/code", response_class=HTMLResponse)
def code_page(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    lang = negotiate(request)
    me = _me(p)
    consent = request.query_params.get("consent") == "1"
    try:
        subject = _subject(db, p, request.query_params.get("for"))
        ins = _insured(db, subject)
        if ins is None:
            return _page(request, "medinsure_message.html", p, status=404,
                         error=t(lang, "medinsure.not_insured" if subject == me else "medinsure.relative_not_insured"))
        next_url = "/app/medinsure/activate" + (f"?{urlencode({'for': subject})}" if subject != me else "")
        face_url = "/app/face?" + urlencode({"act": ACTIVATE_ACT, "next": next_url})
        if not ins.code_activated:
            return _page(request, "medinsure_code.html", p, insured=ins, subject=subject, me=me, code=None,
                         face_url=face_url, cared_for=_cared_for(db, me), consent=consent, config={})
        first = _code_json(db, p, subject, consent)
    except DomainError as exc:
        return _page(request, "medinsure_message.html", p, status=exc.status, error=_fail(db, request, exc))
    config = {"codeUrl": "/app/medinsure/code/next", "updatesUrl": "/app/medinsure/updates",
              "subject": subject if subject != me else "", "consent": consent, "code": first,
              "shown": [v.visit_id for v in service.pending_confirmations(db, citizen_id=me)],
              "messages": {k: t(lang, k) for k in _JS_MESSAGES}}
    return _page(request, "medinsure_code.html", p, insured=ins, subject=subject, me=me, code=first,
                 face_url=face_url, cared_for=_cared_for(db, me), consent=consent, config=config)


@router.get("/app/medinsure/code/next")
def code_next(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    """A fresh code as JSON for the code page (every minute, or when a switch changes)."""
    try:
        subject = _subject(db, p, request.query_params.get("for"))
        body = _code_json(db, p, subject, request.query_params.get("consent") == "1")
    except DomainError as exc:
        db.rollback()
        return JSONResponse({"code": exc.code, "title": exc.title(negotiate(request))}, status_code=exc.status)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/app/medinsure/updates")
def updates(db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    """What the code page polls: the bills waiting for this citizen's confirmation."""
    pending = service.pending_confirmations(db, citizen_id=_me(p))
    return JSONResponse({"pending": [{"visit_id": v.visit_id, "institution": v.institution_name,
                                      "total": yuan(v.total_fen), "url": f"/app/medinsure/confirm/{v.visit_id}"}
                                     for v in pending]}, headers={"Cache-Control": "no-store"})


@router.get("/app/medinsure/activate", response_class=HTMLResponse)
def activate_form(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    """Where the face page returns with its grant: one tap to activate with it."""
    lang = negotiate(request)
    grant = (request.query_params.get("face_grant") or "")[:60]
    try:
        subject = _subject(db, p, request.query_params.get("for"))
    except DomainError as exc:
        return _page(request, "medinsure_message.html", p, status=exc.status, error=_fail(db, request, exc))
    if not grant:
        return RedirectResponse("/app/face?" + urlencode({"act": ACTIVATE_ACT, "next": request.url.path}),
                                status_code=303)
    return _page(request, "medinsure_activate.html", p, grant=grant, subject=subject, me=_me(p),
                 subject_name=_masked_name(db, subject), title=t(lang, "medinsure.activate.title"))


@router.post("/app/medinsure/activate", response_class=HTMLResponse)
def activate(request: Request, db: DbSession, p: Principal = Depends(CITIZEN), csrf: str = Form(""),
             face_grant: str = Form("", max_length=60), subject: str = Form("", max_length=40)) -> Response:
    lang = negotiate(request)
    me = _me(p)
    ctx = {"grant": face_grant, "subject": subject or me, "me": me, "subject_name": _masked_name(db, subject or me)}
    if not csrf_ok(p, csrf):
        return _page(request, "medinsure_activate.html", p, status=403, error=t(lang, "identity.error.csrf"), **ctx)
    try:
        service.activate_code(db, citizen_id=me, face_grant_id=face_grant,
                              subject_citizen_id=subject if subject and subject != me else None)
    except DomainError as exc:
        return _page(request, "medinsure_activate.html", p, status=exc.status, error=_fail(db, request, exc), **ctx)
    query = {"done": "activated"} | ({"for": subject} if subject and subject != me else {})
    return RedirectResponse("/app/medinsure/code?" + urlencode(query), status_code=303)


# --- the confirmation screen ----------------------------------------------------------------------

def _confirm_page(request: Request, db: Session, p: Principal, visit_id: str, *, family_payers: list[str] | None,
                  pay_later: bool, status: int = 200, error: str | None = None) -> Response:
    me = _me(p)
    visit = service.get_visit(db, visit_id=visit_id, citizen_id=me)
    if visit.status != "presettled":
        if visit.settlement_id:
            return RedirectResponse(f"/app/medinsure/visits/{visit_id}", status_code=303)
        return _page(request, "medinsure_message.html", p, status=409,
                     error=t(negotiate(request), "medinsure.confirm.not_waiting"))
    patient = _patient_id(db, visit, me)
    quote = service.quote(db, citizen_id=me, visit_id=visit_id, family_payers=family_payers, pay_later=pay_later)
    helpers = _helpers(db, patient) if patient == me else (
        [{"citizen_id": me, "name": _masked_name(db, me), "relation": ""}] if service.is_insured(db, me) else [])
    return _page(request, "medinsure_confirm.html", p, status=status, error=error, visit=visit, quote=quote,
                 helpers=helpers, names=_payer_names(db, [x.payer for x in quote.payers], patient),
                 can_pay_later=paylater.eligible(db, citizen_id=me), fees={f.line_no: f for f in visit.lines})


def _patient_id(db: Session, visit: VisitOut, me: str) -> str:
    """The patient's citizen id when the viewer may know it (themselves, or a relative they act for)."""
    for rel in _cared_for(db, me):
        if service.get_insured(db, citizen_id=rel["citizen_id"]).insured_id == visit.insured_id:
            return rel["citizen_id"]
    return me


def _choices(request: Request) -> tuple[list[str] | None, bool]:
    fam = [f for f in request.query_params.getlist("family") if f][:5]
    chosen = fam if request.query_params.get("choose") == "1" else None
    return chosen, request.query_params.get("pay_later") == "1"


@router.get("/app/medinsure/confirm/{visit_id}", response_class=HTMLResponse)
def confirm_page(visit_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    family_payers, pay_later = _choices(request)
    try:
        return _confirm_page(request, db, p, visit_id, family_payers=family_payers, pay_later=pay_later)
    except DomainError as exc:
        return _page(request, "medinsure_message.html", p, status=exc.status, error=_fail(db, request, exc))


@router.post("/app/medinsure/confirm/{visit_id}", response_class=HTMLResponse)
def confirm(visit_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN), csrf: str = Form(""),
            family: list[str] = Form(default_factory=list), pay_later: str = Form(""),
            chosen: str = Form("")) -> Response:
    """The citizen confirms the bill with the choices shown: it is settled at once."""
    lang = negotiate(request)
    family_payers = [f for f in family if f][:5] if chosen == "1" else None
    later = pay_later == "1"
    if not csrf_ok(p, csrf):
        try:
            return _confirm_page(request, db, p, visit_id, family_payers=family_payers, pay_later=later, status=403,
                                 error=t(lang, "identity.error.csrf"))
        except DomainError as exc:
            return _page(request, "medinsure_message.html", p, status=exc.status, error=_fail(db, request, exc))
    try:
        service.confirm(db, citizen_id=_me(p), visit_id=visit_id, pay_later=later, family_payers=family_payers)
    except DomainError as exc:
        error = _fail(db, request, exc)
        try:
            return _confirm_page(request, db, p, visit_id, family_payers=family_payers, pay_later=later,
                                 status=exc.status, error=error)
        except DomainError as again:
            return _page(request, "medinsure_message.html", p, status=again.status, error=_fail(db, request, again))
    return RedirectResponse(f"/app/medinsure/visits/{visit_id}?done=settled", status_code=303)


# --- history --------------------------------------------------------------------------------------

@router.get("/app/medinsure/visits", response_class=HTMLResponse)
def history(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    after = request.query_params.get("after") or None
    try:
        visits, cursor = service.list_visits_for_citizen(db, citizen_id=_me(p), after=after, limit=20)
    except DomainError:
        db.rollback()
        visits, cursor = service.list_visits_for_citizen(db, citizen_id=_me(p), limit=20)
    settlements = {v.visit_id: service.settlement_for_visit(db, visit_id=v.visit_id, citizen_id=_me(p))
                   for v in visits if v.settlement_id}
    return _page(request, "medinsure_history.html", p, visits=visits, cursor=cursor, settlements=settlements)


@router.get("/app/medinsure/visits/{visit_id}", response_class=HTMLResponse)
def visit_detail(visit_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    me = _me(p)
    try:
        visit = service.get_visit(db, visit_id=visit_id, citizen_id=me)
        settlement = service.settlement_for_visit(db, visit_id=visit_id, citizen_id=me) if visit.settlement_id else None
    except DomainError as exc:
        return _page(request, "medinsure_message.html", p, status=exc.status, error=_fail(db, request, exc))
    refunds = service.refunds_of(db, settlement_id=settlement.settlement_id) if settlement else []
    payers = [x.payer for x in settlement.payers] if settlement else []
    return _page(request, "medinsure_visit.html", p, visit=visit, settlement=settlement, refunds=refunds,
                 names=_payer_names(db, payers, _patient_id(db, visit, me)),
                 fees={f.line_no: f for f in visit.lines})


@router.get("/app/medinsure/visits/{visit_id}/receipt.json")
def receipt(visit_id: str, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    """The signed electronic receipt (anyone can check it at /v1/medinsure/receipts/verify)."""
    s = service.settlement_for_visit(db, visit_id=visit_id, citizen_id=_me(p))
    return JSONResponse({"receipt": s.receipt, "signature": s.receipt_signature},
                        headers={"Content-Disposition": f'attachment; filename="{s.receipt.get("receipt_id", "receipt")}.json"'})


# --- online pharmacy ------------------------------------------------------------------------------

@router.get("/app/medinsure/pharmacy", response_class=HTMLResponse)
def pharmacies(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    return _page(request, "medinsure_pharmacies.html", p, pharmacies=service.list_institutions(db, kind="pharmacy"))


def _shop(request: Request, db: Session, p: Principal, org_id: str, *, status: int = 200, error: str | None = None,
          typed: dict[str, str] | None = None) -> Response:
    inst = service.get_institution(db, org_id=org_id)
    items = service.pharmacy_catalogue(db, org_id=org_id)
    return _page(request, "medinsure_pharmacy.html", p, status=status, error=error, pharmacy=inst, items=items,
                 cared_for=_cared_for(db, _me(p)), typed=typed or {})


def _shop_or_message(request: Request, db: Session, p: Principal, org_id: str, **kw: Any) -> Response:
    try:
        return _shop(request, db, p, org_id, **kw)
    except DomainError as exc:
        return _page(request, "medinsure_message.html", p, status=_status(exc), error=_fail(db, request, exc))


@router.get("/app/medinsure/pharmacy/{org_id}", response_class=HTMLResponse)
def pharmacy(org_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    return _shop_or_message(request, db, p, org_id)


async def _form(request: Request) -> FormData:
    return await request.form()


@router.post("/app/medinsure/pharmacy/{org_id}", response_class=HTMLResponse)
def order(org_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN),
          form: FormData = Depends(_form)) -> Response:
    """Quantities come as `qty_<code>`; the order is pre-settled at once and goes to the confirmation screen."""
    lang = negotiate(request)
    typed = {k[4:]: str(v) for k, v in form.items() if k.startswith("qty_") and str(v).strip()}
    if not csrf_ok(p, str(form.get("csrf", ""))):
        return _shop_or_message(request, db, p, org_id, status=403, error=t(lang, "identity.error.csrf"),
                                typed=typed)
    for_id = str(form.get("for", "")) or None
    try:
        items = []
        for code, qty in typed.items():
            if not qty.isdigit() or int(qty) < 0 or int(qty) > 999:
                raise InvalidInput(detail=f"bad quantity for {code}")
            if int(qty):
                items.append(OrderItemIn(code=code[:40], quantity=int(qty)))
        if not items:
            raise InvalidInput(detail="an order needs at least one item")
        v = service.place_order(db, citizen_id=_me(p), pharmacy_id=org_id, items=items,
                                for_citizen_id=for_id if for_id != _me(p) else None)
    except DomainError as exc:
        error = _fail(db, request, exc)
        return _shop_or_message(request, db, p, org_id, status=_status(exc), error=error, typed=typed)
    return RedirectResponse(f"/app/medinsure/confirm/{v.visit_id}", status_code=303)
