"""Applications' periodic job: note open applications past their time limit (逾期) and tell the citizen."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity.jobs import periodic
from onecity.services.applications import service


@periodic("services.applications.mark_overdue", every=timedelta(minutes=15))
def mark_overdue(session: Session) -> dict[str, int]:
    """One batch per run; each application is noted once (idempotent)."""
    return {"overdue": service.mark_overdue(session)}
