"""Family links' periodic jobs (run by `onecity worker`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity.identity.family import service
from onecity.jobs import periodic


@periodic("family.expire_invitations", every=timedelta(minutes=15))
def expire_invitations(session: Session) -> int:
    """Expire invitations nobody answered within their validity."""
    return service.expire_due(session)
