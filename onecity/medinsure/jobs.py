"""The medinsure core's periodic jobs: forget insurance codes long expired (their visits keep the id)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity.jobs import periodic
from onecity.medinsure import service


@periodic("medinsure.purge_codes", every=timedelta(hours=1))
def purge_codes(session: Session) -> int:
    return service.purge_codes(session)
