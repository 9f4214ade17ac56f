"""The citizen app's account pages: home, sign-in/sign-up, real-name verification, profile, sign-out.

Server-rendered forms posting back to these routes (no JavaScript needed). Signed-in forms carry a
CSRF token bound to the session (on top of the SameSite=Lax cookie). Errors are shown in the page, in
the request's language; a failed step changes nothing but its attempt counters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import PUBLIC, Principal, allow_page
from onecity.config import get_settings
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity import service, sessions, sms
from onecity.identity.orgs import service as orgs
from onecity.identity.web_session import (
    clear_session_cookie,
    client_ip,
    csrf_ok,
    csrf_token,
    keeping_recorded_failures,
    set_session_cookie,
)
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

T = TypeVar("T")
_NOTICES = {
    "verified": "identity.real_name.done",
    "revoked": "identity.profile.revoked",
    "password": "identity.profile.password_saved",
    "signed_out": "identity.logout.done",
}


CITIZEN_PAGE = allow_page("citizen")






def _attempt(db: Session, lang: str, fn: Callable[[], T]) -> tuple[T | None, str | None, int]:
    """Run a service call for a page: (result, None, 200), or (None, message in `lang`, status). A
    failure keeps its attempt counters (committed) and nothing else (rolled back)."""
    try:
        with keeping_recorded_failures(db):
            return fn(), None, 200
    except DomainError as exc:
        db.rollback()  # after keeping_recorded_failures committed the counters, if any
        return None, exc.title(lang), exc.status


def _safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/app"


def _is_citizen(p: Principal) -> bool:
    return p.kind == "citizen" and p.id is not None


_BROWSERS = (("AlipayClient", "Alipay"), ("MicroMessenger", "WeChat"), ("Edg/", "Edge"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("python-httpx", "API client"), ("curl/", "curl"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("HarmonyOS", "HarmonyOS"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))


def describe_user_agent(ua: str | None) -> str:
    """"Chrome · Android" from a User-Agent header, for the list of signed-in devices."""
    if not ua:
        return ""
    browser = next((name for marker, name in _BROWSERS if marker in ua), "")
    system = next((name for marker, name in _SYSTEMS if marker in ua), "")
    return " · ".join(p for p in (browser, system) if p) or ua[:40]


def _notice(request: Request, lang: str) -> str | None:
    key = _NOTICES.get(request.query_params.get("done", ""))
    return t(lang, key) if key else None


@router.get("/")
def root(principal: Principal = Depends(PUBLIC)) -> RedirectResponse:
    return RedirectResponse("/app", status_code=307)


@router.get("/app", response_class=HTMLResponse)
def home(request: Request, db: DbSession, principal: Principal = Depends(PUBLIC)) -> Response:
    summary = service.citizen_summary(db, principal.id) if _is_citizen(principal) and principal.id else None
    return render(request, "identity_home.html", summary=summary, signed_in=summary is not None,
                  notice=_notice(request, negotiate(request)))


@router.get("/app/cards", response_class=HTMLResponse)
def cards(request: Request, db: DbSession, principal: Principal = Depends(CITIZEN_PAGE)) -> Response:
    assert principal.id is not None
    return render(request, "identity_cards.html", summary=service.citizen_summary(db, principal.id))


# --- sign-in --------------------------------------------------------------------------------------

def _login_page(request: Request, *, status: int = 200, **ctx: Any) -> Response:
    s = get_settings()
    ctx.setdefault("mode", "code")
    ctx.setdefault("step", 1)
    ctx.setdefault("mobile", "")
    ctx.setdefault("next", _safe_next(request.query_params.get("next")))
    demo_sms = isinstance(sms.get_sender(), sms.LogSmsSender)
    return render(request, "identity_login.html", status_code=status, demo_sms=demo_sms,
                  resend_seconds=s.otp_resend_seconds, **ctx)


@router.get("/app/login", response_class=HTMLResponse)
def login_form(request: Request, principal: Principal = Depends(PUBLIC)) -> Response:
    mode = "password" if request.query_params.get("mode") == "password" else "code"
    return _login_page(request, mode=mode)


@router.post("/app/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(PUBLIC),
    action: str = Form("login"),
    mobile: str = Form(""),
    code: str = Form(""),
    password: str = Form(""),
    mode: str = Form("code"),
    next: str = Form("/app"),  # noqa: A002 - the conventional name of the return path
) -> Response:
    lang = negotiate(request)
    mode = "password" if mode == "password" else "code"
    target = _safe_next(next)
    if action == "send_code":
        sent, error, status = _attempt(db, lang, lambda: service.request_otp(
            db, mobile=mobile, purpose="login", ip=client_ip(request)))
        if sent is None:
            return _login_page(request, status=status, mode="code", step=1, mobile=mobile, next=target,
                               error=error)
        return _login_page(request, mode="code", step=2, mobile=mobile, next=target,
                           notice=t(lang, "identity.login.code_sent", mobile=sent.mobile_masked,
                                    minutes=sent.expires_in // 60))

    def sign_in() -> str:
        if mode == "password":
            return service.sign_in_with_password(db, mobile=mobile, password=password).public_id
        return service.sign_in_with_otp(db, mobile=mobile, code=code, language=lang).citizen.public_id

    citizen_id, error, status = _attempt(db, lang, sign_in)
    if citizen_id is None:
        return _login_page(request, status=status, mode=mode, step=2, mobile=mobile, next=target, error=error)
    token, _row = sessions.create_session(db, kind="citizen", subject_id=citizen_id, credential="cookie",
                                          label=t(lang, "identity.profile.session_web"),
                                          user_agent=request.headers.get("user-agent"))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, token)
    return response


# --- real-name verification -----------------------------------------------------------------------

@router.get("/app/real-name", response_class=HTMLResponse)
def real_name_form(request: Request, db: DbSession, principal: Principal = Depends(CITIZEN_PAGE)) -> Response:
    assert principal.id is not None
    summary = service.citizen_summary(db, principal.id)
    next_url = request.query_params.get("next")
    return render(request, "identity_real_name.html", summary=summary, csrf=csrf_token(principal),
                  typed_name="", typed_id_number="", next_url=_safe_next(next_url) if next_url else None)


@router.post("/app/real-name", response_class=HTMLResponse)
def real_name_submit(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(CITIZEN_PAGE),
    name: str = Form(""),
    id_number: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    assert principal.id is not None
    lang = negotiate(request)
    citizen_id = principal.id
    error: str | None
    if not csrf_ok(principal, csrf):
        error, status, done = t(lang, "identity.error.csrf"), 403, None
    else:
        done, error, status = _attempt(db, lang, lambda: service.verify_real_name(
            db, citizen_id=citizen_id, name=name, id_number=id_number, actor=principal))
    next_url = request.query_params.get("next")
    if done is not None:
        # Back to the page that asked for verification (PageAllow's `next`), else the profile.
        target = _safe_next(next_url) if next_url else "/app/profile?done=verified"
        return RedirectResponse(target, status_code=303)
    return render(request, "identity_real_name.html", status_code=status,
                  summary=service.citizen_summary(db, citizen_id), csrf=csrf_token(principal),
                  typed_name=name[:50], typed_id_number=id_number[:64], error=error,
                  next_url=_safe_next(next_url) if next_url else None)


# --- profile, sessions, password, sign-out --------------------------------------------------------

def _profile_page(request: Request, db: Session, principal: Principal, *, status: int = 200,
                  **ctx: Any) -> Response:
    assert principal.id is not None
    profile = service.citizen_profile(db, principal.id)
    rows = sessions.list_sessions(db, subject_id=principal.id)
    return render(request, "identity_profile.html", status_code=status, profile=profile, sessions=rows,
                  current_session=principal.session_id, csrf=csrf_token(principal), device=describe_user_agent,
                  local=lambda dt: dt.astimezone(clock.CITY_TZ).strftime("%Y-%m-%d %H:%M") if dt else "",
                  notice=ctx.pop("notice", None) or _notice(request, negotiate(request)), **ctx)


@router.get("/app/profile", response_class=HTMLResponse)
def profile(request: Request, db: DbSession, principal: Principal = Depends(CITIZEN_PAGE)) -> Response:
    assert principal.id is not None
    return _profile_page(request, db, principal)


@router.post("/app/sessions/{session_id}/revoke", response_class=HTMLResponse)
def revoke(
    session_id: str,
    request: Request,
    db: DbSession,
    principal: Principal = Depends(CITIZEN_PAGE),
    csrf: str = Form(""),
) -> Response:
    assert principal.id is not None
    lang = negotiate(request)
    if not csrf_ok(principal, csrf):
        return _profile_page(request, db, principal, status=403, error=t(lang, "identity.error.csrf"))
    subject = principal.id
    _, error, status = _attempt(db, lang, lambda: sessions.revoke_session(db, subject_id=subject,
                                                                          session_id=session_id))
    if error:
        return _profile_page(request, db, principal, status=status, error=error)
    if session_id == principal.session_id:
        response = RedirectResponse("/app/login", status_code=303)
        clear_session_cookie(response)
        return response
    return RedirectResponse("/app/profile?done=revoked", status_code=303)


@router.post("/app/password", response_class=HTMLResponse)
def password_submit(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(CITIZEN_PAGE),
    password: str = Form(""),
    current_password: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    assert principal.id is not None
    lang = negotiate(request)
    if not csrf_ok(principal, csrf):
        return _profile_page(request, db, principal, status=403, error=t(lang, "identity.error.csrf"))
    citizen_id = principal.id

    def change() -> None:
        had = service.citizen_profile(db, citizen_id).has_password
        service.set_password(db, citizen_id=citizen_id, password=password,
                             current_password=current_password or None)
        if had:
            sessions.revoke_all(db, subject_id=citizen_id, except_session_id=principal.session_id)

    _, error, status = _attempt(db, lang, change)
    if error:
        return _profile_page(request, db, principal, status=status, error=error)
    return RedirectResponse("/app/profile?done=password", status_code=303)


@router.get("/app/logout", response_class=HTMLResponse)
def logout_confirm(request: Request, principal: Principal = Depends(PUBLIC)) -> Response:
    if not _is_citizen(principal):
        return RedirectResponse("/app/login", status_code=303)
    return render(request, "identity_logout.html", csrf=csrf_token(principal))


@router.post("/app/logout")
def logout(
    request: Request, db: DbSession, principal: Principal = Depends(PUBLIC), csrf: str = Form("")
) -> Response:
    if _is_citizen(principal) and principal.id and principal.session_id and csrf_ok(principal, csrf):
        sessions.revoke_session(db, subject_id=principal.id, session_id=principal.session_id)
    response = RedirectResponse("/app?done=signed_out", status_code=303)
    clear_session_cookie(response)
    return response



# --- who accessed my data -------------------------------------------------------------------------

@router.get("/app/access-log", response_class=HTMLResponse)
def access_log_page(request: Request, db: DbSession, principal: Principal = Depends(CITIZEN_PAGE)) -> Response:
    """The citizen's own view of the audit log: every sensitive read or write of their data."""
    assert principal.id is not None
    lang = negotiate(request)
    page = audit.access_log(db, citizen_id=principal.id, after=request.query_params.get("after"), limit=30)
    org_ids = {e.actor_org_id for e in page.entries if e.actor_org_id}
    org_ids |= {e.on_behalf_of for e in page.entries if e.on_behalf_of and e.on_behalf_of.startswith("org_")}
    names = orgs.org_names(db, org_ids) if org_ids else {}

    def who(actor_kind: str, actor_id: str | None, org_id: str | None) -> str:
        if actor_id == principal.id:
            return t(lang, "identity.access_log.you")
        if org_id and org_id in names:
            return names[org_id]
        key = {"citizen": "citizen", "staff": "staff", "admin": "staff", "org": "staff"}.get(actor_kind, "system")
        return t(lang, f"identity.access_log.{key}")

    rows = [{
        "who": who(e.actor_kind, e.actor_id, e.actor_org_id),
        "action": e.action,
        "reason": e.reason,
        "at": e.created_at.astimezone(clock.CITY_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        "on_behalf_of": (names.get(e.on_behalf_of) or (t(lang, "identity.access_log.you")
                         if e.on_behalf_of == principal.id else t(lang, "identity.access_log.citizen")))
        if e.on_behalf_of else None,
    } for e in page.entries]
    return render(request, "identity_access_log.html", rows=rows, next_cursor=page.next_cursor)
