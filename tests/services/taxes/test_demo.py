"""The taxes demo seed run again in a later year adds that year's assessments instead of clashing
with last year's references (a yearly item's reference names its year)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.demo import cast
from onecity.demo import services_taxes as demo_taxes
from onecity.services.taxes.models import TaxAssessment
from tests.identity.factories import make_citizen
from tests.services.taxes.factories import Bureau


def test_the_seed_in_the_next_year_adds_that_years_taxes(session: Session, bureau: Bureau) -> None:
    ids = {}
    for who in (cast.MAIN, cast.SPOUSE):
        ids[who.key] = make_citizen(session, verified=True, birth_date=who.birth_date, name=who.name,
                                    id_number=who.id_number, mobile=who.mobile).public_id
    report = SimpleNamespace(problems=[])
    made = {"tax-bureau": bureau.org}
    demo_taxes.seed(session, report, ids, made)  # 26 November 2026
    demo_taxes.seed(session, report, ids, made)  # again: nothing new
    assert int(session.scalar(select(func.count()).select_from(TaxAssessment)) or 0) == 3
    clock.freeze(datetime(2027, 1, 15, 10, 0, tzinfo=clock.CITY_TZ))
    demo_taxes.seed(session, report, ids, made)
    assert report.problems == []
    periods = sorted(session.scalars(select(TaxAssessment.period)).all())
    assert periods == ["2025", "2026", "2026", "2026-11", "2027", "2027-01"]
