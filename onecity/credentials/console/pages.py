"""The issuer console (签发机构控制台) for the staff of an agency registered as a certificate issuer:
the issued certificates with a status filter, issuing one through a form generated from the type's
schema, importing many from a CSV file with a report of the rejected rows, and suspending,
reinstating, revoking and re-issuing one with a reason.

Server-rendered forms that post back and redirect (303) on success; a failed form re-renders with the
error in the request's language and changes nothing. Every form carries the session's `csrf` token.
Reviewers and developers read; owners, admins and operators issue and change.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity.authz import Principal
from onecity.credentials import service, types
from onecity.credentials.schemas import IssuerOut
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.orgs.console import console_allow, csrf_token, require_csrf
from onecity.web.formatting import local
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

READERS = console_allow("staff", roles={"owner", "admin", "operator", "reviewer", "developer"})
ISSUERS = console_allow("staff", roles={"owner", "admin", "operator"})
STATUSES = ("valid", "suspended", "revoked")
ACTIONS = ("suspend", "reinstate", "revoke", "reissue")
_NOTICES = {"issued": "credcon.notice.issued", "suspend": "credcon.notice.suspend",
            "reinstate": "credcon.notice.reinstate", "revoke": "credcon.notice.revoke",
            "reissue": "credcon.notice.reissue"}
CLAIM_PREFIX = "claim."
MAX_UPLOAD = 4 * 1024 * 1024  # service.import_csv refuses anything larger


def _issuer(db: Session, p: Principal) -> IssuerOut:
    assert p.org_id is not None
    issuer = service.issuer_of_org(db, p.org_id)
    if issuer is None:
        raise service.IssuerNotFound()
    return issuer


def _page(request: Request, name: str, p: Principal, issuer: IssuerOut, *, status: int = 200,
          error: str | None = None, **ctx: Any) -> Response:
    lang = negotiate(request)
    key = _NOTICES.get(request.query_params.get("done", ""))
    return render(request, name, status_code=status, error=error,
                  notice=None if error or key is None else t(lang, key), principal_kind=p.kind,
                  csrf=csrf_token(p), local=local, issuer=issuer, can_issue=bool(ISSUERS.admits(p)),
                  type_name=lambda tid: _type_name(tid, lang), **ctx)


def _type_name(type_id: str, lang: str) -> str:
    try:
        ctype = types.get_type(type_id)
    except types.UnknownType:
        return type_id
    return ctype.name.zh if lang == "zh-CN" else ctype.name.en


def _all_types(lang: str) -> list[dict[str, str]]:
    return [{"id": c.id, "name": c.name.zh if lang == "zh-CN" else c.name.en}
            for c in sorted(types.load_types().values(), key=lambda c: c.code)]


def _form_fields(ctype: types.CredentialType, lang: str) -> list[dict[str, Any]]:
    """The type's fields as form inputs (what the template draws)."""
    out = []
    for f in ctype.fields:
        kind = {"date": "date", "integer": "number", "enum": "select", "boolean": "select"}.get(f.type, "text")
        out.append({"name": f.name, "input": CLAIM_PREFIX + f.name, "label": f.label.zh if lang == "zh-CN" else f.label.en,
                    "kind": kind, "type": f.type, "required": f.required, "max_length": f.max_length or 200,
                    "values": list(f.values) if f.type == "enum" else (["true", "false"] if f.type == "boolean" else [])})
    return out


