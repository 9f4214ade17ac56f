"""The citizen's application pages: the form of a service (/app/services/apply/{code}) pre-filled
from certificates once the citizen consents, the list of applications, one application's timeline
with resubmit / pay / withdraw, and the notices. Forms carry the session's CSRF token; a refused
form re-renders with the error and changes nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from onecity.authz import Principal, allow_page
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.web_session import csrf_ok, csrf_token
from onecity.services.applications import service
from onecity.services.applications.errors import AttachmentInvalid
from onecity.services.applications.pages.formfields import fields_of, read_form
from onecity.services.applications.schemas import ApplicationOut
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import ServiceItemOut
from onecity.web.formatting import local, yuan
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

CITIZEN = allow_page("citizen")
VERIFIED = allow_page("citizen", verified=True)
_DONE = {"submitted": "services.applications.done.submitted", "acted": "services.applications.done.acted",
         "consented": "services.applications.done.consented"}


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


def _page(request: Request, name: str, p: Principal, *, status: int = 200, error: str | None = None,
          **ctx: Any) -> Response:
    lang = negotiate(request)
    key = _DONE.get(request.query_params.get("done", ""))
    response = render(request, name, status_code=status, error=error,
                      notice=None if error or key is None else t(lang, key), csrf=csrf_token(p), local=local,
                      yuan=yuan, text=lambda i18n: i18n.en if lang == "en" else i18n.zh, **ctx)
    response.headers["Cache-Control"] = "no-store"
    return response


def _items(db: Session, apps: list[ApplicationOut]) -> dict[str, ServiceItemOut]:
    out: dict[str, ServiceItemOut] = {}
    for a in apps:
        key = f"{a.service_code}@{a.service_version}"
        if key not in out:
            out[key] = catalogue.get_item(db, code=a.service_code, city_code=a.city_code, version=a.service_version)
    return out


async def _files(db: Session, citizen_id: str, posted: FormData, slots: list[str]) -> dict[str, str]:
    """Store each uploaded file of a slot; returns slot → att_ id."""
    out = {}
    for slot in slots:
        f = posted.get(f"file.{slot}")
        if isinstance(f, UploadFile) and f.filename:
            data = await f.read(service.MAX_BYTES + 1)
            if len(data) > service.MAX_BYTES:
                raise AttachmentInvalid(detail=slot)
            if data:
                out[slot] = service.store_attachment(db, citizen_id=citizen_id, filename=f.filename, data=data).id
    return out


def _field_errors(exc: DomainError) -> dict[str, str]:
    return {e["field"]: e["message"] for e in exc.extra.get("errors", []) if isinstance(e, dict) and "field" in e}


# --- apply ----------------------------------------------------------------------------------------

def _apply_page(request: Request, db: Session, p: Principal, item: ServiceItemOut, *, values: dict[str, Any] | None,
                status: int = 200, error: str | None = None, errors: dict[str, str] | None = None) -> Response:
    lang = negotiate(request)
    pre = service.prefill(db, citizen_id=_me(p), service_code=item.code)
    shown = {**pre.values, **(values or {})}
    return _page(request, "svcapp_apply.html", p, status=status, error=error, item=item, prefill=pre,
                 fields=fields_of(item.form_schema, lang, shown, pre.from_certificates, errors),
                 uploads=[m for m in item.materials if m.kind == "upload"],
                 certificates=[m for m in item.materials if m.kind == "certificate"])


@router.get("/app/services/apply/{code}")
def apply_form(code: str, request: Request, db: DbSession, p: Principal = Depends(VERIFIED)) -> Response:
    item = catalogue.get_item(db, code=code[:80])
    if item.entry == "page" and item.entry_url:
        return RedirectResponse(item.entry_url, status_code=303)
    return _apply_page(request, db, p, item, values=None)


@router.post("/app/services/apply/{code}/consent")
async def apply_consent(code: str, request: Request, db: DbSession, p: Principal = Depends(VERIFIED)) -> Response:
    posted = await request.form()
    item = catalogue.get_item(db, code=code[:80])
    if not csrf_ok(p, str(posted.get("csrf") or "")):
        return _apply_page(request, db, p, item, values=None, status=403,
                           error=t(negotiate(request), "services.applications.error.csrf"))
    service.grant_prefill_consent(db, citizen_id=_me(p), service_code=item.code)
    return RedirectResponse(f"/app/services/apply/{item.code}?done=consented", status_code=303)


@router.post("/app/services/apply/{code}")
async def apply_submit(code: str, request: Request, db: DbSession, p: Principal = Depends(VERIFIED)) -> Response:
    posted = await request.form()
    item = catalogue.get_item(db, code=code[:80])
    values = read_form(item.form_schema, posted)
    lang = negotiate(request)
    if not csrf_ok(p, str(posted.get("csrf") or "")):
        return _apply_page(request, db, p, item, values=values, status=403,
                           error=t(lang, "services.applications.error.csrf"))
    try:
        files = await _files(db, _me(p), posted, [m.key for m in item.materials if m.kind == "upload"])
        a = service.submit(db, citizen_id=_me(p), service_code=item.code, form=values, attachments=files, actor=p)
    except DomainError as exc:
        db.rollback()
        return _apply_page(request, db, p, item, values=values, status=exc.status, error=_explain(lang, exc),
                           errors=_field_errors(exc))
    return RedirectResponse(f"/app/services/applications/{a.id}?done=submitted", status_code=303)


def _explain(lang: str, exc: DomainError) -> str:
    detail = f"（{exc.detail}）" if lang != "en" and exc.detail else (f" ({exc.detail})" if exc.detail else "")
    return exc.title(lang) + detail


# --- my applications ------------------------------------------------------------------------------

@router.get("/app/services/applications")
def my_applications(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    apps = service.list_for_citizen(db, citizen_id=_me(p))
    return _page(request, "svcapp_list.html", p, apps=apps, items=_items(db, apps),
                 unread=service.unread_count(db, citizen_id=_me(p)))


def _detail(request: Request, db: Session, p: Principal, application_id: str, *, status: int = 200,
            error: str | None = None, values: dict[str, Any] | None = None,
            errors: dict[str, str] | None = None) -> Response:
    a = service.get_application(db, application_id=application_id[:40], citizen_id=_me(p), viewer=p)
    item = _items(db, [a])[f"{a.service_code}@{a.service_version}"]
    lang = negotiate(request)
    names = [x.name for x in a.available_actions]
    return _page(request, "svcapp_detail.html", p, status=status, error=error, a=a, item=item, actions=names,
                 fields=fields_of(item.form_schema, lang, values if values is not None else a.form, [], errors)
                 if "resubmit" in names else [],
                 uploads=[m for m in item.materials if m.kind == "upload"])


@router.get("/app/services/applications/{application_id}")
def my_application(application_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    return _detail(request, db, p, application_id)


@router.post("/app/services/applications/{application_id}/act/{action}")
async def my_act(application_id: str, action: str, request: Request, db: DbSession,
                 p: Principal = Depends(CITIZEN)) -> Response:
    posted = await request.form()
    lang = negotiate(request)
    if not csrf_ok(p, str(posted.get("csrf") or "")):
        return _detail(request, db, p, application_id, status=403, error=t(lang, "services.applications.error.csrf"))
    values: dict[str, Any] | None = None
    try:
        data = None
        if action == "resubmit":
            current = service.get_application(db, application_id=application_id[:40], citizen_id=_me(p))
            item = catalogue.get_item(db, code=current.service_code, city_code=current.city_code,
                                      version=current.service_version)
            values = read_form(item.form_schema, posted)
            files = await _files(db, _me(p), posted, [m.key for m in item.materials if m.kind == "upload"])
            data = {"form": values, "attachments": {**current.attachments, **files}}
        service.act(db, application_id=application_id[:40], action=action[:30], principal=p, data=data)
    except DomainError as exc:
        db.rollback()
        return _detail(request, db, p, application_id, status=exc.status, error=_explain(lang, exc), values=values,
                       errors=_field_errors(exc))
    return RedirectResponse(f"/app/services/applications/{application_id[:40]}?done=acted", status_code=303)


@router.get("/app/services/applications/attachments/{attachment_id}")
def my_attachment(attachment_id: str, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    meta, data = service.read_attachment(db, attachment_id=attachment_id[:40], principal=p)
    return Response(data, media_type=meta.content_type, headers={"Cache-Control": "no-store",
                                                                  "X-Content-Type-Options": "nosniff"})


@router.get("/app/services/notices")
def notices(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    items = service.list_notices(db, citizen_id=_me(p))
    response = _page(request, "svcapp_notices.html", p, notices=items)
    for n in items:
        if not n.read:
            service.mark_read(db, citizen_id=_me(p), notice_id=n.id)
    return response
