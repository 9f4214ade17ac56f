"""The merchant console's open-platform page: register apps, list them, disable/enable, replace a key,
and download the platform's public key.

For the merchant's staff who manage keys (owner, admin, developer). Server-rendered forms that post
back here and redirect (303) on success; a failed form re-renders with the error in the request's
language and changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity.authz import Principal
from onecity.crypto import rsa2
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.gateway import service
from onecity.i18n import negotiate, t
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.console import console_allow, csrf_token, require_csrf
from onecity.web.formatting import local as _local
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

APP_MANAGERS = console_allow("staff", roles=orgs.KEY_MANAGER_ROLES)
PAGE = "/console/gateway"
_APP_ID = re.compile(r"^[0-9]{16}$")
_NOTICES = {"registered": "gateway.notice.registered", "disabled": "gateway.notice.disabled",
            "active": "gateway.notice.enabled", "key_replaced": "gateway.notice.key_replaced"}



def _page(request: Request, db: Session, principal: Principal, *, status: int = 200, error: str | None = None,
          form: dict[str, Any] | None = None) -> Response:
    assert principal.org_id is not None
    lang = negotiate(request)
    org = orgs.get_org(db, principal.org_id)
    apps = service.list_apps(db, merchant_id=org.public_id) if org.kind == "merchant" else []
    notice = None
    done, app_id = request.query_params.get("done", ""), request.query_params.get("app_id", "")
    if not error and done in _NOTICES and _APP_ID.match(app_id):
        notice = t(lang, _NOTICES[done], app_id=app_id)
    rows = [{"app_id": a.app_id, "name": a.name, "status": a.status, "fingerprint": a.key_fingerprint[:16],
             "notify_url": a.notify_url or "—", "created": _local(a.created_at), "last_used": _local(a.last_used_at),
             "key_updated": _local(a.key_updated_at), "new": a.app_id == app_id and done == "registered"}
            for a in apps]
    platform_pem = rsa2.platform_public_pem()
    return render(request, "gateway_console.html", status_code=status, error=error, notice=notice, org=org,
                  is_merchant=org.kind == "merchant", apps=rows, csrf=csrf_token(principal), form=form or {},
                  principal_kind=principal.kind, platform_pem=platform_pem,
                  platform_base64=rsa2.bare_base64(platform_pem))


def _fail(request: Request, db: Session, principal: Principal, exc: DomainError, form: dict[str, Any]) -> Response:
    db.rollback()
    return _page(request, db, principal, status=exc.status, error=exc.title(negotiate(request)), form=form)


@router.get(PAGE, response_class=HTMLResponse)
def gateway_console(request: Request, db: DbSession, principal: Principal = Depends(APP_MANAGERS)) -> Response:
    return _page(request, db, principal)


@router.get(PAGE + "/platform-key.pem")
def platform_key(principal: Principal = Depends(APP_MANAGERS)) -> Response:
    """The platform's public key (what the SDKs call alipay_public_key), as a PEM file."""
    return Response(rsa2.platform_public_pem(), media_type="application/x-pem-file",
                    headers={"content-disposition": 'attachment; filename="onecity_platform_public_key.pem"'})


@router.post(PAGE + "/apps", response_class=HTMLResponse)
def register_app(request: Request, db: DbSession, principal: Principal = Depends(APP_MANAGERS),
                 csrf: str = Form(""), name: str = Form("", max_length=100),
                 public_key: str = Form("", max_length=10_000), notify_url: str = Form("", max_length=1000)) -> Response:
    require_csrf(principal, csrf)
    assert principal.org_id is not None
    try:
        app = service.register_app(db, merchant_id=principal.org_id, name=name, rsa_public_pem=public_key,
                                   notify_url=notify_url or None, actor=principal)
    except DomainError as exc:
        return _fail(request, db, principal, exc, {"name": name, "public_key": public_key, "notify_url": notify_url})
    return RedirectResponse(f"{PAGE}?done=registered&app_id={app.app_id}#app-{app.app_id}", status_code=303)


@router.post(PAGE + "/apps/{app_id}/status", response_class=HTMLResponse)
def set_status(app_id: str, request: Request, db: DbSession, principal: Principal = Depends(APP_MANAGERS),
               csrf: str = Form(""), status: str = Form("", max_length=16)) -> Response:
    require_csrf(principal, csrf)
    assert principal.org_id is not None
    try:
        app = service.set_app_status(db, merchant_id=principal.org_id, app_id=app_id, status=status, actor=principal)
    except DomainError as exc:
        return _fail(request, db, principal, exc, {})
    return RedirectResponse(f"{PAGE}?done={app.status}&app_id={app.app_id}#app-{app.app_id}", status_code=303)


@router.post(PAGE + "/apps/{app_id}/key", response_class=HTMLResponse)
def replace_key(app_id: str, request: Request, db: DbSession, principal: Principal = Depends(APP_MANAGERS),
                csrf: str = Form(""), public_key: str = Form("", max_length=10_000)) -> Response:
    require_csrf(principal, csrf)
    assert principal.org_id is not None
    try:
        app = service.replace_app_key(db, merchant_id=principal.org_id, app_id=app_id, rsa_public_pem=public_key,
                                      actor=principal)
    except DomainError as exc:
        return _fail(request, db, principal, exc, {})
    return RedirectResponse(f"{PAGE}?done=key_replaced&app_id={app.app_id}#app-{app.app_id}", status_code=303)
