"""The city's 一网通办 measures, per city and per agency, from the published catalogue and the
applications (its own sub-package: it reads both, and neither reads it).

- services: of the published services, the share needing zero trips (零跑动, `trips == 0`) and at most
  one trip (最多跑一次, `trips <= 1`);
- completed applications (办结: approved or rejected, with a completion time; withdrawn ones are not
  counted): the share the applicant completed with zero in-person visits and with at most one;
- average processing time of completed applications (completed_at − submitted_at, whole seconds,
  rounded down);
- overdue (逾期): open applications past their due time now, and completed ones completed after it.

`compute` is pure arithmetic over the facts; `measures` reads the facts from applications.
A share is kept as `part`/`total` with `permille = part * 1000 // total` (0 when there is nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from onecity import clock
from onecity.services.applications import service as applications
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import ServiceItemOut
from onecity.services.measures.schemas import Measures, MeasuresReport, Share

COMPLETED_OUTCOMES = frozenset({"approved", "rejected"})


class Fact(Protocol):
    """What measures read of an application (applications' `ApplicationFact` has these fields)."""

    @property
    def agency_org_id(self) -> str: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def visits(self) -> int: ...
    @property
    def submitted_at(self) -> datetime: ...
    @property
    def completed_at(self) -> datetime | None: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def overdue(self) -> bool: ...


def share(part: int, total: int) -> Share:
    return Share(part=part, total=total, permille=part * 1000 // total if total else 0)


def _completed(f: Fact) -> bool:
    return f.completed_at is not None and f.outcome in COMPLETED_OUTCOMES


def _open(f: Fact) -> bool:
    return f.completed_at is None and f.outcome is None


def compute(*, city_code: str, agency_org_id: str | None, services: Sequence[ServiceItemOut],
            facts: Iterable[Fact], now: datetime) -> Measures:
    """The measures of these published services and these applications' facts, as of `now`."""
    facts = list(facts)
    done = [f for f in facts if _completed(f)]
    still_open = [f for f in facts if _open(f)]
    seconds = [int((f.completed_at - f.submitted_at).total_seconds()) for f in done if f.completed_at]
    return Measures(
        city_code=city_code,
        agency_org_id=agency_org_id,
        services_published=len(services),
        services_zero_trips=share(sum(1 for s in services if s.trips == 0), len(services)),
        services_at_most_one_trip=share(sum(1 for s in services if s.trips <= 1), len(services)),
        completed=len(done),
        completed_zero_trips=share(sum(1 for f in done if f.visits == 0), len(done)),
        completed_at_most_one_trip=share(sum(1 for f in done if f.visits <= 1), len(done)),
        average_processing_seconds=sum(seconds) // len(seconds) if seconds else None,
        open=len(still_open),
        # applications decides what is overdue (past due, and not waiting on the applicant: 补正, 待缴费)
        open_overdue=sum(1 for f in still_open if f.overdue),
        completed_late=sum(1 for f in done if f.due_at is not None and f.completed_at is not None
                           and f.completed_at > f.due_at),
    )


def report(*, city_code: str, services: Sequence[ServiceItemOut], facts: Iterable[Fact],
           now: datetime) -> MeasuresReport:
    """The city's measures and each agency's (an agency appears when it has a service or an application)."""
    facts = list(facts)
    agencies = sorted({s.agency_org_id for s in services} | {f.agency_org_id for f in facts})
    return MeasuresReport(
        city=compute(city_code=city_code, agency_org_id=None, services=services, facts=facts, now=now),
        agencies=[compute(city_code=city_code, agency_org_id=a,
                          services=[s for s in services if s.agency_org_id == a],
                          facts=[f for f in facts if f.agency_org_id == a], now=now) for a in agencies],
    )


def _facts(session: Session, city_code: str, agency_org_id: str | None) -> list[Fact]:
    return list(applications.measure_facts(session, city_code=city_code, agency_org_id=agency_org_id))


def measure(session: Session, *, city_code: str | None = None, agency_org_id: str | None = None) -> MeasuresReport:
    """The measures now, from the published catalogue and every application of the city. With
    `agency_org_id`, `agencies` holds that agency only; `city` stays the whole city's (to compare with)."""
    cc = catalogue.city(city_code)
    services = catalogue.list_items(session, city_code=cc)
    whole = report(city_code=cc, services=services, facts=_facts(session, cc, None), now=clock.now())
    if agency_org_id is None:
        return whole
    return MeasuresReport(city=whole.city, agencies=[
        a for a in whole.agencies if a.agency_org_id == agency_org_id
    ] or [compute(city_code=cc, agency_org_id=agency_org_id, services=[], facts=[], now=clock.now())])
