"""The citizen's certificate access history (证照访问记录): /app/credentials/history lists every
online read and verification of their certificates (who, when, purpose, fields, verdict) and their
consents, each active one with a withdraw button, plus a form to grant one.

Forms carry the session's `csrf` token; success redirects (303) back with a notice.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity.authz import Principal, allow_page
from onecity.clock import CITY_TZ
from onecity.credentials import presentation, service, types
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.web_session import csrf_token, require_csrf
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)
CITIZEN_PAGE = allow_page("citizen")
_NOTICES = {"granted": "credhist.notice.granted", "withdrawn": "credhist.notice.withdrawn"}


def _page(request: Request, db: Session, p: Principal, *, status: int = 200, error: str | None = None,
          form: dict[str, object] | None = None) -> Response:
    assert p.id is not None
    lang = negotiate(request)
    all_types = {c.id: (c.name.zh if lang == "zh-CN" else c.name.en, {f.name: (f.label.zh if lang == "zh-CN"
                                                                               else f.label.en) for f in c.fields})
                 for c in types.load_types().values()}

    def type_name(type_id: str) -> str:
        return all_types.get(type_id, (type_id, {}))[0]

    def field_names(type_id: str, fields: tuple[str, ...]) -> str:
        labels = all_types.get(type_id, ("", {}))[1]
        return "、".join(labels.get(f, f) for f in fields) if lang == "zh-CN" else ", ".join(labels.get(f, f)
                                                                                              for f in fields)

    def local(dt: object) -> str:
        return dt.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M") if dt is not None else "—"  # type: ignore[attr-defined]

    def verdict(reason: str) -> str:
        zh, en = presentation.MESSAGES.get(reason, (reason, reason))
        return zh if lang == "zh-CN" else en

    key = _NOTICES.get(request.query_params.get("done", ""))
    before = request.query_params.get("before") or None
    entries = service.access_history(db, citizen_id=p.id, before=before, limit=30)
    return render(request, "credhist_history.html", status_code=status, error=error,
                  notice=None if error or key is None else t(lang, key), entries=entries,
                  consents=service.list_consents(db, citizen_id=p.id), csrf=csrf_token(p), type_name=type_name,
                  field_names=field_names, local=local, verdict=verdict, form=form or {},
                  all_types=sorted(((tid, v[0]) for tid, v in all_types.items()), key=lambda x: x[0]),
                  cursor=entries[-1].access_id if len(entries) == 30 else None)


@router.get("/app/credentials/history", response_class=HTMLResponse)
def history(request: Request, db: DbSession, p: Principal = Depends(CITIZEN_PAGE)) -> Response:
    return _page(request, db, p)


@router.post("/app/credentials/consents", response_class=HTMLResponse)
def grant(request: Request, db: DbSession, p: Principal = Depends(CITIZEN_PAGE), csrf: str = Form(""),
          org_id: str = Form("", max_length=40), purpose: str = Form("", max_length=64),
          type_ids: list[str] = Form(default_factory=list), days: int = Form(90)) -> Response:
    require_csrf(p, csrf)
    assert p.id is not None
    try:
        service.grant_consent(db, citizen_id=p.id, org_id=org_id.strip(), purpose=purpose.strip(), type_ids=type_ids,
                              days=days, actor=p)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, p, status=exc.status, error=exc.title(negotiate(request)),
                     form={"org_id": org_id, "purpose": purpose, "type_ids": type_ids, "days": days})
    return RedirectResponse("/app/credentials/history?done=granted#consents", status_code=303)


@router.post("/app/credentials/consents/{consent_id}/withdraw", response_class=HTMLResponse)
def withdraw(consent_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN_PAGE),
             csrf: str = Form("")) -> Response:
    require_csrf(p, csrf)
    assert p.id is not None
    try:
        service.withdraw_consent(db, citizen_id=p.id, consent_id=consent_id, actor=p)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, p, status=exc.status, error=exc.title(negotiate(request)))
    return RedirectResponse("/app/credentials/history?done=withdrawn#consents", status_code=303)
