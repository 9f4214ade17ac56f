"""The organisation console's shell pages: sign-in, the home page (the org, the signed-in staff
member, staff, API keys and the org's audit entries) and the administrators' organisation list.

Server-rendered forms that post back here and redirect (303) on success; a failed form re-renders
with the error in the request's language and changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity.audit import service as audit
from onecity.authz import PUBLIC, Principal
from onecity.deps import DbSession
from onecity.errors import DomainError, InvalidInput
from onecity.i18n import negotiate, t
from onecity.identity import sessions
from onecity.identity.orgs import service
from onecity.identity.orgs.console import console_allow, csrf_token, require_csrf, safe_next
from onecity.identity.orgs.models import Org
from onecity.identity.sessions import SESSION_COOKIE
from onecity.identity.web_session import clear_session_cookie, set_session_cookie
from onecity.web.formatting import local
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

SIGNED_IN = console_allow("staff", "admin")
MANAGERS = console_allow("staff", "admin", roles=service.MANAGER_ROLES)
KEY_MANAGERS = console_allow("staff", "admin", roles=service.KEY_MANAGER_ROLES)
ADMINS = console_allow("admin")

_NOTICES = {
    "staff_added": "orgs.notice.staff_added",
    "key_registered": "orgs.notice.key_registered",
    "key_revoked": "orgs.notice.key_revoked",
    "org_created": "orgs.notice.org_created",
    "org_status": "orgs.notice.org_status",
    "signed_out": "orgs.notice.signed_out",
}
_APP_ID = re.compile(r"^app_[0-9A-Z]{26}$")


def _notice(request: Request, lang: str) -> str | None:
    key = _NOTICES.get(request.query_params.get("done", ""))
    if key is None:
        return None
    app_id = request.query_params.get("app_id", "")
    return t(lang, key, app_id=app_id if _APP_ID.match(app_id) else "")


def _is_manager(p: Principal) -> bool:
    return p.kind == "admin" or bool(p.roles & service.MANAGER_ROLES)


def _is_key_manager(p: Principal) -> bool:
    return p.kind == "admin" or bool(p.roles & service.KEY_MANAGER_ROLES)


# --- sign-in --------------------------------------------------------------------------------------

@router.get("/console/login", response_class=HTMLResponse)
def login_form(request: Request, principal: Principal = Depends(PUBLIC)) -> Response:
    target = safe_next(request.query_params.get("next"))
    if principal.kind in ("staff", "admin"):
        return RedirectResponse(target, status_code=303)
    return render(request, "console_login.html", next=target, username="",
                  notice=_notice(request, negotiate(request)))


@router.post("/console/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(PUBLIC),
    username: str = Form("", max_length=64),
    password: str = Form("", max_length=128),
    next: str = Form("/console"),  # noqa: A002 - the conventional name of the return path
) -> Response:
    lang = negotiate(request)
    target = safe_next(next)
    if not username.strip() or not password:
        return render(request, "console_login.html", status_code=422, next=target, username=username,
                      error=InvalidInput().title(lang))
    try:
        staff = service.authenticate_staff(db, username=username, password=password)
    except (service.LoginFailed, service.LoginLocked) as exc:
        db.commit()  # keep the failed-attempt counter
        return render(request, "console_login.html", status_code=exc.status, next=target, username=username,
                      error=exc.title(lang))
    except DomainError as exc:
        db.rollback()
        return render(request, "console_login.html", status_code=exc.status, next=target, username=username,
                      error=exc.title(lang))
    token, _ = sessions.create_session(db, kind=service.session_kind(db, staff),  # type: ignore[arg-type]
                                       subject_id=staff.public_id, credential="cookie", label="console",
                                       user_agent=request.headers.get("user-agent"))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, token)
    return response


@router.post("/console/logout")
def logout(request: Request, db: DbSession, principal: Principal = Depends(SIGNED_IN),
           csrf: str = Form("")) -> Response:
    require_csrf(principal, csrf)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sessions.revoke_token(db, cookie)
    response = RedirectResponse("/console/login?done=signed_out", status_code=303)
    clear_session_cookie(response)
    return response


# --- home -----------------------------------------------------------------------------------------

def _home(request: Request, db: Session, principal: Principal, *, status: int = 200, error: str | None = None,
          form: dict[str, Any] | None = None) -> Response:
    assert principal.id is not None and principal.org_id is not None
    lang = negotiate(request)
    org = service.get_org(db, principal.org_id)
    me = service.get_staff(db, principal.id)
    staff = []
    entries: list[dict[str, Any]] = []
    audit_cursor = None
    if _is_manager(principal):
        staff = [{"id": s.public_id, "username": s.username, "name": service.display_name(s), "roles": s.roles,
                  "status": s.status, "last_login": local(s.last_login_at)}
                 for s in service.list_staff(db, org_id=org.public_id)]
        page = audit.entries_for_org(db, org_id=org.public_id, after=request.query_params.get("audit_after") or None,
                                     limit=20)
        names = {s["id"]: f'{s["name"]} ({s["username"]})' for s in staff}
        entries = [{"at": local(e.created_at), "actor": names.get(e.actor_id or "", e.actor_id or e.actor_kind),
                    "action": e.action,
                    "resource": e.resource, "subject": e.subject_citizen_id or "", "reason": e.reason}
                   for e in page.entries]
        audit_cursor = page.next_cursor
    keys = []
    if _is_key_manager(principal):
        keys = [{"app_id": k.app_id, "label": k.label, "algorithm": k.algorithm,
                 "fingerprint": service.fingerprint_short(k), "scopes": k.scopes, "status": k.status,
                 "created": local(k.created_at), "last_used": local(k.last_used_at)}
                for k in service.list_api_keys(db, org_id=org.public_id)]
    return render(
        request, "console_home.html", status_code=status, error=error, notice=None if error else _notice(request, lang),
        org=org, me={"name": service.display_name(me), "username": me.username, "roles": me.roles},
        principal_kind=principal.kind, is_manager=_is_manager(principal), is_key_manager=_is_key_manager(principal),
        staff=staff, keys=keys, entries=entries, audit_cursor=audit_cursor,
        org_roles=service.ROLES_BY_KIND[org.kind], key_scopes=service.key_scopes_for(org.kind),
        is_owner=principal.kind == "admin" or "owner" in principal.roles,
        csrf=csrf_token(principal), form=form or {},
    )


def _fail(request: Request, db: Session, principal: Principal, exc: DomainError, form: dict[str, Any]) -> Response:
    db.rollback()
    return _home(request, db, principal, status=exc.status, error=exc.title(negotiate(request)), form=form)


@router.get("/console", response_class=HTMLResponse)
def home(request: Request, db: DbSession, principal: Principal = Depends(SIGNED_IN)) -> Response:
    return _home(request, db, principal)


@router.post("/console/staff", response_class=HTMLResponse)
def add_staff(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(MANAGERS),
    csrf: str = Form(""),
    username: str = Form("", max_length=64),
    display_name: str = Form("", max_length=100),
    password: str = Form("", max_length=128),
    roles: list[str] = Form(default_factory=list),
) -> Response:
    require_csrf(principal, csrf)
    assert principal.org_id is not None
    try:
        service.add_staff(db, org_id=principal.org_id, username=username, display_name=display_name,
                          password=password, roles=roles, actor=principal)
    except DomainError as exc:
        return _fail(request, db, principal, exc, {"username": username, "display_name": display_name,
                                                   "roles": roles})
    return RedirectResponse("/console?done=staff_added#staff", status_code=303)


@router.post("/console/keys", response_class=HTMLResponse)
def register_key(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(KEY_MANAGERS),
    csrf: str = Form(""),
    label: str = Form("", max_length=100),
    public_key_pem: str = Form("", max_length=10_000),
    scopes: list[str] = Form(default_factory=list),
) -> Response:
    require_csrf(principal, csrf)
    assert principal.org_id is not None
    try:
        key = service.register_api_key(db, org_id=principal.org_id, public_key_pem=public_key_pem, label=label,
                                       scopes=scopes or None, actor=principal)
    except DomainError as exc:
        return _fail(request, db, principal, exc, {"label": label, "public_key_pem": public_key_pem,
                                                   "scopes": scopes})
    return RedirectResponse(f"/console?done=key_registered&app_id={key.app_id}#keys", status_code=303)


@router.post("/console/keys/{app_id}/revoke", response_class=HTMLResponse)
def revoke_key(app_id: str, request: Request, db: DbSession, principal: Principal = Depends(KEY_MANAGERS),
               csrf: str = Form("")) -> Response:
    require_csrf(principal, csrf)
    assert principal.org_id is not None
    try:
        service.revoke_api_key(db, org_id=principal.org_id, app_id=app_id, actor=principal)
    except DomainError as exc:
        return _fail(request, db, principal, exc, {})
    return RedirectResponse("/console?done=key_revoked#keys", status_code=303)


# --- administrators: organisations ----------------------------------------------------------------

def _orgs(request: Request, db: Session, principal: Principal, *, status: int = 200, error: str | None = None,
          form: dict[str, Any] | None = None) -> Response:
    lang = negotiate(request)
    after = request.query_params.get("after") or None
    try:
        rows, cursor = service.list_orgs(db, after=after, limit=50)
    except DomainError:
        rows, cursor = service.list_orgs(db, limit=50)
    kinds = [k for k in service.ORG_KINDS if k != "city" or service.city_org(db) is None]
    return render(request, "console_orgs.html", status_code=status, error=error,
                  notice=None if error else _notice(request, lang), orgs=[_org_row(o) for o in rows], cursor=cursor,
                  kinds=kinds, csrf=csrf_token(principal), form=form or {}, principal_kind=principal.kind)


def _org_row(o: Org) -> dict[str, Any]:
    return {"id": o.public_id, "name": o.name_zh, "name_en": o.name_en, "kind": o.kind, "uscc": o.uscc,
            "status": o.status, "created": local(o.created_at)}


@router.get("/console/orgs", response_class=HTMLResponse)
def orgs(request: Request, db: DbSession, principal: Principal = Depends(ADMINS)) -> Response:
    return _orgs(request, db, principal)


@router.post("/console/orgs", response_class=HTMLResponse)
def create_org(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(ADMINS),
    csrf: str = Form(""),
    kind: str = Form("", max_length=20),
    name_zh: str = Form("", max_length=200),
    name_en: str = Form("", max_length=200),
    uscc: str = Form("", max_length=40),
    owner_username: str = Form("", max_length=64),
    owner_display_name: str = Form("", max_length=100),
    owner_password: str = Form("", max_length=128),
) -> Response:
    require_csrf(principal, csrf)
    try:
        service.create_org_with_owner(db, kind=kind, name_zh=name_zh, name_en=name_en or None, uscc_code=uscc,
                                      owner_username=owner_username, owner_display_name=owner_display_name,
                                      owner_password=owner_password, actor=principal)
    except DomainError as exc:
        db.rollback()
        form = {"kind": kind, "name_zh": name_zh, "name_en": name_en, "uscc": uscc,
                "owner_username": owner_username, "owner_display_name": owner_display_name}
        return _orgs(request, db, principal, status=exc.status, error=exc.title(negotiate(request)), form=form)
    return RedirectResponse("/console/orgs?done=org_created", status_code=303)


@router.post("/console/orgs/{org_id}/status", response_class=HTMLResponse)
def set_org_status(
    org_id: str,
    request: Request,
    db: DbSession,
    principal: Principal = Depends(ADMINS),
    csrf: str = Form(""),
    status: str = Form("", max_length=16),
    reason: str = Form("", max_length=500),
) -> Response:
    require_csrf(principal, csrf)
    try:
        service.set_org_status(db, org_id=org_id, status=status, actor=principal,
                               reason=reason.strip() or "管理员操作 administrator action")
    except DomainError as exc:
        db.rollback()
        return _orgs(request, db, principal, status=exc.status, error=exc.title(negotiate(request)))
    return RedirectResponse("/console/orgs?done=org_status", status_code=303)
