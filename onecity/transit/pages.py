"""Transit's pages.

Citizen app (real-name verified citizens):
- /app/transit/ride — the ride code (乘车码). The page's JavaScript (static/transit/ride.js) makes a
  device key in the browser, gets it certified through `POST /v1/transit/certificates`, and makes each
  code itself, offline; a service worker (/app/transit/sw.js) keeps the screen and its files cached.
  A rider in arrears or on the deny-list sees why and a button to pay instead of a code.
- /app/transit/trips — trips day by day with fares after transfers and caps, what was charged and
  paid; arrears and their payment.
- /app/transit/card — the e-bus card (公交卡): balance, top-up from the wallet, paying post-paid or by card.

Operator console (/console/transit/…, a transit organisation's staff): taps (filters), trips with the
missing-tap corrections, revenue per day, the deny-list (lost phones added and removed here).

Forms carry the session's CSRF token and redirect (303) on success; a failed form shows the error in
the request's language and changes nothing.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import PUBLIC, Principal, allow_page
from onecity.deps import DbSession
from onecity.errors import DomainError, Forbidden
from onecity.i18n import negotiate, t
from onecity.identity.orgs.console import console_allow, csrf_token, require_csrf
from onecity.identity.web_session import csrf_ok
from onecity.money import Money, yuan
from onecity.transit import service
from onecity.transit.fares.trips import MISSING_TAP_IN, MISSING_TAP_OUT
from onecity.transit.schemas import LegOut, TapOut
from onecity.transit.service import views
from onecity.transit.service.errors import InvalidTransitInput
from onecity.web.formatting import local
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

RIDER = allow_page("citizen", verified=True)
STAFF = console_allow("staff", roles={"owner", "admin", "operator", "finance", "developer"})
GATES = console_allow("staff", roles={"owner", "admin", "operator"})
FINANCE = console_allow("staff", roles={"owner", "admin", "finance"})

RIDE = "/app/transit/ride"
TRIPS = "/app/transit/trips"
CARD = "/app/transit/card"
SW_SCRIPT = Path(__file__).resolve().parent.parent / "web" / "static" / "transit" / "sw.js"
REFRESH_S = 10  # a new code every 10 s; gates accept one for 60 s
RENEW_BEFORE_S = 6 * 3600  # renew the 24 h certificate when online and less than 6 h remain
_JS_MESSAGES = (
    "transit.ride.online", "transit.ride.offline", "transit.ride.getting", "transit.ride.need_network",
    "transit.ride.blocked", "transit.ride.show_gate", "transit.ride.valid_hours", "transit.ride.error",
    "transit.ride.no_crypto",
)
_CITIZEN_NOTICES = {"paid": "transit.notice.arrears_paid", "topped_up": "transit.notice.topped_up",
                    "mode": "transit.notice.mode_saved", "claimed": "transit.notice.claimed"}
_CONSOLE_NOTICES = {"corrected": "transit.notice.corrected", "denied": "transit.notice.deny_added",
                    "lifted": "transit.notice.deny_removed"}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _notice(request: Request, table: dict[str, str]) -> str | None:
    key = table.get(request.query_params.get("done", ""))
    return t(negotiate(request), key) if key else None


def _citizen(p: Principal) -> str:
    assert p.id is not None
    return p.id


# --- citizen app: the ride code ---------------------------------------------------------------------

@router.get("/app/transit", response_class=HTMLResponse)
def transit_home(p: Principal = Depends(RIDER)) -> Response:
    return RedirectResponse(RIDE, status_code=303)


@router.get("/app/transit/ride", response_class=HTMLResponse)
def ride(request: Request, db: DbSession, p: Principal = Depends(RIDER)) -> Response:
    lang = negotiate(request)
    rider = service.rider_summary(db, _citizen(p))
    owed = service.arrears(db, _citizen(p)) if rider.in_arrears or rider.denied else None
    config = {
        "citizenId": _citizen(p),
        "riderRef": rider.rider_ref,
        "serverNow": int(clock.now().timestamp()),
        "certificateUrl": "/v1/transit/certificates",
        "refreshS": REFRESH_S,
        "renewBeforeS": RENEW_BEFORE_S,
        "blocked": rider.in_arrears or rider.denied,
        "lang": lang,
        "serviceWorker": "/app/transit/sw.js",
        "scope": "/app/transit/",
        "messages": {k: t(lang, k) for k in _JS_MESSAGES},
    }
    response = render(request, "transit_ride.html", rider=rider, owed=owed, config=config, csrf=csrf_token(p),
                      yuan=yuan, notice=_notice(request, _CITIZEN_NOTICES))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/app/transit/sw.js")
def service_worker(p: Principal = Depends(PUBLIC)) -> Response:
    """The ride screen's service worker, served under /app/transit/ so its scope covers the screen."""
    return Response(SW_SCRIPT.read_text(encoding="utf-8"), media_type="text/javascript",
                    headers={"Cache-Control": "no-cache"})


