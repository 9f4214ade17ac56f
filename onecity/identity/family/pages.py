"""The citizen app's family page (/app/family): links, invitations to answer, invitations sent, the
invitation form, and the direct link of a minor child after the parent's face verification.

Forms post back here with the session's CSRF token; each change redirects to /app/family with a
notice (post/redirect/get), and a refused change shows its error in the page and changes nothing.
The minor flow: /app/face?act=family.link_minor&next=/app/family/minor verifies the parent's face and
comes back with `?face_grant=…`; only then does the page ask for the child's name and ID number, so
they never travel in a URL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity.authz import Principal, allow_page
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.family import rules, service
from onecity.identity.web_session import csrf_ok, csrf_token
from onecity.web import formatting
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

HOME = "/app/family"
MINOR_PAGE = "/app/family/minor"
_NOTICES = {"invited", "accepted", "declined", "cancelled", "narrowed", "revoked", "minor_linked"}


def face_url() -> str:
    return "/app/face?" + urlencode({"act": service.MINOR_ACT, "next": MINOR_PAGE})


def _local(dt: datetime | None) -> str:
    return formatting.local(dt, empty="")


FAMILY_PAGE = allow_page("citizen", verified=True)




def _home(request: Request, db: Session, principal: Principal, *, status: int = 200,
          form: dict[str, Any] | None = None, **ctx: Any) -> Response:
    assert principal.id is not None
    lang = negotiate(request)
    links = service.list_links(db, principal.id)
    invitations = service.list_invitations(db, principal.id)
    done = request.query_params.get("done", "")
    notice = t(lang, f"family.notice.{done}") if done in _NOTICES else None
    return render(
        request, "family_home.html", status_code=status,
        links=links,
        received=invitations.received, sent=invitations.sent,
        relations=rules.RELATIONS, scopes=rules.SCOPES, local=_local, face_url=face_url(),
        csrf=csrf_token(principal), notice=ctx.pop("notice", notice),
        form=form or {"relation": "parent", "scopes": ["pay_medical", "view_bills"], "offered_scopes": []},
        **ctx,
    )


def _change(request: Request, db: Session, principal: Principal, csrf: str, done: str,
            fn: Callable[[str], object], form: dict[str, Any] | None = None) -> Response:
    """Run one change for the signed-in citizen: redirect with a notice, or show the page with the
    error (the change rolled back)."""
    lang = negotiate(request)
    if not csrf_ok(principal, csrf):
        return _home(request, db, principal, status=403, error=t(lang, "identity.error.csrf"), form=form)
    assert principal.id is not None
    try:
        fn(principal.id)
    except DomainError as exc:
        db.rollback()
        return _home(request, db, principal, status=exc.status, error=exc.title(lang), form=form)
    return RedirectResponse(f"{HOME}?done={done}", status_code=303)


@router.get("/app/family", response_class=HTMLResponse)
def family_home(request: Request, db: DbSession, principal: Principal = Depends(FAMILY_PAGE)) -> Response:
    return _home(request, db, principal)


@router.post("/app/family/invite", response_class=HTMLResponse)
def invite(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(FAMILY_PAGE),
    relation: str = Form("parent"),
    mobile: str = Form(""),
    name: str = Form(""),
    id_number: str = Form(""),
    scopes: list[str] = Form([]),
    offered_scopes: list[str] = Form([]),
    csrf: str = Form(""),
) -> Response:
    form = {"relation": relation, "mobile": mobile[:20], "name": name[:50], "scopes": scopes,
            "offered_scopes": offered_scopes}
    return _change(request, db, principal, csrf, "invited", lambda me: service.invite(
        db, inviter_id=me, relation=relation, mobile=mobile.strip() or None, name=name.strip() or None,
        id_number=id_number.strip() or None, scopes=scopes, offered_scopes=offered_scopes), form=form)


@router.post("/app/family/invitations/{link_id}/accept", response_class=HTMLResponse)
def accept(link_id: str, request: Request, db: DbSession, principal: Principal = Depends(FAMILY_PAGE),
           scopes: list[str] = Form([]), csrf: str = Form("")) -> Response:
    return _change(request, db, principal, csrf, "accepted",
                   lambda me: service.accept(db, citizen_id=me, link_id=link_id, scopes=scopes))


@router.post("/app/family/invitations/{link_id}/decline", response_class=HTMLResponse)
def decline(link_id: str, request: Request, db: DbSession, principal: Principal = Depends(FAMILY_PAGE),
            csrf: str = Form("")) -> Response:
    return _change(request, db, principal, csrf, "declined",
                   lambda me: service.decline(db, citizen_id=me, link_id=link_id))


@router.post("/app/family/invitations/{link_id}/cancel", response_class=HTMLResponse)
def cancel(link_id: str, request: Request, db: DbSession, principal: Principal = Depends(FAMILY_PAGE),
           csrf: str = Form("")) -> Response:
    return _change(request, db, principal, csrf, "cancelled",
                   lambda me: service.cancel(db, citizen_id=me, link_id=link_id))


@router.post("/app/family/links/{link_id}/scopes", response_class=HTMLResponse)
def narrow(link_id: str, request: Request, db: DbSession, principal: Principal = Depends(FAMILY_PAGE),
           scopes: list[str] = Form([]), csrf: str = Form("")) -> Response:
    return _change(request, db, principal, csrf, "narrowed",
                   lambda me: service.narrow_scopes(db, citizen_id=me, link_id=link_id, scopes=scopes))


@router.post("/app/family/links/{link_id}/revoke", response_class=HTMLResponse)
def revoke(link_id: str, request: Request, db: DbSession, principal: Principal = Depends(FAMILY_PAGE),
           csrf: str = Form("")) -> Response:
    return _change(request, db, principal, csrf, "revoked",
                   lambda me: service.revoke(db, citizen_id=me, link_id=link_id))


# --- a minor child --------------------------------------------------------------------------------

def _minor_page(request: Request, principal: Principal, grant_id: str, *, status: int = 200,
                form: dict[str, Any] | None = None, **ctx: Any) -> Response:
    return render(request, "family_minor.html", status_code=status, grant_id=grant_id, scopes=rules.SCOPES,
                  csrf=csrf_token(principal), form=form or {"scopes": list(rules.SCOPES)}, **ctx)


@router.get("/app/family/minor", response_class=HTMLResponse)
def minor_form(request: Request, db: DbSession, principal: Principal = Depends(FAMILY_PAGE)) -> Response:
    """Where the face page sends the parent back, with the grant id."""
    grant_id = (request.query_params.get("face_grant") or "")[:60]
    if not grant_id:
        return RedirectResponse(face_url(), status_code=303)
    return _minor_page(request, principal, grant_id)


@router.post("/app/family/minor", response_class=HTMLResponse)
def minor_submit(
    request: Request,
    db: DbSession,
    principal: Principal = Depends(FAMILY_PAGE),
    grant_id: str = Form(""),
    name: str = Form(""),
    id_number: str = Form(""),
    scopes: list[str] = Form([]),
    csrf: str = Form(""),
) -> Response:
    lang = negotiate(request)
    form = {"name": name[:50], "scopes": scopes}
    if not csrf_ok(principal, csrf):
        return _minor_page(request, principal, grant_id[:60], status=403, form=form,
                           error=t(lang, "identity.error.csrf"))
    assert principal.id is not None
    try:
        service.link_minor(db, parent_id=principal.id, name=name, id_number=id_number, grant_id=grant_id,
                           scopes=scopes)
    except DomainError as exc:
        db.rollback()
        return _minor_page(request, principal, grant_id[:60], status=exc.status, form=form, error=exc.title(lang))
    return RedirectResponse(f"{HOME}?done=minor_linked", status_code=303)
