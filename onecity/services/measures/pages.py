"""The administrators' measures page (/console/services/measures): the whole city and each agency."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from onecity.authz import Principal
from onecity.deps import DbSession
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.console import console_allow, csrf_token
from onecity.services.measures import service
from onecity.services.measures.schemas import Share
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

ADMINS = console_allow("admin")


def duration(seconds: int) -> tuple[str, dict[str, int]]:
    """A processing time as a message key and its whole-int units, rounded down, from the leading
    non-zero unit with one more below it, a zero unit dropped: ("d_h", 3 d 4 h), ("d", 3 d 0 h 5 min),
    ("h_min", 2 h 5 min), ("h", 2 h 0 min), ("min", 7 min); ("under_minute", {}) under a minute."""
    d, rest = divmod(max(seconds, 0), 86400)
    h, rest = divmod(rest, 3600)
    m = rest // 60
    if d:
        return ("d_h", {"d": d, "h": h}) if h else ("d", {"d": d})
    if h:
        return ("h_min", {"h": h, "m": m}) if m else ("h", {"h": h})
    return ("min", {"m": m}) if m else ("under_minute", {})


def percent(s: Share) -> str | None:
    """`permille` as "33.3%" (ints only); None when there is nothing to share (shown as "—")."""
    if not s.total:
        return None
    return f"{s.permille // 10}.{s.permille % 10}%"


@router.get("/console/services/measures", response_class=HTMLResponse)
def console_measures(request: Request, db: DbSession, p: Principal = Depends(ADMINS)) -> Response:
    report = service.measure(db, city_code=request.query_params.get("city_code") or None)
    names = orgs.org_names(db, {a.agency_org_id for a in report.agencies if a.agency_org_id})
    return render(request, "measures_console.html", principal_kind=p.kind, csrf=csrf_token(p), report=report,
                  names=names, duration=duration, percent=percent)
