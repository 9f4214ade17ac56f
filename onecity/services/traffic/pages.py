"""Traffic pages. The citizen's /app/services/traffic (vehicles, licence points, the electronic
licence in the certificate wallet, violations unpaid and paid, and scanning a decision's QR — camera,
uploaded picture, or the typed decision number) and /app/services/traffic/decision/{no} (the fine,
today's late penalty, pay). The traffic police's console /console/services/traffic (record a
violation, see its decision QR, list fines paid and unpaid).

Server-rendered forms with the session's CSRF token; a failed form re-renders with the error in the
request's language and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from onecity import clock, money
from onecity.authz import Principal, allow_page
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.console import console_allow, csrf_ok, csrf_token
from onecity.payments.checkout import service as checkout
from onecity.services.traffic import service
from onecity.services.traffic.errors import LicenceInvalid, NotAnAuthority, PlateInvalid, ViolationInvalid
from onecity.services.traffic.schemas import LicenceIn, VehicleIn, ViolationIn
from onecity.web import qr as qrcode
from onecity.web.formatting import local, yuan
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

CITIZEN = allow_page("citizen", verified=True)
STAFF = console_allow("staff", roles={"owner", "admin", "operator", "reviewer"})
RECORDERS = console_allow("staff", roles={"owner", "admin", "operator"})
_NOTICES = {"recorded": "services.traffic.console.notice.recorded", "paid": "services.traffic.notice.paid",
            "vehicle": "services.traffic.console.notice.vehicle", "licence": "services.traffic.console.notice.licence"}


def _render(request: Request, name: str, p: Principal, *, status: int = 200, error: str | None = None,
            **ctx: Any) -> Response:
    key = _NOTICES.get(request.query_params.get("done", ""))
    notice = None if error or key is None else t(negotiate(request), key)
    return render(request, name, status_code=status, error=error, notice=notice, csrf=csrf_token(p), yuan=yuan,
                       local=local, **ctx)


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


# --- the citizen ----------------------------------------------------------------------------------

def _home(request: Request, db: DbSession, p: Principal, *, status: int = 200, error: str | None = None,
          typed: str = "") -> Response:
    mine = service.my_traffic(db, citizen_id=_me(p))
    return _render(request, "traffic_home.html", p, status=status, error=error, mine=mine, typed=typed,
                   unpaid=[v for v in mine.violations if v.status == "unpaid"],
                   paid=[v for v in mine.violations if v.status == "paid"])


@router.get("/app/services/traffic", response_class=HTMLResponse)
def home(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    return _home(request, db, p)


@router.post("/app/services/traffic/scan", response_class=HTMLResponse)
def scan(request: Request, db: DbSession, p: Principal = Depends(CITIZEN), csrf: str = Form(""),
         payload: str = Form("", max_length=2000), image: UploadFile | None = File(None)) -> Response:  # noqa: B008
    """A decision QR from the camera (payload), an uploaded picture of it, or a typed decision number."""
    lang = negotiate(request)
    if not csrf_ok(p, csrf):
        return _home(request, db, p, status=403, error=t(lang, "identity.error.csrf"))
    try:
        if image is not None and image.filename:
            payload = checkout.decode_qr_image(image.file.read(checkout.MAX_IMAGE_BYTES + 1))
        if not payload.strip():
            return _home(request, db, p, status=422, error=t(lang, "services.traffic.scan.nothing"))
        decision = service.read_scanned(db, payload=payload, viewer_citizen_id=_me(p))
    except DomainError as exc:
        db.rollback()
        return _home(request, db, p, status=exc.status, error=exc.title(lang), typed=payload[:40])
    return RedirectResponse(f"/app/services/traffic/decision/{decision.decision_no}", status_code=303)


def _decision(request: Request, db: DbSession, p: Principal, decision_no: str, *, status: int = 200,
              error: str | None = None) -> Response:
    try:
        decision = service.get_decision(db, decision_no=decision_no, viewer_citizen_id=_me(p))
        code = service.decision_qr(db, decision_no=decision.decision_no)
    except DomainError as exc:
        db.rollback()
        return _home(request, db, p, status=exc.status, error=exc.title(negotiate(request)))
    return _render(request, "traffic_decision.html", p, status=status, error=error, d=decision,
                   qr_svg=qrcode.svg(code.payload, scale=3))


@router.get("/app/services/traffic/decision/{decision_no}", response_class=HTMLResponse)
def decision_page(decision_no: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    return _decision(request, db, p, decision_no[:40])


@router.post("/app/services/traffic/decision/{decision_no}/pay", response_class=HTMLResponse)
def pay(decision_no: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN), csrf: str = Form(""),
        expected_fen: int | None = Form(None)) -> Response:
    lang = negotiate(request)
    decision_no = decision_no[:40]
    if not csrf_ok(p, csrf):
        return _decision(request, db, p, decision_no, status=403, error=t(lang, "identity.error.csrf"))
    try:
        service.pay_fine(db, decision_no=decision_no, citizen_id=_me(p), expected_fen=expected_fen, actor=p)
    except DomainError as exc:
        db.rollback()
        return _decision(request, db, p, decision_no, status=exc.status, error=exc.title(lang))
    return RedirectResponse(f"/app/services/traffic/decision/{decision_no}?done=paid", status_code=303)


# --- the traffic police's console -----------------------------------------------------------------

def _console(request: Request, db: DbSession, p: Principal, *, status: int = 200, error: str | None = None,
             form: dict[str, str] | None = None) -> Response:
    status_filter = request.query_params.get("status") or ""
    try:
        rows = service.list_for_authority(db, authority_org_id=p.org_id or "",
                                          status=status_filter if status_filter in ("paid", "unpaid") else None)
    except NotAnAuthority as exc:
        db.rollback()
        return render(request, "traffic_console_message.html", status_code=404, error=exc.title(negotiate(request)))
    codes = service.violation_codes()
    return _render(request, "traffic_console.html", p, status=status, error=error, rows=rows, codes=codes,
                   principal_kind=p.kind, org=orgs.get_org(db, p.org_id or ""),
                   status_filter=status_filter, form=form or {}, can_record=RECORDERS.admits(p),
                   now_local=local(clock.now(), "%Y-%m-%dT%H:%M"))


@router.get("/console/services/traffic", response_class=HTMLResponse)
def console_home(request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    return _console(request, db, p)


def _local_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=clock.CITY_TZ)
    except ValueError as exc:
        raise ViolationInvalid(detail="occurred_at is not a date and time") from exc


def _console_post(request: Request, db: DbSession, p: Principal, csrf: str, form: dict[str, str],
                  act: Callable[[], str]) -> Response:
    """A console form: the CSRF token checked, then `act` (which returns where to go next); a
    DomainError re-renders the console with the error and the typed values, and changes nothing."""
    lang = negotiate(request)
    if not csrf_ok(p, csrf):
        return _console(request, db, p, status=403, error=t(lang, "identity.error.csrf"), form=form)
    try:
        target = act()
    except DomainError as exc:
        db.rollback()
        return _console(request, db, p, status=exc.status, error=exc.title(lang), form=form)
    return RedirectResponse(target, status_code=303)


@router.post("/console/services/traffic/violations", response_class=HTMLResponse)
def console_record(request: Request, db: DbSession, p: Principal = Depends(RECORDERS), csrf: str = Form(""),
                   plate: str = Form("", max_length=20), code: str = Form("", max_length=8),
                   place: str = Form("", max_length=200), occurred_at: str = Form("", max_length=20),
                   fine: str = Form("", max_length=20), driver_id_number: str = Form("", max_length=18)) -> Response:
    form = {"plate": plate, "code": code, "place": place, "occurred_at": occurred_at, "fine": fine,
            "driver_id_number": driver_id_number}

    def act() -> str:
        try:
            body = ViolationIn(plate=plate, code=code, place=place, occurred_at=_local_time(occurred_at),
                               fine_fen=money.Money.parse(fine).fen if fine.strip() else None,
                               driver_id_number=driver_id_number.strip() or None)
        except ValidationError as exc:
            raise ViolationInvalid(detail=str(exc.errors()[0].get("loc"))) from exc
        out = service.record_violation(db, authority_org_id=p.org_id or "", violation=body, source="console",
                                       actor=p)
        return f"/console/services/traffic/decisions/{out.decision_no}?done=recorded"

    return _console_post(request, db, p, csrf, form, act)


@router.get("/console/services/traffic/decisions/{decision_no}", response_class=HTMLResponse)
def console_decision(decision_no: str, request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    try:
        d = service.get_decision(db, decision_no=decision_no[:40], authority_org_id=p.org_id or "")
        code = service.decision_qr(db, decision_no=d.decision_no, authority_org_id=p.org_id or "")
    except DomainError as exc:
        db.rollback()
        return _console(request, db, p, status=exc.status, error=exc.title(negotiate(request)))
    return _render(request, "traffic_console_decision.html", p, d=d, qr_svg=qrcode.svg(code.payload),
                   principal_kind=p.kind, org=orgs.get_org(db, p.org_id or ""))


@router.get("/console/services/traffic/decisions/{decision_no}/qr.png")
def console_qr_png(decision_no: str, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    code = service.decision_qr(db, decision_no=decision_no[:40], authority_org_id=p.org_id or "")
    return Response(qrcode.png(code.payload), media_type="image/png",
                    headers={"Content-Disposition": f'inline; filename="decision-{code.decision_no}.png"'})


@router.post("/console/services/traffic/vehicles", response_class=HTMLResponse)
def console_vehicle(request: Request, db: DbSession, p: Principal = Depends(RECORDERS), csrf: str = Form(""),
                    plate: str = Form("", max_length=20), vehicle_type: str = Form("small_car", max_length=20),
                    owner_id_number: str = Form("", max_length=18)) -> Response:
    """Register a vehicle to its owner (车辆登记)."""
    form = {"v_plate": plate, "v_type": vehicle_type, "v_owner": owner_id_number}

    def act() -> str:
        service.authority_of(db, p.org_id)
        try:
            body = VehicleIn(plate=plate, vehicle_type=vehicle_type, owner_id_number=owner_id_number.strip())  # type: ignore[arg-type]
        except ValidationError as exc:
            raise PlateInvalid(detail=str(exc.errors()[0].get("loc"))) from exc
        service.register_vehicle(db, vehicle=body, actor=p)
        return "/console/services/traffic?done=vehicle"

    return _console_post(request, db, p, csrf, form, act)


@router.post("/console/services/traffic/licences", response_class=HTMLResponse)
def console_licence(request: Request, db: DbSession, p: Principal = Depends(RECORDERS), csrf: str = Form(""),
                    id_number: str = Form("", max_length=18), licence_class: str = Form("C1", max_length=4),
                    cycle_start: str = Form("", max_length=10)) -> Response:
    """A driving licence record (its number is the holder's ID number; the first scoring cycle's start)."""
    form = {"l_id": id_number, "l_class": licence_class, "l_start": cycle_start}

    def act() -> str:
        service.authority_of(db, p.org_id)
        try:
            body = LicenceIn(id_number=id_number.strip(), licence_class=licence_class,
                             cycle_start=date.fromisoformat(cycle_start))
        except (ValidationError, ValueError) as exc:
            raise LicenceInvalid() from exc
        service.register_licence(db, licence=body, actor=p)
        return "/console/services/traffic?done=licence"

    return _console_post(request, db, p, csrf, form, act)