# --- citizen app: trips, arrears, the e-bus card ----------------------------------------------------

def _trips_page(request: Request, db: Session, p: Principal, *, status: int = 200, error: str | None = None) -> Response:
    until = clock.today_local().date()
    since = until - timedelta(days=30)
    rider = service.rider(db, _citizen(p))
    history = service.trips(db, rider_ref=rider.rider_ref, since=since, until=until)
    owed = service.arrears(db, _citizen(p))
    return render(request, "transit_trips.html", status_code=status, error=error,
                  notice=None if error else _notice(request, _CITIZEN_NOTICES), history=history, owed=owed,
                  rider=service.rider_summary(db, _citizen(p)), names=views.names(db), csrf=csrf_token(p),
                  yuan=yuan, local=local)


@router.get("/app/transit/trips", response_class=HTMLResponse)
def trips(request: Request, db: DbSession, p: Principal = Depends(RIDER)) -> Response:
    return _trips_page(request, db, p)


@router.post("/app/transit/arrears/pay", response_class=HTMLResponse)
def pay_arrears(request: Request, db: DbSession, p: Principal = Depends(RIDER), csrf: str = Form(""),
                back: str = Form("")) -> Response:
    if not csrf_ok(p, csrf):
        raise Forbidden(detail="the form has expired; reload the page")
    try:
        service.pay_arrears(db, citizen_id=_citizen(p))
    except DomainError as exc:
        db.rollback()
        return _trips_page(request, db, p, status=exc.status, error=exc.title(negotiate(request)))
    return RedirectResponse(f"{RIDE if back == 'ride' else TRIPS}?done=paid", status_code=303)


@router.post("/app/transit/claims", response_class=HTMLResponse)
def claim(request: Request, db: DbSession, p: Principal = Depends(RIDER), csrf: str = Form(""),
          tap_id: str = Form("", max_length=40), stop_id: str = Form("", max_length=60)) -> Response:
    """The rider's correction of a leg missing its tap out (charged the maximum fare): where they left.
    The week is priced again at once; an operator's correction overrides it."""
    if not csrf_ok(p, csrf):
        raise Forbidden(detail="the form has expired; reload the page")
    try:
        rider = service.rider(db, _citizen(p))
        service.correct(db, tap_id=tap_id, stop_id=stop_id, source="rider", actor=_citizen(p),
                        rider_ref=rider.rider_ref, reason="rider claim in the app")
    except DomainError as exc:
        db.rollback()
        return _trips_page(request, db, p, status=exc.status, error=exc.title(negotiate(request)))
    return RedirectResponse(f"{TRIPS}?done=claimed", status_code=303)


def _card_page(request: Request, db: Session, p: Principal, *, status: int = 200, error: str | None = None,
               amount: str = "") -> Response:
    return render(request, "transit_card.html", status_code=status, error=error,
                  notice=None if error else _notice(request, _CITIZEN_NOTICES), card=service.card(db, _citizen(p)),
                  csrf=csrf_token(p), request_id="web-" + secrets.token_hex(12), amount=amount, yuan=yuan)


@router.get("/app/transit/card", response_class=HTMLResponse)
def card(request: Request, db: DbSession, p: Principal = Depends(RIDER)) -> Response:
    return _card_page(request, db, p)


@router.post("/app/transit/card/top-up", response_class=HTMLResponse)
def card_top_up(request: Request, db: DbSession, p: Principal = Depends(RIDER), csrf: str = Form(""),
                amount: str = Form("", max_length=20), request_id: str = Form("", max_length=64)) -> Response:
    """The form carries a request id made when it was shown: submitting it twice tops up once."""
    if not csrf_ok(p, csrf):
        raise Forbidden(detail="the form has expired; reload the page")
    try:
        if not request_id.startswith("web-"):
            raise InvalidTransitInput("the form has expired; reload the page")
        fen = Money.parse(amount).fen
        if not 0 < fen <= 100_000:
            raise InvalidTransitInput("a top-up is between 0.01 and 1000.00 yuan")
        service.top_up_card(db, citizen_id=_citizen(p), amount=fen, request_id=request_id)
    except DomainError as exc:
        db.rollback()
        return _card_page(request, db, p, status=exc.status, error=exc.title(negotiate(request)), amount=amount)
    return RedirectResponse(f"{CARD}?done=topped_up", status_code=303)


