"""The ledger's periodic jobs (run by `onecity worker`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity.jobs import periodic
from onecity.ledger import service


@periodic("ledger.expire_pending", every=timedelta(seconds=30))
def expire_pending(session: Session) -> dict[str, int]:
    """Void (as "expired") the pending transfers whose timeout has passed, releasing their reservations."""
    return {"expired": service.expire_pending(session)}
