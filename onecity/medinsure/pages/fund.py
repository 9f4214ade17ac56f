"""The city administrators' medical-insurance page (/console/medinsure/fund): the pooled fund's daily
totals for a chosen city date and the days before it, and the published policy versions."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from onecity import clock
from onecity.authz import Principal
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate
from onecity.identity.orgs.console import console_allow, csrf_token
from onecity.medinsure import service
from onecity.web.formatting import local, yuan
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

ADMINS = console_allow("admin")
DAYS = 7


@router.get("/console/medinsure/fund", response_class=HTMLResponse)
def fund(request: Request, db: DbSession, p: Principal = Depends(ADMINS)) -> Response:
    today = clock.today_local().date()
    error = None
    try:
        day = service.parse_day(request.query_params["day"]) if request.query_params.get("day") else today
    except DomainError as exc:
        error, day = exc.title(negotiate(request)), today
    totals = [service.fund_daily_totals(db, day=day - timedelta(days=i)) for i in range(DAYS)]
    week = {k: sum(getattr(x, k) for x in totals) for k in (
        "settlements", "total_fen", "fund_fen", "personal_fen", "commercial_fen", "self_pay_fen", "refunds",
        "refunded_fen", "refunded_fund_fen", "net_fund_fen")}
    return render(request, "medinsure_fund.html", status_code=422 if error else 200, error=error,
                  principal_kind=p.kind, csrf=csrf_token(p), yuan=yuan, local=local, day=day, today=today,
                  chosen=totals[0], totals=totals, week=week, policies=list(reversed(service.list_policies(db))))
