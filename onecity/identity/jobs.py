"""Identity's periodic jobs (run by `onecity worker`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity.identity import service
from onecity.jobs import periodic


@periodic("identity.prune_expired", every=timedelta(minutes=30))
def prune_expired(session: Session) -> dict[str, int]:
    """Forget one-time codes and rate-limit windows that no longer count for anything."""
    return service.prune_expired(session)