def _claims_from_form(ctype: types.CredentialType, form: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    for f in ctype.fields:
        raw = form.get(CLAIM_PREFIX + f.name)
        if not isinstance(raw, str) or not raw.strip():
            continue
        value: Any = raw.strip()
        if f.type == "integer":
            try:
                value = int(value)
            except ValueError:
                pass
        elif f.type == "boolean":
            value = {"true": True, "false": False}.get(value, value)
        claims[f.name] = value
    return claims


# --- the list -------------------------------------------------------------------------------------

@router.get("/console/credentials", response_class=HTMLResponse)
def issued(request: Request, db: DbSession, p: Principal = Depends(READERS)) -> Response:
    issuer = _issuer(db, p)
    status = request.query_params.get("status") or None
    if status not in STATUSES:
        status = None
    before = request.query_params.get("before") or None
    try:
        rows = service.list_issued(db, issuer_id=issuer.issuer_id, status=status, before=before, limit=30)
    except DomainError:
        rows = service.list_issued(db, issuer_id=issuer.issuer_id, status=status, limit=30)
    return _page(request, "credcon_list.html", p, issuer, rows=rows, status_filter=status or "", statuses=STATUSES,
                 cursor=rows[-1].credential_id if len(rows) == 30 else None)


# --- issuing one ----------------------------------------------------------------------------------

def _new_form(request: Request, p: Principal, issuer: IssuerOut, type_id: str | None, *, status: int = 200,
              error: str | None = None, values: dict[str, Any] | None = None, citizen_id: str = "",
              holder_id_number: str = "") -> Response:
    lang = negotiate(request)
    ctype = None
    if type_id:
        try:
            ctype = types.get_type(type_id)
        except types.UnknownType:
            ctype = None
    return _page(request, "credcon_new.html", p, issuer, status=status, error=error, all_types=_all_types(lang),
                 ctype=ctype, fields=_form_fields(ctype, lang) if ctype else [], values=values or {},
                 citizen_id=citizen_id, holder_id_number=holder_id_number)


@router.get("/console/credentials/new", response_class=HTMLResponse)
def new_form(request: Request, db: DbSession, p: Principal = Depends(ISSUERS)) -> Response:
    return _new_form(request, p, _issuer(db, p), request.query_params.get("type_id"))


@router.post("/console/credentials/new", response_class=HTMLResponse)
async def new_submit(request: Request, db: DbSession, p: Principal = Depends(ISSUERS), csrf: str = Form(""),
                     type_id: str = Form("", max_length=40), citizen_id: str = Form("", max_length=40),
                     holder_id_number: str = Form("", max_length=18)) -> Response:
    """The claims come as `claim.<field>` inputs, one per field of the type's schema."""
    require_csrf(p, csrf)
    form = await request.form()
    issuer = _issuer(db, p)
    citizen_id, holder_id_number = citizen_id.strip(), holder_id_number.strip()
    values = {k[len(CLAIM_PREFIX):]: v for k, v in form.items() if k.startswith(CLAIM_PREFIX) and isinstance(v, str)}
    try:
        ctype = types.get_type(type_id)
        out = service.issue_credential(db, issuer_id=issuer.issuer_id, type_id=ctype.id,
                                       claims=_claims_from_form(ctype, form), citizen_id=citizen_id or None, actor=p,
                                       holder_id_number=holder_id_number or None)
    except DomainError as exc:
        db.rollback()
        message = exc.title(negotiate(request)) + (f" ({exc.detail})" if exc.detail else "")
        return _new_form(request, p, issuer, type_id, status=exc.status, error=message, values=values,
                         citizen_id=citizen_id, holder_id_number=holder_id_number)
    return RedirectResponse(f"/console/credentials/{out.credential_id}?done=issued", status_code=303)


# --- importing many -------------------------------------------------------------------------------

@router.get("/console/credentials/import", response_class=HTMLResponse)
def import_form(request: Request, db: DbSession, p: Principal = Depends(ISSUERS)) -> Response:
    issuer = _issuer(db, p)
    return _page(request, "credcon_import.html", p, issuer, all_types=_all_types(negotiate(request)),
                 imports=service.list_imports(db, issuer_id=issuer.issuer_id, limit=20))


@router.post("/console/credentials/import", response_class=HTMLResponse)
async def import_submit(request: Request, db: DbSession, p: Principal = Depends(ISSUERS),
                        csrf: str = Form(""), file: UploadFile | None = File(None)) -> Response:
    require_csrf(p, csrf)
    issuer = _issuer(db, p)
    try:
        data = await file.read(MAX_UPLOAD + 1) if file is not None else b""
        out = service.import_csv(db, issuer_id=issuer.issuer_id, data=data,
                                 filename=(file.filename if file is not None else None) or "import.csv", actor=p)
    except DomainError as exc:
        db.rollback()
        message = exc.title(negotiate(request)) + (f" ({exc.detail})" if exc.detail else "")
        return _page(request, "credcon_import.html", p, issuer, status=exc.status, error=message,
                     all_types=_all_types(negotiate(request)),
                     imports=service.list_imports(db, issuer_id=issuer.issuer_id, limit=20))
    suffix = "?replayed=1" if out.replayed else ""
    return RedirectResponse(f"/console/credentials/imports/{out.import_id}{suffix}", status_code=303)


@router.get("/console/credentials/imports/{import_id}", response_class=HTMLResponse)
def import_report(import_id: str, request: Request, db: DbSession, p: Principal = Depends(READERS)) -> Response:
    issuer = _issuer(db, p)
    report = service.get_import(db, issuer_id=issuer.issuer_id, import_id=import_id)
    return _page(request, "credcon_report.html", p, issuer, report=report,
                 replayed=request.query_params.get("replayed") == "1")


@router.get("/console/credentials/templates/{type_id}.csv")
def import_template(type_id: str, db: DbSession, p: Principal = Depends(READERS)) -> Response:
    _issuer(db, p)
    text = service.template_csv(type_id)
    return Response(("\ufeff" + text).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{types.get_type(type_id).id}.csv"'})


# --- one certificate ------------------------------------------------------------------------------

def _detail(request: Request, db: Session, p: Principal, issuer: IssuerOut, credential_id: str, *,
            status: int = 200, error: str | None = None) -> Response:
    cred = service.get_credential(db, credential_id=credential_id, issuer_id=issuer.issuer_id)
    lang = negotiate(request)
    ctype = types.get_type(cred.type_id)
    labels = {f.name: (f.label.zh if lang == "zh-CN" else f.label.en) for f in ctype.fields}
    claims = [(labels.get(k, k), v) for k, v in (cred.claims or {}).items()]
    allowed = {"suspend": cred.status == "valid", "reinstate": cred.status == "suspended",
               "revoke": cred.status != "revoked", "reissue": cred.status != "revoked"}
    return _page(request, "credcon_detail.html", p, issuer, status=status, error=error, cred=cred, claims=claims,
                 actions=[a for a in ACTIONS if allowed[a]])


@router.get("/console/credentials/{credential_id}", response_class=HTMLResponse)
def detail(credential_id: str, request: Request, db: DbSession, p: Principal = Depends(READERS)) -> Response:
    return _detail(request, db, p, _issuer(db, p), credential_id)


@router.post("/console/credentials/{credential_id}/{action}", response_class=HTMLResponse)
def change(credential_id: str, action: str, request: Request, db: DbSession, p: Principal = Depends(ISSUERS),
           csrf: str = Form(""), reason: str = Form("", max_length=200)) -> Response:
    """Suspend, reinstate, revoke or re-issue (the same claims) with a reason, recorded and shown to
    the holder. Re-issuing leads to the new certificate."""
    require_csrf(p, csrf)
    issuer = _issuer(db, p)
    if action not in ACTIONS:
        return _detail(request, db, p, issuer, credential_id, status=404,
                       error=t(negotiate(request), "credcon.error.action"))
    target = credential_id
    try:
        if action == "reissue":
            target = service.reissue_credential(db, issuer_id=issuer.issuer_id, credential_id=credential_id,
                                                actor=p, reason=reason or None).credential_id
        else:
            fn = {"suspend": service.suspend_credential, "reinstate": service.reinstate_credential,
                  "revoke": service.revoke_credential}[action]
            fn(db, issuer_id=issuer.issuer_id, credential_id=credential_id, actor=p, reason=reason or None)
    except DomainError as exc:
        db.rollback()
        return _detail(request, db, p, issuer, credential_id, status=exc.status, error=exc.title(negotiate(request)))
    return RedirectResponse(f"/console/credentials/{target}?done={action}", status_code=303)
