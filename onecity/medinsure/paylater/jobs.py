"""Pay-later's periodic job: collect the debts that have fallen due."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity.jobs import periodic
from onecity.medinsure.paylater import service


@periodic("medinsure.paylater.collect_due", every=timedelta(minutes=5))
def collect_due(session: Session) -> dict[str, int]:
    """One batch of due debts per run (idempotent: a debt's collection transfer id is fixed)."""
    return service.collect_due(session).model_dump()
