"""The agency console for applications (/console/services/applications): queues by state with the
overdue first, an application's form and attachments, claim, approve, reject with a reason, ask for
more information (补正), and record an in-person visit. Staff of the agency whose roles the
workflow names; forms carry the session's CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity.authz import Principal
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.console import console_allow
from onecity.identity.web_session import csrf_ok, csrf_token
from onecity.services.applications import service
from onecity.services.applications.errors import AttachmentNotFound
from onecity.services.applications.pages.citizen import _explain, _items
from onecity.services.workflow import definitions
from onecity.web.formatting import local, yuan
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

STAFF = console_allow("staff", roles={"owner", "admin", "operator", "reviewer"})
BASE = "/console/services/applications"


def _org(p: Principal) -> str:
    assert p.org_id is not None
    return p.org_id


def _page(request: Request, db: Session, name: str, p: Principal, *, status: int = 200, error: str | None = None,
          **ctx: Any) -> Response:
    """Render a console page with the shared console navigation (which needs the staff member's org)."""
    lang = negotiate(request)
    done = request.query_params.get("done")
    response = render(request, name, status_code=status, error=error,
                      notice=t(lang, "services.applications.done.acted") if done and not error else None,
                      csrf=csrf_token(p), local=local, yuan=yuan, principal_kind=p.kind,
                      org=orgs.get_org(db, _org(p)),
                      text=lambda i18n: i18n.en if lang == "en" else i18n.zh, **ctx)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(BASE)
def queue(request: Request, db: DbSession, p: Principal = Depends(STAFF), state: str | None = None) -> Response:
    tabs = service.state_counts(db, agency_org_id=_org(p))
    shown = service.queue(db, agency_org_id=_org(p), state=state[:30] if state else None)
    return _page(request, db, "svcapp_console_queue.html", p, apps=shown, items=_items(db, shown),
                 counts={s: n for s, (_label, n) in tabs.items()}, labels={s: lbl for s, (lbl, _n) in tabs.items()},
                 state=state, me=p.id)


def _detail(request: Request, db: Session, p: Principal, application_id: str, *, status: int = 200,
            error: str | None = None) -> Response:
    a = service.get_application(db, application_id=application_id[:40], agency_org_id=_org(p), viewer=p)
    item = _items(db, [a])[f"{a.service_code}@{a.service_version}"]
    lang = negotiate(request)
    props = (item.form_schema or {}).get("properties") or {}
    rows = [((spec.get("x-title-en") if lang == "en" and spec.get("x-title-en") else spec.get("title", k)),
             a.form.get(k)) for k, spec in props.items() if isinstance(spec, dict) and k in a.form]
    materials = {m.key: m for m in item.materials}
    wf = definitions.get(a.workflow)
    return _page(request, db, "svcapp_console_detail.html", p, status=status, error=error, a=a, item=item, rows=rows,
                 materials=materials, wf=wf, me=p.id)


@router.get(BASE + "/{application_id}")
def detail(application_id: str, request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    return _detail(request, db, p, application_id)


@router.post(BASE + "/{application_id}/act/{action}")
async def act(application_id: str, action: str, request: Request, db: DbSession,
              p: Principal = Depends(STAFF)) -> Response:
    posted = await request.form()
    lang = negotiate(request)
    if not csrf_ok(p, str(posted.get("csrf") or "")):
        return _detail(request, db, p, application_id, status=403, error=t(lang, "services.applications.error.csrf"))
    reason = str(posted.get("reason") or "") or None
    try:
        if action == "record_visit":
            service.record_visit(db, application_id=application_id[:40], principal=p, note=reason)
        else:
            service.act(db, application_id=application_id[:40], action=action[:30], principal=p, reason=reason)
    except DomainError as exc:
        db.rollback()
        return _detail(request, db, p, application_id, status=exc.status, error=_explain(lang, exc))
    return RedirectResponse(f"{BASE}/{application_id[:40]}?done=1", status_code=303)


@router.get(BASE + "/{application_id}/attachments/{attachment_id}")
def attachment(application_id: str, attachment_id: str, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    meta, data = service.read_attachment(db, attachment_id=attachment_id[:40], principal=p)
    if meta.application_id != application_id:
        raise AttachmentNotFound()
    return Response(data, media_type=meta.content_type, headers={"Cache-Control": "no-store",
                                                                  "X-Content-Type-Options": "nosniff"})