@router.post("/app/transit/card/mode", response_class=HTMLResponse)
def card_mode(request: Request, db: DbSession, p: Principal = Depends(RIDER), csrf: str = Form(""),
              mode: str = Form("", max_length=10)) -> Response:
    if not csrf_ok(p, csrf):
        raise Forbidden(detail="the form has expired; reload the page")
    try:
        service.set_payment_mode(db, citizen_id=_citizen(p), mode=mode)
    except DomainError as exc:
        db.rollback()
        return _card_page(request, db, p, status=exc.status, error=exc.title(negotiate(request)))
    return RedirectResponse(f"{CARD}?done=mode", status_code=303)


# --- operator console -------------------------------------------------------------------------------

def _operator(db: Session, p: Principal) -> str:
    assert p.org_id is not None
    service.operator_of(db, p.org_id)  # 404 for an organisation that runs no transit
    return p.org_id


def _console(request: Request, db: Session, name: str, p: Principal, *, status: int = 200,
             error: str | None = None, **ctx: Any) -> Response:
    return render(request, name, status_code=status, error=error,
                  notice=None if error else _notice(request, _CONSOLE_NOTICES), principal_kind=p.kind,
                  csrf=csrf_token(p), yuan=yuan, local=local, names=views.names(db),
                  can_finance=FINANCE.admits(p), can_correct=GATES.admits(p), **ctx)


@router.get("/console/transit", response_class=HTMLResponse)
def console_home(p: Principal = Depends(STAFF)) -> Response:
    return RedirectResponse("/console/transit/taps", status_code=303)


