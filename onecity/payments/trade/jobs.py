"""Trade's periodic jobs: deliver due notifications, close expired unpaid orders, settle yesterday."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity.jobs import periodic
from onecity.payments.trade import service


@periodic("trade.deliver_notifications", every=timedelta(seconds=5))
def deliver_notifications(session: Session) -> dict[str, int]:
    # Each POST happens between two short transactions of its own, never inside this job's.
    return service.deliver_due()


@periodic("trade.expire_orders", every=timedelta(minutes=1))
def expire_orders(session: Session) -> int:
    return service.expire_unpaid(session)


@periodic("trade.settle", every=timedelta(minutes=15))
def settle_yesterday(session: Session) -> dict[str, int]:
    """T+1: settle every merchant's previous day once it is over (idempotent per merchant and day)."""
    return service.settle_all(session, day=service.last_settleable_day())
