"""The 一网通办 measures: worked examples of the arithmetic, then the same from real applications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.services.applications.schemas import ApplicationFact
from onecity.services.catalogue.schemas import I18n, ServiceItemOut
from onecity.services.measures import service as measures
from onecity.services.measures.service import compute, report, share

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def item(code: str, trips: int, agency: str = "org_a") -> ServiceItemOut:
    return ServiceItemOut(
        code=code, city_code="440300", version=1, agency_org_id=agency, name=I18n(zh=code, en=code),
        category="household", description=I18n(zh="-", en="-"), eligibility={}, materials=[],  # type: ignore[arg-type]
        time_limit_days=1, trips=trips, online=True, entry="form", entry_url=None, form_schema=None,
        workflow="instant", status="published", popularity=0, recommended=False, created_at=T0, updated_at=T0)


def fact(n: int, *, agency: str = "org_a", outcome: str | None = None, visits: int = 0, hours: int | None = None,
         due_hours: int | None = 24, submitted: datetime = T0, waiting: bool = False) -> ApplicationFact:
    """`waiting`: open in a state where only the applicant can act (补正 / 待缴费), never overdue."""
    done = submitted + timedelta(hours=hours) if hours is not None else None
    due = submitted + timedelta(hours=due_hours) if due_hours is not None else None
    data: dict[str, Any] = dict(
        application_id=f"app_{n}", service_code="x", agency_org_id=agency,
        state=outcome or "in_review", outcome=outcome, trips_needed=0, visits=visits, submitted_at=submitted,
        completed_at=done, due_at=due,
        overdue=outcome is None and not waiting and due is not None and due < NOW)
    return ApplicationFact(**data)


def test_share_is_kept_exact_as_permille() -> None:
    assert share(2, 3).permille == 666  # 2 * 1000 // 3 = 666 (rounded down, never a float)
    assert share(0, 0).permille == 0
    assert share(5, 5).permille == 1000


def test_worked_example() -> None:
    services = [item("a", 0), item("b", 0), item("c", 1), item("d", 2)]
    facts = [
        fact(1, outcome="approved", visits=0, hours=2),     # on time (due 24 h)
        fact(2, outcome="approved", visits=1, hours=30),    # late: 30 h > 24 h
        fact(3, outcome="rejected", visits=2, hours=10),    # on time
        fact(4, outcome="withdrawn", hours=1),              # neither completed nor open
        fact(5),                                             # open, due T0+24h < NOW: overdue
        fact(6, submitted=NOW - timedelta(hours=1)),        # open, due tomorrow: not overdue
        fact(7, due_hours=None),                             # open without a due time: not overdue
        fact(8, waiting=True),                               # past due but waiting on the applicant (补正)
    ]
    m = compute(city_code="440300", agency_org_id=None, services=services, facts=facts, now=NOW)
    assert m.services_published == 4
    assert (m.services_zero_trips.part, m.services_zero_trips.total, m.services_zero_trips.permille) == (2, 4, 500)
    assert (m.services_at_most_one_trip.part, m.services_at_most_one_trip.permille) == (3, 750)
    assert m.completed == 3
    assert (m.completed_zero_trips.part, m.completed_zero_trips.permille) == (1, 333)  # 1000 // 3
    assert (m.completed_at_most_one_trip.part, m.completed_at_most_one_trip.permille) == (2, 666)
    # (2 h + 30 h + 10 h) / 3 = 14 h = 50 400 s
    assert m.average_processing_seconds == 50_400
    assert (m.open, m.open_overdue, m.completed_late) == (4, 1, 1)


def test_average_rounds_down_to_whole_seconds() -> None:
    facts = [fact(1, outcome="approved", hours=1), fact(2, outcome="approved", hours=0)]
    facts[1] = facts[1].model_copy(update={"completed_at": T0 + timedelta(seconds=1)})
    m = compute(city_code="440300", agency_org_id=None, services=[], facts=facts, now=NOW)
    assert m.average_processing_seconds == 1800  # (3600 + 1) // 2 = 1800
    assert m.services_zero_trips.permille == 0  # no services: 0, not a division by zero


def test_nothing_yet() -> None:
    m = compute(city_code="440300", agency_org_id=None, services=[], facts=[], now=NOW)
    assert (m.completed, m.average_processing_seconds, m.open) == (0, None, 0)


def test_report_splits_by_agency() -> None:
    services = [item("a", 0, "org_a"), item("b", 2, "org_b")]
    facts = [fact(1, agency="org_a", outcome="approved", hours=1), fact(2, agency="org_c")]
    r = report(city_code="440300", services=services, facts=facts, now=NOW)
    assert r.city.services_zero_trips.permille == 500 and r.city.completed == 1 and r.city.open == 1
    by = {m.agency_org_id: m for m in r.agencies}
    assert sorted(by) == ["org_a", "org_b", "org_c"]
    assert by["org_a"].services_zero_trips.permille == 1000 and by["org_a"].completed == 1
    assert by["org_b"].services_at_most_one_trip.permille == 0
    assert by["org_c"].services_published == 0 and by["org_c"].open == 1


def test_measures_from_real_applications(session: Session) -> None:
    """Two published services (0 and 2 trips); one application approved at once (instant), one still
    waiting for review past its due time."""
    from onecity.services.applications import service as applications
    from tests.identity.factories import make_citizen
    from tests.identity.orgs.factories import make_org
    from tests.services.catalogue.factories import make_item

    agency = make_org(session, kind="agency")
    make_item(session, agency, code="m.instant", workflow="instant", trips=0)
    make_item(session, agency, code="m.review", workflow="review_one_step", trips=2, online=True)
    cid = make_citizen(session).public_id
    form = {"name": "张三", "purpose": "测试"}
    applications.submit(session, citizen_id=cid, service_code="m.instant", form=form, actor=cid)
    applications.submit(session, citizen_id=cid, service_code="m.review", form=form, actor=cid)
    assert measures.measure(session).city.open_overdue == 0
    clock.advance(timedelta(days=3))  # the review's time limit is 1 day
    r = measures.measure(session)
    assert r.city.services_published == 2
    assert r.city.services_zero_trips.permille == 500
    assert r.city.completed == 1 and r.city.completed_zero_trips.permille == 1000
    assert (r.city.open, r.city.open_overdue) == (1, 1)
    assert [a.agency_org_id for a in r.agencies] == [agency.public_id]
