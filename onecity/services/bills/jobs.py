"""Utility bills' periodic jobs (run by `onecity worker`, each due run claimed once across workers).

`dispatch` and `autopay` talk to billers, so they must not hold a transaction while they do: they
ignore the job's session (never touching it, so it never begins) and run their own short
transactions around each biller call.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity.jobs import periodic
from onecity.services.bills import service


@periodic("services.bills.dispatch", every=timedelta(seconds=5))
def dispatch(_session: Session) -> str:
    """Send payment advices to billers and ask after acknowledged ones, with retries."""
    return str(service.dispatch())


@periodic("services.bills.autopay", every=timedelta(hours=1))
def autopay(_session: Session) -> str:
    """Pay due bills of autopay accounts within their limits (each bill decided once)."""
    return str(service.run_autopay())


@periodic("services.bills.reconcile", every=timedelta(hours=1))
def reconcile(session: Session) -> str:
    """Each biller's signed file of yesterday's confirmed payments (made once per biller and day)."""
    files = service.generate_due(session)
    return ", ".join(f"{f.biller_org_id} {f.business_date}: {f.count} / {f.total} fen" for f in files) or "no billers"