@router.get("/console/transit/taps", response_class=HTMLResponse)
def console_taps(request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    return _taps_page(request, db, p)


def _taps_page(request: Request, db: Session, p: Principal, *, status: int = 200, error: str | None = None,
               check: dict[str, Any] | None = None) -> Response:
    org = _operator(db, p)
    q = request.query_params
    day = _day(q.get("day"))
    gate, stop = (q.get("gate") or "").strip()[:60], (q.get("stop") or "").strip()[:60]
    direction = q.get("direction") if q.get("direction") in ("in", "out") else ""
    rider = (q.get("rider") or "").strip().lower()[:16]

    def page(after: str | None) -> tuple[list[TapOut], str | None]:
        return service.list_taps(db, operator_org_id=org, day=day, gate_id=gate or None, stop_id=stop or None,
                                 direction=direction or None, rider_ref=rider or None, after=after, limit=50)

    try:
        rows, cursor = page(q.get("after") or None)
    except DomainError:  # a stale cursor: the first page
        rows, cursor = page(None)
    shown = {"day": day.isoformat() if day else "", "gate": gate, "stop": stop, "direction": direction or "",
             "rider": rider}
    more = urlencode({**shown, "after": cursor or ""})
    return _console(request, db, "transit_console_taps.html", p, status=status, error=error, taps=rows,
                    cursor=cursor, more=more, f=shown, check=check)


@router.post("/console/transit/check", response_class=HTMLResponse)
def console_check(request: Request, db: DbSession, p: Principal = Depends(STAFF), csrf: str = Form(""),
                  code: str = Form("", max_length=600), network: str = Form("metro", max_length=10)) -> Response:
    """Check a scanned ride code as a gate would now (a rider's complaint, an inspector's question)."""
    require_csrf(p, csrf)
    _operator(db, p)
    try:
        v = views.check_code(db, text=code.strip(), network=network)
    except DomainError as exc:
        return _taps_page(request, db, p, status=exc.status, error=exc.title(negotiate(request)))
    zh, en = v.message
    return _taps_page(request, db, p, check={"reason": v.reason, "ok": v.ok, "text": zh if negotiate(request) ==
                                               "zh-CN" else en, "rider_ref": v.rider_ref.hex() if v.rider_ref else None,
                                               "serial": v.serial, "network": network})


def _trips_console(request: Request, db: Session, p: Principal, day: date, *, status: int = 200,
                   error: str | None = None) -> Response:
    org = _operator(db, p)
    legs = service.operator_trips(db, operator_org_id=org, day=day)
    names = views.names(db)
    stops = {g.leg_id: names.stop_ids_by_network.get(g.network_id, []) for g in legs}
    return _console(request, db, "transit_console_trips.html", p, status=status, error=error, legs=legs, day=day,
                    correctable=_correctable, stop_choices=stops, total=sum(g.charged for g in legs))


def _correctable(leg: LegOut) -> bool:
    return leg.status in (MISSING_TAP_OUT, MISSING_TAP_IN, "corrected")


@router.get("/console/transit/trips", response_class=HTMLResponse)
def console_trips(request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    day = _day(request.query_params.get("day")) or clock.today_local().date()
    return _trips_console(request, db, p, day)


@router.post("/console/transit/corrections", response_class=HTMLResponse)
def console_correct(request: Request, db: DbSession, p: Principal = Depends(GATES), csrf: str = Form(""),
                    tap_id: str = Form("", max_length=40), stop_id: str = Form("", max_length=60),
                    reason: str = Form("", max_length=200), day: str = Form("", max_length=10)) -> Response:
    require_csrf(p, csrf)
    shown = _day(day) or clock.today_local().date()
    try:
        org = _operator(db, p)
        service.correct(db, tap_id=tap_id, stop_id=stop_id, source="operator", actor=p.key,
                        operator_org_id=org, reason=reason or None)
        audit.record(db, actor=p, action="transit.fare.correct", subject_citizen_id=None,
                     resource=f"transit/tap/{tap_id}", reason=reason or f"missing tap corrected to {stop_id}")
    except DomainError as exc:
        db.rollback()
        return _trips_console(request, db, p, shown, status=exc.status, error=exc.title(negotiate(request)))
    return RedirectResponse(f"/console/transit/trips?day={shown.isoformat()}&done=corrected", status_code=303)


@router.get("/console/transit/revenue", response_class=HTMLResponse)
def console_revenue(request: Request, db: DbSession, p: Principal = Depends(FINANCE)) -> Response:
    org = _operator(db, p)
    until = _day(request.query_params.get("until")) or clock.today_local().date()
    since = _day(request.query_params.get("since")) or until - timedelta(days=30)
    if since > until:
        since = until
    days = service.revenue(db, operator_org_id=org, since=since, until=until)
    totals = {k: sum(getattr(d, k) for d in days) for k in ("taps", "fares", "paid", "due", "failed")}
    return _console(request, db, "transit_console_revenue.html", p, days=days, since=since, until=until,
                    totals=totals)


def _deny_page(request: Request, db: Session, p: Principal, *, status: int = 200, error: str | None = None,
               serial: str = "") -> Response:
    _operator(db, p)
    return _console(request, db, "transit_console_deny.html", p, status=status, error=error,
                    entries=service.deny.entries(db), version=service.deny.current_version(db), serial=serial)


@router.get("/console/transit/deny-list", response_class=HTMLResponse)
def console_deny(request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    return _deny_page(request, db, p)


def _serial(text: str) -> int:
    text = text.strip()
    if not text.isdigit() or len(text) > 20:
        raise InvalidTransitInput("a certificate serial is a number")
    return int(text)


@router.post("/console/transit/deny-list/add", response_class=HTMLResponse)
def console_deny_add(request: Request, db: DbSession, p: Principal = Depends(GATES), csrf: str = Form(""),
                     serial: str = Form("", max_length=24), reason: str = Form("", max_length=200)) -> Response:
    """Refuse a lost phone's codes at every gate, by its certificate serial."""
    require_csrf(p, csrf)
    try:
        _operator(db, p)
        n = _serial(serial)
        if not views.certificate_issued(db, n):
            raise InvalidTransitInput("no device certificate has this serial")
        service.deny.add(db, kind="serial", value=str(n), reason="lost")
        audit.record(db, actor=p, action="transit.deny_list.add", subject_citizen_id=None,
                     resource=f"transit/device/{n}", reason=reason or "phone reported lost")
    except DomainError as exc:
        db.rollback()
        return _deny_page(request, db, p, status=exc.status, error=exc.title(negotiate(request)), serial=serial)
    return RedirectResponse("/console/transit/deny-list?done=denied", status_code=303)


@router.post("/console/transit/deny-list/remove", response_class=HTMLResponse)
def console_deny_remove(request: Request, db: DbSession, p: Principal = Depends(GATES), csrf: str = Form(""),
                        serial: str = Form("", max_length=24)) -> Response:
    """Lift a lost-phone entry (a rider's arrears entry is lifted only by paying)."""
    require_csrf(p, csrf)
    try:
        _operator(db, p)
        n = _serial(serial)
        if not service.deny.remove(db, kind="serial", value=str(n)):
            raise InvalidTransitInput("this serial is not on the deny-list")
        audit.record(db, actor=p, action="transit.deny_list.remove", subject_citizen_id=None,
                     resource=f"transit/device/{n}", reason="phone found")
    except DomainError as exc:
        db.rollback()
        return _deny_page(request, db, p, status=exc.status, error=exc.title(negotiate(request)))
    return RedirectResponse("/console/transit/deny-list?done=lifted", status_code=303)
