"""The bank's periodic jobs (run by `onecity worker`, each due run claimed once across workers).

`bank.dispatch` and `bank.channel` talk to the bank, so they must not hold a transaction while they
do: they ignore the job's session (never touching it, so it never begins) and run their own short
transactions around each bank call.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity import clock
from onecity.jobs import periodic
from onecity.payments.bank import service


@periodic("bank.dispatch", every=timedelta(seconds=2))
def dispatch(_session: Session) -> str:
    """Send new instructions to the bank; query those whose answer was lost or is overdue."""
    return str(service.dispatch())


@periodic("bank.channel", every=timedelta(seconds=2))
def run_channel(_session: Session) -> str:
    """Let the channel work: the simulated bank decides due requests and delivers its callbacks."""
    return str(service.run_channel())


@periodic("bank.reconcile_daily", every=timedelta(hours=1))
def reconcile_yesterday(session: Session) -> str:
    """Reconcile yesterday's statement (Asia/Shanghai business day) once it has not been yet."""
    day = clock.today_local().date() - timedelta(days=1)
    if service.latest_run(session, day) is not None:
        return f"{day} already reconciled"
    session.rollback()  # end this transaction: reconcile runs its own, after fetching the statement
    out = service.reconcile(day=day)
    return f"{day}: {out.matched} matched, {out.resolved} resolved, {out.open} open"
