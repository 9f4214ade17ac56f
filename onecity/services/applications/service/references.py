"""Reference numbers (办件编号): `<city>-<YYYYMMDD>-<serial>`, e.g. 440300-20261126-000123 — the
city, the local day of submission, and a serial of at least six digits.

Taking a number never makes one submit wait for another:
- PostgreSQL: the serial is `nextval` of the sequence `svc_application_reference_seq`, one for the
  whole platform (so it does not restart each day; it only grows). A sequence is not transactional:
  no lock is held until commit, and a submit that rolls back (refused by a later check, or failed)
  burns its number, so there are gaps. That is acceptable for case numbers: they must be unique
  and readable, not gapless (nobody counts applications by them; the measures count rows).
- SQLite: one writer at a time anyway (the database lock), so the per-city, per-day counter row in
  `svc_reference_counters` is bumped with one atomic upsert … RETURNING; no gaps.
Either way the UNIQUE constraint on `svc_applications.reference` backs the promise.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock
from onecity.db import is_postgres
from onecity.services.applications.models import REFERENCE_SEQUENCE, ReferenceCounter


def _serial(session: Session, city_code: str, day: str) -> int:
    if is_postgres(session):
        return int(session.execute(select(REFERENCE_SEQUENCE.next_value())).scalar_one())
    bump = (sqlite_insert(ReferenceCounter).values(city_code=city_code, day=day, last=1)
            .on_conflict_do_update(index_elements=["city_code", "day"], set_={"last": ReferenceCounter.last + 1})
            .returning(ReferenceCounter.last))
    return int(session.execute(bump).scalar_one())


def next_reference(session: Session, city_code: str) -> str:
    """A new, unique reference number for an application submitted now in `city_code`."""
    day = clock.today_local().strftime("%Y%m%d")
    return f"{city_code}-{day}-{_serial(session, city_code, day):06d}"
