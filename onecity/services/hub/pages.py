"""The agency console hub page (/console/services): the staff member's city-services consoles."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from onecity.authz import Principal
from onecity.deps import DbSession
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.console import console_allow, csrf_token
from onecity.services.hub import service
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

STAFF = console_allow("staff")


@router.get("/console/services", response_class=HTMLResponse)
def hub(request: Request, db: DbSession, p: Principal = Depends(STAFF)) -> Response:
    assert p.org_id is not None
    response = render(request, "hub_console.html", principal_kind=p.kind, csrf=csrf_token(p),
                      org=orgs.get_org(db, p.org_id), consoles=service.consoles_for(db, principal=p))
    response.headers["Cache-Control"] = "no-store"
    return response
