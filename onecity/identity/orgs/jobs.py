"""Organisations' periodic jobs (run by `onecity worker`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity.identity.orgs import service
from onecity.jobs import periodic


@periodic("orgs.purge_used_nonces", every=timedelta(minutes=5))
def purge_used_nonces(session: Session) -> int:
    """Forget signed-request nonces older than the signature window (their timestamps fail anyway)."""
    return service.purge_used_nonces(session)
