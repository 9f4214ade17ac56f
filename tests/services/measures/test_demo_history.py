"""The demo's past month of applications: after the whole demo city is seeded, the history fills the
measures of at least 8 agencies with completed applications (approved and rejected, some late, some
with a visit) and leaves open ones in the queues; seeding again files nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.demo import cast, seed
from onecity.demo import services_history as history
from onecity.identity import service as identity
from onecity.services.applications.models import Application
from onecity.services.measures import service as measures


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Application)) or 0


def test_history_fills_the_measures_and_is_idempotent(session: Session) -> None:
    assert seed.SERVICES_AREAS[-1] == "history"  # the demo seed runs it last
    before = _count(session)
    first = seed.seed(session, residents=60, api_keys=False)
    lines = [x for x in first.money if x.startswith("history:")]
    made_now = _count(session) - before - 3  # the applications seed's three for 王芳
    assert made_now >= 70, (made_now, lines, first.problems)
    total = _count(session)
    assert len(lines) == 1 and f"history: {made_now} applications" in lines[0]
    r = measures.measure(session)
    busy = [m for m in r.agencies if m.completed > 0]
    assert len(busy) >= 8, [(m.agency_org_id, m.completed) for m in r.agencies]
    city = r.city
    assert city.completed >= 40 and city.open >= 8 and city.open_overdue >= 1 and city.completed_late >= 1
    assert 0 < city.completed_zero_trips.part < city.completed  # some had an in-person visit
    assert city.average_processing_seconds is not None and city.average_processing_seconds > 3600
    # again: nothing new
    report = seed.SeedReport(residents=60)
    made = seed.seed_orgs(session, report)
    ids = {c.key: citizen.public_id for c in cast.CITIZENS
           if (citizen := identity.get_citizen_by_mobile(session, c.mobile)) is not None}
    history.seed(session, report, ids, made)
    assert _count(session) == total
    assert report.money[-1] == "history: already there"
