"""The administrators' measures page (/console/services/measures): the whole city and each agency."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from onecity.authz import Principal
from onecity.deps import DbSession
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.console import console_allow, csrf_token
from onecity.services.measures import service
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

ADMINS = console_allow("admin")


@router.get("/console/services/measures", response_class=HTMLResponse)
def console_measures(request: Request, db: DbSession, p: Principal = Depends(ADMINS)) -> Response:
    report = service.measure(db, city_code=request.query_params.get("city_code") or None)
    names = orgs.org_names(db, {a.agency_org_id for a in report.agencies if a.agency_org_id})
    return render(request, "measures_console.html", principal_kind=p.kind, csrf=csrf_token(p), report=report,
                  names=names)
